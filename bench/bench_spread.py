"""Speeds you can trust on small inputs: six identical POST /compress of a 12 KB JSON response.

For every job of the default 20 and each phase (compress, decompress), the spread is max ÷ min
of its MB/s over the six requests. Target: the median spread over jobs and phases at most
1.05, the worst at most 1.25, each request (through handler.handler) at most 1.5 s.

The same six rounds, interleaved so that the machine's drift falls on every variant alike, also
time the alternatives the engine could have used, and a baseline of what this machine allows:
- the engine as shipped: fastest of repeated runs, one job at a time (via handler.handler);
- the same with two jobs timed side by side (workers=2);
- the same, with compress speeds taken from CPU time instead of wall time;
- one run per phase, two jobs side by side (as the engine ran before repetition, but each
  run timed as now);
- the machine's drift: the same repeated timing of raw library calls in this process, no engine
  and no child process. The engine cannot be steadier than this.
SETS sets of six requests each show how repeatable the figures are.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from corpora import json_api_response
from lambda_events import FakeLambdaContext, build_event
from timing import markdown_table, request_log_to_devnull

from app.compression.codec_spec import default_jobs
from app.engine.benchmark import Budget, benchmark
from app.engine.job_timing import measure

REQUESTS = 6
SETS = 3
# One phase's time per request: (codec level, phase) -> seconds.
Timings = dict[tuple[str, str], float]


def through_handler(data: bytes) -> tuple[Timings, Timings, float]:
    """Wall and CPU timings of one POST /compress via handler.handler, and its seconds."""
    import handler

    event = build_event(
        "apigw-http-v2",
        method="POST",
        path="/compress",
        headers={"Content-Type": "application/json"},
        body=data,
    )
    started = time.perf_counter()
    result = handler.handler(event, FakeLambdaContext(remaining_ms=900_000))
    seconds = time.perf_counter() - started
    assert result["statusCode"] == 200, result
    report = json.loads(result["body"])
    assert not report["skipped"], report["skipped"]
    return _timings(report["results"]), _cpu_timings(report["results"]), seconds


def _timings(results: list[dict[str, Any]]) -> Timings:
    timings: Timings = {}
    for r in results:
        job = f"{r['codec']} {r['level']}"
        timings[(job, "compress")] = float(r["compress_ms"])
        timings[(job, "decompress")] = float(r["decompress_ms"])
    return timings


def _cpu_timings(results: list[dict[str, Any]]) -> Timings:
    return {
        (f"{r['codec']} {r['level']}", "compress"): float(r["compress_cpu_ms"]) for r in results
    }


def through_engine(data: bytes, **options: Any) -> tuple[Timings, float]:
    started = time.perf_counter()
    report = benchmark(data, default_jobs(), Budget(60), **options)
    seconds = time.perf_counter() - started
    assert not report.skipped, report.skipped
    results = [r.__dict__ for r in report.results]
    return _timings(results), seconds


def raw_in_process(data: bytes) -> tuple[Timings, float]:
    started = time.perf_counter()
    results = [measure(codec, level, data, repeat=True).__dict__ for codec, level in default_jobs()]
    return _timings(results), time.perf_counter() - started


def spreads(requests: list[Timings]) -> list[tuple[float, str]]:
    """(max ÷ min over the requests, 'job phase') for every job and phase, smallest first."""
    return sorted(
        (max(r[key] for r in requests) / min(r[key] for r in requests), f"{key[0]} {key[1]}")
        for key in requests[0]
    )


def one_set(data: bytes) -> dict[str, tuple[list[Timings], list[float]]]:
    variants: dict[str, Callable[[], tuple[Timings, float]]] = {}
    handler_cpu: list[Timings] = []

    def shipped() -> tuple[Timings, float]:
        wall, cpu, seconds = through_handler(data)
        handler_cpu.append(cpu)
        return wall, seconds

    variants["engine as shipped: repeated, 1 job at a time"] = shipped
    variants["repeated, 2 jobs side by side"] = lambda: through_engine(data, workers=2)
    variants["one run per phase, 2 side by side"] = lambda: through_engine(
        data, workers=2, repeat=False
    )
    variants["baseline: raw calls in-process, repeated"] = lambda: raw_in_process(data)
    measured: dict[str, tuple[list[Timings], list[float]]] = {name: ([], []) for name in variants}
    for _ in range(REQUESTS):
        for name, run in variants.items():
            timings, seconds = run()
            measured[name][0].append(timings)
            measured[name][1].append(seconds)
    measured["engine as shipped, compress from CPU time"] = (
        handler_cpu,
        measured["engine as shipped: repeated, 1 job at a time"][1],
    )
    return measured


def run() -> str:
    data = json_api_response()
    rows = []
    load_before = os.getloadavg()[0]
    with request_log_to_devnull():
        for set_number in range(1, SETS + 1):
            for name, (requests, seconds) in one_set(data).items():
                spread = spreads(requests)
                worst, worst_job = spread[-1]
                rows.append(
                    [
                        str(set_number),
                        name,
                        f"{statistics.median(s for s, _ in spread):.3f}",
                        f"{worst:.2f} ({worst_job})",
                        f"{max(seconds):.2f}",
                    ]
                )
    load_after = os.getloadavg()[0]
    table = markdown_table(
        ["set", "variant", "median max/min", "worst max/min", "slowest request s"], rows
    )
    return (
        f"### Spread of MB/s over {REQUESTS} identical requests, {len(data):,} bytes of JSON, "
        f"default jobs ({len(default_jobs())}), {SETS} sets\n\n{table}\n\n"
        f"Target (engine as shipped): median ≤ 1.05, worst ≤ 1.25, each request ≤ 1.5 s. "
        f"Load average {load_before:.2f} before, {load_after:.2f} after. The baseline row is "
        "this machine's own drift between rounds: the same timing of raw library calls in-"
        "process, with no engine at all; the CPU-time row covers compress phases only."
    )


if __name__ == "__main__":
    import sys

    here = Path(__file__).resolve().parent
    sys.path[:0] = [str(here), str(here.parent), str(here.parent / "tests")]
    print(run())
