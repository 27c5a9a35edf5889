"""The site's script (app/tinysite/script.py): compacted, precompressed and served like a page.

Its behaviour in a browser is tests/browser/test_browser_ui.py's; here, the bytes and the HTTP
around them.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Callable
from html.parser import HTMLParser

import brotli
import pytest
import zstandard
from fastapi.testclient import TestClient
from lambda_events import invoke

from app.tinysite import ASSETS, PAGES
from app.tinysite.precompressed import CODINGS, CONTENT_SECURITY_POLICY
from app.tinysite.script import (
    CHARTS_FILE,
    CHARTS_PATH,
    SCRIPT_FILE,
    SCRIPT_PATH,
    SITECHECK_FILE,
    SITECHECK_PATH,
    charts_text,
    compact,
    script_text,
    sitecheck_text,
    sitecheck_url,
    versioned_url,
)

FIRST_FLIGHT_BYTES = 14 * 1024
GATEWAY_HEADERS_ALLOWANCE = 512  # as in tests/tinysite/test_website.py
DECODERS: dict[str, Callable[[bytes], bytes]] = {
    "identity": lambda body: body,
    "deflate": zlib.decompress,
    "gzip": gzip.decompress,
    "br": brotli.decompress,
    "zstd": lambda body: zstandard.ZstdDecompressor().decompress(body),
}


def test_compact_drops_indentation_blank_lines_and_whole_line_comments() -> None:
    source = '// about\n"use strict";\n\n  const a = 1; // kept\n    // gone\n  f(`x ${a}`);\n'
    assert compact(source) == '"use strict";\nconst a = 1; // kept\nf(`x ${a}`);\n'


def test_compact_refuses_a_template_literal_across_lines() -> None:
    with pytest.raises(ValueError, match=r"app\.js:2: a template literal spans lines"):
        compact("const a = 1;\nconst b = `one\ntwo`;\n")


SCRIPTS = {
    SCRIPT_PATH: (SCRIPT_FILE, script_text),
    CHARTS_PATH: (CHARTS_FILE, charts_text),
    SITECHECK_PATH: (SITECHECK_FILE, sitecheck_text),
}


@pytest.mark.parametrize("path", SCRIPTS)
def test_the_served_script_is_the_compacted_file(path: str) -> None:
    file, text = SCRIPTS[path]
    source = file.read_text(encoding="utf-8")
    served = ASSETS[path].html
    assert list(ASSETS) == [SCRIPT_PATH, CHARTS_PATH, SITECHECK_PATH]
    assert served == text() == compact(source)
    assert len(served) < len(source)
    assert "innerHTML" not in source  # the script builds the DOM from text only
    assert "http://" not in source.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in source


class ScriptTags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts.append(dict(attrs))


def scripts_of(html: str) -> list[dict[str, str | None]]:
    parser = ScriptTags()
    parser.feed(html)
    return parser.scripts


def test_the_version_changes_with_either_script() -> None:
    both = versioned_url(script_text(), charts_text())
    assert versioned_url(script_text(), charts_text() + " ") != both
    assert versioned_url(script_text() + " ", charts_text()) != both


def test_the_home_page_loads_the_script_deferred_by_its_versioned_url() -> None:
    # It names app.js only; app.js loads charts.js by the same version
    # (tests/browser/test_browser_ui.py).
    src = versioned_url(script_text(), charts_text())
    assert re.fullmatch(r"app\.js\?v=[0-9a-f]{12}", src)  # relative: /v1/app.js under /v1/
    assert scripts_of(PAGES["/"].html) == [{"src": src, "defer": None}]
    # The site check page loads its own script, and no other page loads any.
    check_src = sitecheck_url(sitecheck_text())
    assert re.fullmatch(r"sitecheck\.js\?v=[0-9a-f]{12}", check_src)
    assert scripts_of(PAGES["/check"].html) == [{"src": check_src, "defer": None}]
    others = [page for path, page in PAGES.items() if path not in ("/", "/check")]
    assert all(scripts_of(page.html) == [] for page in others)


@pytest.mark.parametrize("path", SCRIPTS)
@pytest.mark.parametrize("coding", CODINGS)
def test_the_script_is_served_in_every_coding_like_a_page(
    coding: str, path: str, client: TestClient
) -> None:
    url = path + versioned_url(script_text(), charts_text()).removeprefix("app.js")
    with client.stream("GET", url, headers={"accept-encoding": coding}) as response:
        body = b"".join(response.iter_raw())
        headers = response.headers
        raw_headers = response.headers.raw
    representation = ASSETS[path].representations[coding]
    assert response.status_code == 200
    assert body == representation.body
    assert DECODERS[coding](body).decode("utf-8") == SCRIPTS[path][1]()
    assert headers["content-type"] == "text/javascript; charset=utf-8"
    assert headers.get("content-encoding") == (None if coding == "identity" else coding)
    assert headers["etag"] == representation.etag
    assert headers["vary"] == "Accept-Encoding"
    assert headers["cache-control"] == "public, max-age=3600"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    wire_size = (
        len("HTTP/1.1 200 OK\r\n")
        + sum(len(name) + len(value) + 4 for name, value in raw_headers)
        + 2
        + len(body)
    )
    assert wire_size + GATEWAY_HEADERS_ALLOWANCE <= FIRST_FLIGHT_BYTES


def test_the_script_revalidates_by_etag(client: TestClient) -> None:
    etag = ASSETS[SCRIPT_PATH].representations["br"].etag
    response = client.get(
        SCRIPT_PATH, headers={"accept-encoding": "br", "if-none-match": f'W/{etag}, "x"'}
    )
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag


def test_through_lambda_the_script_is_its_precomputed_bytes(shape: str) -> None:
    response = invoke(shape, path=SCRIPT_PATH, headers={"Accept-Encoding": "gzip, br"})
    assert response.status == 200
    assert response.body == ASSETS[SCRIPT_PATH].representations["br"].body
    assert response.is_base64_encoded
