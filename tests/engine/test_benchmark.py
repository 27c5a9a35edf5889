"""The benchmark engine: exact sizes, honest fields, longest first, and the budget kept.

Each job runs in a forked child, so a codec under test that records what it did writes it to a
file (`Journal`): a list appended to in the child would stay in the child.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from child_processes import child_pids
from corpora import MiB, already_gzipped, incompressible, python_source

import app.engine.job_timing
from app.compression.codec import Codec
from app.compression.codec_spec import parse_codec_spec
from app.compression.registry import CODECS
from app.engine.benchmark import CALIBRATION_BYTES, Budget, Report, benchmark, job_memory
from app.engine.cpus import usable_cpus
from app.engine.job_timing import MAX_REPEATS, REPEAT_MAX_INPUT_BYTES, ratio_of, saving_of

RESULT_FIELDS = [
    "codec",
    "level",
    "size",
    "ratio",
    "saving",
    "compress_ms",
    "compress_cpu_ms",
    "compress_mbps",
    "decompress_ms",
    "decompress_mbps",
    "verified",
    "repeats",
    "decompress_repeats",
    "compress_ms_median",
    "decompress_ms_median",
]


class Journal:
    """Lines appended to a file from any process (each write one O_APPEND call, so whole)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.touch()

    def write(self, *fields: object) -> None:
        line = ("\t".join(str(f) for f in fields) + "\n").encode()
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        try:
            os.write(descriptor, line)
        finally:
            os.close(descriptor)

    def lines(self) -> list[list[str]]:
        return [line.split("\t") for line in self.path.read_text().splitlines()]


def _as_json(report: Report) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(json.dumps(dataclasses.asdict(report), allow_nan=False))
    return body


def test_report_has_the_fields_of_the_issue_and_exact_sizes() -> None:
    data = python_source(96 * 1024)
    jobs = parse_codec_spec("deflate:1,gzip:9,bz2:1,xz:0,brotli:5,zstd:3,deflate-raw:6")
    report = benchmark(data, jobs, Budget(30), filename="stdlib.py")
    body = _as_json(report)
    assert list(body) == ["input", "results", "skipped", "elapsed_ms", "budget_ms", "workers"]
    assert body["workers"] == 1  # a small input is timed one job at a time
    assert body["input"] == {
        "filename": "stdlib.py",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    assert body["skipped"] == []
    assert body["budget_ms"] == 30_000
    assert len(body["results"]) == len(jobs)
    for result in body["results"]:
        assert list(result) == RESULT_FIELDS
        codec = CODECS[result["codec"]]
        size = len(codec.compress(data, result["level"]))
        assert result["size"] == size
        assert result["ratio"] == pytest.approx(len(data) / size)
        assert result["saving"] == pytest.approx(100 * (1 - size / len(data)))
        assert result["verified"] is True
        assert result["compress_ms_median"] >= result["compress_ms"] > 0
        assert result["decompress_ms_median"] >= result["decompress_ms"] > 0
        assert result["compress_cpu_ms"] > 0
        assert result["compress_mbps"] == pytest.approx(
            len(data) / 1e6 / (result["compress_ms"] / 1000)
        )
        assert 1 <= result["repeats"] <= MAX_REPEATS
        assert 1 <= result["decompress_repeats"] <= MAX_REPEATS
    sizes = [r["size"] for r in body["results"]]
    assert sizes == sorted(sizes)
    assert 0 < body["elapsed_ms"] < 30_000


def test_ratio_is_original_over_compressed() -> None:
    assert ratio_of(448, 100) == pytest.approx(4.48)
    assert saving_of(448, 100) == pytest.approx(77.678, abs=1e-3)
    assert saving_of(100, 120) == pytest.approx(-20.0)
    assert ratio_of(0, 20) == 0.0
    assert saving_of(0, 20) is None


def test_empty_input_gives_a_complete_json_valid_report() -> None:
    report = benchmark(b"", parse_codec_spec("gzip:6,brotli:11,zstd:22"), Budget(10))
    body = _as_json(report)
    assert body["input"]["size"] == 0
    assert body["input"]["sha256"] == hashlib.sha256(b"").hexdigest()
    assert [r["ratio"] for r in body["results"]] == [0.0, 0.0, 0.0]
    assert {r["saving"] for r in body["results"]} == {None}
    assert all(r["verified"] for r in body["results"])


@pytest.mark.parametrize(
    "data", [b"x", already_gzipped(), incompressible(40_000)], ids=["one-byte", "gz", "random"]
)
def test_other_real_inputs_round_trip_at_every_level_range_end(data: bytes) -> None:
    # A codec whose fastest level is its default (lz4, snappy) runs it once.
    jobs = list(
        dict.fromkeys(
            (c, level) for c in CODECS.values() for level in (c.min_level, c.default_level)
        )
    )
    report = benchmark(data, jobs, Budget(30))
    assert len(report.results) == len(jobs)
    assert not report.skipped
    assert all(r.verified for r in report.results)
    for r in report.results:
        assert r.size == len(CODECS[r.codec].compress(data, r.level))


def test_a_codec_that_loses_a_byte_is_reported_unverified() -> None:
    gzip_codec = CODECS["gzip"]
    lossy = dataclasses.replace(
        gzip_codec, name="lossy-gzip", decompress=lambda blob: gzip_codec.decompress(blob)[:-1]
    )
    report = benchmark(b"every byte counts", [(lossy, 6), (gzip_codec, 6)], Budget(10))
    verified = {r.codec: r.verified for r in report.results}
    assert verified == {"lossy-gzip": False, "gzip": True}


def test_a_tiny_budget_skips_slow_jobs_and_returns_on_time() -> None:
    data = python_source(MiB)
    jobs = parse_codec_spec("brotli:11,xz:9,zstd:22,gzip:1,zstd:1")
    started = time.monotonic()
    report = benchmark(data, jobs, Budget(0.4))
    wall = time.monotonic() - started
    assert wall < 0.4 + 0.25, "returned late"
    done = {(r.codec, r.level) for r in report.results}
    skipped = {(s.codec, s.level): s.reason for s in report.skipped}
    assert done | set(skipped) == {(c.name, level) for c, level in jobs}
    assert not done & set(skipped)
    assert ("brotli", 11) in skipped  # ~1.7 s for 1 MiB here; the budget cannot hold it
    assert "budget" in skipped[("brotli", 11)]
    assert report.budget_ms == 400
    json.dumps(dataclasses.asdict(report), allow_nan=False)


def test_a_zero_budget_skips_everything_yet_reports() -> None:
    report = benchmark(b"abc" * 1000, parse_codec_spec("gzip:1,zstd:1"), Budget(0))
    assert report.results == []
    assert len(report.skipped) == 2
    assert report.input.size == 3000


def test_a_job_slower_than_its_estimate_is_stopped_at_the_deadline_and_leaves_nothing() -> None:
    gzip_codec = CODECS["gzip"]

    def spins_on_the_whole_input(data: bytes, level: int) -> bytes:
        # Quick on the calibration slice, endless on everything: a wrong estimate, at worst.
        while len(data) > CALIBRATION_BYTES:
            pass
        return gzip_codec.compress(data, level)

    spinning = dataclasses.replace(gzip_codec, name="spinning", compress=spins_on_the_whole_input)
    data = python_source(CALIBRATION_BYTES * 2)
    threads_before = set(threading.enumerate())
    children_before = child_pids()
    started = time.monotonic()
    # A budget of 2 s, not 0.5: with the suite on two xdist workers the other worker's browser
    # and build tests share the two CPUs with the spin, and the gzip job beside it once did not
    # finish its timed phases within 0.5 s.
    budget_seconds = 2.0
    report = benchmark(data, [(spinning, 1), (gzip_codec, 1)], Budget(budget_seconds), workers=2)
    # The spin never ends, so answering at all shows the engine stopped it; the bound says it
    # answered promptly. 1.5 s of slack, not 0.25: under the same load, kill, reap and report
    # took 0.79 s twice (never over 0.75 s run alone). The skip reason and the reaped children
    # below are what prove the kill.
    assert time.monotonic() - started < budget_seconds + 1.5
    # The finished job's result is kept; the spinning one was killed, not left to spin.
    assert [r.codec for r in report.results] == ["gzip"]
    assert [(s.codec, s.reason) for s in report.skipped] == [
        ("spinning", "still running when the budget ran out; stopped")
    ]
    assert child_pids() == children_before
    assert set(threading.enumerate()) == threads_before


def test_a_job_whose_child_dies_is_reported_failed_and_the_others_finish() -> None:
    gzip_codec = CODECS["gzip"]

    def dies(data: bytes, level: int) -> bytes:
        os.kill(os.getpid(), 9)
        return b""

    def raises(blob: bytes) -> bytes:
        raise ZeroDivisionError("division by zero")

    dying = dataclasses.replace(gzip_codec, name="dying", compress=dies)
    raising = dataclasses.replace(gzip_codec, name="raising", decompress=raises)
    report = benchmark(b"abc" * 100, [(dying, 1), (raising, 1), (gzip_codec, 1)], Budget(10))
    assert [r.codec for r in report.results] == ["gzip"]
    assert {s.codec: s.reason for s in report.skipped} == {
        "dying": "failed: the child process was killed by SIGKILL",
        "raising": "failed: ZeroDivisionError('division by zero')",
    }


def test_longest_expected_job_runs_first(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "started")
    data = python_source(4 * CALIBRATION_BYTES)

    def recording(codec: Codec) -> Codec:
        def compress(chunk: bytes, level: int) -> bytes:
            if len(chunk) == len(data):
                journal.write(codec.name, level)
            return codec.compress(chunk, level)

        return dataclasses.replace(codec, compress=compress)

    jobs = [(recording(CODECS[name]), level) for name, level in [("gzip", 1), ("brotli", 11)]]
    jobs.append((recording(CODECS["xz"]), 6))
    benchmark(data, jobs, Budget(30), workers=1)
    first_runs = list(dict.fromkeys((name, int(level)) for name, level in journal.lines()))
    assert first_runs == [("brotli", 11), ("xz", 6), ("gzip", 1)]


def test_progress_reaches_the_total_and_each_job_runs_in_a_child_of_its_own(
    tmp_path: Path,
) -> None:
    seen: list[tuple[int, int]] = []
    journal = Journal(tmp_path / "pids")
    gzip_codec = CODECS["gzip"]

    def compress_noting_process(data: bytes, level: int) -> bytes:
        journal.write(os.getpid(), level)
        return gzip_codec.compress(data, level)

    noting = dataclasses.replace(gzip_codec, compress=compress_noting_process)
    jobs = [(noting, level) for level in range(10)]
    benchmark(b"x" * 1000, jobs, Budget(10), on_progress=lambda *p: seen.append(p))
    assert seen[-1] == (10, 10)
    assert [done for done, _ in seen] == list(range(1, 11))
    pid_of_level = dict((int(level), int(pid)) for pid, level in journal.lines())
    assert len(set(pid_of_level.values())) == 10
    assert os.getpid() not in pid_of_level.values()


def test_small_inputs_are_timed_one_job_at_a_time_large_ones_on_every_usable_cpu() -> None:
    jobs = parse_codec_spec("zstd:1,zstd:3")
    small = benchmark(python_source(1000), jobs, Budget(10))
    assert small.workers == 1
    # Repeated: more than one run, unless the first alone took the whole minimum of CPU time.
    minimum_ms = app.engine.job_timing.MIN_PHASE_SECONDS * 1000
    assert all(r.repeats > 1 or r.compress_cpu_ms >= minimum_ms for r in small.results)
    large = benchmark(python_source(REPEAT_MAX_INPUT_BYTES + 1), jobs, Budget(30))
    assert large.workers == usable_cpus()
    assert [(r.repeats, r.decompress_repeats) for r in large.results] == [(1, 1), (1, 1)]


def test_a_phase_repeats_until_its_minimum_time(monkeypatch: pytest.MonkeyPatch) -> None:
    gzip_codec = CODECS["gzip"]

    def a_millisecond_at_least(data: bytes, level: int) -> bytes:
        # A millisecond of CPU time, the clock the minimum counts (a sleep would not count).
        until = time.thread_time() + 0.001
        while time.thread_time() < until:
            pass
        return gzip_codec.compress(data, level)

    # The child is forked from this process, so it sees the patched constants.
    monkeypatch.setattr(app.engine.job_timing, "MIN_PHASE_SECONDS", 0.01)
    monkeypatch.setattr(app.engine.job_timing, "MAX_REPEATS", 10**6)
    slow = dataclasses.replace(gzip_codec, compress=a_millisecond_at_least)
    (result,) = benchmark(b"abc" * 100, [(slow, 6)], Budget(10)).results
    # Ten runs of at least 1 ms of CPU each have taken the 10 ms; more would be one too many.
    assert 1 <= result.repeats <= 10
    assert result.compress_ms >= 1.0


def test_a_phase_stops_at_the_repeat_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app.engine.job_timing, "MIN_PHASE_SECONDS", 5.0)
    monkeypatch.setattr(app.engine.job_timing, "MAX_REPEATS", 37)
    (result,) = benchmark(b"x", parse_codec_spec("zstd:1"), Budget(60)).results
    assert (result.repeats, result.decompress_repeats) == (37, 37)


def test_the_fastest_run_is_reported() -> None:
    gzip_codec = CODECS["gzip"]
    calls = iter(range(10**6))

    def slow_at_first(data: bytes, level: int) -> bytes:
        # In the child the iterator counts that child's calls: its first run takes 5 ms of CPU,
        # less than a phase's minimum, so more runs follow.
        if next(calls) == 0:
            until = time.thread_time() + 0.005
            while time.thread_time() < until:
                pass
        return gzip_codec.compress(data, level)

    first_slow = dataclasses.replace(gzip_codec, compress=slow_at_first)
    (result,) = benchmark(b"abc" * 100, [(first_slow, 6)], Budget(10)).results
    assert result.repeats >= 2
    assert result.compress_ms < 5
    assert result.compress_mbps == pytest.approx(300 / 1e6 / (result.compress_ms / 1000))


def test_time_spent_waiting_is_not_counted_as_the_codecs() -> None:
    gzip_codec = CODECS["gzip"]

    def held_up(data: bytes, level: int) -> bytes:
        time.sleep(0.03)  # as if another process had the CPU for 30 ms
        return gzip_codec.compress(data, level)

    waiting = dataclasses.replace(gzip_codec, compress=held_up)
    (result,) = benchmark(b"abc" * 100, [(waiting, 6)], Budget(10)).results
    # Each run's time is the smaller of its wall time (30 ms and more) and its CPU time.
    assert result.compress_ms == pytest.approx(result.compress_cpu_ms)
    assert result.compress_ms < 5


def test_a_codec_built_per_request_runs_as_given_with_its_dictionary() -> None:
    """What Compression Dictionary Transport needs: a closure over a dictionary, no registry."""
    import zstandard

    data = python_source(32 * 1024)
    dictionary = zstandard.ZstdCompressionDict(python_source(160 * 1024)[128 * 1024 :])

    def compress(chunk: bytes, level: int) -> bytes:
        return zstandard.ZstdCompressor(level=level, dict_data=dictionary).compress(chunk)

    def decompress(blob: bytes) -> bytes:
        return zstandard.ZstdDecompressor(dict_data=dictionary).decompress(blob)

    with_dictionary = dataclasses.replace(
        CODECS["zstd"], name="zstd-dictionary", compress=compress, decompress=decompress
    )
    report = benchmark(data, [(with_dictionary, 19), (CODECS["zstd"], 19)], Budget(30))
    sizes = {r.codec: r.size for r in report.results}
    assert sizes["zstd-dictionary"] == len(compress(data, 19))
    assert sizes["zstd-dictionary"] < sizes["zstd"]
    assert all(r.verified for r in report.results)


def _timed(codec: Codec, full_size: int, journal: Journal) -> Codec:
    """`codec`, noting when each compression of the whole input starts and ends."""

    def compress(chunk: bytes, level: int) -> bytes:
        started = time.monotonic()
        try:
            return codec.compress(chunk, level)
        finally:
            if len(chunk) == full_size:
                journal.write(f"{codec.name} {level}", started, time.monotonic())

    return dataclasses.replace(codec, compress=compress)


def _overlap(a: tuple[str, float, float], b: tuple[str, float, float]) -> bool:
    return a[1] < b[2] and b[1] < a[2]


HEAVY = [("brotli", 11), ("xz", 6), ("zstd", 22)]
LIGHT = [("gzip", level) for level in range(1, 10)] + [("deflate", 1), ("zstd", 1)]


def _run_recording(
    data: bytes, memory_budget: int, journal: Journal
) -> tuple[Report, list[tuple[str, float, float]], list[tuple[str, float, float]]]:
    jobs = [(_timed(CODECS[name], len(data), journal), level) for name, level in HEAVY + LIGHT]
    report = benchmark(data, jobs, Budget(60), workers=2, memory_budget=memory_budget, repeat=False)
    spans = [(name, float(start), float(end)) for name, start, end in journal.lines()]
    heavy_names = {f"{name} {level}" for name, level in HEAVY}
    heavy = [span for span in spans if span[0] in heavy_names]
    light = [span for span in spans if span[0] not in heavy_names]
    return report, heavy, light


def test_within_a_memory_budget_heavy_jobs_never_overlap_yet_light_ones_run_beside_them(
    tmp_path: Path,
) -> None:
    data = python_source(512 * 1024)
    need = {job: job_memory(CODECS[job[0]], job[1], len(data)) for job in HEAVY + LIGHT}
    budget = max(need[job] for job in HEAVY) + max(need[job] for job in LIGHT)
    # The budget holds any heavy job beside any light one, and no two heavy jobs.
    assert min(need[a] + need[b] for a in HEAVY for b in HEAVY if a != b) > budget

    report, heavy, light = _run_recording(data, budget, Journal(tmp_path / "limited"))
    assert not report.skipped
    assert len(report.results) == len(HEAVY + LIGHT)
    assert len(heavy) == len(HEAVY)
    for index, span in enumerate(heavy):
        assert not any(_overlap(span, other) for other in heavy[index + 1 :]), heavy
    # The second worker was not left idle: light jobs ran while a heavy one did.
    assert any(_overlap(h, other) for h in heavy for other in light), (heavy, light)

    # The same jobs without the memory limit do run heavy jobs side by side.
    _, unlimited_heavy, _ = _run_recording(data, 10**12, Journal(tmp_path / "unlimited"))
    assert any(
        _overlap(a, b) for i, a in enumerate(unlimited_heavy) for b in unlimited_heavy[i + 1 :]
    ), unlimited_heavy


def test_a_job_needing_more_than_the_whole_memory_budget_is_skipped_with_the_reason() -> None:
    data = python_source(256 * 1024)
    report = benchmark(
        data, parse_codec_spec("brotli:9,gzip:6"), Budget(30), memory_budget=16_000_000
    )
    assert [(r.codec, r.level) for r in report.results] == [("gzip", 6)]
    needed = job_memory(CODECS["brotli"], 9, len(data)) / 1e6
    assert [(s.codec, s.level, s.reason) for s in report.skipped] == [
        (
            "brotli",
            9,
            f"needs about {needed:.0f} MB of working memory; the memory budget is 16 MB",
        )
    ]


def test_memory_estimates_follow_the_libraries_parameters() -> None:
    import zstandard

    size = 4 * MiB
    zstd_params = zstandard.ZstdCompressionParameters.from_level(22, source_size=size)
    assert (
        CODECS["zstd"].compress_memory(22, size) == zstd_params.estimated_compression_context_size()
    )
    xz = CODECS["xz"].compress_memory
    # Presets 8 and 9 share a 64 MiB hash table (liblzma caps it at 16 Mi entries).
    assert xz(6, size) < xz(7, size) < xz(8, size) == xz(9, size)
    for codec in CODECS.values():
        for level in codec.levels:
            small, large = codec.compress_memory(level, 0), codec.compress_memory(level, size)
            assert 0 < small <= large, (codec.name, level)
            assert job_memory(codec, level, size) >= 3 * size


def test_when_no_process_can_be_started_the_jobs_are_skipped_not_lost(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fork_fails() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", fork_fails)
    report = benchmark(b"abc" * 100, parse_codec_spec("gzip:1,zstd:1"), Budget(10))
    assert report.results == []
    assert [(s.codec, s.reason) for s in report.skipped] == [
        (name, "failed: could not start its process: [Errno 11] Resource temporarily unavailable")
        for name in ("gzip", "zstd")
    ]
