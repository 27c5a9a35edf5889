"""Three visitors browse every page at the same time through the local REST API door with the
template's default limits, as a deployed stage would throttle them: none meets a 4xx or 5xx
(a first visit is 4 requests, the page limits admit 40 at once and 10 a second)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from chromium import Door, watch
from loopback_server import serve_local_gateway
from playwright.sync_api import Browser, Page

VISITORS = 3
# Every page a visitor can reach from the home page's links, the API's browser included.
PAGES = ("", "api", "codecs", "about", "docs", "")


@pytest.fixture(scope="module")
def rest_door() -> Iterator[Door]:
    with serve_local_gateway() as gateway:  # the template's parameter defaults
        yield Door("rest-api", gateway.base_url)


def test_three_visitors_browsing_at_once_meet_no_error(browser: Browser, rest_door: Door) -> None:
    contexts = [browser.new_context() for _ in range(VISITORS)]
    try:
        watches = [watch(context, rest_door) for context in contexts]
        pages: list[Page] = [context.new_page() for context in contexts]
        for relative in PAGES:
            # Each visitor asks for the page before any waits for one: the loads overlap.
            for page in pages:
                page.goto(rest_door.url(relative), wait_until="commit")
            for page in pages:
                page.wait_for_load_state("load")
                assert page.url == rest_door.url(relative)
        for page in pages:
            page.wait_for_load_state("networkidle")
        for context, watched in zip(contexts, watches, strict=True):
            assert watched.problems(context) == []
    finally:
        for context in contexts:
            context.close()
