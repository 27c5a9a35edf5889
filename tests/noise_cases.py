"""Synthetic timings for the tie rule: the same cases for Python (app/engine/job_timing.py) and
for the browser (app.js), so both sides are held to one rule.

RESULTS is a report's results with chosen times (input 1,000,000 bytes, so MB/s = 1000 / ms).
By size: zstd 1, brotli 1, lz4 1, snappy 1. In that order, lz4's compress speed ties with
brotli's above it, and snappy's with lz4's; no decompress speed ties. On the chart's Pareto
front (zstd, brotli, lz4), lz4 is there only by noise: brotli compresses smaller and is as fast
within the noise.
"""

from __future__ import annotations

from typing import Any

INPUT_SIZE = 1_000_000


def result(
    codec: str, size: int, compress: tuple[float, float], decompress: tuple[float, float]
) -> dict[str, Any]:
    return {
        "codec": codec,
        "level": 1,
        "size": size,
        "ratio": INPUT_SIZE / size,
        "saving": 100 * (1 - size / INPUT_SIZE),
        "compress_ms": compress[0],
        "compress_ms_median": compress[1],
        "compress_cpu_ms": compress[0],
        "compress_mbps": INPUT_SIZE / 1e6 / (compress[0] / 1000),
        "decompress_ms": decompress[0],
        "decompress_ms_median": decompress[1],
        "decompress_mbps": INPUT_SIZE / 1e6 / (decompress[0] / 1000),
        "verified": True,
        "repeats": 9,
        "decompress_repeats": 9,
    }


RESULTS = [
    result("zstd", 90_000, (2.0, 2.1), (0.3, 0.31)),
    result("brotli", 95_000, (1.3, 1.6), (0.7, 0.75)),
    result("lz4", 100_000, (1.0, 1.4), (0.5, 0.6)),
    result("snappy", 110_000, (1.2, 1.5), (0.8, 0.9)),
]
# (codec, column) of every speed marked as tied with the row above, in size order.
TIED_BY_SIZE = {("lz4", "compress_mbps"), ("snappy", "compress_mbps")}
TIED_ON_THE_CHART = {"lz4"}

# (fastest, median) of a, of b, and whether they tie.
PAIRS = [
    ((1.0, 1.4), (1.2, 1.5), True),
    ((1.0, 1.1), (1.2, 1.5), False),
    ((1.0, 1.2), (1.2, 1.5), True),
    ((1.0, 3.0), (1.5, 1.6), True),
    ((2.0, 2.0), (2.0, 2.0), True),
    ((2.0, 2.0), (2.1, 2.1), False),
]


def report(results: list[dict[str, Any]] = RESULTS) -> dict[str, Any]:
    return {
        "input": {"filename": "synthetic.txt", "size": INPUT_SIZE, "sha256": "0" * 64},
        "dictionary": None,
        "results": results,
        "skipped": [],
        "elapsed_ms": 100.0,
        "budget_ms": 20000.0,
        "workers": 1,
    }
