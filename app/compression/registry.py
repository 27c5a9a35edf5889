"""The codec registry: each compression method with its levels, compress and decompress.

Every codec calls its library once, at the given level, with that library's default settings
otherwise (lz4: its CLI's frame settings), so each size this service reports can be reproduced
with one line of Python. lz4, snappy and libdeflate come from app/compression/native_codecs.py,
which loads their bindings on first use.
No web imports: the benchmark engine, the routes and the CLI all build on this module.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import sys
import zlib
from collections.abc import Callable

import brotli
import zstandard  # always installed: its parameter tables give zstd's memory estimate

from app.compression.codec import Codec, MiB
from app.compression.native_codecs import NATIVE_CODECS


def _deflate_raw(data: bytes, level: int) -> bytes:
    # wbits -15: a bare RFC 1951 stream with zlib's default 32 KiB window, no header or trailer.
    compressor = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def _zstandard_compress(data: bytes, level: int) -> bytes:
    # One-shot compress() records the content size in the frame, as the zstd tool does.
    return zstandard.ZstdCompressor(level=level).compress(data)


def _zstandard_decompress(data: bytes) -> bytes:
    return zstandard.ZstdDecompressor().decompress(data)


# Python 3.14+ ships zstd (PEP 784); before that the zstandard package wraps the same libzstd.
# A version check rather than a bare try, so that mypy types whichever branch its
# --python-version reaches (the Lambda runtime, 3.13, and the test machine's 3.11 take the else).
ZSTD_LIBRARY = "zstandard"
_zstd_compress: Callable[[bytes, int], bytes] = _zstandard_compress
_zstd_decompress: Callable[[bytes], bytes] = _zstandard_decompress
if sys.version_info >= (3, 14):
    try:
        from compression import zstd as stdlib_zstd
    except ImportError:  # PEP 784 leaves the module out of a CPython built without libzstd
        pass
    else:
        ZSTD_LIBRARY = "compression.zstd"
        _zstd_compress, _zstd_decompress = stdlib_zstd.compress, stdlib_zstd.decompress


# Working memory of each compressor, from its library's parameters where they are exposed and
# otherwise fitted to measurements: the growth of VmHWM in a fresh process compressing 64 KiB,
# 256 KiB, 1 MiB, 4 MiB and 8 MiB of Python source (tests/corpora.py) once, here. Each estimate
# is at or above what was measured at every size up to 4 MiB.


def _zlib_memory(level: int, size: int) -> int:
    # zlib's zconf.h: deflate needs (1 << (windowBits + 2)) + (1 << (memLevel + 9)) bytes;
    # windowBits 15, memLevel 8 (the defaults every zlib-based codec here uses): 256 KiB.
    return (1 << 17) + (1 << 17)


def _bz2_memory(level: int, size: int) -> int:
    # The bzip2 manual: compression needs 400k + 8 x the block size (level x 100 kB), of which
    # only the part the input fills is touched (measured 7.6 MB for level 9 on 4 MiB).
    return 400_000 + 8 * min(size, level * 100_000)


# liblzma's presets 0-9: dictionary sizes; presets 0-3 use hash chains, 4-9 binary trees.
_XZ_DICTIONARY_BYTES = (
    256 * 1024,
    1 * MiB,
    2 * MiB,
    4 * MiB,
    4 * MiB,
    8 * MiB,
    8 * MiB,
    16 * MiB,
    32 * MiB,
    64 * MiB,
)


def _xz_memory(level: int, size: int) -> int:
    dictionary = _XZ_DICTIONARY_BYTES[level]
    # liblzma's lz_encoder.c sizes its hash table from the dictionary and zeroes it up front:
    # the dictionary size rounded up to a power of two, halved, at least 64 Ki and at most
    # 16 Mi entries of 4 bytes, plus 65,536 + 1,024 entries for the 2- and 3-byte hashes.
    entries = 1 << max(16, (dictionary - 1).bit_length() - 1)
    if entries > 1 << 24:
        entries >>= 1
    hash_bytes = 4 * (entries + 65_536 + 1_024)
    # Per input byte within the dictionary: the byte itself plus 4 bytes of hash chain (presets
    # 0-3) or 8 of binary tree (4-9); measured 5.3 and 9.3 bytes, hence 6 and 9.5.
    per_byte = 6 if level <= 3 else 9.5
    return hash_bytes + int(per_byte * min(size, dictionary)) + MiB


# brotli per quality: (fixed MiB, MiB per MiB of input), fitted to the measurements above.
# Qualities 5-9 keep hash buckets whose size depends on the quality only (26-32 MiB at 9);
# 10-11 build a binary tree over the 4 MiB window and Zopfli nodes per block (48.3 MiB for
# 4 MiB at quality 11), which grow with the input.
_BROTLI_MEMORY = (
    (0.5, 1.0),
    (0.5, 1.0),
    (0.5, 1.7),
    (0.5, 1.7),
    (1.0, 3.5),
    (2.0, 3.5),
    (3.0, 3.7),
    (8.5, 3.0),
    (16.0, 3.0),
    (31.5, 3.0),
    (13.0, 9.0),
    (13.0, 9.0),
)


def _brotli_memory(level: int, size: int) -> int:
    fixed_mib, per_input_byte = _BROTLI_MEMORY[level]
    return int(fixed_mib * MiB + per_input_byte * size)


def _zstd_memory(level: int, size: int) -> int:
    # libzstd's own estimate for the parameters it picks for this level and input size (the
    # window shrinks to the input); it matched the measurement within 0.1 MiB for levels 19
    # and 22 on 4 MiB (49.3 and 65.3 MiB). Both zstd bindings use the same libzstd tables.
    params = zstandard.ZstdCompressionParameters.from_level(level, source_size=max(size, 1))
    return params.estimated_compression_context_size()


CODECS: dict[str, Codec] = {
    codec.name: codec
    for codec in (
        Codec(
            name="deflate",
            min_level=0,
            max_level=9,
            default_level=6,  # zlib's Z_DEFAULT_COMPRESSION
            spread=(1, 6, 9),
            media_type="application/zlib",
            extension=".zlib",
            compress=lambda data, level: zlib.compress(data, level),
            decompress=zlib.decompress,
            description="zlib format (RFC 1950): what HTTP calls Content-Encoding: deflate",
            compress_memory=_zlib_memory,
        ),
        Codec(
            name="deflate-raw",
            min_level=0,
            max_level=9,
            default_level=6,
            spread=(1, 6, 9),
            media_type="application/octet-stream",
            extension=".deflate",
            compress=_deflate_raw,
            decompress=lambda data: zlib.decompress(data, -zlib.MAX_WBITS),
            description="raw DEFLATE (RFC 1951), as Go's compress/flate writes it",
            compress_memory=_zlib_memory,
        ),
        Codec(
            name="gzip",
            min_level=0,
            max_level=9,
            # gzip(1) and zlib default to 6; Python's gzip module alone defaults to 9.
            default_level=6,
            spread=(1, 6, 9),
            media_type="application/gzip",
            extension=".gz",
            # mtime 0 and no file name in the header: the same bytes on every run.
            compress=lambda data, level: gzip.compress(data, level, mtime=0),
            decompress=gzip.decompress,
            description="gzip (RFC 1952), no file name, mtime 0",
            compress_memory=_zlib_memory,
        ),
        Codec(
            name="bz2",
            min_level=1,
            max_level=9,
            default_level=9,
            spread=(1, 9),
            media_type="application/x-bzip2",
            extension=".bz2",
            compress=lambda data, level: bz2.compress(data, level),
            decompress=bz2.decompress,
            description="bzip2 (levels are block sizes of 100-900 kB)",
            compress_memory=_bz2_memory,
        ),
        Codec(
            name="xz",
            min_level=0,
            max_level=9,
            default_level=6,
            # Presets 7-9 differ from 6 only in dictionary size (16, 32, 64 MiB against 8 MiB):
            # for an input of at most 8 MiB they give the same size, yet preset 9 touched 93 MB
            # more memory than the input here (xz 6: 45 MB). So the default spread stops at 6.
            spread=(0, 6),
            media_type="application/x-xz",
            extension=".xz",
            compress=lambda data, level: lzma.compress(data, preset=level),
            decompress=lzma.decompress,
            description="xz container, LZMA2 presets 0-9, CRC64",
            compress_memory=_xz_memory,
        ),
        Codec(
            name="brotli",
            min_level=0,
            max_level=11,
            default_level=11,  # the brotli library's and tool's default quality
            spread=(1, 6, 11),  # 6: what web servers use on the fly (ngx_brotli's default)
            media_type="application/octet-stream",
            extension=".br",
            compress=lambda data, level: brotli.compress(data, quality=level),
            decompress=brotli.decompress,
            description="brotli (RFC 7932), quality 0-11, 4 MiB window",
            compress_memory=_brotli_memory,
        ),
        Codec(
            name="zstd",
            min_level=1,
            max_level=22,
            default_level=3,  # ZSTD_CLEVEL_DEFAULT
            spread=(1, 3, 19, 22),  # 19: the strongest level the zstd tool allows without --ultra
            media_type="application/zstd",
            extension=".zst",
            compress=_zstd_compress,
            decompress=_zstd_decompress,
            description=f"Zstandard (RFC 8878) via {ZSTD_LIBRARY}, levels 1-22",
            compress_memory=_zstd_memory,
        ),
        *NATIVE_CODECS,
    )
}
