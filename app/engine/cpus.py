"""How many CPUs this process may keep busy: what sizes the benchmark's pool.

The count of CPUs a process can see is not what it may use. Lambda shows 2 CPUs to every
function from 128 to 3008 MB and 6 above, yet gives CPU time in proportion to memory, 1769 MB
buying one vCPU (AWS Lambda developer guide, "Configuring Lambda function memory"); its
affinity mask does not follow the memory size. A container may likewise see every CPU of its
host and be held to a CFS quota. Running more jobs at once than the CPU time granted only
slows each one down, and every speed the benchmark reports with it.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path

# Lambda's memory size that buys exactly one vCPU of CPU time.
LAMBDA_MB_PER_VCPU = 1769


def lambda_vcpus(environ: Mapping[str, str]) -> int | None:
    """On Lambda, whole vCPUs its memory size buys (at least 1); None elsewhere.

    Lambda sets AWS_LAMBDA_FUNCTION_MEMORY_SIZE (in MB) in every function's environment.
    """
    memory_mb = environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "").strip()
    if not memory_mb.isdigit():
        return None
    return max(1, int(memory_mb) // LAMBDA_MB_PER_VCPU)


def _own_cgroup_paths(proc_self_cgroup: str) -> dict[str, str]:
    """Controller name -> this process's cgroup path, from /proc/self/cgroup's lines.

    cgroup v2 has one line, "0::/path", listed here under the key "".
    """
    paths: dict[str, str] = {}
    for line in proc_self_cgroup.splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            for controller in parts[1].split(","):
                paths[controller] = parts[2]
    return paths


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _quota_cpus(quota: str | None, period: str | None) -> float | None:
    if quota is None or period is None or quota in ("max", "-1"):
        return None
    try:
        quota_us, period_us = int(quota), int(period)
    except ValueError:
        return None
    return quota_us / period_us if quota_us > 0 and period_us > 0 else None


def cgroup_cpu_quota(
    root: Path = Path("/sys/fs/cgroup"), proc_self_cgroup: str = ""
) -> float | None:
    """CPUs' worth of time the cgroup CPU quota grants (1.5 = 150 ms every 100 ms); None if unset.

    cgroup v2: `cpu.max` ("QUOTA PERIOD", QUOTA "max" when unlimited). cgroup v1:
    `cpu.cfs_quota_us` (-1 when unlimited) over `cpu.cfs_period_us`. Each is looked for in this
    process's own cgroup and then at the root of the hierarchy (what a container sees when its
    cgroup namespace puts it at the root). `proc_self_cgroup` is /proc/self/cgroup's text
    (read when empty).
    """
    if not proc_self_cgroup:
        proc_self_cgroup = _read(Path("/proc/self/cgroup")) or ""
    own = _own_cgroup_paths(proc_self_cgroup)
    candidates: list[tuple[Path, str, str]] = []
    for directory in dict.fromkeys([own.get("", "/"), "/"]):
        base = root / directory.lstrip("/")
        candidates.append((base, "cpu.max", ""))
    for mount in ("cpu", "cpu,cpuacct"):
        for directory in dict.fromkeys([own.get("cpu", "/"), "/"]):
            base = root / mount / directory.lstrip("/")
            candidates.append((base, "cpu.cfs_quota_us", "cpu.cfs_period_us"))
    for base, quota_file, period_file in candidates:
        if period_file:
            cpus = _quota_cpus(_read(base / quota_file), _read(base / period_file))
        else:
            text = _read(base / quota_file)
            fields = text.split() if text else []
            cpus = _quota_cpus(*fields) if len(fields) == 2 else None
        if cpus is not None:
            return cpus
    return None


def affinity_cpus() -> int:
    """CPUs in this process's affinity mask (all CPUs where the OS has no masks)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no affinity masks
        return os.cpu_count() or 1


def usable_cpus(environ: Mapping[str, str] = os.environ) -> int:
    """Whole CPUs this process may keep busy at once; at least 1.

    On Lambda: its memory size ÷ 1769 MB, rounded down (a 3008 MB function gets 1.7 vCPUs of
    time: two jobs at once would each run at 85 %). Elsewhere: the affinity mask, lowered to
    a cgroup CPU quota rounded down where one is set.
    """
    cpus = affinity_cpus()
    on_lambda = lambda_vcpus(environ)
    if on_lambda is not None:
        return max(1, min(cpus, on_lambda))
    quota = cgroup_cpu_quota()
    if quota is not None:
        cpus = min(cpus, math.floor(quota))
    return max(1, cpus)
