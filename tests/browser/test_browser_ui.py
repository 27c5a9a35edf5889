"""CompressTest in a real browser: the home page's script, and the form without it.

Debian's headless Chromium (tests/chromium.py) against a real uvicorn on 127.0.0.1. The JSON
API on the same server is the reference every table is checked against; downloads are saved
by Chromium and decompressed here with the codec's own library. Each test also records the
page's Content-Security-Policy violations and dialogs: both must stay empty.
Screenshots land in screenshots/ (git-ignored) for people to look at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from browser_pages import RESULTS_TIMEOUT_MS, table_rows, wait_for_table
from chromium import SCREENSHOTS_DIR
from corpora import python_source
from loopback_server import LoopbackServer
from playwright.sync_api import Browser, BrowserContext, Dialog, Page

from app.compression.registry import CODECS
from app.tinysite.precompressed import CONTENT_SECURITY_POLICY

HOSTILE_NAME = "<script>alert(1)</script>.txt"
SAMPLE = python_source(96 * 1024)
# Recorded from the first script that runs in each document, ahead of the page's own.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI);
});
"""
# Seen from outside the page: every <progress> value and whether the spinner ever showed.
RECORD_PROGRESS = """
window.__progress = {values: [], spinner: false};
new MutationObserver(() => {
  const bar = document.querySelector("#status progress");
  if (bar) window.__progress.values.push(bar.value);
  if (document.querySelector("#status #spinner")) window.__progress.spinner = true;
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


class Session:
    """A page in its own browser context, with the dialogs it opened."""

    def __init__(self, context: BrowserContext) -> None:
        self.context = context
        self.page: Page = context.new_page()
        self.dialogs: list[str] = []
        self.page.on("dialog", self._on_dialog)

    def _on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def violations(self) -> list[str]:
        violations: list[str] = self.page.evaluate("window.__violations")
        return violations

    def screenshot(self, name: str) -> None:
        SCREENSHOTS_DIR.mkdir(exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS_DIR / name), full_page=True)


@pytest.fixture
def session(browser: Browser) -> Iterator[Session]:
    context = browser.new_context(viewport={"width": 1000, "height": 900}, accept_downloads=True)
    context.add_init_script(RECORD_VIOLATIONS)
    opened = Session(context)
    yield opened
    context.close()


@pytest.fixture
def no_js_session(browser: Browser) -> Iterator[Session]:
    context = browser.new_context(
        viewport={"width": 1000, "height": 900}, accept_downloads=True, java_script_enabled=False
    )
    opened = Session(context)
    yield opened
    context.close()


def api_report(server: LoopbackServer, filename: str, data: bytes) -> dict[str, Any]:
    """The JSON API's answer for the same upload, as curl would get it."""
    response = httpx.post(
        server.base_url + "/compress",
        files={"file": (filename, data)},
        headers={"Accept": "*/*"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    report: dict[str, Any] = response.json()
    return report


def identity_of(results: list[dict[str, Any]]) -> list[tuple[str, int, int]]:
    """What must not differ between two runs: codec, level and size (timings do)."""
    return [(r["codec"], r["level"], r["size"]) for r in results]


def upload(session: Session, server: LoopbackServer, name: str, data: bytes) -> None:
    page = session.page
    page.goto(server.base_url + "/")
    page.set_input_files(
        "form input[type=file]", {"name": name, "mimeType": "text/plain", "buffer": data}
    )
    page.click("form button")


# --- with the script ---------------------------------------------------------------------------


def test_the_home_page_runs_its_script_and_the_charts_it_loads_under_the_policy(
    session: Session, server: LoopbackServer
) -> None:
    page = session.page
    response = page.goto(server.base_url + "/")
    assert response is not None
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    # The script ran (it adds the status and results areas) and the hashed style applied.
    page.wait_for_selector("#status", state="attached")
    assert page.locator("#results").count() == 1
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") in (
        "rgb(253, 253, 248)",
        "rgb(23, 23, 23)",
    )
    # app.js, named by the page, loads charts.js with its own version.
    page.wait_for_function("window.CompressTestCharts !== undefined")
    sources = page.evaluate(
        "[...document.scripts].map(s => [new URL(s.src).pathname, new URL(s.src).search])"
    )
    assert sorted(path for path, _ in sources) == ["/app.js", "/charts.js"]  # charts.js in head
    assert sources[0][1] == sources[1][1] != ""
    assert session.violations() == []


def test_upload_shows_progress_then_the_table_matching_the_api(
    session: Session, server: LoopbackServer
) -> None:
    page = session.page
    page.goto(server.base_url + "/")
    page.evaluate(RECORD_PROGRESS)
    # Throttled to 256 KiB/s upstream, the 96 KiB upload takes long enough to report progress.
    cdp = session.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 256 * 1024},
    )
    page.set_input_files(
        "form input[type=file]", {"name": "sample.py", "mimeType": "text/plain", "buffer": SAMPLE}
    )
    page.click("form button")
    wait_for_table(page)
    progress = page.evaluate("window.__progress")
    assert progress["spinner"] is True
    assert any(0 < value < 1 for value in progress["values"]), progress["values"]
    assert progress["values"] == sorted(progress["values"])

    rows = table_rows(page, "#results-table")
    expected = api_report(server, "sample.py", SAMPLE)
    assert [(codec, int(level), int(size)) for codec, level, size, *_ in rows] == identity_of(
        expected["results"]
    )
    assert page.inner_text("#filename") == "sample.py"
    assert page.inner_text("#sha256") == expected["input"]["sha256"]
    assert page.inner_text("#status") == ""
    session.screenshot("browser-results.png")
    assert session.violations() == []


def test_the_chart_has_one_labelled_point_per_result(
    session: Session, server: LoopbackServer
) -> None:
    upload(session, server, "sample.py", SAMPLE)
    wait_for_table(session.page)
    page = session.page
    points = page.eval_on_selector_all(
        "#chart .point",
        "gs => gs.map(g => [g.dataset.codec, +g.dataset.level, g.querySelector('text').textContent,"
        " +g.querySelector('circle').getAttribute('cx'),"
        " +g.querySelector('circle').getAttribute('cy'), g.classList.contains('tie')])",
    )
    rows = table_rows(page, "#results-table")
    assert sorted((codec, level) for codec, level, *_ in points) == sorted(
        (row[0], int(row[1])) for row in rows
    )
    # A point on the Pareto front only by noise is labelled ≈ (tests/browser/test_browser_ties.py).
    assert all(
        label == ("≈ " if tie else "") + f"{codec} {level}"
        for codec, level, label, _, _, tie in points
    )
    points = [point[:5] for point in points]
    # Up is a better ratio, right a faster compression (log scale: order is kept).
    by_job = {(row[0], int(row[1])): row for row in rows}
    ratio_order = sorted(points, key=lambda p: float(by_job[(p[0], p[1])][3]))
    assert [p[4] for p in ratio_order] == sorted((p[4] for p in ratio_order), reverse=True)
    speed_order = sorted(points, key=lambda p: float(by_job[(p[0], p[1])][5]))
    assert [p[3] for p in speed_order] == sorted(p[3] for p in speed_order)
    assert session.violations() == []


def test_columns_sort_both_ways(session: Session, server: LoopbackServer) -> None:
    upload(session, server, "sample.py", SAMPLE)
    wait_for_table(session.page)
    page = session.page

    def column(index: int) -> list[float]:
        return [float(row[index]) for row in table_rows(page, "#results-table")]

    sizes = column(2)
    assert sizes == sorted(sizes)
    page.click("#results-table th[data-key=ratio] button")
    assert column(3) == sorted(column(3), reverse=True)
    assert page.get_attribute("#results-table th[data-key=ratio]", "aria-sort") == "descending"
    page.click("#results-table th[data-key=ratio] button")
    assert column(3) == sorted(column(3))
    page.click("#results-table th[data-key=compress_mbps] button")
    assert column(5) == sorted(column(5), reverse=True)
    assert page.get_attribute("#results-table th[data-key=ratio]", "aria-sort") is None
    page.click("#results-table th[data-key=size] button")
    assert column(2) == sizes


def test_a_download_per_codec_decompresses_to_the_upload(
    session: Session, server: LoopbackServer, tmp_path: Path
) -> None:
    upload(session, server, "sample.py", SAMPLE)
    wait_for_table(session.page)
    page = session.page
    rows = page.locator("#results-table tbody tr")
    codecs = [row[0] for row in table_rows(page, "#results-table")]
    # The first row of each codec. Of 20 rows clicked back to back, Chromium here dropped the
    # 11th download (with 0.4 s between clicks all 20 arrived): no person clicks that fast.
    first_rows = {codec: codecs.index(codec) for codec in dict.fromkeys(codecs)}
    assert len(first_rows) == len(CODECS)  # lz4, snappy and libdeflate among them
    for codec_name, index in first_rows.items():
        codec = CODECS[codec_name]
        with page.expect_download(timeout=RESULTS_TIMEOUT_MS) as download_info:
            rows.nth(index).locator("button").click()
        download = download_info.value
        assert download.suggested_filename == "sample.py" + codec.extension
        saved = tmp_path / f"{index}{codec.extension}"
        download.save_as(saved)
        assert codec.decompress(saved.read_bytes()) == SAMPLE
    assert session.violations() == []


def test_pasted_text_works_too(session: Session, server: LoopbackServer, tmp_path: Path) -> None:
    page = session.page
    page.goto(server.base_url + "/")
    text = "tiny site, tiny site, tiny site " * 40
    page.fill("form textarea[name=text]", text)
    page.click("form button")
    wait_for_table(page)
    assert page.inner_text("#filename") == "your text"
    with page.expect_download() as download_info:
        page.locator("#results-table tbody tr").first.locator("button").click()
    codec = CODECS[page.locator("#results-table tbody tr td[data-key=codec]").first.inner_text()]
    saved = tmp_path / "text"
    download_info.value.save_as(saved)
    assert codec.decompress(saved.read_bytes()) == text.encode()


def test_a_hostile_file_name_is_shown_as_text_and_runs_nothing(
    session: Session, server: LoopbackServer
) -> None:
    upload(session, server, HOSTILE_NAME, SAMPLE)
    wait_for_table(session.page)
    page = session.page
    assert page.inner_text("#filename") == HOSTILE_NAME
    assert page.evaluate("document.scripts.length") == 2  # app.js and charts.js, no other
    session.screenshot("browser-hostile-name.png")
    assert session.dialogs == []
    assert session.violations() == []


def test_a_problem_is_shown_as_its_detail(session: Session, server: LoopbackServer) -> None:
    page = session.page
    page.goto(server.base_url + "/")
    page.click("form button")  # neither a file nor text
    page.wait_for_selector("#status .error")
    assert "no file in 'file'" in page.inner_text("#status .error")
    assert page.locator("#results-table").count() == 0


# --- without the script ------------------------------------------------------------------------


def test_without_javascript_the_form_gets_the_results_page(
    no_js_session: Session, server: LoopbackServer, tmp_path: Path
) -> None:
    page = no_js_session.page
    upload(no_js_session, server, HOSTILE_NAME, SAMPLE)
    page.wait_for_url(server.base_url + "/compress")
    page.wait_for_selector("table#results")
    assert page.inner_text("#filename") == HOSTILE_NAME
    rows = page.eval_on_selector_all(
        "table#results tr:has(td)", "rows => rows.map(r => [...r.cells].map(c => c.innerText))"
    )
    expected = api_report(server, HOSTILE_NAME, SAMPLE)
    assert [(codec, int(level), int(size.replace(",", ""))) for codec, level, size, *_ in rows] == (
        identity_of(expected["results"])
    )
    assert page.inner_text("#sha256") == expected["input"]["sha256"]
    assert page.locator("script").count() == 0
    no_js_session.screenshot("browser-results-no-js.png")

    # A row's download posts the input chosen again, to /compress/{codec}?level=N.
    first = rows[0]
    codec = CODECS[first[0]]
    page.set_input_files(
        "input[type=file][name=file]",
        {"name": "again.txt", "mimeType": "text/plain", "buffer": SAMPLE},
    )
    with page.expect_download() as download_info:
        page.locator("table#results tr:has(td) button").first.click()
    download = download_info.value
    assert download.suggested_filename == "again.txt" + codec.extension
    saved = tmp_path / "download"
    download.save_as(saved)
    assert codec.decompress(saved.read_bytes()) == SAMPLE


def test_the_results_page_runs_nothing_even_with_javascript_on(
    session: Session, server: LoopbackServer
) -> None:
    # With the script blocked the form posts natively: the server's page, in a browser that
    # would run any script the page let in. Escaping and the policy must both hold.
    page = session.page
    page.route(re.compile(r".*/app\.js.*"), lambda route: route.abort())
    upload(session, server, HOSTILE_NAME, SAMPLE)
    page.wait_for_url(server.base_url + "/compress")
    page.wait_for_selector("table#results")
    # The policy still lets the page reach its own origin (connect-src 'self').
    assert page.evaluate("fetch('/health').then(r => r.ok)") is True
    assert page.inner_text("#filename") == HOSTILE_NAME
    assert page.evaluate("document.scripts.length") == 0
    assert session.dialogs == []
    assert session.violations() == []
