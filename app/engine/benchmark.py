"""The benchmark engine: every (codec, level) job over the same bytes, within a budget.

Guarantees:
- each result's size is exactly `codec.compress(data, level)`'s (the codec's own function runs,
  unchanged), and `verified` says the decompressed bytes equal the input byte for byte;
- speeds are the fastest of repeated runs (lzbench's method, app/engine/job_timing.py): each phase
of
  a job, compress then decompress, runs again and again until its runs took MIN_PHASE_SECONDS
  of CPU time or MAX_REPEATS runs were made; an input over REPEAT_MAX_INPUT_BYTES runs each
  phase once (it is long enough);
- `benchmark` returns before `budget.deadline`, and nothing of it runs on afterwards: each job
  runs in a child process forked for it (app/engine/forked_call.py), a job expected not to finish in
  time is not started, and one still running at the deadline is killed; both are listed under
  `skipped` with the reason, and the jobs that finished keep their results;
- the jobs running at once together expect to need at most the memory budget (`job_memory`):
  a heavy job waits while lighter ones keep the other workers busy, and a job that would need
  more than the whole budget on its own is skipped with the reason.

A job's codec can be any `Codec` object, not only the registry's: a child is forked from this
process, so it runs the very functions it was given (a codec built per request, such as a
closure binding a compression dictionary) on the very bytes, with nothing pickled but the
measurements coming back. Codec functions must not take locks that other threads of this
process may hold (logging, for one), since only the forking thread exists in the child.
No web imports; the routes and the CLI shape the returned dataclasses.
"""

from __future__ import annotations

import hashlib
import selectors
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from app.compression.codec import Codec
from app.config import settings
from app.engine import job_timing
from app.engine.cpus import usable_cpus
from app.engine.forked_call import ChildFailed, ForkedCall
from app.engine.job_timing import REPEAT_MAX_INPUT_BYTES, measure
from app.engine.job_timing import JobResult as JobResult  # re-exported: a Report's results

Job = tuple[Codec, int]

# Estimates come from compressing the first CALIBRATION_BYTES and scaling linearly. On 4 MiB of
# Python source that scaling was off by 0.64x (brotli 11, zstd 19: their work per byte grows
# with the window in use) to 1.8x (xz 9, whose fixed set-up cost dominates a small slice); hence
# the safety factor before a job is started. A job that still overruns is killed at the
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
class SkippedJob:
    codec: str
    level: int
    reason: str


@dataclass(frozen=True)
class Report:
    """`workers`: how many jobs ran at once (at most)."""

    input: InputSummary
    results: list[JobResult] = field(default_factory=list)
    skipped: list[SkippedJob] = field(default_factory=list)
    elapsed_ms: float = 0.0
    budget_ms: float = 0.0
    workers: int = 1


def _calibration_seconds(codec: Codec, level: int, sample: bytes) -> float:
    """CPU seconds to compress and decompress `sample` once.

    CPU time, not wall time: one short run held up by other work would otherwise inflate the
    estimate of the whole job 64-fold (measured under load: brotli 11 on 4 MiB expected to
    take 33 s instead of about 7, and skipped). A worker has a whole CPU, so for the job
    itself CPU time and wall time agree, apart from what the safety factor allows for.
    """
    started = time.thread_time()
    codec.decompress(codec.compress(sample, level))
    return time.thread_time() - started


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
    repeat: bool | None = None,
) -> Report:
    """Run `jobs` over `data`, each in its own child process, `workers` at a time at most.

    `repeat` (default: the input is at most REPEAT_MAX_INPUT_BYTES) times the fastest of
    repeated runs of each phase; `workers` defaults to 1 when repeating, so each job's timing
    runs undisturbed by another's (bench/bench_spread.py measures why), and otherwise to the
    CPUs this process may use (app/engine/cpus.py). Longest expected job first (a list schedule that
    ends close to max(longest job, total / workers)), among the jobs whose `job_memory` fits
    what `memory_budget` bytes (default: settings.memory_budget_mb) leave beside the jobs
    already running. Blocks until done or until the budget's deadline; call it off the event
    loop. `on_progress(finished, total)` is called from this thread as jobs end or are skipped.
    """
    started = time.perf_counter()
    if memory_budget is None:
        memory_budget = int(settings.memory_budget_mb * 1e6)
    if repeat is None:
        repeat = len(data) <= REPEAT_MAX_INPUT_BYTES
    if workers is None:
        workers = 1 if repeat else usable_cpus()
    run = _Run(
        data=data,
        jobs=list(dict.fromkeys(jobs)),
        budget=budget,
        workers=max(1, workers),
        memory_limit=memory_budget,
        repeat=repeat,
        on_progress=on_progress,
    )
    try:
        run.execute()
    finally:
        run.stop_all("stopped")  # only after an exception: execute() leaves no child running
    run.results.sort(key=lambda r: (r.size, r.codec, r.level))
    return Report(
        input=InputSummary(filename, len(data), hashlib.sha256(data).hexdigest()),
        results=run.results,
        skipped=run.skipped,
        elapsed_ms=(time.perf_counter() - started) * 1000,
        budget_ms=budget.seconds * 1000,
        workers=run.workers,
    )


@dataclass(frozen=True)
class _Task:
    """Work for one child: a job's calibration or its measurement, with its memory need."""

    job: Job
    memory: int
    work: Callable[[], object]


@dataclass
class _Run:
    """The state of one benchmark while it runs: what is done, skipped, running and to do."""

    data: bytes
    jobs: list[Job]
    budget: Budget
    workers: int
    memory_limit: int
    repeat: bool
    on_progress: ProgressCallback | None
    results: list[JobResult] = field(default_factory=list)
    skipped: list[SkippedJob] = field(default_factory=list)
    running: dict[ForkedCall[object], _Task] = field(default_factory=dict)
    memory_in_use: int = 0

    def execute(self) -> None:
        memory = {job: job_memory(job[0], job[1], len(self.data)) for job in self.jobs}
        fitting = []
        for job in self.jobs:
            if memory[job] > self.memory_limit:
                self._skip(
                    job,
                    f"needs about {_megabytes(memory[job])} of working memory; the memory "
                    f"budget is {_megabytes(self.memory_limit)}",
                )
            else:
                fitting.append(job)
        estimates = self._estimate_all(fitting)
        longest_first = sorted(estimates, key=lambda job: estimates[job], reverse=True)
        self._run_all(
            [_Task(job, memory[job], self._measurement(job)) for job in longest_first],
            estimates,
        )

    def stop_all(self, reason: str) -> None:
        """Kill every child still running; their jobs are skipped with `reason`."""
        for call, task in list(self.running.items()):
            call.kill()
            self._forget(call)
            self._skip(task.job, reason)

    def _skip(self, job: Job, reason: str) -> None:
        self.skipped.append(SkippedJob(job[0].name, job[1], reason))
        self._report_progress()

    def _report_progress(self) -> None:
        if self.on_progress is not None:
            self.on_progress(len(self.results) + len(self.skipped), len(self.jobs))

    def _measurement(self, job: Job) -> Callable[[], JobResult]:
        codec, level = job
        return lambda: measure(codec, level, self.data, repeat=self.repeat)

    def _estimate_all(self, jobs: list[Job]) -> dict[Job, float]:
        """Every job's expected seconds, scaled from its first CALIBRATION_BYTES; one whose
        calibration misses the deadline is skipped."""
        sample = self.data[:CALIBRATION_BYTES]
        scale = len(self.data) / len(sample) if sample else 1.0
        # Repeated phases last at least MIN_PHASE_SECONDS each.
        repetition = 2 * job_timing.MIN_PHASE_SECONDS if self.repeat else 0.0
        if len(self.data) <= CALIBRATION_BYTES:
            # The calibration would be a whole run of the job: one more fork and run each for
            # no better estimate (0.2 s of a 1.2 s request on 12 KB). Small jobs are started
            # unestimated; one that overruns is stopped at the deadline all the same.
            return dict.fromkeys(jobs, repetition)
        estimates: dict[Job, float] = {}

        def calibration(job: Job) -> Callable[[], float]:
            codec, level = job
            return lambda: _calibration_seconds(codec, level, sample)

        def keep(task: _Task, seconds: object) -> None:
            assert isinstance(seconds, float)
            estimates[task.job] = seconds * scale + repetition

        tasks = [
            _Task(job, job_memory(job[0], job[1], len(sample)), calibration(job)) for job in jobs
        ]
        self._drain(
            tasks,
            admit=lambda task: True,
            on_result=keep,
            too_late="the budget ran out while estimating its time",
        )
        return estimates

    def _run_all(self, tasks: list[_Task], estimates: dict[Job, float]) -> None:
        """Start jobs in the given order as workers and memory free up, while each can still
        finish. A job that does not fit the memory left is passed over for the next one that
        does, so the other workers stay busy, and is started once memory is released."""

        def can_finish(task: _Task) -> bool:
            expected, left = estimates[task.job], self.budget.remaining()
            if expected * ESTIMATE_SAFETY_FACTOR <= left:
                return True
            self._skip(
                task.job,
                f"expected to take about {_format_seconds(expected)}; "
                f"only {_format_seconds(left)} of the budget was left",
            )
            return False

        def keep(task: _Task, result: object) -> None:
            assert isinstance(result, JobResult)
            self.results.append(result)
            self._report_progress()

        self._drain(
            tasks,
            admit=can_finish,
            on_result=keep,
            too_late="not started: the budget ran out",
            stopped="still running when the budget ran out; stopped",
        )

    def _drain(
        self,
        pending: list[_Task],
        *,
        admit: Callable[[_Task], bool],
        on_result: Callable[[_Task, object], None],
        too_late: str,
        stopped: str | None = None,
    ) -> None:
        """Run `pending` in children until all are done or skipped, or the deadline comes.

        The first pending task whose memory fits starts whenever a worker is free, if
        `admit` lets it (or it is dropped: `admit` skips it). At the deadline, running
        children are killed and their jobs skipped with `stopped` (default `too_late`), and
        the pending ones with `too_late`.
        """
        with selectors.DefaultSelector() as ready:
            while pending or self.running:
                while len(self.running) < self.workers and self.budget.remaining() > 0:
                    task = self._first_fitting(pending)
                    if task is None:
                        break
                    if admit(task):
                        self._start(task, ready)
                finished = ready.select(timeout=self.budget.remaining()) if self.running else []
                if not finished:  # the deadline, with or without children running
                    for call in list(self.running):
                        ready.unregister(call)
                    self.stop_all(stopped or too_late)
                    for task in pending:
                        self._skip(task.job, too_late)
                    return
                for key, _ in finished:
                    done: ForkedCall[object] = key.data
                    ready.unregister(done)
                    task = self._forget(done)
                    try:
                        outcome = done.result()
                    except ChildFailed as error:
                        self._skip(task.job, f"failed: {error}")
                    else:
                        on_result(task, outcome)

    def _first_fitting(self, pending: list[_Task]) -> _Task | None:
        for index, task in enumerate(pending):
            if self.memory_in_use + task.memory <= self.memory_limit:
                return pending.pop(index)
        return None

    def _start(self, task: _Task, ready: selectors.BaseSelector) -> None:
        try:
            call: ForkedCall[object] = ForkedCall(task.work)
        except OSError as error:  # no process or memory left for a child (EAGAIN, ENOMEM)
            self._skip(task.job, f"failed: could not start its process: {error}")
            return
        self.running[call] = task
        self.memory_in_use += task.memory
        ready.register(call, selectors.EVENT_READ, call)

    def _forget(self, call: ForkedCall[object]) -> _Task:
        task = self.running.pop(call)
        self.memory_in_use -= task.memory
        return task
