"""Sample inputs for the CompressTest tests and benchmark: real data, deterministic.

Text is the running interpreter's own standard library sources, concatenated in path order, so
it is real code and prose, the same bytes on every run, and needs no download.
"""

from __future__ import annotations

import gzip
import random
import sysconfig
from collections.abc import Callable
from functools import cache
from pathlib import Path

MiB = 1024 * 1024


@cache
def python_source(size: int) -> bytes:
    """The first `size` bytes of the standard library's .py files, concatenated by path."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    collected = bytearray()
    for path in sorted(stdlib.rglob("*.py")):
        if "site-packages" in path.parts:
            continue
        collected += path.read_bytes()
        if len(collected) >= size:
            return bytes(collected[:size])
    raise ValueError(f"the standard library has fewer than {size} bytes of Python source")


@cache
def already_gzipped(size: int = 64 * 1024) -> bytes:
    """An already-compressed file: a .gz of Python source (what people upload by mistake)."""
    return gzip.compress(python_source(size), 9, mtime=0)


@cache
def incompressible(size: int) -> bytes:
    """Seeded pseudo-random bytes: no codec can shrink them."""
    return random.Random(20261123).randbytes(size)


SMALL_SAMPLES: dict[str, Callable[[], bytes]] = {
    "python-source": lambda: python_source(48 * 1024),
    "gzip-file": already_gzipped,
    "random-bytes": lambda: incompressible(32 * 1024),
    "empty": lambda: b"",
    "one-byte": lambda: b"x",
}
