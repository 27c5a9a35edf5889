"""A watched browser context on one gateway door, with one page open: what the browser tests of
the doors and of the dictionary share (tests/chromium.py holds the browser, doors and watch)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from chromium import SCREENSHOTS_DIR, Door, Watch, watch
from playwright.sync_api import Browser, BrowserContext, Page


class Visit:
    """A browser context on one door, watched (tests/chromium.py), with one page open."""

    def __init__(self, context: BrowserContext, door: Door) -> None:
        self.context = context
        self.door = door
        self.watch: Watch = watch(context, door)
        self.page: Page = context.new_page()

    def problems(self) -> list[str]:
        return self.watch.problems(self.context)

    def screenshot(self, name: str) -> None:
        """Save the whole page as screenshots/<name>-<door>.png, for people to review."""
        SCREENSHOTS_DIR.mkdir(exist_ok=True)
        path = SCREENSHOTS_DIR / f"{name}-{self.door.name}.png"
        self.page.screenshot(path=str(path), full_page=True)


@contextmanager
def visiting(browser: Browser, door: Door, **context_options: Any) -> Iterator[Visit]:
    """A Visit in a new context that accepts downloads (and takes playwright's `new_context`
    options: viewport, java_script_enabled); the context closes when the block ends."""
    context = browser.new_context(accept_downloads=True, **context_options)
    try:
        yield Visit(context, door)
    finally:
        context.close()
