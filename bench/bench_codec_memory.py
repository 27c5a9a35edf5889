"""The codecs' working memory, measured, against the estimates the scheduler plans with.

For each codec and level, a fresh process compresses the first N bytes of Python source
(tests/corpora.py) once: the growth of its VmHWM during that call, less the output's size
(job_memory counts the output apart), is what the codec's own state touched. The peak is reset
(`/proc/self/clear_refs` 5) after the input is built and a 1 kB warm-up call, so neither the
corpus's assembly nor the binding's import counts. The estimate (`Codec.compress_memory`) must
be at or above the measurement at every size up to 4 MiB; 8 MiB shows the trend beyond.

Usage: bench/run_all.py codec_memory, or bench/bench_codec_memory.py [CODEC ...] (default: the
codecs bound from C libraries, app/compression/native_codecs.py).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from corpora import MiB
from timing import markdown_table

from app.compression.native_codecs import NATIVE_CODECS
from app.compression.registry import CODECS

PROJECT = Path(__file__).resolve().parents[1]
SIZES = (64 * 1024, 256 * 1024, MiB, 4 * MiB, 8 * MiB)
ROUNDS = 3  # the largest growth of three fresh processes: a peak can only be missed, not faked

_CHILD = """
import sys
sys.path[:0] = {paths!r}
from corpora import python_source
from app.compression.registry import CODECS

def peak() -> int:
    with open("/proc/self/status") as status:
        return int(next(l for l in status if l.startswith("VmHWM:")).split()[1]) * 1024

codec, level, size = CODECS[sys.argv[1]], int(sys.argv[2]), int(sys.argv[3])
data = python_source(size)
codec.compress(data[:1000], level)
with open("/proc/self/clear_refs", "w") as clear:
    clear.write("5")
before = peak()
output = codec.compress(data, level)
print(peak() - before - len(output))
"""


def measured_bytes(codec: str, level: int, size: int) -> int:
    script = _CHILD.format(paths=[str(PROJECT), str(PROJECT / "tests")])
    growths = [
        int(
            subprocess.run(
                [sys.executable, "-c", script, codec, str(level), str(size)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        for _ in range(ROUNDS)
    ]
    return max(growths)


def run(names: list[str] | None = None) -> str:
    chosen = names or [codec.name for codec in NATIVE_CODECS]
    rows = []
    for name in chosen:
        codec = CODECS[name]
        for level in codec.spread:
            cells = [name, str(level)]
            for size in SIZES:
                measured = measured_bytes(name, level, size) / MiB
                estimate = codec.compress_memory(level, size) / MiB
                cells.append(f"{max(measured, 0):.2f} / {estimate:.2f}")
            rows.append(cells)
    headers = ["codec", "level", *(f"{s // 1024:,} KiB" for s in SIZES)]
    table = markdown_table(headers, rows)
    return (
        "### Codec working memory, MiB: measured (largest of "
        f"{ROUNDS} fresh processes) / estimated\n\n{table}"
    )


if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    sys.path[:0] = [str(here.parent), str(here.parent / "tests")]
    print(run(sys.argv[1:]))
