"""The benchmark engine: every (codec, level) job over the same bytes, in threads, within a budget.

Guarantees:
- each result's size is exactly `codec.compress(data, level)`'s, and `verified` says the
  decompressed bytes equal the input byte for byte;
- `benchmark` returns before `budget.deadline`: a job expected not to finish in time is not
  started, and one still running at the deadline is abandoned (its thread finishes unobserved);
  both are listed under `skipped` with the reason;
- the jobs running at once together expect to need at most the memory budget (`job_memory`):
  a heavy job waits while lighter ones keep the other workers busy, and a job that would need
  more than the whole budget on its own is skipped with the reason.
No web imports; the routes and the CLI shape the returned dataclasses.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from app.algorithms import Codec
from app.config import settings

Job = tuple[Codec, int]

# Estimates come from compressing the first CALIBRATION_BYTES and scaling linearly. On 4 MiB of
# Python source that scaling was off by 0.64x (brotli 11, zstd 19: their work per byte grows
# with the window in use) to 1.8x (xz 9, whose fixed set-up cost dominates a small slice); hence
# the safety factor before a job is started. A job that still overruns is abandoned at the
# deadline, so the factor only trades skipped jobs against wasted ones.
CALIBRATION_BYTES = 64 * 1024
ESTIMATE_SAFETY_FACTOR = 1.5


def job_memory(codec: Codec, level: int, size: int) -> int:
    """Bytes a job is expected to need beyond the input: the larger of its two phases.

    Compressing: the compressor's state plus the output (at most about the input's size).
    Decompressing: the compressed bytes, the decompressor's window and the restored copy, which
    Python's output buffer joins from blocks at the end (two copies at once): about 3 x size,
    as measured for the zlib codecs, bz2 and brotli at levels 1-9 on 4 MiB (2.1-3.3 x).
    """
    return max(codec.compress_memory(level, size) + size, 3 * size)


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.0f} MB"


class _MemoryGate:
    """The memory budget shared by the jobs running at once: reserve before, release after."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_use = 0
        self._changed = threading.Condition()

    def try_reserve(self, size: int) -> bool:
        with self._changed:
            if self.in_use + size > self.limit:
                return False
            self.in_use += size
            return True

    def reserve(self, size: int) -> None:
        """Wait until `size` fits (it must fit the whole budget), then take it."""
        with self._changed:
            self._changed.wait_for(lambda: self.in_use + size <= self.limit)
            self.in_use += size

    def release(self, size: int) -> None:
        with self._changed:
            self.in_use -= size
            self._changed.notify_all()


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask; on Lambda it follows the memory size)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no affinity masks
        return os.cpu_count() or 1


class Budget:
    """A deadline on the monotonic clock, `seconds` from when it was made."""

    def __init__(self, seconds: float) -> None:
        self.seconds = max(0.0, seconds)
        self.started = time.monotonic()
        self.deadline = self.started + self.seconds

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())


@dataclass(frozen=True)
class InputSummary:
    filename: str | None
    size: int
    sha256: str


@dataclass(frozen=True)
class JobResult:
    """One job's measurements. MB/s are of the original bytes (10^6 bytes a second), both ways."""

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


@dataclass(frozen=True)
class SkippedJob:
    codec: str
    level: int
    reason: str


@dataclass(frozen=True)
class Report:
    input: InputSummary
    results: list[JobResult] = field(default_factory=list)
    skipped: list[SkippedJob] = field(default_factory=list)
    elapsed_ms: float = 0.0
    budget_ms: float = 0.0


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


def measure(codec: Codec, level: int, data: bytes) -> JobResult:
    """Compress and decompress `data` once, timing both; at most two extra copies live at once."""
    started_cpu = time.thread_time()
    started = time.perf_counter()
    compressed = codec.compress(data, level)
    compress_seconds = time.perf_counter() - started
    compress_cpu_seconds = time.thread_time() - started_cpu
    started = time.perf_counter()
    restored = codec.decompress(compressed)
    decompress_seconds = time.perf_counter() - started
    verified = restored == data
    del restored
    size = len(compressed)
    return JobResult(
        codec=codec.name,
        level=level,
        size=size,
        ratio=ratio_of(len(data), size),
        saving=saving_of(len(data), size),
        compress_ms=compress_seconds * 1000,
        compress_cpu_ms=compress_cpu_seconds * 1000,
        compress_mbps=_megabytes_per_second(len(data), compress_seconds),
        decompress_ms=decompress_seconds * 1000,
        decompress_mbps=_megabytes_per_second(len(data), decompress_seconds),
        verified=verified,
    )


def _calibrate(codec: Codec, level: int, data: bytes, gate: _MemoryGate) -> float:
    """Expected seconds for the whole job, scaled from the first CALIBRATION_BYTES."""
    sample = data[:CALIBRATION_BYTES]
    memory = job_memory(codec, level, len(sample))
    gate.reserve(memory)
    try:
        started = time.perf_counter()
        codec.decompress(codec.compress(sample, level))
        seconds = time.perf_counter() - started
    finally:
        gate.release(memory)
    return seconds * len(data) / len(sample) if sample else seconds


def _format_seconds(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 0.1 else f"{seconds * 1000:.0f} ms"


ProgressCallback = Callable[[int, int], None]


def benchmark(
    data: bytes,
    jobs: Sequence[Job],
    budget: Budget,
    *,
    filename: str | None = None,
    workers: int | None = None,
    memory_budget: int | None = None,
    on_progress: ProgressCallback | None = None,
) -> Report:
    """Run `jobs` over `data` on a pool of `workers` threads (default: the CPUs available).

    Longest expected job first (a list schedule that ends close to max(longest job, total /
    workers)), among the jobs whose `job_memory` fits what `memory_budget` bytes (default:
    settings.memory_budget_mb) leave beside the jobs already running. Blocks until done or until
    the budget's deadline; call it off the event loop. `on_progress(finished, total)` is called
    from this thread as jobs end or are skipped.
    """
    started = time.perf_counter()
    if memory_budget is None:
        memory_budget = int(settings.memory_budget_mb * 1e6)
    run = _Run(
        data=data,
        jobs=list(dict.fromkeys(jobs)),
        budget=budget,
        workers=workers or available_cpus(),
        memory=_MemoryGate(memory_budget),
        on_progress=on_progress,
    )
    pool = ThreadPoolExecutor(max_workers=run.workers, thread_name_prefix="codec")
    try:
        run.execute(pool)
    finally:
        # Threads still running past the deadline are left to finish on their own.
        pool.shutdown(wait=False, cancel_futures=True)
    run.results.sort(key=lambda r: (r.size, r.codec, r.level))
    return Report(
        input=InputSummary(filename, len(data), hashlib.sha256(data).hexdigest()),
        results=run.results,
        skipped=run.skipped,
        elapsed_ms=(time.perf_counter() - started) * 1000,
        budget_ms=budget.seconds * 1000,
    )


@dataclass
class _Run:
    """The state of one benchmark while it runs: what is done, skipped and still to do."""

    data: bytes
    jobs: list[Job]
    budget: Budget
    workers: int
    memory: _MemoryGate
    on_progress: ProgressCallback | None
    results: list[JobResult] = field(default_factory=list)
    skipped: list[SkippedJob] = field(default_factory=list)

    def execute(self, pool: ThreadPoolExecutor) -> None:
        memory = {job: job_memory(job[0], job[1], len(self.data)) for job in self.jobs}
        fitting = []
        for job in self.jobs:
            if memory[job] > self.memory.limit:
                self._skip(
                    job,
                    f"needs about {_megabytes(memory[job])} of working memory; the memory "
                    f"budget is {_megabytes(self.memory.limit)}",
                )
            else:
                fitting.append(job)
        estimates = self._estimate_all(pool, fitting)
        self._run_longest_first(pool, estimates, memory)

    def _skip(self, job: Job, reason: str) -> None:
        self.skipped.append(SkippedJob(job[0].name, job[1], reason))
        self._report_progress()

    def _report_progress(self) -> None:
        if self.on_progress is not None:
            self.on_progress(len(self.results) + len(self.skipped), len(self.jobs))

    def _estimate_all(self, pool: ThreadPoolExecutor, jobs: list[Job]) -> dict[Job, float]:
        """Calibrate every job in parallel; one whose calibration misses the deadline is skipped."""
        futures = {
            job: pool.submit(_calibrate, job[0], job[1], self.data, self.memory) for job in jobs
        }
        wait(futures.values(), timeout=self.budget.remaining())
        estimates: dict[Job, float] = {}
        for job, future in futures.items():
            if not future.done():
                future.cancel()
                self._skip(job, "the budget ran out while estimating its time")
            elif future.exception() is not None:
                self._skip(job, f"failed: {future.exception()!r}")
            else:
                estimates[job] = future.result()
        return estimates

    def _next_fitting(self, pending: list[Job], memory: dict[Job, int]) -> Job | None:
        """The longest expected pending job whose memory fits now (reserved), if any."""
        for index, job in enumerate(pending):
            if self.memory.try_reserve(memory[job]):
                return pending.pop(index)
        return None

    def _run_longest_first(
        self, pool: ThreadPoolExecutor, estimates: dict[Job, float], memory: dict[Job, int]
    ) -> None:
        """Start jobs longest-expected first, as workers and memory free up, while each can
        still finish. A job that does not fit the memory left is passed over for the next one
        that does, so the other workers stay busy, and is started once memory is released."""
        pending = sorted(estimates, key=lambda job: estimates[job], reverse=True)
        running: dict[Future[JobResult], Job] = {}
        while pending or running:
            while len(running) < self.workers:
                job = self._next_fitting(pending, memory)
                if job is None:
                    break
                left = self.budget.remaining()
                if estimates[job] * ESTIMATE_SAFETY_FACTOR > left:
                    self.memory.release(memory[job])
                    self._skip(
                        job,
                        f"expected to take about {_format_seconds(estimates[job])}; "
                        f"only {_format_seconds(left)} of the budget was left",
                    )
                    continue
                running[pool.submit(measure, job[0], job[1], self.data)] = job
            if not running:
                # Only when calibrations abandoned at the deadline still hold memory.
                for job in pending:
                    self._skip(job, "not started: the budget ran out")
                return
            done, _ = wait(running, timeout=self.budget.remaining(), return_when=FIRST_COMPLETED)
            if not done:
                for job in running.values():
                    self._skip(job, "still running when the budget ran out; abandoned")
                for job in pending:
                    self._skip(job, "not started: the budget ran out")
                return
            for future in done:
                job = running.pop(future)
                self.memory.release(memory[job])
                if future.exception() is not None:
                    self._skip(job, f"failed: {future.exception()!r}")
                else:
                    self.results.append(future.result())
                    self._report_progress()
