"""The site check page in Chromium, through each local gateway door (tests/chromium.py: `door`):
the REST API under /v1/ and the HTTP API at the root.

With JavaScript: a folder picked with webkitdirectory goes up with progress, and the plan shows
its totals, the chart per media type and a sortable table; the download gives the variants.
Without: the form posts and the plan comes back as a page. Each fails on any answer of 400 or
more, any request to another origin and any Content-Security-Policy violation.
"""

from __future__ import annotations

import gzip
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import brotli
import pytest
import zstandard
from chromium import Door, Watch, watch
from playwright.sync_api import Browser, BrowserContext, Page
from site_archives import sample_site, zip_bytes

RESULTS_TIMEOUT_MS = 90_000


@pytest.fixture
def site_folder(tmp_path: Path) -> Path:
    root = tmp_path / "public"
    for name, data in sample_site():
        target = root / name.removeprefix("site/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root


@dataclass
class Opened:
    context: BrowserContext
    page: Page
    watch: Watch


def opened(browser: Browser, door: Door, javascript: bool) -> Iterator[Opened]:
    context = browser.new_context(accept_downloads=True, java_script_enabled=javascript)
    visit = Opened(context, None, watch(context, door))  # type: ignore[arg-type]
    visit.page = context.new_page()
    yield visit
    assert visit.watch.problems(context) == []
    context.close()


@pytest.fixture
def with_js(browser: Browser, door: Door) -> Iterator[Opened]:
    yield from opened(browser, door, True)


@pytest.fixture
def without_js(browser: Browser, door: Door) -> Iterator[Opened]:
    yield from opened(browser, door, False)


def test_the_nav_leads_to_the_site_check(with_js: Opened, door: Door) -> None:
    page = with_js.page
    page.goto(door.base_url)
    with page.expect_navigation() as navigation:
        page.click("nav >> text=Site check")
    assert navigation.value is not None
    assert (navigation.value.status, navigation.value.url) == (200, door.url("check"))


def test_a_folder_is_planned_with_progress_chart_table_and_download(
    with_js: Opened, door: Door, site_folder: Path, tmp_path: Path
) -> None:
    page = with_js.page
    page.goto(door.url("check"))
    page.set_input_files("input[webkitdirectory]", site_folder)
    with page.expect_response(door.url("site"), timeout=RESULTS_TIMEOUT_MS) as answer:
        page.click("form#sitecheck button")
    assert answer.value.status == 200
    assert page.url == door.url("check")  # the script stayed on the page
    page.wait_for_selector("#site-totals", timeout=RESULTS_TIMEOUT_MS)
    assert page.locator("#site-progress").count() == 0  # replaced by the plan
    totals = page.locator("#site-totals").inner_text()
    assert "static plan" in totals
    assert "typical server" in totals
    # The chart: a group of four bars per media type.
    types = answer.value.json()["by_media_type"]
    assert page.locator("#site-chart rect title").count() == 4 * len(types)
    # The table: every file, sortable by clicking a heading.
    rows = page.locator("#site-files tbody tr")
    assert rows.count() == len(sample_site())
    page.click("#site-files th >> text=path")
    first = rows.first.locator("td").first.inner_text()
    paths = sorted(name.removeprefix("site/") for name, _ in sample_site())
    assert first in (paths[0], paths[-1])
    page.click("#site-files th >> text=path")
    assert rows.first.locator("td").first.inner_text() in (paths[0], paths[-1])
    assert rows.first.locator("td").first.inner_text() != first
    # The download: the variants, each decoding to its file.
    with page.expect_download(timeout=RESULTS_TIMEOUT_MS) as download_info:
        page.click("#site-download")
    saved = tmp_path / "variants.zip"
    download_info.value.save_as(saved)
    originals = {name.removeprefix("site/"): data for name, data in sample_site()}
    decoders: dict[str, Callable[[bytes], bytes]] = {
        "br": brotli.decompress,
        "gz": gzip.decompress,
    }
    decoders["zst"] = zstandard.ZstdDecompressor().decompress
    with zipfile.ZipFile(saved) as archive:
        assert "index.html.br" in archive.namelist()
        for name in archive.namelist():
            path, _, extension = name.rpartition(".")
            assert decoders[extension](archive.read(name)) == originals[path]


def test_a_refused_archive_shows_the_problem(with_js: Opened, door: Door) -> None:
    page = with_js.page
    page.goto(door.url("check"))
    evil = zip_bytes([("../escape.html", b"<p>x")])
    page.set_input_files(
        "input[type=file][name=file]:not([webkitdirectory])",
        {"name": "evil.zip", "mimeType": "application/zip", "buffer": evil},
    )
    with_js.watch.allow(422, door.url("site"))  # the answer this test asks for
    page.click("form#sitecheck button")
    alert = page.wait_for_selector("[role=alert]", timeout=RESULTS_TIMEOUT_MS)
    assert alert is not None
    assert "climbs out" in alert.inner_text()


def test_without_javascript_the_form_gets_the_plan_page(without_js: Opened, door: Door) -> None:
    page = without_js.page
    page.goto(door.url("check"))
    page.set_input_files(
        "input[type=file][name=file]:not([webkitdirectory])",
        {"name": "site.zip", "mimeType": "application/zip", "buffer": zip_bytes(sample_site())},
    )
    with page.expect_navigation(timeout=RESULTS_TIMEOUT_MS) as navigation:
        page.click("form#sitecheck button")
    assert navigation.value is not None
    assert (navigation.value.status, navigation.value.url) == (200, door.url("site"))
    assert "Static plan" in page.locator("table#totals").inner_text()
    assert page.locator("table#files tr:has(td)").count() == len(sample_site())
    # Its download form posts the site again, beside it, to site/precompressed.
    page.set_input_files(
        "input[type=file][name=file]",
        {"name": "site.zip", "mimeType": "application/zip", "buffer": zip_bytes(sample_site())},
    )
    with page.expect_download(timeout=RESULTS_TIMEOUT_MS) as download_info:
        page.click("form[action='site/precompressed'] button")
    download = download_info.value
    assert download.url == door.url("site/precompressed")
    body = Path(download.path()).read_bytes()
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert "index.html.br" in archive.namelist()
