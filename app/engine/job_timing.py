"""How long one job takes: each phase timed once, or as lzbench does, the fastest of many runs,
with the median of those runs beside it to show their spread.

Guarantees: `measure` calls the codec's own functions, unchanged, so the size it reports is
exactly the one-shot call's; `verified` compares the restored bytes with the input byte for
byte; at most two extra copies of the input live at once. `speeds_tie` is the rule the CLI, the
results page and app.js apply to say two speeds are equal within the noise. No web imports.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from app.compression.codec import Codec

# Repetition. A run of microseconds measures the timer and the scheduler as much as the codec;
# the fastest of many runs is the one least disturbed. 20 ms a phase keeps the default 20 jobs
# on a small input near 0.8 s one at a time (the target: each request at most 1.5 s on one
# vCPU); bench/bench_spread.py measures the spread between identical requests it gives. The cap
# ends a phase early when runs take microseconds (1,000 runs of a 1-byte input: 1 ms), where
# more runs no longer lower the fastest one. The minimum counts CPU time, not wall time: a run
# of microseconds held up 20 ms by other work would otherwise end its phase as the only, and so
# the "fastest", run (measured: one 12 KB request's deflate 1 decompression came out 2,239 x
# slower than another's). A phase still ends after MAX_PHASE_WALL_SECONDS on a starved CPU.
MIN_PHASE_SECONDS = 0.02
MAX_REPEATS = 1000
MAX_PHASE_WALL_SECONDS = 5 * MIN_PHASE_SECONDS
# Above this, each phase runs once: even the fastest phase of the default jobs (zstd
# decompressing, about 1 GB/s here) then takes a millisecond or more, hundreds of timer
# resolutions and scheduler ticks, and repeating the fast phases of a 4 MiB input would add
# their minimum time to a schedule that must stay within 1.10 x its floor.
REPEAT_MAX_INPUT_BYTES = 1024 * 1024


@dataclass(frozen=True)
class JobResult:
    """One job's measurements: each time is that of the phase's fastest run.

    A run's time is its wall time, or its CPU time if that is smaller (other work held it up).
    MB/s are of the original bytes (10^6 bytes a second), both ways, from those times;
    `compress_cpu_ms` is the CPU time of the fastest compression. `repeats` and
    `decompress_repeats` count the runs of each phase the fastest was taken from, and
    `compress_ms_median` and `decompress_ms_median` are the medians of those runs (equal to the
    fastest for a phase run once): the spread beside the fastest (`speeds_tie`).
    """

    codec: str
    level: int
    size: int
    ratio: float
    saving: float | None
    compress_ms: float
    compress_cpu_ms: float
    compress_mbps: float
    decompress_ms: float
    decompress_mbps: float
    verified: bool
    repeats: int
    decompress_repeats: int
    compress_ms_median: float
    decompress_ms_median: float


def ratio_of(original_size: int, compressed_size: int) -> float:
    """Original ÷ compressed (4.48 means 4.48 times smaller); 0.0 for an empty input."""
    return original_size / compressed_size if compressed_size else 0.0


def saving_of(original_size: int, compressed_size: int) -> float | None:
    """Percent of the original saved (negative when the output is larger); None if empty."""
    if original_size == 0:
        return None
    return 100.0 * (1.0 - compressed_size / original_size)


def _megabytes_per_second(size: int, seconds: float) -> float:
    return size / 1e6 / seconds if seconds > 0 else 0.0


@dataclass(frozen=True)
class _Fastest:
    """A phase's fastest run: its time and CPU time in seconds, the median time of all its runs,
    how many runs, the last output."""

    seconds: float
    cpu_seconds: float
    median_seconds: float
    runs: int
    output: bytes


def _median(values: list[float]) -> float:
    # Not statistics.median: its import (fractions, decimal) costs milliseconds of cold start.
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _fastest_run(run: Callable[[], bytes], repeat: bool) -> _Fastest:
    """Run `run` once, or while `repeat` until its runs took MIN_PHASE_SECONDS of CPU time,
    MAX_REPEATS runs were made or MAX_PHASE_WALL_SECONDS passed: the fastest run.

    The CPU clock is read outside the wall-clock window: reading it is a system call (0.8 us
    here), ten times perf_counter's cost, and would weigh on runs of microseconds.
    """
    best_seconds = best_cpu_seconds = float("inf")
    runs = 0
    # Every run's time, for the median: at most MAX_REPEATS floats (8 kB).
    times: list[float] = []
    phase_cpu_seconds = 0.0
    phase_started = time.perf_counter()
    while True:
        cpu_started = time.thread_time()
        started = time.perf_counter()
        output = run()
        ended = time.perf_counter()
        cpu_seconds = time.thread_time() - cpu_started
        runs += 1
        phase_cpu_seconds += cpu_seconds
        # The run's time on the CPU: its wall time, unless other work held it up (then its CPU
        # time is the smaller). Wall time is the finer clock for runs of microseconds (the CPU
        # clock's own system call adds about 1 us); CPU time keeps a single long run, such as
        # brotli 11 on 12 KB, from counting time it spent waiting: measured over six identical
        # requests on this shared machine, its worst spread was 16.6 x by wall time and at most
        # 2.3 x by CPU time (bench/bench_spread.py).
        # A CPU time of zero (seen once, in a bench/bench_spread.py run under load; not
        # reproduced in five requests' worth of runs since) is a glitch, not a run that took no
        # time: then the wall time stands.
        seconds = min(ended - started, cpu_seconds) if cpu_seconds > 0 else ended - started
        times.append(seconds)
        if seconds < best_seconds:
            best_seconds, best_cpu_seconds = seconds, cpu_seconds
        if (
            not repeat
            or runs >= MAX_REPEATS
            or phase_cpu_seconds >= MIN_PHASE_SECONDS
            or ended - phase_started >= MAX_PHASE_WALL_SECONDS
        ):
            median = _median(times)
            return _Fastest(best_seconds, best_cpu_seconds, median, runs, output)
        del output  # at most two outputs alive at once: the last one and the one being made


def measure(codec: Codec, level: int, data: bytes, *, repeat: bool = False) -> JobResult:
    """Compress `data`, then decompress the result, each phase once or (`repeat`) repeatedly;
    time the fastest run of each. At most two extra copies of `data` live at once."""
    compressed = _fastest_run(lambda: codec.compress(data, level), repeat)
    decompressed = _fastest_run(lambda: codec.decompress(compressed.output), repeat)
    verified = decompressed.output == data
    size = len(compressed.output)
    return JobResult(
        codec=codec.name,
        level=level,
        size=size,
        ratio=ratio_of(len(data), size),
        saving=saving_of(len(data), size),
        compress_ms=compressed.seconds * 1000,
        compress_cpu_ms=compressed.cpu_seconds * 1000,
        compress_mbps=_megabytes_per_second(len(data), compressed.seconds),
        decompress_ms=decompressed.seconds * 1000,
        decompress_mbps=_megabytes_per_second(len(data), decompressed.seconds),
        verified=verified,
        repeats=compressed.runs,
        decompress_repeats=decompressed.runs,
        compress_ms_median=compressed.median_seconds * 1000,
        decompress_ms_median=decompressed.median_seconds * 1000,
    )


def speeds_tie(
    fastest_ms: float, median_ms: float, other_fastest_ms: float, other_median_ms: float
) -> bool:
    """Whether two timings of a phase are equal within the noise of their own runs.

    Each timing spans its fastest run to its median run; they tie when the spans overlap, that
    is when each one's fastest run is no slower than the other's median run. Half the runs of
    each were then at least as slow as the other's best: which one is faster is the machine's
    noise, not the codec's. A phase run once (an input over REPEAT_MAX_INPUT_BYTES) spans a
    point, and ties only an equal time.
    """
    return fastest_ms <= other_median_ms and other_fastest_ms <= median_ms


Phase = Literal["compress", "decompress"]


def phase_ties(result: JobResult, other: JobResult, phase: Phase) -> bool:
    """`speeds_tie` for one phase of two results."""
    if phase == "compress":
        return speeds_tie(
            result.compress_ms,
            result.compress_ms_median,
            other.compress_ms,
            other.compress_ms_median,
        )
    return speeds_tie(
        result.decompress_ms,
        result.decompress_ms_median,
        other.decompress_ms,
        other.decompress_ms_median,
    )
