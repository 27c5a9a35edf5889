"""What the browser tests share: reading the results table the page's script builds."""

from __future__ import annotations

from playwright.sync_api import Page

RESULTS_TIMEOUT_MS = 60_000


def table_rows(page: Page, selector: str) -> list[list[str]]:
    """Each row's cells: the raw value the script keeps in data-value, else the cell's text."""
    rows: list[list[str]] = page.eval_on_selector_all(
        f"{selector} tr:has(td)",
        "rows => rows.map(r => [...r.cells].map(c => c.dataset.value ?? c.innerText))",
    )
    return rows


def wait_for_table(page: Page) -> None:
    page.wait_for_selector("#results-table tbody tr", timeout=RESULTS_TIMEOUT_MS)
