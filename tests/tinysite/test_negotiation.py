"""Proactive negotiation, case by case as RFC 9110 §12.5.3 (Accept-Encoding), §12.5.1 (Accept)
and §13.1.2 (If-None-Match) name them."""

from __future__ import annotations

import pytest

from app.tinysite.conditional import is_not_modified
from app.tinysite.negotiation import (
    choose_encoding,
    media_type_quality,
    parse_accept_encoding,
    prefers_html,
)

# Body sizes of an imaginary page: br smallest, then zstd, deflate, gzip; identity largest.
SIZES = {"identity": 1000, "deflate": 500, "gzip": 512, "br": 400, "zstd": 450}

CHROME = "gzip, deflate, br, zstd"
FIREFOX = "gzip, deflate, br, zstd"
SAFARI = "gzip, deflate, br"
CURL_COMPRESSED = "deflate, gzip, br, zstd"


@pytest.mark.parametrize(
    ("accept_encoding", "expected"),
    [
        # No field: identity (the RFC allows any coding; a client sending none may decode none).
        (None, "identity"),
        # An empty field: the client wants no coding.
        ("", "identity"),
        # Browser-like lists, all q=1: the tie goes to the smallest body.
        (CHROME, "br"),
        (FIREFOX, "br"),
        (SAFARI, "br"),
        (CURL_COMPRESSED, "br"),
        ("gzip, deflate", "deflate"),
        ("gzip", "gzip"),
        ("deflate", "deflate"),
        ("zstd", "zstd"),
        # Coding names are case-insensitive; x-gzip is gzip (§8.4.1.3).
        ("GZip", "gzip"),
        ("x-gzip", "gzip"),
        # The highest qvalue wins over a smaller body.
        ("br;q=0.5, gzip;q=0.8", "gzip"),
        ("br;q=0.5, gzip;q=0.8, deflate;q=0.8", "deflate"),
        ("br;q=1.0, gzip;q=1", "br"),
        ("br;Q=0.9,gzip;q=0.1", "br"),
        ("br ; q=0.9 , gzip ; q=1", "gzip"),
        ("deflate;q=0.001", "deflate"),
        ("deflate;q=1.000", "deflate"),
        # "*" matches every coding not named, identity included.
        ("*", "br"),
        ("*;q=0.5, gzip", "gzip"),
        ("br;q=0, *", "zstd"),
        ("br;q=0, zstd;q=0, *;q=0.3", "deflate"),
        # identity named explicitly competes on q like any coding.
        ("identity", "identity"),
        ("identity, gzip;q=0.5", "identity"),
        ("identity;q=0.5, gzip;q=0.5", "gzip"),
        ("gzip;q=0, identity;q=0.5", "identity"),
        # Unlisted identity is acceptable, as the last resort.
        ("compress, lzma", "identity"),
        ("gzip;q=0", "identity"),
        # q=0 excludes; identity;q=0 or *;q=0 leave nothing, unless something else is named.
        ("identity;q=0", None),
        ("*;q=0", None),
        ("*;q=0, identity", "identity"),
        ("*;q=0, gzip", "gzip"),
        ("identity;q=0, compress", None),
        ("identity;q=0, gzip;q=0", None),
        # A coding named twice keeps its lowest q: a q=0 is never overridden.
        ("gzip, gzip;q=0", "identity"),
        # Garbage: malformed members are skipped, the rest of the field still counts.
        ("gzip;q=2", "identity"),
        ("gzip;q=0.5000", "identity"),
        ("gzip;q=-1, deflate", "deflate"),
        ("gzip;level=9", "identity"),
        (";;;, ,,", "identity"),
        ("\U0001f642, gzip", "gzip"),
        ("identity;q=zero", "identity"),
        ("br q=1", "identity"),
    ],
)
def test_choose_encoding(accept_encoding: str | None, expected: str | None) -> None:
    assert choose_encoding(accept_encoding, SIZES) == expected


def test_only_available_codings_are_chosen() -> None:
    assert choose_encoding("br, gzip;q=0.5", {"identity": 10, "gzip": 5}) == "gzip"
    assert choose_encoding("*", {"identity": 10}) == "identity"


def test_ties_go_to_the_smallest_body_whichever_coding_that_is() -> None:
    sizes = {**SIZES, "gzip": 100}
    assert choose_encoding(CHROME, sizes) == "gzip"
    assert choose_encoding("*", {**SIZES, "identity": 10}) == "identity"


def test_parse_accept_encoding_lowercases_weighs_and_skips_garbage() -> None:
    assert parse_accept_encoding("GZIP;q=0.5, br, *;q=0, bad;q=9, x-gzip;q=0.7") == {
        "gzip": 0.5,
        "br": 1.0,
        "*": 0.0,
    }
    assert parse_accept_encoding("") == {}


@pytest.mark.parametrize(
    ("accept", "media_type", "expected"),
    [
        (None, "text/html", 1.0),
        ("text/html", "text/html", 1.0),
        ("TEXT/HTML;q=0.4", "text/html", 0.4),
        ("text/*;q=0.3, text/html;q=0.7, */*;q=0.1", "text/html", 0.7),
        ("text/*;q=0.3, */*;q=0.1", "text/html", 0.3),
        ("*/*;q=0.1", "application/problem+json", 0.1),
        ("application/json", "text/html", 0.0),
        ('text/html;level=1;charset="utf-8";q=0.2', "text/html", 0.2),
        ("text/html;q=5", "text/html", 0.0),
        ("garbage", "text/html", 0.0),
    ],
)
def test_media_type_quality(accept: str | None, media_type: str, expected: float) -> None:
    assert media_type_quality(accept, media_type) == expected


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        # Chromium's and Firefox's navigation Accept.
        (
            "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
            "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7",
            True,
        ),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),
        ("text/html", True),
        # curl, httpx, fetch(): */* ties, and the tie goes to problem+json.
        ("*/*", False),
        (None, False),
        ("application/json", False),
        ("application/problem+json, text/html;q=0.5", False),
        ("text/html;q=0", False),
    ],
)
def test_prefers_html(accept: str | None, expected: bool) -> None:
    assert prefers_html(accept) is expected


ETAG = '"br-0123456789abcdef"'


@pytest.mark.parametrize(
    ("if_none_match", "expected"),
    [
        (None, False),
        (ETAG, True),
        ("*", True),
        (" * ", True),
        (f'"other", {ETAG}', True),
        (f"W/{ETAG}", True),  # If-None-Match compares weakly (§13.1.2)
        ('"gzip-0123456789abcdef"', False),
        ('"br-0123456789abcdef', False),
        ("br-0123456789abcdef", False),
        ("", False),
        ('"a,b", "c"', False),
    ],
)
def test_is_not_modified(if_none_match: str | None, expected: bool) -> None:
    assert is_not_modified(if_none_match, ETAG) is expected


def test_an_entity_tag_may_contain_a_comma() -> None:
    assert is_not_modified('"x", "a,b"', '"a,b"')
