"""Shared measuring and printing for the benchmarks: percentiles, ratios, Markdown tables.

Figures are reported as ratios against a baseline measured in the same run, because this
machine is noisy: absolute microseconds drift between runs, ratios hold.
"""

from __future__ import annotations

import gc
import logging
import os
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Timings:
    """Per-call wall times in microseconds."""

    samples_us: list[float]

    @property
    def median_us(self) -> float:
        return statistics.median(self.samples_us)

    @property
    def p99_us(self) -> float:
        ordered = sorted(self.samples_us)
        return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def time_calls(call: Callable[[], object], calls: int, warmup: int = 200) -> Timings:
    """Time `calls` sequential calls of `call` after `warmup` untimed ones, GC paused."""
    for _ in range(warmup):
        call()
    samples = []
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(calls):
            started = time.perf_counter_ns()
            call()
            samples.append((time.perf_counter_ns() - started) / 1000)
    finally:
        if gc_was_enabled:
            gc.enable()
    return Timings(samples)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table with columns padded to line up in a terminal too."""
    cells = [[str(c) for c in header], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


@contextmanager
def request_log_to_devnull() -> Iterator[None]:
    """Keep the app logging as on Lambda (one JSON line per request), but into /dev/null.

    The formatting and writing stay in the measured path; only the table stays readable.
    The original streams come back afterwards, so benchmarks can run one after another.
    """
    handlers = [
        h for h in logging.getLogger("app").handlers if isinstance(h, logging.StreamHandler)
    ]
    with open(os.devnull, "w") as devnull:
        originals = [h.setStream(devnull) for h in handlers]
        try:
            yield
        finally:
            for handler, original in zip(handlers, originals, strict=True):
                handler.setStream(original)
