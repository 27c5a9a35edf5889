"""TinySite in a real browser: Debian's headless Chromium, driven by playwright, against uvicorn.

For each forced Accept-Encoding (deflate only, br only, gzip only) Chromium loads every page from
a real server on 127.0.0.1 and must render its text: proof that the precomputed bytes (zopfli's,
for deflate and gzip) decode in a browser, not only in Python. Playwright launches
/usr/bin/chromium (no browser download) and gives each launch a fresh temporary profile.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from loopback_server import LoopbackServer
from playwright.sync_api import Browser, Page

from app.tinysite import DICTIONARY, NOT_FOUND_PAGE, PAGES

FORCED_ENCODINGS = ["deflate", "br", "gzip"]


class HeadingParser(HTMLParser):
    """The text of a page's first <h1>, read from our own HTML (what Chromium must show)."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.done = False
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.inside = tag == "h1" and not self.done

    def handle_endtag(self, tag: str) -> None:
        if tag == "h1" and self.inside:
            self.inside, self.done = False, True

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.text += data


def heading_of(html: str) -> str:
    parser = HeadingParser()
    parser.feed(html)
    return parser.text


def new_page(browser: Browser, accept_encoding: str, **options: Any) -> Page:
    """A page in a new context that asks for `accept_encoding` and never gets the site
    dictionary: once it held it, Chromium would add dcz to every request (that path is
    tests/browser/test_browser_dictionary.py's)."""
    context = browser.new_context(
        extra_http_headers={"Accept-Encoding": accept_encoding}, **options
    )
    context.route(f"**/{DICTIONARY.path.removeprefix('/')}", lambda route: route.abort())
    return context.new_page()


@pytest.mark.parametrize("encoding", FORCED_ENCODINGS)
def test_chromium_renders_every_page_in_each_encoding(
    encoding: str, browser: Browser, server: LoopbackServer
) -> None:
    page = new_page(browser, encoding)
    try:
        for path, site_page in PAGES.items():
            response = page.goto(server.base_url + path)
            assert response is not None
            assert response.status == 200
            assert response.request.all_headers()["accept-encoding"] == encoding
            headers = response.all_headers()
            assert headers["content-encoding"] == encoding
            assert headers["etag"] == site_page.representations[encoding].etag
            assert page.title() == site_page.title
            assert page.inner_text("h1") == heading_of(site_page.html)
            assert page.evaluate("document.characterSet") == "UTF-8"
            nav = page.inner_text("nav")
            assert nav.split() == ["Try", "it", "Site", "check", "API", "Codecs", "About"]
    finally:
        page.context.close()


def test_chromium_shows_the_sizes_table_and_the_form(
    browser: Browser, server: LoopbackServer
) -> None:
    page = new_page(browser, "br")
    try:
        page.goto(server.base_url + "/about")
        rows = page.locator("table tr").all_inner_texts()
        codecs_row = next(row for row in rows if row.startswith("/codecs"))
        numbers = [int(n.replace(",", "")) for n in re.findall(r"[\d,]+", codecs_row)]
        assert numbers == list((PAGES["/codecs"].dictionary_body_sizes or {}).values())

        page.goto(server.base_url + "/")
        # The page writes "original&nbsp;÷&nbsp;compressed": UTF-8 and entities both decoded.
        assert "original\xa0÷\xa0compressed" in page.inner_text("main")
        assert page.locator("form textarea[name=text]").is_visible()
        assert page.locator("form input[type=file][name=file]").is_visible()
    finally:
        page.context.close()


def test_chromium_follows_the_links_between_pages(browser: Browser, server: LoopbackServer) -> None:
    page = new_page(browser, "deflate")
    try:
        page.goto(server.base_url + "/")
        for label, path in [("Codecs", "/codecs"), ("API", "/api"), ("About", "/about")]:
            page.click(f"nav >> text={label}")
            page.wait_for_url(server.base_url + path)
            assert page.inner_text("h1") == heading_of(PAGES[path].html)
    finally:
        page.context.close()


def test_chromium_gets_the_html_404_page(browser: Browser, server: LoopbackServer) -> None:
    page = new_page(browser, "gzip")
    try:
        response = page.goto(server.base_url + "/no/such/page")
        assert response is not None
        assert response.status == 404
        assert response.all_headers()["content-encoding"] == "gzip"
        assert page.inner_text("h1") == heading_of(NOT_FOUND_PAGE.html)
    finally:
        page.context.close()


def test_the_form_works_without_javascript(browser: Browser, server: LoopbackServer) -> None:
    """The home page's plain form reaches /compress and gets the report (its format, JSON or
    the HTML results page, is the CompressTest routes' business and tested there)."""
    text = "tiny site, tiny site, tiny site " * 20
    page = new_page(browser, "br", java_script_enabled=False)
    try:
        page.goto(server.base_url + "/")
        page.fill("textarea[name=text]", text)
        with page.expect_navigation() as navigation:
            page.click("form button")
        response = navigation.value
        assert response is not None
        assert response.url == server.base_url + "/compress"
        assert response.status == 200, response.text()
        shown = page.inner_text("body")
        for codec in ("deflate", "gzip", "bz2", "xz", "brotli", "zstd"):
            assert codec in shown
        assert str(len(text)) in shown
    finally:
        page.context.close()
