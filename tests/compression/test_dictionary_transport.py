"""RFC 9842's dcz format and Available-Dictionary parsing, byte for byte."""

from __future__ import annotations

import base64
import hashlib

import pytest
import zstandard
from hypothesis import given
from hypothesis import strategies as st

from app.compression.dictionary_transport import (
    DCZ_HEADER_BYTES,
    DictionaryMismatchError,
    available_dictionary_value,
    dcz_compress,
    dcz_decompress,
    dictionary_compression_allowed,
    dictionary_hash,
    parse_available_dictionary,
    structured_string,
    use_as_dictionary_value,
)

DICTIONARY = b"<!doctype html><title>TinySite</title><nav>home api codecs about</nav>" * 4


def test_dcz_header_is_rfc_9842_magic_then_the_dictionary_sha256() -> None:
    body = dcz_compress(b"<nav>home api codecs about</nav>", DICTIONARY, 19)
    assert body[:8] == bytes([0x5E, 0x2A, 0x4D, 0x18, 0x20, 0x00, 0x00, 0x00])
    assert body[8:40] == hashlib.sha256(DICTIONARY).digest()
    assert DCZ_HEADER_BYTES == 40


def test_dcz_frame_is_plain_zstd_with_the_dictionary_as_raw_content() -> None:
    page = DICTIONARY[:100] + b"a page of its own"
    body = dcz_compress(page, DICTIONARY, 19)
    raw = zstandard.ZstdCompressionDict(DICTIONARY, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
    assert zstandard.ZstdDecompressor(dict_data=raw).decompress(body[40:]) == page
    # The dictionary is what makes it small: the same page without it is larger.
    assert len(body) - 40 < len(zstandard.ZstdCompressor(level=19).compress(page))


@given(data=st.binary(max_size=4096), dictionary=st.binary(min_size=1, max_size=4096))
def test_dcz_round_trips_any_bytes(data: bytes, dictionary: bytes) -> None:
    assert dcz_decompress(dcz_compress(data, dictionary, 3), dictionary) == data


def test_dcz_decompress_refuses_another_dictionary_and_other_formats() -> None:
    body = dcz_compress(b"hello", DICTIONARY, 3)
    with pytest.raises(DictionaryMismatchError, match="another dictionary"):
        dcz_decompress(body, DICTIONARY + b"!")
    with pytest.raises(DictionaryMismatchError, match="header"):
        dcz_decompress(body[8:], DICTIONARY)


def test_available_dictionary_round_trips_and_rejects_anything_else() -> None:
    digest = dictionary_hash(DICTIONARY)
    value = available_dictionary_value(digest)
    assert value == ":" + base64.b64encode(digest).decode() + ":"
    assert parse_available_dictionary(value) == digest
    assert parse_available_dictionary(f" {value}\t") == digest
    short = ":" + base64.b64encode(digest[:31]).decode() + ":"
    for bad in ("", ":", "::", value[1:], value[:-1], short, ":not base64!:", '"' + value + '"'):
        assert parse_available_dictionary(bad) is None, bad


@pytest.mark.parametrize(
    ("text", "serialized"),
    [("*", '"*"'), ("tinysite-0a1b", '"tinysite-0a1b"'), ('say "hi"\\', '"say \\"hi\\"\\\\"')],
)
def test_a_structured_string_is_quoted_and_escaped(text: str, serialized: str) -> None:
    assert structured_string(text) == serialized


@pytest.mark.parametrize("text", ["tab\there", "é", "new\nline"])
def test_a_structured_string_holds_printable_ascii_only(text: str) -> None:
    with pytest.raises(ValueError, match="printable ASCII"):
        structured_string(text)


def test_use_as_dictionary_names_match_and_id() -> None:
    assert use_as_dictionary_value("*", "v1") == 'match="*", id="v1"'


@pytest.mark.parametrize(
    ("site", "mode", "origin", "allow_origin", "allowed"),
    [
        (None, None, None, "*", True),  # no Fetch metadata: not a browser
        ("same-origin", "no-cors", None, "https://only.test", True),
        ("SAME-ORIGIN", "cors", None, "https://only.test", True),
        ("none", "navigate", None, "*", True),
        ("cross-site", "navigate", None, "*", True),
        ("cross-site", "same-origin", None, "*", True),
        ("cross-site", "cors", "https://a.test", "*", True),
        ("cross-site", "cors", "https://a.test", "https://a.test", True),
        ("cross-site", "cors", "https://b.test", "https://a.test", False),
        ("cross-site", "cors", None, "*", False),
        ("cross-site", "no-cors", None, "*", False),
        ("same-site", "websocket", None, "*", False),
    ],
)
def test_dictionary_compression_follows_the_readability_rules(
    site: str | None, mode: str | None, origin: str | None, allow_origin: str, allowed: bool
) -> None:
    assert dictionary_compression_allowed(site, mode, origin, allow_origin) is allowed
