"""Sample inputs for the CompressTest tests and benchmark: real data, deterministic.

Text is the running interpreter's own standard library sources, concatenated in path order, so
it is real code and prose, the same bytes on every run, and needs no download.
"""

from __future__ import annotations

import gzip
import json
import random
import sysconfig
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

MiB = 1024 * 1024


def _python_files(folder: Path) -> Iterator[Path]:
    """The .py files under `folder` but outside site-packages, in path order (the order of
    sorted(folder.rglob("*.py"))), walked lazily: a caller that needs a few KiB of the standard
    library reads a few files, not its 90,000 entries (0.6 s a call at collection, sorted)."""
    for entry in sorted(folder.iterdir()):
        if entry.is_dir() and not entry.is_symlink():
            if entry.name != "site-packages":
                yield from _python_files(entry)
        elif entry.suffix == ".py" and entry.is_file():
            yield entry


@cache
def python_source(size: int) -> bytes:
    """The first `size` bytes of the standard library's .py files, concatenated by path."""
    collected = bytearray()
    for path in _python_files(Path(sysconfig.get_paths()["stdlib"])):
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


@cache
def json_api_response(size: int = 12_000) -> bytes:
    """A paginated JSON API response of about `size` bytes (at least): seeded records of
    users, the payload people most often want to compress."""
    rng = random.Random(20261201)
    names = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"]
    records: list[dict[str, object]] = []
    while True:
        name = rng.choice(names)
        records.append(
            {
                "id": rng.randrange(10**6),
                "name": f"{name.title()} {rng.choice(names).title()}son",
                "email": f"{name}{rng.randrange(1000)}@example.com",
                "active": rng.random() < 0.7,
                "score": round(rng.random() * 100, 2),
                "tags": rng.sample(["admin", "beta", "billing", "ops", "sales", "support"], 2),
                "created_at": f"2026-{rng.randrange(1, 13):02}-{rng.randrange(1, 29):02}T"
                f"{rng.randrange(24):02}:{rng.randrange(60):02}:00Z",
            }
        )
        body = {"data": records, "page": 1, "per_page": len(records), "total": 4821}
        text = json.dumps(body, indent=2).encode()
        if len(text) >= size:
            return text
