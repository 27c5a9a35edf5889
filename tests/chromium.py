"""Debian's headless Chromium for the browser tests, launched through playwright (no download).

`launch()` gives every browser a new, empty temporary profile (playwright's own user-data-dir),
so no test sees another's cache, cookies or downloads.

Fixtures: `browser`; `server`, the app under uvicorn at the root; `door`, the app behind each
local API Gateway in turn (app/local.py): the REST API under its stage (/v1/) and the HTTP API
at the root. A test that takes `door` runs once per door and addresses every page relative to
`door.base_url` (`door.url("api")`); `watch(page_or_context, door)` records what a test must
never see: an answer of 400 or more, a request to another origin, a CSP violation.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from loopback_server import (
    QUICK_TIMING_FLOOR_SECONDS,
    LoopbackServer,
    serve_local_gateway,
    serve_on_loopback,
)
from playwright.sync_api import Browser, BrowserContext, Request, Response, Route, sync_playwright

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


@pytest.fixture(scope="session")
def server() -> Iterator[LoopbackServer]:
    """The app under uvicorn on 127.0.0.1, for a browser to load: one per test process (a
    server start costs 0.65 CPU-seconds; every test opens its own browser context).

    The servers of `server` and `door` time each benchmark phase for 0.5 ms, not 20 ms: their
    tests check what pages and answers show of a report, not its timing (loopback_server)."""
    with serve_on_loopback(timing_floor_seconds=QUICK_TIMING_FLOOR_SECONDS) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module, not per session: while playwright's sync API is open it
    keeps an asyncio event loop running in this thread, and the next module on the same worker
    that runs a loop of its own (an ASGI app in process) would fail with "This event loop is
    already running". Each test opens its own context (a new, empty profile)."""
    with chromium() as launched:
        yield launched


@dataclass(frozen=True)
class Door:
    """One way into the app, as a browser meets it after a deploy."""

    name: str
    base_url: str  # ends with "/": the home page

    @property
    def origin(self) -> str:
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def prefix(self) -> str:
        """The path in front of the app's own: "/v1" for the REST API, "" for the HTTP API."""
        return urlsplit(self.base_url).path.rstrip("/")

    def url(self, relative: str) -> str:
        """`relative` (as the pages write links: "api", "docs", "compress") under this door."""
        return urljoin(self.base_url, relative)


DOORS = ("rest-api", "http-api")


@pytest.fixture(scope="module", params=DOORS)
def door(request: pytest.FixtureRequest) -> Iterator[Door]:
    """The app behind app/local.py's REST API (under /v1/), then its HTTP API (at the root)."""
    http_api = request.param == "http-api"
    with serve_local_gateway(http_api, timing_floor_seconds=QUICK_TIMING_FLOOR_SECONDS) as gateway:
        yield Door(request.param, gateway.base_url)


# Recorded from the first script that runs in each document, ahead of the page's own.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


@dataclass
class Watch:
    """What a browser context did that a test must fail on, with the answers it allows."""

    origin: str
    allowed: set[tuple[int, str]] = field(default_factory=set)
    failed_answers: list[str] = field(default_factory=list)
    other_origins: list[str] = field(default_factory=list)

    def allow(self, status: int, url: str) -> None:
        """Expect `status` from `url` (the 404 page's own answer, say)."""
        self.allowed.add((status, url))

    def on_response(self, response: Response) -> None:
        if response.status >= 400 and (response.status, response.url) not in self.allowed:
            method = response.request.method
            self.failed_answers.append(f"{response.status} {method} {response.url}")

    def on_route(self, route: Route, request: Request) -> None:
        # Nothing leaves the machine: another origin's request is refused and recorded.
        if request.url.startswith(self.origin + "/") or request.url == self.origin:
            route.continue_()
        else:
            self.other_origins.append(request.url)
            route.abort()

    def problems(self, context: BrowserContext) -> list[str]:
        """Every failure so far, CSP violations of the open pages included."""
        violations = [
            f"CSP: {violation}"
            for page in context.pages
            for violation in page.evaluate("window.__violations || []")
        ]
        return [
            *self.failed_answers,
            *(f"other origin: {url}" for url in self.other_origins),
            *violations,
        ]


def watch(context: BrowserContext, door: Door) -> Watch:
    """Start recording `context`'s failures (see Watch); call before its first page loads."""
    watched = Watch(door.origin)
    context.add_init_script(RECORD_VIOLATIONS)
    context.on("response", watched.on_response)
    context.route("**/*", watched.on_route)
    return watched
