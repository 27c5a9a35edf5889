"""lz4, snappy and libdeflate (app/compression/native_codecs.py) against the formats they claim.

lz4's frames are compared byte for byte with Debian's `lz4` tool, which `./dev test` installs;
snappy's blocks are read by a decoder written here from Google's format description
(format_description.txt), independent of the binding; libdeflate's gzip is read by Python's
gzip module.
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys

import pytest
from corpora import SMALL_SAMPLES, incompressible, python_source

from app.compression.codec import Codec
from app.compression.codec_spec import CodecSpecError, default_jobs, parse_codec_spec
from app.compression.native_codecs import LIBDEFLATE, LZ4, NATIVE_CODECS, SNAPPY
from app.compression.registry import CODECS
from app.engine.benchmark import job_memory

TEXT = python_source(256 * 1024)


def lz4_tool(*arguments: str, data: bytes) -> bytes:
    tool = shutil.which("lz4")
    assert tool, "Debian's lz4 is missing: ./dev test installs it (apt-get install lz4)"
    return subprocess.run([tool, *arguments], input=data, capture_output=True, check=True).stdout


@pytest.mark.parametrize("codec", NATIVE_CODECS, ids=lambda c: c.name)
@pytest.mark.parametrize("sample", sorted(SMALL_SAMPLES))
def test_every_level_round_trips(codec: Codec, sample: str) -> None:
    data = SMALL_SAMPLES[sample]()
    for level in codec.levels:
        compressed = codec.compress(data, level)
        assert type(compressed) is bytes
        restored = codec.decompress(compressed)
        assert type(restored) is bytes
        assert restored == data, (codec.name, level)


def test_the_registry_lists_them_after_the_standard_codecs() -> None:
    assert list(CODECS)[-3:] == ["lz4", "snappy", "libdeflate"]
    assert CODECS["lz4"] is LZ4
    assert CODECS["snappy"] is SNAPPY
    assert CODECS["libdeflate"] is LIBDEFLATE
    assert (LZ4.levels, SNAPPY.levels, LIBDEFLATE.levels) == (
        range(1, 13),
        range(1, 2),
        range(1, 13),
    )


@pytest.mark.parametrize("level", range(1, 13))
def test_lz4_frames_are_the_lz4_tools_bytes(level: int) -> None:
    assert LZ4.compress(TEXT, level) == lz4_tool(f"-{level}", "-c", data=TEXT)


def test_lz4_decodes_what_the_lz4_tool_wrote_and_the_tool_decodes_lz4() -> None:
    assert LZ4.decompress(lz4_tool("-9", "-c", data=TEXT)) == TEXT
    assert lz4_tool("-d", "-c", data=LZ4.compress(TEXT, 12)) == TEXT


def test_lz4_fast_levels_are_one_mode_and_hc_from_3_is_smaller() -> None:
    fast, hc = LZ4.compress(TEXT, 1), LZ4.compress(TEXT, 3)
    assert LZ4.compress(TEXT, 2) == fast
    assert len(hc) < 0.85 * len(fast)
    assert len(LZ4.compress(TEXT, 12)) <= len(LZ4.compress(TEXT, 9)) < len(hc)


def snappy_decode(block: bytes) -> bytes:
    """Google's snappy raw format, read here: a varint length, then literals and copies."""
    length, shift, position = 0, 0, 0
    while True:
        byte = block[position]
        position += 1
        length |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            break
    out = bytearray()
    while position < len(block):
        tag = block[position]
        position += 1
        kind = tag & 3
        if kind == 0:  # literal: length - 1 in the tag, or in the next 1-4 bytes
            size = tag >> 2
            if size >= 60:
                extra = size - 59
                size = int.from_bytes(block[position : position + extra], "little")
                position += extra
            size += 1
            out += block[position : position + size]
            position += size
            continue
        if kind == 1:  # copy, 11-bit offset
            size = 4 + ((tag >> 2) & 7)
            offset = ((tag >> 5) << 8) | block[position]
            position += 1
        else:  # copy, 16- or 32-bit offset
            width = 2 if kind == 2 else 4
            size = 1 + (tag >> 2)
            offset = int.from_bytes(block[position : position + width], "little")
            position += width
        assert 0 < offset <= len(out)
        for _ in range(size):  # byte by byte: a copy may overlap what it writes
            out.append(out[-offset])
    assert len(out) == length
    return bytes(out)


@pytest.mark.parametrize("data", [TEXT, incompressible(70_000), b"", b"x", b"ab" * 40_000])
def test_snappy_is_the_raw_block_format(data: bytes) -> None:
    block = SNAPPY.compress(data, 1)
    # Raw, not framed: no stream identifier chunk (0xff 06 00 00 "sNaPpY").
    assert not block.startswith(b"\xff\x06\x00\x00sNaPpY")
    assert snappy_decode(block) == data


@pytest.mark.parametrize("level", range(1, 13))
def test_libdeflate_writes_gzip_that_python_reads(level: int) -> None:
    body = LIBDEFLATE.compress(TEXT, level)
    assert body[:3] == b"\x1f\x8b\x08"
    assert body[4:8] == b"\0\0\0\0"
    assert gzip.decompress(body) == TEXT


def test_libdeflate_12_is_smaller_than_zlib_9() -> None:
    assert len(LIBDEFLATE.compress(TEXT, 12)) < len(CODECS["gzip"].compress(TEXT, 9))


def test_specs_and_errors_name_the_new_codecs() -> None:
    jobs = parse_codec_spec("lz4:1-12,snappy,libdeflate:12")
    assert [(c.name, level) for c, level in jobs] == [
        *(("lz4", level) for level in range(1, 13)),
        ("snappy", 1),
        ("libdeflate", 12),
    ]
    with pytest.raises(CodecSpecError, match=r"snappy has no level 2; its levels are 1\."):
        parse_codec_spec("snappy:2")
    with pytest.raises(CodecSpecError, match=r"lz4 1-12, snappy 1, libdeflate 1-12"):
        parse_codec_spec("lz5")


def test_default_jobs_add_their_fast_levels_only() -> None:
    added = [(c.name, level) for c, level in default_jobs() if c in NATIVE_CODECS]
    assert added == [
        (codec.name, level) for codec in NATIVE_CODECS for level in codec.default_run_levels
    ]
    assert all(level <= 1 for _, level in added)


def test_memory_estimates_cover_what_was_measured() -> None:
    # bench/bench_codec_memory.py's largest measurements (MiB) at 4 MiB of Python source.
    measured_at_4_mib = {
        ("lz4", 1): 1.39,
        ("lz4", 12): 0.92,
        ("snappy", 1): 1.35,
        ("libdeflate", 1): 0.99,
        ("libdeflate", 12): 4.91,
    }
    for (name, level), mib in measured_at_4_mib.items():
        assert CODECS[name].compress_memory(level, 4 * 1024 * 1024) >= mib * 1024 * 1024
    for codec in NATIVE_CODECS:
        for level in codec.levels:
            small, large = codec.compress_memory(level, 0), codec.compress_memory(level, 4 << 20)
            assert 0 < small <= large
            assert job_memory(codec, level, 4 << 20) >= 3 * (4 << 20)


def test_importing_the_registry_loads_no_binding() -> None:
    """The bindings load on first use: a cold start that serves a page pays for none."""
    probe = (
        "import sys; import app.compression.registry; "
        "print(sorted(m for m in ('lz4', 'pysnappy', 'deflate') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
