"""The build-time cache of TinySite's encoded bodies: a hit gives exactly the bytes compressing
now would, and anything stale, damaged or foreign is ignored and compressed afresh."""

from __future__ import annotations

import marshal
from collections.abc import Callable
from pathlib import Path

import pytest

from app.compression.dictionary_transport import dcz_compress
from app.compression.registry import CODECS
from app.compression.zopfli_encoder import zopfli_body
from app.tinysite import encoded_bodies, precompressed
from app.tinysite.encoded_bodies import (
    EncodedBodies,
    Encoding,
    body_key,
    dcz_key,
    encoder_version,
    read_cache,
    write_cache,
)

PAGE = "<!doctype html><title>Cached</title><p>The biggest smallest website. " * 20
IDENTITY = PAGE.encode()


def fresh(encoding: Encoding, identity: bytes = IDENTITY) -> bytes:
    if encoding.zopfli:
        return zopfli_body(encoding.codec, identity)
    return CODECS[encoding.codec].compress(identity, encoding.level)


@pytest.mark.parametrize("encoding", precompressed.ENCODINGS.values(), ids=str)
def test_a_miss_compresses_and_a_stored_body_is_then_a_hit_with_the_same_bytes(
    encoding: Encoding, tmp_path: Path
) -> None:
    building = EncodedBodies()
    built = building.encode(encoding, IDENTITY)
    assert (building.hits, building.misses) == (0, 1)
    assert built == fresh(encoding)

    write_cache(building.produced, tmp_path / "bodies.marshal")
    cold_start = EncodedBodies(read_cache(tmp_path / "bodies.marshal"))
    assert cold_start.encode(encoding, IDENTITY) == fresh(encoding)
    assert (cold_start.hits, cold_start.misses) == (1, 0)


def test_every_body_the_site_encodes_is_found_again_from_what_it_produced(tmp_path: Path) -> None:
    # What deploy/encode_site.py writes: the bodies of importing the site, by key.
    write_cache(precompressed.BODIES.produced, tmp_path / "bodies.marshal")
    stored = read_cache(tmp_path / "bodies.marshal")
    pages = [*precompressed.PAGES.values(), precompressed.NOT_FOUND_PAGE]
    pages += [*precompressed.ASSETS.values(), precompressed.DICTIONARY]
    with_dcz = [page for page in pages if page.dictionary_body_sizes is not None]
    assert len(with_dcz) == 6  # the five pages and the 404 page
    # 10 bodies (5 pages, the 404, app.js, charts.js, sitecheck.js, the dictionary) in 4
    # codings, and 6 in dcz.
    assert len(stored) == len(pages) * len(precompressed.ENCODINGS) + len(with_dcz) == 46
    dictionary = precompressed.DICTIONARY.representations["identity"].body
    cold_start = EncodedBodies(stored)
    for page in pages:
        identity = page.representations["identity"].body
        for coding, encoding in precompressed.ENCODINGS.items():
            body = cold_start.encode(encoding, identity)
            assert body == page.representations[coding].body == fresh(encoding, identity)
        if page in with_dcz:
            body = cold_start.encode_dcz(identity, dictionary, precompressed.DCZ_LEVEL)
            assert body == page.representations["dcz"].body
            assert body == dcz_compress(identity, dictionary, precompressed.DCZ_LEVEL)
    assert (cold_start.hits, cold_start.misses, cold_start.fallbacks) == (46, 0, 0)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda body: body[:-1], id="truncated"),
        pytest.param(lambda body: body[:20] + bytes([body[20] ^ 0x55]) + body[21:], id="flipped"),
        pytest.param(lambda body: b"", id="empty"),
        pytest.param(lambda body: CODECS["gzip"].compress(b"another page", 9), id="other-page"),
    ],
)
@pytest.mark.parametrize("encoding", precompressed.ENCODINGS.values(), ids=str)
def test_a_damaged_entry_is_ignored_and_the_body_compressed_afresh(
    encoding: Encoding, damage: Callable[[bytes], bytes]
) -> None:
    key = body_key(encoding, IDENTITY)
    bodies = EncodedBodies({key: damage(fresh(encoding))})
    assert bodies.encode(encoding, IDENTITY) == fresh(encoding)
    assert (bodies.hits, bodies.misses) == (0, 1)


def test_a_body_stored_for_other_input_level_or_library_version_is_never_found() -> None:
    brotli_11 = Encoding("brotli", 11)
    other_keys = {
        body_key(brotli_11, IDENTITY + b" "),
        body_key(Encoding("brotli", 10), IDENTITY),
        body_key(Encoding("zstd", 11), IDENTITY),
        body_key(brotli_11, IDENTITY, version="brotli 0.0.1"),
    }
    assert body_key(brotli_11, IDENTITY) not in other_keys
    # A body valid for this page, but stored under each of those keys: none is used.
    bodies = EncodedBodies(dict.fromkeys(other_keys, CODECS["brotli"].compress(IDENTITY, 1)))
    assert bodies.encode(brotli_11, IDENTITY) == fresh(brotli_11)
    assert (bodies.hits, bodies.misses) == (0, 1)


ZOPFLI_ENCODINGS = [e for e in precompressed.ENCODINGS.values() if e.zopfli]


@pytest.mark.parametrize("encoding", ZOPFLI_ENCODINGS, ids=str)
def test_without_zopfli_a_stored_zopfli_body_is_used_and_a_missing_one_is_zlibs(
    encoding: Encoding, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The Lambda runtime ships no zopfli: it must find the build's bodies, and still serve
    # a page whose body is missing (a setting changed the page): with zlib at level 9.
    built = EncodedBodies()
    zopfli_made = built.encode(encoding, IDENTITY)
    monkeypatch.setattr(encoded_bodies, "zopfli_available", lambda: False)
    runtime = EncodedBodies(built.produced)
    assert runtime.encode(encoding, IDENTITY) == zopfli_made
    other_page = IDENTITY + b"<p>changed by a setting"
    assert runtime.encode(encoding, other_page) == CODECS[encoding.codec].compress(other_page, 9)
    assert (runtime.hits, runtime.misses, runtime.fallbacks) == (1, 1, 1)


def test_a_dcz_body_is_keyed_by_its_dictionary_too() -> None:
    dictionary = b"<!doctype html><title>Cached</title><p>The biggest smallest website."
    building = EncodedBodies()
    body = building.encode_dcz(IDENTITY, dictionary, 19)
    assert body == dcz_compress(IDENTITY, dictionary, 19)
    other_dictionary = dictionary + b" "
    assert dcz_key(IDENTITY, dictionary, 19) != dcz_key(IDENTITY, other_dictionary, 19)
    runtime = EncodedBodies(building.produced)
    assert runtime.encode_dcz(IDENTITY, other_dictionary, 19) == dcz_compress(
        IDENTITY, other_dictionary, 19
    )
    assert runtime.encode_dcz(IDENTITY, dictionary, 19) == body
    assert (runtime.hits, runtime.misses) == (1, 1)


def test_the_key_names_each_library_version() -> None:
    import brotli
    import zstandard

    assert brotli.__version__ in encoder_version("brotli")
    assert ".".join(map(str, zstandard.ZSTD_VERSION)) in encoder_version("zstd")
    assert encoder_version("deflate") in encoder_version("gzip")
    with pytest.raises(KeyError):
        encoder_version("xz")


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(None, id="missing"),
        pytest.param(b"", id="empty"),
        pytest.param(b"\x00garbage\xff", id="garbage"),
        pytest.param(marshal.dumps({"k": b"v"})[:-3], id="truncated"),
        pytest.param(marshal.dumps([b"a list"]), id="not-a-dict"),
    ],
)
def test_an_unreadable_cache_file_reads_as_empty(content: bytes | None, tmp_path: Path) -> None:
    path = tmp_path / "bodies.marshal"
    if content is not None:
        path.write_bytes(content)
    assert read_cache(path) == {}


def test_entries_of_the_wrong_types_are_dropped(tmp_path: Path) -> None:
    path = tmp_path / "bodies.marshal"
    path.write_bytes(marshal.dumps({"good": b"body", "text": "not bytes", 7: b"not a str key"}))
    assert read_cache(path) == {"good": b"body"}


def test_the_source_tree_ships_no_cache_file() -> None:
    # Only the build writes it (deploy/build_artifact.py); in the source tree every body is
    # compressed at import, so tests and uvicorn always see fresh bytes.
    assert not precompressed.BODIES.stored
    assert precompressed.BODIES.hits == 0
