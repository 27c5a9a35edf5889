"""TinySite's compression dictionary (RFC 9842): how it is built and served, and dcz negotiation
over ASGI and through handler.py.

A client holding the dictionary sends its SHA-256 in `Available-Dictionary` and `dcz` in
`Accept-Encoding` (Chromium 156: `gzip, deflate, br, zstd, dcb, dcz`); it gets dcz. Every
other client, and one naming a stale or unknown dictionary, gets exactly what it got before.
"""

from __future__ import annotations

import hashlib
import re

import pytest
import zstandard
from fastapi.testclient import TestClient
from lambda_events import invoke
from site_requests import PAGE_VARY, SITE_PATHS, RawResponse, raw_request

from app.compression.dictionary_transport import available_dictionary_value, dcz_decompress
from app.tinysite import DICTIONARY, NOT_FOUND_PAGE, PAGES, not_found_page
from app.tinysite.site_dictionary import PLACEHOLDER_HREF, build_dictionary
from app.web.results_page import in_layout

# The original TinySite's whole deflated page (see the about page).
ORIGINAL_TINYSITE_BODY_BYTES = 481
CHROMIUM_ACCEPT_ENCODING = "gzip, deflate, br, zstd, dcb, dcz"
DICTIONARY_BYTES = DICTIONARY.representations["identity"].body
HOLDS_IT = {
    "accept-encoding": CHROMIUM_ACCEPT_ENCODING,
    "available-dictionary": available_dictionary_value(hashlib.sha256(DICTIONARY_BYTES).digest()),
}
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def decoded(response: RawResponse) -> bytes:
    assert response.header("content-encoding") == "dcz"
    return dcz_decompress(response.body, DICTIONARY_BYTES)


# --- the dictionary ---------------------------------------------------------------------------


def test_the_dictionary_is_the_page_drafts_and_its_url_names_its_hash() -> None:
    digest = hashlib.sha256(DICTIONARY_BYTES).hexdigest()
    assert re.fullmatch(rf"/tinysite-{digest[:12]}\.dict", DICTIONARY.path)
    text = DICTIONARY_BYTES.decode()
    # Each page is in it as it was before the dictionary existed: the link is a placeholder.
    assert text.count(f"href={PLACEHOLDER_HREF}>") == len(PAGES) + 1
    assert DICTIONARY.path[1:] not in text
    for page in [*PAGES.values(), NOT_FOUND_PAGE]:
        draft = page.html.replace(DICTIONARY.path[1:], PLACEHOLDER_HREF)
        if page.path != "/about":
            assert draft in text
    # The about page's draft has no sizes: its final sizes depend on the dictionary.
    assert "<tr><td>404 page" not in text


def test_building_is_deterministic() -> None:
    drafts = ["<p>one", "<p>two"]
    assert build_dictionary(drafts) == build_dictionary(list(drafts))
    assert build_dictionary(drafts).path != build_dictionary([*drafts, "<p>three"]).path


@pytest.mark.parametrize("coding", ["identity", "br", "gzip"])
def test_the_dictionary_is_served_for_use_as_a_dictionary(coding: str, client: TestClient) -> None:
    response = raw_request(client, DICTIONARY.path, {"accept-encoding": coding})
    assert response.status == 200
    assert response.body == DICTIONARY.representations[coding].body
    version = DICTIONARY.path.removeprefix("/").removesuffix(".dict")
    assert response.header("use-as-dictionary") == f'match="*", id="{version}"'
    assert response.header("cache-control") == "public, max-age=31536000, immutable"
    assert response.header("content-type") == "text/plain; charset=utf-8"
    # Same-origin for the site's pages, and readable under CORS from anywhere (RFC 9842 §9).
    assert response.header("access-control-allow-origin") == "*"
    assert response.header("vary") == "Accept-Encoding"


def test_a_dictionary_of_another_version_is_not_found(client: TestClient) -> None:
    response = raw_request(client, "/tinysite-000000000000.dict", {"accept": BROWSER_ACCEPT})
    assert response.status == 404


def test_a_304_of_the_dictionary_keeps_its_use_as_dictionary(client: TestClient) -> None:
    etag = DICTIONARY.representations["br"].etag
    response = raw_request(
        client, DICTIONARY.path, {"accept-encoding": "br", "if-none-match": etag}
    )
    assert (response.status, response.body) == (304, b"")
    assert response.header("etag") == etag
    assert (
        response.header("use-as-dictionary")
        == dict(DICTIONARY.representations["br"].headers)[b"use-as-dictionary"].decode()
    )


# --- negotiation ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", SITE_PATHS)
def test_a_client_holding_the_dictionary_gets_dcz(path: str, client: TestClient) -> None:
    representation = PAGES[path].representations["dcz"]
    response = raw_request(client, path, HOLDS_IT)
    assert response.status == 200
    assert response.body == representation.body
    assert decoded(response) == PAGES[path].html.encode()
    assert response.header("content-length") == str(len(representation.body))
    assert response.header("vary") == PAGE_VARY
    assert response.header("etag") == representation.etag
    assert response.header("etag") != PAGES[path].representations["br"].etag


@pytest.mark.parametrize(
    "available_dictionary",
    [
        pytest.param(available_dictionary_value(b"\x00" * 32), id="unknown"),
        pytest.param(
            available_dictionary_value(hashlib.sha256(DICTIONARY_BYTES + b" ").digest()),
            id="stale",
        ),
        pytest.param(HOLDS_IT["available-dictionary"].strip(":"), id="not-a-byte-sequence"),
        pytest.param(":not base64!:", id="malformed"),
        pytest.param("", id="empty"),
    ],
)
def test_any_other_dictionary_falls_back_to_the_best_ordinary_coding(
    available_dictionary: str, client: TestClient
) -> None:
    headers = {**HOLDS_IT, "available-dictionary": available_dictionary}
    response = raw_request(client, "/codecs", headers)
    assert response.status == 200
    assert response.header("content-encoding") == "br"
    assert response.body == PAGES["/codecs"].representations["br"].body
    assert response.header("vary") == PAGE_VARY


@pytest.mark.parametrize(
    ("accept_encoding", "expected"),
    [
        ("gzip, deflate, br, zstd", "br"),  # no dcz: the dictionary is not used
        ("dcz", "dcz"),
        ("br, dcz;q=0.5", "br"),  # the higher qvalue wins (RFC 9110 §12.5.3)
        ("dcz;q=0, *", "br"),
        ("*", "dcz"),  # * admits dcz, the smallest
        ("dcb", "identity"),  # dcb is not made: app/compression/dictionary_transport.py
    ],
)
def test_dcz_is_negotiated_like_any_coding(
    accept_encoding: str, expected: str, client: TestClient
) -> None:
    headers = {**HOLDS_IT, "accept-encoding": accept_encoding}
    response = raw_request(client, "/api", headers)
    assert response.body == PAGES["/api"].representations[expected].body
    assert response.header("content-encoding") == (None if expected == "identity" else expected)


def test_only_dcz_acceptable_without_the_dictionary_is_a_406(client: TestClient) -> None:
    headers = {"accept-encoding": "dcz, identity;q=0"}
    assert raw_request(client, "/api", headers).status == 406
    assert raw_request(client, "/api", {**HOLDS_IT, **headers}).status == 200


@pytest.mark.parametrize(
    ("fetch_metadata", "dcz"),
    [
        ({"sec-fetch-site": "same-origin", "sec-fetch-mode": "no-cors"}, True),
        ({"sec-fetch-site": "none", "sec-fetch-mode": "navigate"}, True),
        ({"sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate"}, True),
        (
            {"sec-fetch-site": "cross-site", "sec-fetch-mode": "cors", "origin": "https://a.test"},
            True,
        ),
        ({"sec-fetch-site": "cross-site", "sec-fetch-mode": "cors"}, False),  # no Origin
        ({"sec-fetch-site": "cross-site", "sec-fetch-mode": "no-cors"}, False),
        ({"sec-fetch-site": "same-site", "sec-fetch-mode": "no-cors"}, False),
    ],
)
def test_dcz_only_where_rfc_9842_lets_the_response_be_read(
    fetch_metadata: dict[str, str], dcz: bool, client: TestClient
) -> None:
    response = raw_request(client, "/about", {**HOLDS_IT, **fetch_metadata})
    assert response.header("content-encoding") == ("dcz" if dcz else "br")


def test_if_none_match_of_the_dcz_representation(client: TestClient) -> None:
    etag = PAGES["/"].representations["dcz"].etag
    response = raw_request(client, "/", {**HOLDS_IT, "if-none-match": etag})
    assert (response.status, response.body) == (304, b"")
    assert response.header("etag") == etag
    assert response.header("vary") == PAGE_VARY
    # The dcz tag from a client that no longer holds the dictionary: a full br answer.
    without = raw_request(client, "/", {"accept-encoding": "br", "if-none-match": etag})
    assert without.status == 200
    assert without.header("content-encoding") == "br"


def test_head_of_the_dcz_representation(client: TestClient) -> None:
    get = raw_request(client, "/codecs", HOLDS_IT)
    head = raw_request(client, "/codecs", HOLDS_IT, method="HEAD")
    assert (head.status, head.body) == (200, b"")
    assert head.headers == get.headers


@pytest.mark.parametrize(("path", "depth"), [("/nope", 0), ("/no/such/page", 2)])
def test_the_html_404_page_comes_in_dcz_too(path: str, depth: int, client: TestClient) -> None:
    response = raw_request(client, path, {**HOLDS_IT, "accept": BROWSER_ACCEPT})
    assert response.status == 404
    page = not_found_page(depth)
    assert decoded(response) == page.html.encode()
    assert response.header("vary") == f"Accept, {PAGE_VARY}"
    # Its link to the dictionary climbs back to the pages' level, as its other links do.
    assert f"<link rel=compression-dictionary href={'../' * depth}tinysite-" in page.html


# --- the budget, through handler.py -----------------------------------------------------------


@pytest.mark.parametrize("path", SITE_PATHS)
def test_every_page_in_dcz_fits_the_original_tinysites_body(path: str, shape: str) -> None:
    headers = {
        "Accept-Encoding": CHROMIUM_ACCEPT_ENCODING,
        "Available-Dictionary": HOLDS_IT["available-dictionary"],
        "Sec-Fetch-Mode": "navigate",
    }
    response = invoke(shape, path=path, headers=headers)
    assert response.status == 200
    assert response.header("content-encoding") == "dcz"
    assert response.is_base64_encoded
    assert len(response.body) <= ORIGINAL_TINYSITE_BODY_BYTES
    assert dcz_decompress(response.body, DICTIONARY_BYTES) == PAGES[path].html.encode()


def test_no_compression_happens_per_request_with_the_dictionary(
    monkeypatch: pytest.MonkeyPatch, client: TestClient
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("compressed during a request")

    monkeypatch.setattr(zstandard, "ZstdCompressor", refuse)
    for path in SITE_PATHS:
        response = raw_request(client, path, HOLDS_IT)
        assert response.body == PAGES[path].representations["dcz"].body


def test_the_results_page_does_not_advertise_the_dictionary() -> None:
    # The answer to a POST: never fetched again, and its link would only cost a request.
    page = in_layout("Results", "<p>report")
    assert "compression-dictionary" not in page
    assert "{{" not in page
