"""Choosing files in the home page's form and uploading them, with the page's script and without
it, then downloading a row of the results: what the browser tests of plain uploads
(tests/browser/test_browser_doors.py) and of dictionary uploads (test_browser_dcz.py) share."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from browser_pages import RESULTS_TIMEOUT_MS, wait_for_table
from chromium import Door
from playwright.sync_api import Download, FilePayload, Locator, Page, Response


def file_payload(name: str, data: bytes, mime_type: str = "text/plain") -> FilePayload:
    return {"name": name, "mimeType": mime_type, "buffer": data}


def choose_files(page: Page, files: Mapping[str, FilePayload]) -> None:
    """Put each file into the page's first file input of that name ("file", "dictionary")."""
    for name, payload in files.items():
        page.set_input_files(f"input[type=file][name={name}]", payload)


def upload_with_script(page: Page, door: Door, files: Mapping[str, FilePayload]) -> dict[str, Any]:
    """On the home page (already open), choose `files` and submit; the script posts them to
    `compress` (answered 200) and fills the results table. The JSON report, read off the wire."""

    def is_report_request(response: Response) -> bool:
        return response.request.method == "POST" and response.url == door.url("compress")

    choose_files(page, files)
    with page.expect_response(is_report_request, timeout=RESULTS_TIMEOUT_MS) as answer:
        page.click("form button")
    assert answer.value.status == 200
    wait_for_table(page)
    report: dict[str, Any] = answer.value.json()
    return report


def upload_without_script(page: Page, door: Door, files: Mapping[str, FilePayload]) -> None:
    """Open the home page, choose `files` and submit: the form itself navigates to `compress`
    (answered 200), whose page has the results table."""
    page.goto(door.base_url)
    choose_files(page, files)
    with page.expect_navigation(timeout=RESULTS_TIMEOUT_MS) as navigation:
        page.click("form button")
    assert navigation.value is not None
    assert (navigation.value.status, navigation.value.url) == (200, door.url("compress"))
    page.wait_for_selector("table#results")


def result_rows(page: Page) -> Locator:
    """The rows of the results table, as the script builds it or as the server writes it."""
    return page.locator("#results-table tbody tr, table#results tr:has(td)")


def download_row(page: Page, row: int, tmp_path: Path) -> tuple[Download, bytes]:
    """Press the download button of results row `row` (0 is the first); the download and the
    bytes it saved. Without the script, choose the files again first (choose_files)."""
    with page.expect_download(timeout=RESULTS_TIMEOUT_MS) as download_info:
        result_rows(page).nth(row).locator("button").click()
    download = download_info.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    return download, saved.read_bytes()
