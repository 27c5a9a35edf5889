"""dcz against zstd on a next version and its previous one: sizes per level, and step costs.

The previous version is 2 MiB of Python source; the next one is the same with one line in 32
replaced and 4 KiB appended. Sizes are exact. Times are medians of CALLS calls, divided by the
median of decoding the next version with plain zstd, measured in the same run. The rows
"SHA-256 of the dictionary" and "prepare the dictionary" are why the benchmark's dcz codec
does both once per request (and per level) before anything is timed, as a server would.
"""

from __future__ import annotations

import zstandard
from corpora import python_source
from timing import markdown_table, time_calls

from app.compression.dictionary_codec import dcz_codec
from app.compression.dictionary_transport import dictionary_hash
from app.compression.registry import CODECS

CALLS = 20
TIMED_LEVEL = 3
SIZE_LEVELS = (1, 3, 9, 19)


def two_versions() -> tuple[bytes, bytes]:
    previous = python_source(2 * 1024 * 1024)
    lines = previous.split(b"\n")
    for index in range(0, len(lines), 32):
        lines[index] = b"# changed in the next version"
    return previous, b"\n".join(lines) + python_source(4096)


def sizes_table(previous: bytes, current: bytes) -> str:
    zstd, dcz = CODECS["zstd"], dcz_codec(previous)
    rows = []
    for level in SIZE_LEVELS:
        plain, delta = len(zstd.compress(current, level)), len(dcz.compress(current, level))
        rows.append([level, f"{plain:,}", f"{delta:,}", f"{plain / delta:.1f}"])
    return markdown_table(["level", "zstd bytes", "dcz bytes", "zstd ÷ dcz"], rows)


def timings_table(previous: bytes, current: bytes) -> str:
    zstd, dcz = CODECS["zstd"], dcz_codec(previous)
    zstd_body = zstd.compress(current, TIMED_LEVEL)
    dcz_body = dcz.compress(current, TIMED_LEVEL)

    def prepare(level: int) -> None:
        tables = zstandard.ZstdCompressionDict(previous, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
        tables.precompute_compress(level=level)

    steps = [
        ("zstd decompress (baseline)", lambda: zstd.decompress(zstd_body)),
        ("prepare the 2 MiB dictionary for level 3", lambda: prepare(3)),
        ("prepare the 2 MiB dictionary for level 19", lambda: prepare(19)),
        ("dcz decompress, digest prepared once", lambda: dcz.decompress(dcz_body)),
        ("SHA-256 of the 2 MiB dictionary", lambda: dictionary_hash(previous)),
        ("zstd compress", lambda: zstd.compress(current, TIMED_LEVEL)),
        ("dcz compress, dictionary prepared", lambda: dcz.compress(current, TIMED_LEVEL)),
    ]
    timings = [(label, time_calls(call, CALLS, warmup=3)) for label, call in steps]
    baseline = timings[0][1].median_us
    rows = [
        [label, f"{t.median_us / 1000:.2f}", f"{t.median_us / baseline:.2f}"]
        for label, t in timings
    ]
    return markdown_table(["step", "median ms", "× zstd decompress"], rows)


def run() -> str:
    previous, current = two_versions()
    return "\n".join(
        [
            f"### dcz against zstd: {len(current):,} bytes, previous version "
            f"{len(previous):,} bytes",
            "",
            sizes_table(previous, current),
            "",
            f"At level {TIMED_LEVEL}, {CALLS} calls each:",
            "",
            timings_table(previous, current),
        ]
    )


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path[:0] = [str(Path(__file__).resolve().parent.parent / "tests")]
    print(run())
