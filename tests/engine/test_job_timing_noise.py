"""The spread beside the fastest: each phase's median run, and the rule that says two speeds tie.

Timings here are synthetic: a fake clock hands `_fastest_run` the run times a test chooses, so
the fastest and the median are known exactly and nothing depends on this machine's speed.
"""

from __future__ import annotations

import pytest

from app.compression.registry import CODECS
from app.engine import job_timing
from app.engine.job_timing import measure, speeds_tie


class FakeClock:
    """A wall clock and CPU clock in one, moved only by the runs: each run advances it by the
    next of the chosen durations, so a run's wall time and CPU time are both that duration."""

    def __init__(self) -> None:
        self.now = 0.0

    def perf_counter(self) -> float:
        return self.now

    def thread_time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(job_timing, "time", fake)
    return fake


def phase(clock: FakeClock, durations: list[float], repeat: bool = True) -> job_timing._Fastest:
    chosen = iter(durations)

    def run() -> bytes:
        clock.now += next(chosen)
        return b"out"

    return job_timing._fastest_run(run, repeat)


def test_the_median_of_an_odd_and_an_even_number_of_runs(clock: FakeClock) -> None:
    # 0.005 s runs: the phase ends after four (0.02 s of CPU time, MIN_PHASE_SECONDS).
    even = phase(clock, [0.007, 0.005, 0.006, 0.009])
    assert even.runs == 4
    assert even.seconds == pytest.approx(0.005)
    assert even.median_seconds == pytest.approx(0.0065)
    odd = phase(clock, [0.009, 0.004, 0.011])
    assert odd.runs == 3
    assert odd.seconds == pytest.approx(0.004)
    assert odd.median_seconds == pytest.approx(0.009)


def test_one_run_has_its_fastest_as_its_median(clock: FakeClock) -> None:
    once = phase(clock, [0.25], repeat=False)
    assert once.runs == 1
    assert once.seconds == once.median_seconds == 0.25


@pytest.mark.parametrize(
    ("a", "b", "tie"),
    [
        ((1.0, 1.4), (1.2, 1.5), True),  # spans overlap
        ((1.0, 1.1), (1.2, 1.5), False),  # a's slower half is still faster than b's best
        ((1.0, 1.2), (1.2, 1.5), True),  # touching: a's median equals b's fastest
        ((1.0, 3.0), (1.5, 1.6), True),  # b's span inside a's
        ((2.0, 2.0), (2.0, 2.0), True),  # single runs: equal times tie
        ((2.0, 2.0), (2.1, 2.1), False),  # single runs: any difference counts
    ],
)
def test_two_speeds_tie_when_their_spans_overlap(
    a: tuple[float, float], b: tuple[float, float], tie: bool
) -> None:
    assert speeds_tie(*a, *b) is tie
    assert speeds_tie(*b, *a) is tie  # symmetric


def test_measure_reports_medians_no_faster_than_the_fastest() -> None:
    result = measure(CODECS["zstd"], 3, b"CompressTest " * 1000, repeat=True)
    assert result.repeats > 1
    assert result.decompress_repeats > 1
    assert result.compress_ms_median >= result.compress_ms > 0
    assert result.decompress_ms_median >= result.decompress_ms > 0
    once = measure(CODECS["zstd"], 3, b"CompressTest " * 1000, repeat=False)
    assert once.compress_ms_median == once.compress_ms
    assert once.decompress_ms_median == once.decompress_ms
