"""TinySite: the pages, their encoded bytes, the budgets, and HTTP semantics, over ASGI and Lambda.

Bodies are read raw (`client.stream(...).iter_raw()`), never through httpx's decoding: httpx
would also inflate raw deflate where HTTP's deflate must be the zlib format.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import re
import subprocess
import sys
import zlib
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

import brotli
import pytest
import zstandard
from fastapi.testclient import TestClient
from lambda_events import SHAPES, LambdaResponse, invoke
from site_requests import PAGE_VARY, SITE_PATHS, RawResponse, raw_request

from app.compression.dictionary_transport import dcz_decompress
from app.compression.registry import CODECS
from app.config import settings
from app.tinysite import ASSETS, DICTIONARY, NOT_FOUND_PAGE, PAGES, not_found_page
from app.tinysite.precompressed import CODINGS, SIZE_COLUMNS, byte_size_text
from app.web.routes.site import SERVED

# RFC 6928's initial window: ten segments, "14 KiB" as the issue puts it.
FIRST_FLIGHT_BYTES = 14 * 1024
ONE_PACKET_BYTES = 1460  # 1500-byte Ethernet MTU less 40 bytes of IPv4 and TCP headers
# What a gateway adds to a response in front of ours: Date, Connection, x-amzn-RequestId,
# x-amz-apigw-id, X-Amzn-Trace-Id (about 250 bytes), with room for CloudFront's Via and X-Cache.
GATEWAY_HEADERS_ALLOWANCE = 512
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
ENCODED = [coding for coding in CODINGS if coding != "identity"]


def from_lambda(response: LambdaResponse) -> RawResponse:
    return RawResponse(response.status, response.headers, response.body)


# --- the pages themselves ---------------------------------------------------------------------


def test_the_site_has_its_pages_in_every_coding() -> None:
    assert list(PAGES) == SITE_PATHS
    for page in [*PAGES.values(), NOT_FOUND_PAGE]:
        assert set(page.representations) == {"identity", "deflate", "gzip", "br", "zstd", "dcz"}
        assert page.representations["identity"].body == page.html.encode("utf-8")
        sizes = {c: len(r.body) for c, r in page.representations.items()}
        assert sizes == page.dictionary_body_sizes
        assert {**page.body_sizes, "dcz": sizes["dcz"]} == sizes
    for resource in [*ASSETS.values(), DICTIONARY]:
        assert set(resource.representations) == set(CODINGS)
        assert resource.dictionary_body_sizes is None


@pytest.mark.parametrize("path", [*SITE_PATHS, "404", *ASSETS, "dictionary"])
def test_each_coding_is_its_library_at_its_strongest_setting(path: str) -> None:
    page = {"404": NOT_FOUND_PAGE, "dictionary": DICTIONARY}.get(path) or SERVED[path]
    representations = page.representations
    identity = representations["identity"].body
    # deflate and gzip: zopfli's stream, strictly smaller than zlib level 9's, in the
    # standard containers the standard library reads.
    deflate = representations["deflate"].body
    assert len(deflate) < len(zlib.compress(identity, 9))
    assert deflate[:2] == b"\x78\xda"  # zlib header: 32 KiB window, level 9 (RFC 1950 §2.2)
    assert zlib.decompress(deflate) == identity
    gzipped = representations["gzip"].body
    assert len(gzipped) < len(gzip.compress(identity, 9, mtime=0))
    assert gzipped[:4] == b"\x1f\x8b\x08\x00"
    assert gzipped[4:8] == b"\x00\x00\x00\x00"
    assert gzip.decompress(gzipped) == identity
    assert gzipped[10:-8] == deflate[2:-4]  # one deflate stream, two containers
    assert representations["br"].body == brotli.compress(identity, quality=11)
    assert brotli.decompress(representations["br"].body) == identity
    assert representations["zstd"].body == zstandard.ZstdCompressor(level=19).compress(identity)
    assert zstandard.ZstdDecompressor().decompress(representations["zstd"].body) == identity
    if "dcz" in representations:
        dictionary = DICTIONARY.representations["identity"].body
        assert dcz_decompress(representations["dcz"].body, dictionary) == identity


def test_strong_etags_differ_per_representation() -> None:
    resources = [*PAGES.values(), *ASSETS.values(), DICTIONARY]
    etags = [r.etag for p in resources for r in p.representations.values()]
    assert len(set(etags)) == len(etags)
    assert all(re.fullmatch(r'"[a-z]+-[0-9a-f]{20}"', etag) for etag in etags)


class PageParser(HTMLParser):
    """Collects the tags and attributes the tests look at."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def of(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def parsed(html: str) -> PageParser:
    parser = PageParser()
    parser.feed(html)
    return parser


def test_the_home_page_form_posts_to_compress_without_javascript() -> None:
    page = parsed(PAGES["/"].html)
    [form] = page.of("form")
    assert form == {
        "method": "post",
        "action": "compress",  # relative: under /v1/ it is /v1/compress
        "enctype": "multipart/form-data",
        # The published limit, which the script checks before sending (app/web/assets/app.js).
        "data-max-upload": str(settings.max_upload_bytes),
    }
    assert {"type": "file", "name": "file"} in page.of("input")
    assert [attrs["name"] for attrs in page.of("textarea")] == ["text"]
    assert page.of("button")


@pytest.mark.parametrize("path", [*SITE_PATHS, "404"])
def test_pages_load_nothing_from_another_origin(path: str) -> None:
    html = (PAGES.get(path) or NOT_FOUND_PAGE).html
    page = parsed(html)
    assert not page.of("img")
    assert not page.of("iframe")
    links = {attrs.get("rel"): attrs.get("href") for attrs in page.of("link")}
    # The dictionary by a relative URL, so it resolves under a stage prefix as at the root.
    assert links == {"icon": "data:,", "compression-dictionary": DICTIONARY.path[1:]}
    # At most the site's own script, by a relative path (not "/...", not "//host/...").
    for attrs in page.of("script"):
        assert re.fullmatch(r"[a-z]+\.js(\?v=[0-9a-f]+)?", attrs.get("src") or ""), attrs
    assert "url(" not in html
    assert "@import" not in html
    # Relative links only, so the pages work under any mount prefix (/v1/ on the REST API).
    for attrs in page.of("a"):
        assert re.fullmatch(r"\./|[a-z]+|#[a-z0-9-]+", attrs["href"] or ""), attrs


@pytest.mark.parametrize("path", SITE_PATHS)
def test_every_link_between_pages_leads_somewhere(path: str, client: TestClient) -> None:
    links = {attrs["href"] for attrs in parsed(PAGES[path].html).of("a")}
    assert {"./", "api", "codecs", "about"} <= links
    for href in sorted(link for link in links if link and not link.startswith("#")):
        url = urljoin(f"http://testserver{path}", href)
        assert client.get(url, headers={"accept": BROWSER_ACCEPT}).status_code == 200, href


@pytest.mark.parametrize(
    ("path", "climb"),
    [("/nope", ""), ("/no/such", "../"), ("/no/such/", "../../"), ("/a/b/c/d", "../../../")],
)
def test_the_404_pages_links_climb_back_from_its_depth(
    path: str, climb: str, client: TestClient
) -> None:
    response = client.get(path, headers={"accept": BROWSER_ACCEPT, "accept-encoding": "br"})
    assert response.status_code == 404
    links = [attrs["href"] for attrs in parsed(response.text).of("a")]
    pages = ("./", "check", "api", "codecs", "about")
    assert {f"{climb}{page}" for page in pages} == set(links)
    for href in links:
        url = urljoin(f"http://testserver{path}", href)
        assert client.get(url, headers={"accept": BROWSER_ACCEPT}).status_code == 200, href


def test_the_about_page_shows_the_sites_real_sizes() -> None:
    cell = r"<td>([\d,]+|—)"
    rows = re.findall(
        rf"<tr><td>(.*?){cell * len(SIZE_COLUMNS)}\n", re.sub(r"</?b>", "", PAGES["/about"].html)
    )
    shown = {
        label: [None if n == "—" else int(n.replace(",", "")) for n in numbers]
        for label, *numbers in rows
    }
    expected = {
        **{
            f"<a href={path.lstrip('/') or './'}>{path}</a>": page.dictionary_body_sizes
            for path, page in PAGES.items()
            if path != "/about"
        },
        "404 page": NOT_FOUND_PAGE.dictionary_body_sizes,
        **{path: asset.body_sizes for path, asset in ASSETS.items()},
        "the dictionary": DICTIONARY.body_sizes,
    }
    assert shown == {
        label: [(sizes or {}).get(c) for c in SIZE_COLUMNS] for label, sizes in expected.items()
    }
    header = "<tr><th>path<th>identity<th>deflate<th>gzip<th>br<th>zstd<th>dcz"
    assert header in PAGES["/about"].html


@pytest.mark.parametrize("max_upload_bytes", ["1", "65536", "1000000", "4194304"])
def test_the_site_builds_for_any_configured_upload_limit(max_upload_bytes: str) -> None:
    # The pages state the limit; every value the template allows must still give a site.
    script = "from app.tinysite import PAGES; print(PAGES['/'].body_sizes['deflate'])"
    env = {**os.environ, "MAX_UPLOAD_BYTES": max_upload_bytes}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) <= ONE_PACKET_BYTES


def test_the_codecs_page_lists_every_codec_with_its_levels() -> None:
    html = PAGES["/codecs"].html
    for codec in CODECS.values():
        row = f"<tr><td><a href=#{codec.name}>{codec.name}</a><td>{codec.level_range_text()}"
        assert row in html
        assert f"<h2 id={codec.name}>{codec.name}</h2>" in html


def test_the_pages_state_the_configured_upload_limit() -> None:
    limit = byte_size_text(settings.max_upload_bytes)
    assert f"up to {limit}" in PAGES["/"].html
    assert f"a body over {limit}" in PAGES["/api"].html


@pytest.mark.parametrize(
    ("size", "text"),
    [(4 << 20, "4 MiB"), (1536 << 10, "1,536 KiB"), (1000, "1,000 bytes"), (0, "0 MiB")],
)
def test_byte_size_text(size: int, text: str) -> None:
    assert byte_size_text(size) == text


# --- budgets ----------------------------------------------------------------------------------


def test_the_home_page_deflated_fits_one_packet() -> None:
    assert PAGES["/"].body_sizes["deflate"] <= ONE_PACKET_BYTES


@pytest.mark.parametrize("coding", CODINGS)
@pytest.mark.parametrize(
    ("path", "status"),
    [*((path, 200) for path in SITE_PATHS), *((path, 200) for path in ASSETS), ("/nope", 404)],
)
def test_every_response_fits_the_first_flight_over_asgi(
    path: str, status: int, coding: str, client: TestClient
) -> None:
    response = raw_request(client, path, {"accept-encoding": coding, "accept": BROWSER_ACCEPT})
    assert response.status == status
    assert response.header("content-encoding") == (None if coding == "identity" else coding)
    assert response.wire_size() + GATEWAY_HEADERS_ALLOWANCE <= FIRST_FLIGHT_BYTES


@pytest.mark.parametrize("coding", CODINGS)
@pytest.mark.parametrize("path", SITE_PATHS)
def test_every_response_fits_the_first_flight_through_lambda(
    path: str, coding: str, shape: str
) -> None:
    response = from_lambda(invoke(shape, path=path, headers={"Accept-Encoding": coding}))
    assert response.status == 200
    assert response.wire_size() + GATEWAY_HEADERS_ALLOWANCE <= FIRST_FLIGHT_BYTES


# --- serving over ASGI ------------------------------------------------------------------------


@pytest.mark.parametrize("coding", CODINGS)
@pytest.mark.parametrize("path", SITE_PATHS)
def test_the_served_bytes_are_the_precomputed_bytes(
    path: str, coding: str, client: TestClient
) -> None:
    representation = PAGES[path].representations[coding]
    response = raw_request(client, path, {"accept-encoding": coding})
    assert response.status == 200
    assert response.body == representation.body
    assert response.header("content-encoding") == (None if coding == "identity" else coding)
    assert response.header("content-type") == "text/html; charset=utf-8"
    assert response.header("content-length") == str(len(representation.body))
    assert response.header("vary") == PAGE_VARY
    assert response.header("etag") == representation.etag
    max_age = re.search(r"max-age=(\d+)", response.header("cache-control") or "")
    assert max_age
    assert 60 <= int(max_age[1]) <= 86400
    assert response.header("access-control-allow-origin") == "*"
    assert response.header("x-content-type-options") == "nosniff"


def test_deflate_on_the_wire_is_the_zlib_format(client: TestClient) -> None:
    body = raw_request(client, "/", {"accept-encoding": "deflate"}).body
    assert body[0] == 0x78
    assert (body[0] << 8 | body[1]) % 31 == 0
    assert zlib.decompress(body) == PAGES["/"].html.encode()
    with pytest.raises(zlib.error):
        zlib.decompress(body, -zlib.MAX_WBITS)  # not raw deflate


@pytest.mark.parametrize(
    ("accept_encoding", "best"),
    [
        # The codings the highest q covers; of those the page's smallest body is sent.
        ("gzip, deflate, br, zstd", {"gzip", "deflate", "br", "zstd"}),
        ("gzip, deflate", {"gzip", "deflate"}),
        ("gzip;q=1, br;q=0.5", {"gzip"}),
        ("*", set(CODINGS)),
        ("identity", {"identity"}),
        ("br;q=0, *", {"identity", "deflate", "gzip", "zstd"}),
        ("deflate;q=0.5, zstd;q=0.5, gzip;q=0.4", {"deflate", "zstd"}),
    ],
)
def test_the_app_negotiates_as_the_rfc_says(
    accept_encoding: str, best: set[str], client: TestClient
) -> None:
    for path in SITE_PATHS:
        sizes = PAGES[path].body_sizes
        expected = min(best, key=sizes.__getitem__)
        response = raw_request(client, path, {"accept-encoding": accept_encoding})
        assert response.body == PAGES[path].representations[expected].body
        assert response.header("content-encoding") == (None if expected == "identity" else expected)


@pytest.mark.parametrize("accept_encoding", ["identity;q=0", "*;q=0", "identity;q=0, compress"])
def test_nothing_acceptable_is_a_406_problem(accept_encoding: str, client: TestClient) -> None:
    response = raw_request(client, "/codecs", {"accept-encoding": accept_encoding})
    assert response.status == 406
    assert response.header("content-type") == "application/problem+json"
    assert response.header("vary") == PAGE_VARY
    assert response.header("access-control-allow-origin") == "*"
    problem = json.loads(response.body)
    assert problem["type"] == "/problems/no-acceptable-encoding"
    assert problem["status"] == 406
    assert problem["available"] == ["identity", "deflate", "gzip", "br", "zstd"]  # no dcz here
    assert accept_encoding in problem["detail"]


@pytest.mark.parametrize("path", SITE_PATHS)
def test_if_none_match_with_the_current_etag_is_a_304_without_body(
    path: str, client: TestClient
) -> None:
    etag = PAGES[path].representations["br"].etag
    for if_none_match in (etag, f"W/{etag}", f'"stale", {etag}', "*"):
        response = raw_request(
            client, path, {"accept-encoding": "br", "if-none-match": if_none_match}
        )
        assert response.status == 304
        assert response.body == b""
        assert response.header("etag") == etag
        assert response.header("vary") == PAGE_VARY
        assert response.header("cache-control") == "public, max-age=3600"
        assert response.header("content-encoding") is None


def test_an_etag_of_another_coding_or_page_is_not_a_match(client: TestClient) -> None:
    gzip_etag = PAGES["/"].representations["gzip"].etag
    response = raw_request(client, "/", {"accept-encoding": "br", "if-none-match": gzip_etag})
    assert response.status == 200
    assert response.body == PAGES["/"].representations["br"].body
    api_etag = PAGES["/api"].representations["br"].etag
    assert (
        raw_request(client, "/", {"accept-encoding": "br", "if-none-match": api_etag}).status == 200
    )


@pytest.mark.parametrize("coding", CODINGS)
def test_head_sends_the_headers_of_get_and_no_body(coding: str, client: TestClient) -> None:
    get = raw_request(client, "/about", {"accept-encoding": coding})
    head = raw_request(client, "/about", {"accept-encoding": coding}, method="HEAD")
    assert head.status == 200
    assert head.body == b""
    assert head.headers == get.headers


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_other_methods_on_a_page_are_a_405_problem(method: str, client: TestClient) -> None:
    response = raw_request(client, "/api", {"accept-encoding": "br"}, method=method)
    assert response.status == 405
    assert response.header("allow") == "GET, HEAD"
    assert response.header("content-type") == "application/problem+json"
    assert json.loads(response.body)["detail"] == f"{method} is not allowed on /api."


@pytest.mark.parametrize("coding", CODINGS)
def test_an_unknown_page_is_an_html_404_for_a_browser(coding: str, client: TestClient) -> None:
    headers = {"accept": BROWSER_ACCEPT, "accept-encoding": coding}
    response = raw_request(client, "/no/such/page", headers)
    assert response.status == 404
    # Two levels deeper than the pages: the variant whose links climb two levels back.
    assert response.body == not_found_page(2).representations[coding].body
    assert response.header("content-type") == "text/html; charset=utf-8"
    assert response.header("content-encoding") == (None if coding == "identity" else coding)
    assert response.header("vary") == f"Accept, {PAGE_VARY}"
    assert response.header("etag") is None
    assert response.header("access-control-allow-origin") == "*"
    head = raw_request(client, "/no/such/page", headers, method="HEAD")
    assert (head.status, head.body) == (404, b"")
    assert head.header("content-length") == str(len(response.body))


@pytest.mark.parametrize("accept", ["*/*", "application/json", "application/problem+json"])
def test_an_unknown_page_is_a_problem_for_other_clients(accept: str, client: TestClient) -> None:
    response = raw_request(client, "/nope", {"accept": accept, "accept-encoding": "br"})
    assert response.status == 404
    assert response.header("content-type") == "application/problem+json"
    assert response.header("vary") == "Accept"
    assert json.loads(response.body)["detail"] == "No resource at /nope."


def test_a_browser_refusing_every_coding_of_the_404_page_gets_the_problem(
    client: TestClient,
) -> None:
    response = raw_request(client, "/nope", {"accept": "text/html", "accept-encoding": "*;q=0"})
    assert response.status == 404
    # The problem as a browser gets every problem: a small page (app/web/problem_page.py).
    assert response.header("content-type") == "text/html; charset=utf-8"
    assert b"No resource at /nope." in response.body


@pytest.fixture
def request_lines() -> Iterator[list[dict[str, Any]]]:
    lines: list[dict[str, Any]] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(json.loads(record.getMessage()))

    collector = Collect()
    logging.getLogger("app.request").addHandler(collector)
    yield lines
    logging.getLogger("app.request").removeHandler(collector)


def test_page_requests_are_logged_like_any_other(
    client: TestClient, request_lines: list[dict[str, Any]]
) -> None:
    raw_request(client, "/codecs", {"accept-encoding": "gzip"})
    raw_request(client, "/codecs", {"accept-encoding": "identity;q=0"})
    assert [(line["method"], line["path"], line["status"]) for line in request_lines] == [
        ("GET", "/codecs", 200),
        ("GET", "/codecs", 406),
    ]


def test_no_compression_happens_per_request(
    monkeypatch: pytest.MonkeyPatch, client: TestClient
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("compressed during a request")

    for module, name in [
        (zlib, "compress"),
        (zlib, "compressobj"),
        (gzip, "compress"),
        (brotli, "compress"),
        (zstandard, "ZstdCompressor"),
    ]:
        monkeypatch.setattr(module, name, refuse)
    for path in SITE_PATHS:
        for coding in CODINGS:
            response = raw_request(client, path, {"accept-encoding": coding})
            assert response.body == PAGES[path].representations[coding].body


# --- serving through handler.py, every event shape ---------------------------------------------


@pytest.mark.parametrize("coding", CODINGS)
@pytest.mark.parametrize("path", SITE_PATHS)
def test_through_lambda_the_body_is_exactly_the_precomputed_bytes(
    path: str, coding: str, shape: str
) -> None:
    representation = PAGES[path].representations[coding]
    response = invoke(shape, path=path, headers={"Accept-Encoding": coding})
    assert response.status == 200
    assert response.body == representation.body
    assert response.is_base64_encoded is (coding != "identity")
    assert response.header("content-encoding") == (None if coding == "identity" else coding)
    assert response.header("content-type") == "text/html; charset=utf-8"
    assert response.header("vary") == PAGE_VARY
    assert response.header("etag") == representation.etag


def test_through_lambda_no_accept_encoding_is_identity(shape: str) -> None:
    response = invoke(shape, path="/")
    assert response.status == 200
    assert response.body == PAGES["/"].representations["identity"].body
    assert response.header("content-encoding") is None


def test_through_lambda_header_names_in_any_case_count(shape: str) -> None:
    headers = [("ACCEPT-ENCODING", "gzip"), ("If-None-MATCH", '"nothing"')]
    response = invoke(shape, path="/api", headers=headers)
    assert response.body == PAGES["/api"].representations["gzip"].body


def test_through_lambda_406_304_head_and_404(shape: str) -> None:
    refused = invoke(shape, path="/", headers={"Accept-Encoding": "identity;q=0"})
    assert refused.status == 406
    assert json.loads(refused.body)["type"] == "/problems/no-acceptable-encoding"

    etag = PAGES["/"].representations["br"].etag
    headers = {"Accept-Encoding": "br", "If-None-Match": etag}
    not_modified = invoke(shape, path="/", headers=headers)
    assert (not_modified.status, not_modified.body) == (304, b"")
    assert not_modified.header("etag") == etag

    head = invoke(shape, method="HEAD", path="/", headers={"Accept-Encoding": "br"})
    assert (head.status, head.body) == (200, b"")
    assert head.header("content-length") == str(PAGES["/"].body_sizes["br"])
    assert head.header("content-encoding") == "br"

    html_404 = invoke(
        shape, path="/nope", headers={"Accept": BROWSER_ACCEPT, "Accept-Encoding": "deflate"}
    )
    assert html_404.status == 404
    assert html_404.body == NOT_FOUND_PAGE.representations["deflate"].body
    assert html_404.is_base64_encoded
    problem_404 = invoke(shape, path="/nope")
    assert problem_404.status == 404
    assert problem_404.header("content-type") == "application/problem+json"


def test_every_shape_is_served_alike() -> None:
    bodies = {
        shape: invoke(shape, path="/about", headers={"Accept-Encoding": "zstd"}).body
        for shape in SHAPES
    }
    assert set(bodies.values()) == {PAGES["/about"].representations["zstd"].body}
