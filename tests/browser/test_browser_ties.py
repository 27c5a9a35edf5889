"""The tie marks in Chromium: app.js's table and charts.js's chart on synthetic timings.

The page posts as usual; the answer is replaced (Playwright's routing) by a report whose times
are chosen (tests/noise_cases.py), so which speeds tie is known exactly. app.js's `tied` is
also checked pair by pair against the cases app/engine/job_timing.py's `speeds_tie` passes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from loopback_server import LoopbackServer
from noise_cases import PAIRS, TIED_BY_SIZE, TIED_ON_THE_CHART, report
from playwright.sync_api import Browser, Page, Route

from app.engine.job_timing import speeds_tie


@pytest.fixture
def page(browser: Browser, server: LoopbackServer) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    opened = context.new_page()

    def synthetic(route: Route) -> None:
        route.fulfill(status=200, content_type="application/json", body=json.dumps(report()))

    opened.route("**/compress", synthetic)
    opened.goto(server.base_url + "/")
    opened.wait_for_function("window.CompressTestCharts !== undefined")
    opened.fill("form textarea[name=text]", "anything: the answer is synthetic")
    opened.click("form button")
    opened.wait_for_selector("#results-table tbody tr")
    yield opened
    context.close()


def tied_cells(page: Page) -> set[tuple[str, str]]:
    cells: list[list[str]] = page.eval_on_selector_all(
        "#results-table td.tie",
        "cells => cells.map(c => [c.closest('tr').cells[0].textContent, c.dataset.key])",
    )
    return {(codec, key) for codec, key in cells}


def test_tied_agrees_with_speeds_tie_on_every_pair(page: Page) -> None:
    for a, b, expected in PAIRS:
        assert speeds_tie(*a, *b) is expected
        for x, y in ((a, b), (b, a)):
            rows = [
                {"compress_ms": x[0], "compress_ms_median": x[1]},
                {"compress_ms": y[0], "compress_ms_median": y[1]},
            ]
            assert (
                page.evaluate("([x, y]) => window.CompressTestDom.tied(x, y, 'compress')", rows)
                is expected
            ), (x, y)


def test_the_table_marks_speeds_tied_with_the_row_above(page: Page) -> None:
    assert tied_cells(page) == TIED_BY_SIZE
    marks = page.eval_on_selector_all("#results-table td.tie", "cs => cs.map(c => c.textContent)")
    assert all(mark.startswith("≈ ") for mark in marks)
    # Sorted by compress speed, fastest first: lz4, snappy, brotli, zstd. snappy ties lz4 above
    # it; brotli (1.3 to 1.6 ms) ties snappy (1.2 to 1.5 ms); zstd (2.0) ties none.
    page.click("#results-table th[data-key=compress_mbps] button")
    order = page.eval_on_selector_all(
        "#results-table tbody tr", "rs => rs.map(r => r.cells[0].textContent)"
    )
    assert order == ["lz4", "snappy", "brotli", "zstd"]
    assert tied_cells(page) == {("snappy", "compress_mbps"), ("brotli", "compress_mbps")}


def test_the_chart_marks_a_front_point_that_is_there_by_noise(page: Page) -> None:
    tied = page.eval_on_selector_all("#chart .point.tie", "gs => gs.map(g => g.dataset.codec)")
    assert set(tied) == TIED_ON_THE_CHART
    label = page.text_content("#chart .point.tie text")
    assert label == "≈ lz4 1"
    # Every point has its noise bar, from its median run's speed to its fastest's.
    bars = page.eval_on_selector_all(
        "#chart .point",
        "gs => gs.map(g => { const l = g.querySelector('line.noise'); "
        "return [g.dataset.codec, +l.getAttribute('x1'), +l.getAttribute('x2')]; })",
    )
    assert len(bars) == 4
    assert all(x1 < x2 for _, x1, x2 in bars)
