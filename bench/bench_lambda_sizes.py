"""Which Lambda memory size for CompressTest: the default 4 MiB run simulated on 1, 2, 3 ... vCPUs.

Lambda gives CPU time in proportion to memory, 1769 MB buying one vCPU, and bills GB-seconds.
Each default job's time is measured here (raw library calls, compress then decompress, one at a
time, on 4 MiB of Python source; the median of ROUNDS rounds) as CPU time: what the job costs on
a vCPU of its own, which other load on this shared machine does not lengthen. The schedule is
then not re-implemented but run: the real engine (app/engine/benchmark.py: calibration, longest
first, memory budget, child processes) runs stand-in codecs that sleep for their job's measured
time, scaled by 1/TIME_SCALE, with each real codec's memory estimate, under the pool and memory
budget each memory size gets on Lambda (app/engine/cpus.py, app/config.py). A size below 1769 MB
runs one job at a time at its fraction of a vCPU.

Latency is the engine's elapsed time scaled back up; cost is GB-seconds (memory in GB × seconds)
at Lambda's arm64 price in us-east-1, ARM_PRICE_PER_GB_SECOND (first 6 billion GB-s a month;
x86_64 costs 25 % more), plus nothing for the request fee ($0.20 a million, the same at every
size). The figures are this machine's CPU, not Graviton's: compare the rows, not the seconds.
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import time

from corpora import MiB, python_source
from timing import markdown_table

from app.compression.codec import Codec
from app.compression.codec_spec import default_jobs
from app.config import DEFAULT_BUDGET_SECONDS, default_memory_budget_mb
from app.engine.benchmark import Budget, benchmark
from app.engine.cpus import LAMBDA_MB_PER_VCPU

ROUNDS = 3
# 1: real time. At 1/5 scale the engine's own costs per job (a fork, the calibration's
# start-up) were scaled up five times with the jobs and added 16 % to the 1-vCPU row.
TIME_SCALE = 1
ARM_PRICE_PER_GB_SECOND = 0.0000133334
MEMORY_SIZES_MB = (1024, 1769, 3008, 3538, 5307, 7076, 8845)


def job_seconds(data: bytes) -> dict[tuple[str, int], float]:
    """Each default job's raw CPU time, compress then decompress once: the median of ROUNDS."""
    rounds: dict[tuple[str, int], list[float]] = {}
    for _ in range(ROUNDS):
        for codec, level in default_jobs():
            started = time.process_time()
            codec.decompress(codec.compress(data, level))
            rounds.setdefault((codec.name, level), []).append(time.process_time() - started)
    return {job: statistics.median(seconds) for job, seconds in rounds.items()}


def stand_in(codec: Codec, seconds_for_whole: float, whole: bytes) -> Codec:
    """`codec` with its memory estimate, taking its measured time (scaled) per byte given.

    The engine's calibration slice is spent on the CPU, since the engine estimates from CPU
    time; the whole input is slept through, so that more workers than this machine's CPUs can
    run side by side.
    """

    def compress(chunk: bytes, level: int) -> bytes:
        seconds = seconds_for_whole * len(chunk) / len(whole) / TIME_SCALE
        if len(chunk) < len(whole):
            until = time.thread_time() + seconds
            while time.thread_time() < until:
                pass
        else:
            time.sleep(seconds)
        return chunk[:1]

    def decompress(blob: bytes) -> bytes:
        return whole

    return dataclasses.replace(codec, compress=compress, decompress=decompress)


def simulate(
    data: bytes, seconds: dict[tuple[str, int], float], memory_mb: int
) -> tuple[float, int, int]:
    """(latency s, workers, jobs skipped) of the default run on a function of `memory_mb`."""
    credit = memory_mb / LAMBDA_MB_PER_VCPU
    workers = max(1, int(credit))
    slowdown = 1 / credit if credit < 1 else 1.0  # one job at a fraction of a vCPU
    jobs = [
        (stand_in(codec, seconds[(codec.name, level)] * slowdown, data), level)
        for codec, level in default_jobs()
    ]
    memory_budget = default_memory_budget_mb({"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb)})
    report = benchmark(
        data,
        jobs,
        Budget(DEFAULT_BUDGET_SECONDS / TIME_SCALE),
        workers=workers,
        memory_budget=int(memory_budget * 1e6),
        repeat=False,
    )
    return report.elapsed_ms / 1000 * TIME_SCALE, workers, len(report.skipped)


def run() -> str:
    data = python_source(4 * MiB)
    load_before = os.getloadavg()[0]
    seconds = job_seconds(data)
    longest_job = max(seconds, key=seconds.__getitem__)
    critical_path = seconds[longest_job]
    total = sum(seconds.values())
    rows = []
    for memory_mb in MEMORY_SIZES_MB:
        latency, workers, skipped = simulate(data, seconds, memory_mb)
        gb_seconds = memory_mb / 1024 * latency
        rows.append(
            [
                str(memory_mb),
                f"{memory_mb / LAMBDA_MB_PER_VCPU:.2f}",
                str(workers),
                f"{latency:.2f}",
                f"{latency / critical_path:.2f}",
                f"{gb_seconds:.1f}",
                f"{gb_seconds * ARM_PRICE_PER_GB_SECOND * 1e6:.0f}",
                str(skipped),
            ]
        )
    table = markdown_table(
        [
            "MemorySize MB",
            "vCPUs",
            "workers",
            "latency s",
            "× critical path",
            "GB-s",
            "arm64 $ per million requests",
            "skipped (25 s budget)",
        ],
        rows,
    )
    return (
        f"### The default run on 4 MiB ({len(seconds)} jobs) by Lambda memory size\n\n"
        f"{table}\n\n"
        f"Measured here (CPU time, median of {ROUNDS} rounds): the jobs sum to {total:.2f} s; the "
        f"longest, {longest_job[0]} {longest_job[1]}, takes {critical_path:.2f} s: the critical "
        f"path no number of vCPUs can shorten. Load average {load_before:.2f} before. Cost at "
        f"${ARM_PRICE_PER_GB_SECOND} per GB-second (arm64); latency includes the engine's "
        f"calibration and one child process per job, run in real time."
    )


if __name__ == "__main__":
    import sys
    from pathlib import Path

    here = Path(__file__).resolve().parent
    sys.path[:0] = [str(here), str(here.parent), str(here.parent / "tests")]
    print(run())
