"""The dictionary in a real browser: the picker, dcz rows, points and downloads, the time to
deliver and the Pareto front, with and without the script.

Debian's headless Chromium through each local gateway door (tests/chromium.py: `door`, the REST
API under /v1/ and the HTTP API at the root), watched for answers of 400 or more, other origins
and CSP violations. Every number the page computes is checked against app/engine/delivery.py applied
to the very report the page received (read off the wire), so timings may vary from run to run
and the test still holds exactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_pages import table_rows
from browser_uploads import (
    choose_files,
    download_row,
    file_payload,
    upload_with_script,
    upload_without_script,
)
from browser_visits import Visit, visiting
from chromium import Door
from corpora import python_source
from dcz_reference import prepared_dcz
from playwright.sync_api import Browser, FilePayload, Page

from app.compression.dictionary_codec import DCZ_SPREAD
from app.compression.dictionary_transport import dcz_decompress
from app.engine.benchmark import InputSummary, JobResult, Report
from app.engine.delivery import LINK_SPEEDS_MBIT, deliveries, fastest_at, pareto_front

PREVIOUS = python_source(64 * 1024)
CURRENT = PREVIOUS[:20_000] + b"# changed in v2\n" + PREVIOUS[20_100:] + b"\nadded = True\n"


VIEWPORT = {"width": 1000, "height": 900}


@pytest.fixture
def visit(browser: Browser, door: Door) -> Iterator[Visit]:
    with visiting(browser, door, viewport=VIEWPORT) as opened:
        yield opened


@pytest.fixture
def no_js_visit(browser: Browser, door: Door) -> Iterator[Visit]:
    with visiting(browser, door, viewport=VIEWPORT, java_script_enabled=False) as opened:
        yield opened


def as_report(report: dict[str, Any]) -> Report:
    """The API's JSON as the engine's dataclasses, for app/engine/delivery.py."""
    return Report(
        InputSummary(**report["input"]),
        results=[JobResult(**result) for result in report["results"]],
    )


def two_versions(
    file_name: str = "app.v2.js", dictionary_name: str = "app.v1.js"
) -> dict[str, FilePayload]:
    """The form's files: the current version to compress and the previous one as dictionary."""
    return {
        "file": file_payload(file_name, CURRENT, "text/javascript"),
        "dictionary": file_payload(dictionary_name, PREVIOUS, "text/javascript"),
    }


def upload_two_versions(page: Page, door: Door) -> dict[str, Any]:
    """Choose app.v2.js and its previous version, submit, wait for both charts; the JSON report."""
    page.goto(door.base_url)
    report = upload_with_script(page, door, two_versions())
    page.wait_for_selector("#delivery-chart")
    return report


def test_the_picker_is_labelled_and_optional(visit: Visit, door: Door) -> None:
    page = visit.page
    page.goto(door.base_url)
    picker = page.get_by_label("Previous version, optional")
    assert picker.get_attribute("name") == "dictionary"
    assert picker.get_attribute("type") == "file"
    assert picker.get_attribute("required") is None


def test_dcz_rows_and_points_match_the_api(visit: Visit, door: Door) -> None:
    page = visit.page
    report = upload_two_versions(page, door)
    rows = table_rows(page, "#results-table")
    assert [(codec, int(level), int(size)) for codec, level, size, *_ in rows] == [
        (r["codec"], r["level"], r["size"]) for r in report["results"]
    ]
    dcz_rows = sorted((int(level), int(size)) for codec, level, size, *_ in rows if codec == "dcz")
    assert dcz_rows == [
        (level, len(prepared_dcz(CURRENT, PREVIOUS, level))) for level in DCZ_SPREAD
    ]
    points = page.eval_on_selector_all(
        "#chart .point[data-codec=dcz]", "gs => gs.map(g => +g.dataset.level)"
    )
    assert sorted(points) == list(DCZ_SPREAD)
    # dcz's ratios are a hundred times the others': the ratio axis turns logarithmic, and up is
    # still a better ratio.
    assert "ratio, original ÷ compressed (log scale)" in (page.text_content("#chart") or "")
    heights = page.eval_on_selector_all(
        "#chart .point",
        "gs => gs.map(g => [g.dataset.codec, +g.dataset.level,"
        " +g.querySelector('circle').getAttribute('cy')])",
    )
    ratio_of = {(r["codec"], r["level"]): r["ratio"] for r in report["results"]}
    by_ratio = sorted(heights, key=lambda point: ratio_of[(point[0], point[1])])
    assert [cy for *_, cy in by_ratio] == sorted((cy for *_, cy in by_ratio), reverse=True)
    assert page.inner_text("#dictionary-name") == "app.v1.js"
    visit.screenshot("browser-dictionary")
    assert visit.problems() == []


def test_a_dcz_download_decodes_with_the_dictionary(
    visit: Visit, door: Door, tmp_path: Path
) -> None:
    page = visit.page
    upload_two_versions(page, door)
    codecs = [row[0] for row in table_rows(page, "#results-table")]
    download, downloaded = download_row(page, codecs.index("dcz"), tmp_path)
    assert download.suggested_filename == "app.v2.js.dcz"
    assert dcz_decompress(downloaded, PREVIOUS) == CURRENT
    assert visit.problems() == []


def fastest_table(page: Page) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = page.eval_on_selector_all(
        "#fastest tbody tr",
        "rows => rows.map(r => Object.fromEntries([['speed', r.dataset.speed],"
        " ...[...r.cells].filter(c => c.dataset.key).map(c => [c.dataset.key, c.dataset.value])]))",
    )
    return rows


def fastest_marks(page: Page) -> list[tuple[float, str, float]]:
    marks = page.eval_on_selector_all(
        "#delivery-chart .fastest",
        "gs => gs.map(g => [+g.dataset.speed, g.dataset.label, +g.dataset.ms])",
    )
    return [(float(speed), str(label), float(ms)) for speed, label, ms in marks]


def assert_marks(
    marks: list[tuple[float, str, float]], expected: list[tuple[float, str, float]]
) -> None:
    """Speeds and labels exactly; times to float precision (the page prints them from JS)."""
    assert [(speed, label) for speed, label, _ in marks] == [(s, label) for s, label, _ in expected]
    assert [ms for *_, ms in marks] == pytest.approx([ms for *_, ms in expected])


def test_the_time_to_deliver_is_app_delivery_on_the_same_report(visit: Visit, door: Door) -> None:
    page = visit.page
    report = as_report(upload_two_versions(page, door))
    candidates = deliveries(report)
    expected = [fastest_at(candidates, speed) for speed in LINK_SPEEDS_MBIT]
    table = fastest_table(page)
    assert [float(row["speed"]) for row in table] == list(LINK_SPEEDS_MBIT)
    for row, best in zip(table, expected, strict=True):
        assert row["precompressed"] == best.precompressed.label
        assert float(row["precompressed-ms"]) == pytest.approx(best.precompressed_ms)
        assert row["on-the-fly"] == best.on_the_fly.label
        assert float(row["on-the-fly-ms"]) == pytest.approx(best.on_the_fly_ms)
        uncompressed = candidates[0].precompressed_ms(best.link_mbit)
        assert float(row["uncompressed-ms"]) == pytest.approx(uncompressed)
    # The chart marks the fastest at each speed, precompressed first...
    assert_marks(
        fastest_marks(page),
        [(best.link_mbit, best.precompressed.label, best.precompressed_ms) for best in expected],
    )
    lines = page.eval_on_selector_all("#delivery-chart .way", "ls => ls.map(l => l.dataset.label)")
    assert lines == [candidate.label for candidate in candidates]
    # ...then on the fly, once picked.
    page.get_by_label("on the fly: compress + transfer + decompress").check()
    assert_marks(
        fastest_marks(page),
        [(best.link_mbit, best.on_the_fly.label, best.on_the_fly_ms) for best in expected],
    )
    # Link speeds come and go with their boxes.
    page.get_by_label("1000 Mbit/s").uncheck()
    page.get_by_label("1 Mbit/s", exact=True).uncheck()
    assert [float(row["speed"]) for row in fastest_table(page)] == [10.0, 100.0]
    assert [speed for speed, _, _ in fastest_marks(page)] == [10.0, 100.0]
    visit.screenshot("browser-time-to-deliver")
    assert visit.problems() == []


def test_the_size_speed_chart_marks_exactly_the_pareto_front(visit: Visit, door: Door) -> None:
    page = visit.page
    report = as_report(upload_two_versions(page, door))
    marked = page.eval_on_selector_all(
        "#chart .point.pareto", "gs => gs.map(g => [g.dataset.codec, +g.dataset.level])"
    )
    front = pareto_front(report.results)
    assert sorted(map(tuple, marked)) == sorted((r.codec, r.level) for r in front)
    assert 0 < len(front) < len(report.results)
    # The dashed line runs through the front's points, fastest (rightmost) last.
    line_points = page.get_attribute("#pareto-line", "points") or ""
    assert len(line_points.split()) == len(front)
    xs = [float(point.split(",")[0]) for point in line_points.split()]
    assert xs == sorted(xs)


def test_a_dictionary_alone_is_shown_as_the_servers_problem(visit: Visit, door: Door) -> None:
    page = visit.page
    visit.watch.allow(400, door.url("compress"))  # the problem this test asks for
    page.goto(door.base_url)
    choose_files(page, {"dictionary": two_versions()["dictionary"]})
    page.click("form button")
    page.wait_for_selector("#status .error")
    assert "nothing to compress against it" in page.inner_text("#status .error")
    assert page.locator("#results-table").count() == 0
    assert visit.problems() == []


# --- without the script ------------------------------------------------------------------------


def test_without_javascript_a_dcz_row_asks_for_the_dictionary_again(
    no_js_visit: Visit, door: Door, tmp_path: Path
) -> None:
    page = no_js_visit.page
    upload_without_script(page, door, two_versions())
    assert page.inner_text("#dictionary-name") == "app.v1.js"
    assert "choose the dictionary app.v1.js again" in page.inner_text("main")
    codecs = page.eval_on_selector_all(
        "table#results tr:has(td)", "rows => rows.map(r => r.cells[0].innerText)"
    )
    assert codecs.count("dcz") == len(DCZ_SPREAD)
    choose_files(page, two_versions("again.js", "v1.js"))
    no_js_visit.screenshot("browser-dictionary-no-js")
    download, downloaded = download_row(page, codecs.index("dcz"), tmp_path)
    assert download.suggested_filename == "again.js.dcz"
    assert dcz_decompress(downloaded, PREVIOUS) == CURRENT
    assert download.url.startswith(door.url("compress/dcz?level="))
    assert no_js_visit.problems() == []
