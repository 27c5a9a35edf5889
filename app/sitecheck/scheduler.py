"""Runs the passes of measurements in forked children of the engine, within one deadline.

Each batch of files runs in its own child (app/engine/forked_call.py): a child still running at
the deadline is killed, so nothing outlives the answer, and at most `workers` run at once.
Batches hold files up to BATCH_SECONDS of expected work (or BATCH_FILES files), so a fork and
its framing are paid per batch, not per file (bench/bench_sitecheck.py measures what is left
per file), and a batch lost to the deadline loses little. Guarantees of `run_pass`: it returns
before the deadline; every work given comes back measured, partly measured with cuts, or
wholly cut with the reason.
"""

from __future__ import annotations

import selectors
import time
from collections.abc import Callable, Sequence

from app.engine.forked_call import ChildFailed, ForkedCall
from app.sitecheck.measurement import (
    FileMeasurements,
    FileWork,
    expected_candidate_seconds,
    measure_batch,
)

# A fork and the child's first touches of the parent's pages cost tens of milliseconds under
# load (1,000 tiny files: 6.3 s of CPU in batches of 64 files, 5.4 s in one batch a pass), yet
# too few batches leave a worker idle at the end of a pass (the bench's site, fast levels: 5
# batches of 1 s took as long on 2 workers as 19 of 0.25 s). A batch stopped at the deadline
# loses at most this much, and the children's own admission check makes that rare.
BATCH_SECONDS = 0.5
BATCH_FILES = 128

ProgressCallback = Callable[[str, int, int], None]


def expected_seconds(work: FileWork) -> float:
    return sum(expected_candidate_seconds(c, len(work.data)) for c in work.candidates)


def batches(works: Sequence[FileWork], *, longest_first: bool) -> list[list[FileWork]]:
    """`works` grouped into batches of at most BATCH_SECONDS expected (or one file) and at
    most BATCH_FILES files; longest batch first for an even finish, else in the given order."""
    ordered = sorted(works, key=expected_seconds, reverse=True) if longest_first else list(works)
    groups: list[list[FileWork]] = []
    current: list[FileWork] = []
    seconds = 0.0
    for work in ordered:
        cost = expected_seconds(work)
        if current and (seconds + cost > BATCH_SECONDS or len(current) >= BATCH_FILES):
            groups.append(current)
            current, seconds = [], 0.0
        current.append(work)
        seconds += cost
    if current:
        groups.append(current)
    return groups


def _all_cut(batch: Sequence[FileWork], reason: str) -> list[FileMeasurements]:
    return [
        FileMeasurements(work.index, cuts=[(c.label, reason) for c in work.candidates])
        for work in batch
    ]


def _batch_work(
    batch: list[FileWork], deadline: float, keep_bytes: bool
) -> Callable[[], list[FileMeasurements]]:
    return lambda: measure_batch(batch, deadline, keep_bytes)


def run_pass(
    name: str,
    works: Sequence[FileWork],
    deadline: float,
    workers: int,
    *,
    keep_bytes: bool,
    longest_first: bool,
    on_progress: ProgressCallback | None = None,
) -> list[FileMeasurements]:
    """Measure every work, `workers` batches at a time, until done or `deadline`."""
    pending = batches(works, longest_first=longest_first)
    total = len(works)
    done: list[FileMeasurements] = []
    running: dict[ForkedCall[list[FileMeasurements]], list[FileWork]] = {}

    def report() -> None:
        if on_progress is not None:
            on_progress(name, len(done), total)

    report()
    with selectors.DefaultSelector() as ready:
        while pending or running:
            while pending and len(running) < workers and time.monotonic() < deadline:
                batch = pending.pop(0)
                try:
                    call = ForkedCall(_batch_work(batch, deadline, keep_bytes))
                except OSError as error:  # no process or memory left for a child
                    done += _all_cut(batch, f"not run: could not start its process: {error}")
                    continue
                running[call] = batch
                ready.register(call, selectors.EVENT_READ, call)
            left = deadline - time.monotonic()
            finished = ready.select(timeout=max(left, 0)) if running and left > 0 else []
            if not finished:
                for call, batch in running.items():
                    ready.unregister(call)
                    call.kill()
                    done += _all_cut(batch, "stopped: still running when the budget ran out")
                running.clear()
                for batch in pending:
                    done += _all_cut(batch, "not run: the budget ran out")
                pending.clear()
                break
            for key, _ in finished:
                call = key.data
                ready.unregister(call)
                batch = running.pop(call)
                try:
                    done += call.result()
                except ChildFailed as error:
                    done += _all_cut(batch, f"failed: {error}")
            report()
    report()
    return done
