"""Debian's headless Chromium for the browser tests, launched through playwright (no download).

`launch()` gives every browser a new, empty temporary profile (playwright's own user-data-dir),
so no test sees another's cache, cookies or downloads.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from loopback_server import LoopbackServer, serve_on_loopback
from playwright.sync_api import Browser, sync_playwright

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps trying to reach Google's hosts,
# which this machine's closed network refuses (see the machine notes).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Git-ignored (.gitignore): pictures of what the tests saw, for people to review.
SCREENSHOTS_DIR = Path(__file__).resolve().parents[1] / "screenshots"


@contextmanager
def chromium() -> Iterator[Browser]:
    """A running headless Chromium; closed when the block ends."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    """The app under uvicorn on 127.0.0.1, for a browser to load."""
    with serve_on_loopback() as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched
