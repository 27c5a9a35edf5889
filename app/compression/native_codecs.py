"""lz4, snappy and libdeflate: the codecs of lzbench's and TurboBench's headline rows, each
through a binding of its reference C or C++ library, each loaded on its first use.

Bindings (named in docs/api.md):
- lz4: python-lz4 (`lz4.frame`), which compiles the reference liblz4 into its extension;
- snappy: pysnappy, a Cython binding with Google's C++ snappy linked into its wheels
  (python-snappy, the better-known name, now calls cramjam, a Rust reimplementation whose
  output differs from the reference library's; Parquet's and Kafka's writers call Google's);
- libdeflate: `deflate` (PyPI), which compiles Eric Biggers' libdeflate into its extension.

Their imports cost 0.7 to 4.5 ms each (python -X importtime): a cold start that serves a page
needs none of them, so each binding is imported by the first call that needs it, and kept.
An `import` statement inside the codec function would run on every call (0.5 us here, as much
as snappy takes for a one-byte input), so a cached loader stands in for it (0.05 us).

No web imports; app/compression/registry.py lists these codecs beside the standard ones.
"""

from __future__ import annotations

import importlib
from functools import cache
from types import ModuleType

from app.compression.codec import Codec, MiB


@cache
def binding(module: str) -> ModuleType:
    """The binding's module, imported on the first call."""
    return importlib.import_module(module)


# lz4 as its CLI writes a frame (lz4io.c's defaults, lz4 1.9.4 and 1.10): independent 4 MB
# blocks, a content checksum, no block checksums, no content size. With these the bytes equal
# `lz4 -N` (tests/compression/test_native_codecs.py runs Debian's lz4 to check). The CLI's
# level N is the frame's compressionLevel N: fast mode below 3 (1 and 2 are the same, as in the
# CLI), LZ4 HC from 3 to 12 (LZ4HC_CLEVEL_MIN is 3).
LZ4_FRAME_OPTIONS = {
    "block_linked": False,
    "content_checksum": True,
    "block_checksum": False,
    "store_size": False,
}


def _lz4_compress(data: bytes, level: int) -> bytes:
    frame = binding("lz4.frame")
    compressed: bytes = frame.compress(
        data, compression_level=level, block_size=frame.BLOCKSIZE_MAX4MB, **LZ4_FRAME_OPTIONS
    )
    return compressed


def _lz4_decompress(data: bytes) -> bytes:
    restored: bytes = binding("lz4.frame").decompress(data)
    return restored


def _snappy_compress(data: bytes, level: int) -> bytes:
    # One level: the C API (snappy-c.h) takes none; what Parquet and Kafka call.
    compressed: bytes = binding("pysnappy").compress(data)
    return compressed


def _snappy_decompress(data: bytes) -> bytes:
    restored: bytes = binding("pysnappy").decompress(data)
    return restored


def _libdeflate_compress(data: bytes, level: int) -> bytes:
    # The binding returns a bytearray; bytes() copies it (0.1 ms a MiB here), as the
    # standard gzip module joins its header, body and trailer.
    return bytes(binding("deflate").gzip_compress(data, level))


def _libdeflate_decompress(data: bytes) -> bytes:
    # libdeflate's own gzip decoder; the size comes from the trailer (RFC 1952's ISIZE).
    return bytes(binding("deflate").gzip_decompress(data))


# Working memory, fitted as for the registry's codecs: the growth of VmHWM beyond the output in
# a fresh process compressing Python source once (bench/bench_codec_memory.py prints these
# beside the estimates; largest of three processes). lz4 and snappy: 0.3 MB at 1 MiB, 1.4 MB at
# 4 MiB, 2.7 MB at 8 MiB (the bound-sized output buffer, of which the written part is touched,
# and a 16-64 KiB hash table). libdeflate: its bytearray output and the bytes() copy live at
# once, 1.0 MB at 4 MiB and 1.9 MB at 8 MiB for levels 1-9; 10-12 add near-optimal parsing's
# match cache and binary trees: 1.1 MB at 64 KiB, 3.3 MB at 1 MiB, 4.9 MB at 4 and 8 MiB.


def _lz4_snappy_memory(level: int, size: int) -> int:
    return MiB // 4 + int(0.35 * size)


def _libdeflate_memory(level: int, size: int) -> int:
    return (MiB // 2 if level <= 9 else 4 * MiB) + size // 2


LZ4 = Codec(
    name="lz4",
    min_level=1,
    max_level=12,
    default_level=1,  # the lz4 CLI's default
    spread=(1, 9, 12),  # 9: the CLI's -9, what lzbench lists as lz4hc's default
    default_run=(1,),
    media_type="application/octet-stream",
    extension=".lz4",
    compress=_lz4_compress,
    decompress=_lz4_decompress,
    description="LZ4 frame, as the lz4 CLI writes it (4 MB blocks, content checksum); "
    "levels 1-12, HC from 3",
    compress_memory=_lz4_snappy_memory,
)

SNAPPY = Codec(
    name="snappy",
    min_level=1,
    max_level=1,
    default_level=1,
    spread=(1,),
    default_run=(1,),
    media_type="application/octet-stream",
    extension=".snappy",
    compress=_snappy_compress,
    decompress=_snappy_decompress,
    description="Snappy raw block format (no framing), as Parquet and Kafka use it; one level",
    compress_memory=_lz4_snappy_memory,
)

LIBDEFLATE = Codec(
    name="libdeflate",
    min_level=1,
    max_level=12,
    default_level=6,  # libdeflate-gzip's default
    spread=(1, 6, 12),
    default_run=(1,),
    media_type="application/gzip",
    extension=".gz",
    compress=_libdeflate_compress,
    decompress=_libdeflate_decompress,
    description="gzip (RFC 1952) written by libdeflate, levels 1-12; any gzip decoder reads it",
    compress_memory=_libdeflate_memory,
)

NATIVE_CODECS = (LZ4, SNAPPY, LIBDEFLATE)
