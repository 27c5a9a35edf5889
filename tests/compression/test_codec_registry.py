"""The codec registry: bytes exactly as the libraries make them, round trips, the spec syntax."""

from __future__ import annotations

import bz2
import gzip
import importlib
import lzma
import sys
import zlib
from collections.abc import Callable
from typing import Any

import brotli
import deflate
import pytest
from corpora import SMALL_SAMPLES, MiB, python_source

from app.compression.codec_spec import CodecSpecError, default_jobs, get_codec, parse_codec_spec
from app.compression.registry import CODECS, ZSTD_LIBRARY


def _zstd_direct(data: bytes, level: int) -> bytes:
    if sys.version_info >= (3, 14) and ZSTD_LIBRARY == "compression.zstd":
        from compression import zstd

        return zstd.compress(data, level)
    import zstandard

    return zstandard.ZstdCompressor(level=level).compress(data)


def _raw_deflate_direct(data: bytes, level: int) -> bytes:
    compressor = zlib.compressobj(level=level, wbits=-15)
    return compressor.compress(data) + compressor.flush()


# lz4 and pysnappy ship no types: their modules are Any here.
LZ4_FRAME: Any = importlib.import_module("lz4.frame")
PYSNAPPY: Any = importlib.import_module("pysnappy")


def _lz4_direct(data: bytes, level: int) -> bytes:
    # The lz4 CLI's frame: 4 MB independent blocks, a content checksum, no content size.
    compressed: bytes = LZ4_FRAME.compress(
        data,
        compression_level=level,
        block_size=LZ4_FRAME.BLOCKSIZE_MAX4MB,
        block_linked=False,
        content_checksum=True,
        store_size=False,
    )
    return compressed


# What a user would type to reproduce a number: the library's one call, default settings
# (lz4: its CLI's).
DIRECT_CALLS: dict[str, Callable[[bytes, int], bytes]] = {
    "deflate": lambda data, level: zlib.compress(data, level=level),
    "deflate-raw": _raw_deflate_direct,
    "gzip": lambda data, level: gzip.compress(data, compresslevel=level, mtime=0),
    "bz2": lambda data, level: bz2.compress(data, compresslevel=level),
    "xz": lambda data, level: lzma.compress(data, format=lzma.FORMAT_XZ, preset=level),
    "brotli": lambda data, level: brotli.compress(data, quality=level),
    "zstd": _zstd_direct,
    "lz4": _lz4_direct,
    "snappy": lambda data, level: PYSNAPPY.compress(data),
    "libdeflate": lambda data, level: bytes(deflate.gzip_compress(data, level)),
}


def test_the_registry_has_the_ten_codecs_of_the_issues() -> None:
    assert list(CODECS) == [
        *("deflate", "deflate-raw", "gzip", "bz2", "xz", "brotli", "zstd"),
        *("lz4", "snappy", "libdeflate"),
    ]
    assert set(DIRECT_CALLS) == set(CODECS)


@pytest.mark.parametrize(
    ("name", "levels"),
    [
        ("deflate", (0, 9)),
        ("deflate-raw", (0, 9)),
        ("gzip", (0, 9)),
        ("bz2", (1, 9)),
        ("xz", (0, 9)),
        ("brotli", (0, 11)),
        ("zstd", (1, 22)),
        ("lz4", (1, 12)),
        ("snappy", (1, 1)),
        ("libdeflate", (1, 12)),
    ],
)
def test_level_ranges_and_defaults(name: str, levels: tuple[int, int]) -> None:
    codec = CODECS[name]
    assert (codec.min_level, codec.max_level) == levels
    assert codec.default_level in codec.levels
    assert set(codec.spread) <= set(codec.levels)


@pytest.mark.parametrize("sample", SMALL_SAMPLES)
@pytest.mark.parametrize("name", CODECS)
def test_bytes_equal_the_direct_library_call_and_round_trip(name: str, sample: str) -> None:
    data = SMALL_SAMPLES[sample]()
    codec = CODECS[name]
    for level in sorted({codec.min_level, *codec.spread}):
        compressed = codec.compress(data, level)
        assert compressed == DIRECT_CALLS[name](data, level), (name, level)
        assert codec.decompress(compressed) == data


@pytest.mark.parametrize("name", CODECS)
def test_one_mebibyte_of_text_at_the_default_level(name: str) -> None:
    data = python_source(MiB)
    codec = CODECS[name]
    compressed = codec.compress(data, codec.default_level)
    assert len(compressed) == len(DIRECT_CALLS[name](data, codec.default_level))
    # lz4's and snappy's fast modes trade ratio for speed: about 2 on source code.
    assert len(compressed) < len(data) // (2 if name in ("lz4", "snappy") else 3)
    assert codec.decompress(compressed) == data


def test_higher_levels_shrink_text_more() -> None:
    data = python_source(128 * 1024)
    for codec in CODECS.values():
        fastest, strongest = codec.spread[0], codec.spread[-1]
        if fastest == strongest:  # snappy has one level
            continue
        assert len(codec.compress(data, strongest)) < len(codec.compress(data, fastest)), codec


def test_incompressible_bytes_grow_a_little() -> None:
    data = SMALL_SAMPLES["random-bytes"]()
    for codec in CODECS.values():
        overhead = len(codec.compress(data, codec.default_level)) - len(data)
        assert 0 <= overhead < 1024, (codec.name, overhead)


def test_gzip_has_no_file_name_and_mtime_zero() -> None:
    member = CODECS["gzip"].compress(b"reproducible", 6)
    assert member[:3] == b"\x1f\x8b\x08"
    assert member[3] == 0, "FLG: no FNAME, FCOMMENT, FEXTRA"
    assert member[4:8] == b"\x00\x00\x00\x00", "MTIME 0"
    assert CODECS["gzip"].compress(b"reproducible", 6) == member


def test_deflate_is_the_zlib_format_and_deflate_raw_has_no_header() -> None:
    data = python_source(4096)
    wrapped = CODECS["deflate"].compress(data, 6)
    assert wrapped[0] & 0x0F == 8
    assert int.from_bytes(wrapped[:2], "big") % 31 == 0
    raw = CODECS["deflate-raw"].compress(data, 6)
    assert wrapped[2:-4] == raw
    assert zlib.decompress(raw, -15) == data
    with pytest.raises(zlib.error):
        zlib.decompress(raw)


@pytest.mark.parametrize(
    ("name", "media_type", "extension"),
    [
        ("deflate", "application/zlib", ".zlib"),
        ("deflate-raw", "application/octet-stream", ".deflate"),
        ("gzip", "application/gzip", ".gz"),
        ("bz2", "application/x-bzip2", ".bz2"),
        ("xz", "application/x-xz", ".xz"),
        ("brotli", "application/octet-stream", ".br"),
        ("zstd", "application/zstd", ".zst"),
    ],
)
def test_media_types_and_extensions(name: str, media_type: str, extension: str) -> None:
    assert (CODECS[name].media_type, CODECS[name].extension) == (media_type, extension)


def _pairs(spec: str) -> list[tuple[str, int]]:
    return [(codec.name, level) for codec, level in parse_codec_spec(spec)]


def test_spec_with_a_level_a_bare_name_and_a_range() -> None:
    assert _pairs("gzip:9,brotli,zstd:3-5") == [
        ("gzip", 9),
        ("brotli", 1),
        ("brotli", 6),
        ("brotli", 11),
        ("zstd", 3),
        ("zstd", 4),
        ("zstd", 5),
    ]


def test_spec_is_forgiving_about_case_spaces_and_repeats() -> None:
    assert _pairs(" GZIP:1 , gzip:1-2,, deflate-raw:0") == [
        ("gzip", 1),
        ("gzip", 2),
        ("deflate-raw", 0),
    ]


@pytest.mark.parametrize(
    ("spec", "named"),
    [
        ("lzo", "deflate 0-9"),  # unknown codec: every valid codec with its levels
        ("zstd:0", "1-22"),
        ("brotli:12", "0-11"),
        ("bz2:-1", "1-9"),
        ("xz:fast", "0-9"),
        ("gzip:9-1", "empty"),
        ("gzip:1-", "0-9"),
        ("", "zstd 1-22"),
    ],
)
def test_bad_specs_name_what_is_valid(spec: str, named: str) -> None:
    with pytest.raises(CodecSpecError, match=named):
        parse_codec_spec(spec)


def test_get_codec_rejects_unknown_names_listing_the_known() -> None:
    with pytest.raises(CodecSpecError) as caught:
        get_codec("lzham")
    for name in CODECS:
        assert name in str(caught.value)


def test_default_jobs_cover_every_codec_fast_default_and_strong() -> None:
    jobs = default_jobs()
    for codec in CODECS.values():
        levels = [level for job_codec, level in jobs if job_codec is codec]
        assert levels == list(codec.default_run_levels)
        if codec.default_run is not None:  # lz4, snappy, libdeflate: their fastest level only
            assert levels == [codec.min_level]
            continue
        assert levels == list(codec.spread)
        assert codec.default_level in levels or codec.default_level == codec.max_level
        assert min(levels) <= 1
    assert ("brotli", 11) in [(c.name, level) for c, level in jobs]
