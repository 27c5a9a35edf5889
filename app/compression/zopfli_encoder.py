"""HTTP's deflate and gzip bodies with a zopfli-made deflate stream: standard formats, fewer bytes.

zopfli searches far harder than zlib for the same DEFLATE format (RFC 1951), so any inflater
reads its output. On TinySite's four pages at 15 iterations it saves 24 to 42 bytes a page over
zlib level 9 (the home page: 1,443 → 1,419), about 14 ms a page to make; 100 iterations saved
at most 2 bytes more for four times the time, so the default stays.

One deflate stream serves both codings: it is written once and wrapped here in the zlib
container (RFC 1950, what HTTP calls `deflate`) and in the gzip one (RFC 1952). zopfli is a
build-time tool (the `dev` extra; deploy/build_artifact.py installs it beside the build): the
Lambda artifact ships the bodies, not the encoder. `zopfli_available()` says whether this
process can make them; app/tinysite/encoded_bodies.py falls back to zlib level 9 when it cannot.
"""

from __future__ import annotations

import importlib.metadata
import struct
import zlib
from types import ModuleType

ITERATIONS = 15
# RFC 1950 §2.2: CMF 0x78 (deflate, 32 KiB window), FLG 0xDA (level "maximum", check bits).
ZLIB_HEADER = b"\x78\xda"
# RFC 1952 §2.3: ID1 ID2, CM=8 (deflate), FLG=0, MTIME=0 (the same bytes on every build),
# XFL=2 (slowest algorithm), OS=255 (unknown: the body does not depend on the build machine).
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"


def _zopfli() -> ModuleType | None:
    try:
        import zopfli.zopfli
    except ImportError:
        return None
    module: ModuleType = zopfli.zopfli
    return module


def zopfli_available() -> bool:
    """True when the zopfli package can be imported here."""
    return _zopfli() is not None


def zopfli_version() -> str:
    """The installed zopfli package's version; raises PackageNotFoundError when it is absent."""
    return importlib.metadata.version("zopfli")


def raw_deflate(data: bytes, iterations: int = ITERATIONS) -> bytes:
    """`data` as a raw DEFLATE stream (RFC 1951) written by zopfli.

    Raises RuntimeError when zopfli is not installed.
    """
    module = _zopfli()
    if module is None:
        raise RuntimeError("zopfli is not installed (pip install zopfli)")
    zlib_stream: bytes = module.compress(data, numiterations=iterations)
    # zopfli's zlib output: 2-byte header, the deflate stream, 4-byte Adler-32.
    return zlib_stream[2:-4]


def zlib_body(deflate_stream: bytes, data: bytes) -> bytes:
    """The zlib container (RFC 1950) around `deflate_stream`, which must decode to `data`."""
    return ZLIB_HEADER + deflate_stream + struct.pack(">I", zlib.adler32(data))


def gzip_body(deflate_stream: bytes, data: bytes) -> bytes:
    """The gzip member (RFC 1952) around `deflate_stream`, which must decode to `data`."""
    trailer = struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)
    return GZIP_HEADER + deflate_stream + trailer


def zopfli_body(codec: str, data: bytes, iterations: int = ITERATIONS) -> bytes:
    """`data` as an HTTP `deflate` (codec "deflate") or `gzip` (codec "gzip") body by zopfli.

    Raises KeyError for another codec and RuntimeError when zopfli is not installed.
    """
    wrap = {"deflate": zlib_body, "gzip": gzip_body}[codec]
    return wrap(raw_deflate(data, iterations), data)
