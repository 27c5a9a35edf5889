"""The site, the script, both upload paths and /docs in Chromium, through each local gateway door.

Every test runs once behind app/local.py's REST API, where the app lives under /v1/ as on the
deployed default URL, and once behind its HTTP API, at the root (tests/chromium.py: `door`).
Each fails on any answer of 400 or more it did not ask for, on any request to another origin
(refused before it leaves the machine) and on any Content-Security-Policy violation.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urldefrag

import pytest
from browser_pages import RESULTS_TIMEOUT_MS
from browser_uploads import (
    choose_files,
    download_row,
    file_payload,
    result_rows,
    upload_with_script,
    upload_without_script,
)
from browser_visits import Visit, visiting
from chromium import DOORS, Door
from corpora import python_source
from loopback_server import UNTHROTTLED, serve_local_gateway
from playwright.sync_api import Browser, Page

from app.compression.registry import CODECS
from app.tinysite import PAGES

SAMPLE = python_source(24 * 1024)
# Two 404 pages: one level below the pages' own, and two deeper (its links climb back up).
MISSING_PAGES = ("no-such-page", "no/such/deep/page")


@pytest.fixture
def visit(browser: Browser, door: Door) -> Iterator[Visit]:
    with visiting(browser, door) as opened:
        yield opened


@pytest.fixture
def no_js_visit(browser: Browser, door: Door) -> Iterator[Visit]:
    with visiting(browser, door, java_script_enabled=False) as opened:
        yield opened


@pytest.fixture(scope="module", params=DOORS)
def crawled_door(request: pytest.FixtureRequest) -> Iterator[Door]:
    """A door without the gateway's page limits: the crawl below clicks faster than any visitor
    (dozens of pages in a few seconds, past the page burst), and the limits have tests of their own
    (tests/browser/test_browser_crowd.py browses every page at once under the defaults)."""
    http_api = request.param == "http-api"
    with serve_local_gateway(http_api=http_api, parameter_overrides=UNTHROTTLED) as gateway:
        yield Door(request.param, gateway.base_url)


@pytest.fixture
def crawl_visit(browser: Browser, crawled_door: Door) -> Iterator[Visit]:
    with visiting(browser, crawled_door) as opened:
        yield opened


def links_on(page: Page) -> list[tuple[str, str]]:
    """Each link on the page: its href as written, and the URL the browser resolved it to."""
    links: list[tuple[str, str]] = page.eval_on_selector_all(
        "a[href]", "links => links.map(a => [a.getAttribute('href'), a.href])"
    )
    return links


def test_every_link_on_every_page_works(crawl_visit: Visit, crawled_door: Door) -> None:
    """From the home page and two 404 pages, click each link of each page reached.

    A link whose resolved URL (the browser's own `a.href`, what a click navigates to) an earlier
    click already proved is not clicked again: the site's pages are static, so the second click
    could only repeat the first's answer. Every link is still resolved by the browser on its own
    page, and every URL a link resolves to is clicked once.
    """
    visit, door = crawl_visit, crawled_door
    page = visit.page
    for missing in MISSING_PAGES:
        visit.watch.allow(404, door.url(missing))
    to_visit = [door.base_url, *(door.url(missing) for missing in MISSING_PAGES)]
    visited: set[str] = set()
    clicked: set[str] = set()  # resolved URLs a click proved: 200, under the door
    links_checked = 0
    while to_visit:
        url = to_visit.pop(0)
        if url in visited:
            continue
        visited.add(url)
        response = page.goto(url)
        assert response is not None
        if page.locator("header nav").count() == 0:
            continue  # not one of the site's pages (/docs is tested on its own)
        on_page = True
        for index, (href, resolved) in enumerate(links_on(page)):
            links_checked += 1
            link = page.locator("a[href]").nth(index)
            if href.startswith("#"):
                if not on_page:
                    page.goto(url)
                    on_page = True
                link.click()
                assert page.locator(f"[id='{href[1:]}']").count() == 1, f"{url}: {href}"
                continue
            target = urldefrag(resolved).url
            if target in clicked:
                continue
            if not on_page:
                page.goto(url)
            with page.expect_navigation() as navigation:
                link.click()
            on_page = False
            answer = navigation.value
            assert answer is not None, f"{url}: {href}"
            assert answer.status == 200, f"{url}: {href} -> {answer.status} {answer.url}"
            assert answer.url.startswith(door.base_url), f"{url}: {href} -> {answer.url}"
            clicked.add(target)
            to_visit.append(urldefrag(answer.url).url)
    # Every page of the site was reached, and /docs from the API page.
    assert {door.url(path.lstrip("/")) for path in PAGES} | {door.url("docs")} <= visited
    assert links_checked >= 40
    assert visit.problems() == []


def test_the_prefix_typed_without_its_slash_lands_on_working_links(
    visit: Visit, door: Door
) -> None:
    page = visit.page
    response = page.goto(door.base_url.rstrip("/"))
    assert response is not None
    assert response.status == 200
    assert page.url == door.base_url
    with page.expect_navigation() as navigation:
        page.click("nav >> text=Codecs")
    assert navigation.value is not None
    assert navigation.value.url == door.url("codecs")
    assert navigation.value.status == 200
    assert visit.problems() == []


def test_the_script_uploads_and_downloads_under_the_door(
    visit: Visit, door: Door, tmp_path: Path
) -> None:
    page = visit.page
    page.goto(door.base_url)
    page.wait_for_selector("#status", state="attached")  # the script ran
    # app.js, then charts.js, which app.js loads from its own URL with the same version.
    page.wait_for_function("window.CompressTestCharts !== undefined")
    app_js, charts_js = page.evaluate(
        "['app.js', 'charts.js'].map(n => [...document.scripts].find(s => s.src.includes(n)).src)"
    )
    assert app_js.startswith(door.url("app.js?v="))
    assert charts_js == door.url("charts.js") + app_js[app_js.index("?") :]
    assert page.evaluate("document.scripts.length") == 2
    upload_with_script(page, door, {"file": file_payload("sample.py", SAMPLE)})
    assert page.inner_text("#filename") == "sample.py"
    codec = CODECS[result_rows(page).first.locator("td[data-key=codec]").inner_text()]
    download, downloaded = download_row(page, 0, tmp_path)
    assert download.suggested_filename == "sample.py" + codec.extension
    assert codec.decompress(downloaded) == SAMPLE
    assert visit.problems() == []


def test_the_form_uploads_and_downloads_without_javascript(
    no_js_visit: Visit, door: Door, tmp_path: Path
) -> None:
    page = no_js_visit.page
    upload_without_script(page, door, {"file": file_payload("sample.py", SAMPLE)})
    # A row's download posts the input chosen again, to compress/{codec}?level=N beside it.
    codec = CODECS[result_rows(page).first.locator("td").first.inner_text()]
    choose_files(page, {"file": file_payload("again.py", SAMPLE)})
    download, downloaded = download_row(page, 0, tmp_path)
    assert download.url.startswith(door.url("compress/"))
    assert download.suggested_filename == "again.py" + codec.extension
    assert codec.decompress(downloaded) == SAMPLE
    # "Try another" goes back to the home page under the same door.
    with page.expect_navigation() as back:
        page.click("text=Try another")
    assert back.value is not None
    assert (back.value.status, back.value.url) == (200, door.base_url)
    assert no_js_visit.problems() == []


def test_docs_shows_the_operations_and_runs_one(visit: Visit, door: Door) -> None:
    page = visit.page
    response = page.goto(door.url("docs"))
    assert response is not None
    assert response.status == 200
    page.wait_for_selector(".opblock", timeout=RESULTS_TIMEOUT_MS)
    operations = page.eval_on_selector_all(
        ".opblock-summary",
        "blocks => blocks.map(b => b.querySelector('.opblock-summary-method').innerText + ' ' +"
        " b.querySelector('.opblock-summary-path').innerText.replace(/\\u200b/g, ''))",
    )
    assert {"POST /compress", "POST /compress/{codec}", "GET /health"} <= set(operations)
    # "Try it out" sends the request under the door's prefix (the spec's `servers`).
    health = page.locator(".opblock-get", has_text="/health")
    health.locator(".opblock-summary").click()
    health.locator("button.try-out__btn").click()
    with page.expect_response(door.url("health")) as answer:
        health.locator("button.execute").click()
    assert answer.value.status == 200
    assert answer.value.json() == {"status": "ok"}
    assert visit.problems() == []
