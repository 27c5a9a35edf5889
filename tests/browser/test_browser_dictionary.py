"""TinySite's compression dictionary in a real browser: Debian's Chromium 156, which keeps a
dictionary fetched from 127.0.0.1 (a potentially trustworthy origin, so a secure context) and
uses it there over HTTP/1.1 (Chromium's localhost exception).

The home page links to the dictionary; Chromium fetches it when idle, keeps it for the pages
its `match` covers, and asks for each next page with `Available-Dictionary` and `dcz`. Each
page must come back in dcz and render exactly the text it renders when no dictionary is held.
Every URL is resolved against the door's base URL, as the pages' own links are: the test runs
through uvicorn at the root, and through each local API Gateway door (tests/chromium.py), the
REST API's under its stage prefix /v1/ among them, where the dictionary's relative link and its
`match="*"` must resolve under the prefix. Through the doors, any answer of 400 or more, any
request to another origin and any CSP violation fails the test.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urljoin

from chromium import Door, watch
from loopback_server import LoopbackServer
from playwright.sync_api import Browser, BrowserContext, Route

from app.compression.dictionary_transport import available_dictionary_value
from app.tinysite import DICTIONARY, PAGES

DICTIONARY_HREF = DICTIONARY.path.removeprefix("/")
DIGEST = hashlib.sha256(DICTIONARY.representations["identity"].body).digest()
# The visit of bench/bench_site.py, as links relative to the home page.
VISIT = ["api", "codecs", "about"]
USE_AS_DICTIONARY = dict(DICTIONARY.representations["br"].headers)[b"use-as-dictionary"].decode()
PATH_OF = {"": "/", "api": "/api", "codecs": "/codecs", "about": "/about"}


def rendered_without_dictionary(context: BrowserContext, base_url: str) -> dict[str, str]:
    """Each page's rendered text when the dictionary never arrives (its fetch refused)."""

    def refuse(route: Route) -> None:
        route.abort()

    context.route(f"**/{DICTIONARY_HREF}", refuse)
    page = context.new_page()
    texts = {}
    for link in ["", *VISIT]:
        response = page.goto(urljoin(base_url, link))
        assert response is not None
        assert response.status == 200
        assert response.all_headers()["content-encoding"] == "br"
        assert "available-dictionary" not in response.request.all_headers()
        texts[link] = page.inner_text("body")
    return texts


def check_the_visit_travels_in_dcz(
    browser: Browser, base_url: str, door: Door | None = None
) -> None:
    """Home page, the dictionary fetched, then each page of VISIT in dcz, rendering as without.

    With a `door`, the visit is watched: any failed answer, other origin or CSP violation fails.
    """
    expected = rendered_without_dictionary(browser.new_context(), base_url)
    context = browser.new_context()
    watched = watch(context, door) if door is not None else None
    try:
        page = context.new_page()
        dictionary_url = urljoin(base_url, DICTIONARY_HREF)
        # Chromium keeps the dictionary once its body is read, not at its headers: wait for
        # the whole fetch (a navigation right after the headers raced it, and lost on a
        # one-request-at-a-time server).
        with page.expect_request_finished(lambda request: request.url == dictionary_url) as done:
            home = page.goto(base_url)
        assert home is not None
        assert home.all_headers()["content-encoding"] == "br"
        dictionary = done.value.response()
        assert dictionary is not None
        assert dictionary.status == 200
        assert dictionary.all_headers()["use-as-dictionary"] == USE_AS_DICTIONARY
        assert dictionary.body() == DICTIONARY.representations["identity"].body
        assert page.inner_text("body") == expected[""]
        for link in VISIT:
            response = page.goto(urljoin(base_url, link))
            assert response is not None
            if watched is None:
                # A watched context routes every request through playwright, which then
                # reports the headers from before Chromium's network stack adds these two.
                sent = response.request.all_headers()
                assert sent["available-dictionary"] == available_dictionary_value(DIGEST)
                assert "dcz" in sent["accept-encoding"].replace(" ", "").split(",")
            assert response.status == 200
            headers = response.all_headers()
            assert headers["content-encoding"] == "dcz"
            assert headers["etag"] == PAGES[PATH_OF[link]].representations["dcz"].etag
            assert int(headers["content-length"]) <= 481
            assert page.inner_text("body") == expected[link]
        if watched is not None:
            assert watched.problems(context) == []
    finally:
        context.close()


def test_through_uvicorn_each_page_after_the_first_travels_in_dcz(
    browser: Browser, server: LoopbackServer
) -> None:
    check_the_visit_travels_in_dcz(browser, server.base_url + "/")


def test_through_each_gateway_door_each_page_after_the_first_travels_in_dcz(
    browser: Browser, door: Door
) -> None:
    assert door.base_url.endswith(f"{door.prefix}/")
    check_the_visit_travels_in_dcz(browser, door.base_url, door)
