"""The benchmark engine: exact sizes, honest fields, longest first, and the budget kept."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import threading
import time
from typing import Any

import pytest
from corpora import MiB, already_gzipped, incompressible, python_source

from app.algorithms import CODECS, Codec, parse_codec_spec
from app.benchmark import (
    CALIBRATION_BYTES,
    Budget,
    Report,
    available_cpus,
    benchmark,
    job_memory,
    ratio_of,
    saving_of,
)

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
]


def _as_json(report: Report) -> dict[str, Any]:
    as_json: dict[str, Any] = json.loads(json.dumps(dataclasses.asdict(report), allow_nan=False))
    return as_json


def test_report_has_the_fields_of_the_issue_and_exact_sizes() -> None:
    data = python_source(96 * 1024)
    jobs = parse_codec_spec("deflate:1,gzip:9,bz2:1,xz:0,brotli:5,zstd:3,deflate-raw:6")
    report = benchmark(data, jobs, Budget(30), filename="stdlib.py")
    body = _as_json(report)
    assert list(body) == ["input", "results", "skipped", "elapsed_ms", "budget_ms"]
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
        assert result["compress_ms"] > 0
        assert result["decompress_ms"] > 0
        assert result["compress_cpu_ms"] > 0
        assert result["compress_mbps"] == pytest.approx(
            len(data) / 1e6 / (result["compress_ms"] / 1000)
        )
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
    jobs = [(c, level) for c in CODECS.values() for level in (c.min_level, c.default_level)]
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


def test_a_job_slower_than_its_estimate_is_abandoned_at_the_deadline() -> None:
    gzip_codec = CODECS["gzip"]
    release = threading.Event()

    def stalls_on_the_whole_input(data: bytes, level: int) -> bytes:
        # Quick on the calibration slice, slow on everything: what a wrong estimate looks like.
        if len(data) > CALIBRATION_BYTES:
            release.wait(5)
        return gzip_codec.compress(data, level)

    stalling = dataclasses.replace(gzip_codec, name="stalling", compress=stalls_on_the_whole_input)
    data = python_source(CALIBRATION_BYTES * 2)
    started = time.monotonic()
    try:
        report = benchmark(data, [(stalling, 1), (gzip_codec, 1)], Budget(0.5))
    finally:
        release.set()
    assert time.monotonic() - started < 0.5 + 0.25
    assert [r.codec for r in report.results] == ["gzip"]
    assert [(s.codec, s.reason) for s in report.skipped] == [
        ("stalling", "still running when the budget ran out; abandoned")
    ]


def test_longest_expected_job_runs_first() -> None:
    started_full_runs: list[tuple[str, int]] = []
    data = python_source(4 * CALIBRATION_BYTES)

    def recording(codec: Codec) -> Codec:
        def compress(chunk: bytes, level: int) -> bytes:
            if len(chunk) == len(data):
                started_full_runs.append((codec.name, level))
            return codec.compress(chunk, level)

        return dataclasses.replace(codec, compress=compress)

    jobs = [(recording(CODECS[name]), level) for name, level in [("gzip", 1), ("brotli", 11)]]
    jobs.append((recording(CODECS["xz"]), 6))
    benchmark(data, jobs, Budget(30), workers=1)
    assert started_full_runs == [("brotli", 11), ("xz", 6), ("gzip", 1)]


def test_progress_reaches_the_total_on_a_pool_as_wide_as_the_cpus() -> None:
    seen: list[tuple[int, int]] = []
    threads: set[str] = set()
    gzip_codec = CODECS["gzip"]

    def compress_noting_thread(data: bytes, level: int) -> bytes:
        threads.add(threading.current_thread().name)
        return gzip_codec.compress(data, level)

    noting = dataclasses.replace(gzip_codec, compress=compress_noting_thread)
    jobs = [(noting, level) for level in range(10)]
    benchmark(b"x" * 1000, jobs, Budget(10), on_progress=lambda *p: seen.append(p))
    assert seen[-1] == (10, 10)
    assert [done for done, _ in seen] == list(range(1, 11))
    assert available_cpus() == len(os.sched_getaffinity(0))
    assert 1 <= len(threads) <= available_cpus()
    assert all(name.startswith("codec") for name in threads)


def _timed(codec: Codec, full_size: int, spans: list[tuple[str, float, float]]) -> Codec:
    """`codec`, noting when each compression of the whole input starts and ends."""

    def compress(chunk: bytes, level: int) -> bytes:
        started = time.monotonic()
        try:
            return codec.compress(chunk, level)
        finally:
            if len(chunk) == full_size:
                spans.append((f"{codec.name} {level}", started, time.monotonic()))

    return dataclasses.replace(codec, compress=compress)


def _overlap(a: tuple[str, float, float], b: tuple[str, float, float]) -> bool:
    return a[1] < b[2] and b[1] < a[2]


HEAVY = [("brotli", 11), ("xz", 6), ("zstd", 22)]
LIGHT = [("gzip", level) for level in range(1, 10)] + [("deflate", 1), ("zstd", 1)]


def _run_recording(data: bytes, memory_budget: int) -> tuple[Report, list[Any], list[Any]]:
    spans: list[tuple[str, float, float]] = []
    jobs = [(_timed(CODECS[name], len(data), spans), level) for name, level in HEAVY + LIGHT]
    report = benchmark(data, jobs, Budget(60), workers=2, memory_budget=memory_budget)
    heavy_names = {f"{name} {level}" for name, level in HEAVY}
    heavy = [span for span in spans if span[0] in heavy_names]
    light = [span for span in spans if span[0] not in heavy_names]
    return report, heavy, light


def test_within_a_memory_budget_heavy_jobs_never_overlap_yet_light_ones_run_beside_them() -> None:
    data = python_source(512 * 1024)
    need = {job: job_memory(CODECS[job[0]], job[1], len(data)) for job in HEAVY + LIGHT}
    budget = max(need[job] for job in HEAVY) + max(need[job] for job in LIGHT)
    # The budget holds any heavy job beside any light one, and no two heavy jobs.
    assert min(need[a] + need[b] for a in HEAVY for b in HEAVY if a != b) > budget

    report, heavy, light = _run_recording(data, budget)
    assert not report.skipped
    assert len(report.results) == len(HEAVY + LIGHT)
    assert len(heavy) == len(HEAVY)
    for index, span in enumerate(heavy):
        assert not any(_overlap(span, other) for other in heavy[index + 1 :]), heavy
    # The second worker was not left idle: light jobs ran while a heavy one did.
    assert any(_overlap(h, other) for h in heavy for other in light), (heavy, light)

    # The same jobs without the memory limit do run heavy jobs side by side.
    _, unlimited_heavy, _ = _run_recording(data, 10**12)
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
