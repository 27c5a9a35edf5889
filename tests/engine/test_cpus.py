"""The pool follows the CPU time this process may use: Lambda's memory size, cgroup quotas,
the affinity mask (app/engine/cpus.py). Cgroup files are written under a temporary root, shaped as
cgroup v2 and v1 lay them out."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.engine.cpus import affinity_cpus, cgroup_cpu_quota, lambda_vcpus, usable_cpus


@pytest.mark.parametrize(
    ("memory_mb", "vcpus"),
    [("128", 1), ("1769", 1), ("3008", 1), ("3538", 2), ("5307", 3), ("10240", 5)],
)
def test_lambda_gives_one_vcpu_per_1769_mb_at_least_one(memory_mb: str, vcpus: int) -> None:
    assert lambda_vcpus({"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": memory_mb}) == vcpus


def test_outside_lambda_there_is_no_memory_credit() -> None:
    assert lambda_vcpus({}) is None
    assert lambda_vcpus({"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "lots"}) is None


def test_on_lambda_the_pool_follows_memory_not_the_two_visible_cpus() -> None:
    visible = affinity_cpus()
    assert usable_cpus({"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1769"}) == 1
    assert usable_cpus({"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "3008"}) == 1
    # Never more than the CPUs the process can run on.
    assert usable_cpus({"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "10240"}) == min(visible, 5)


def test_elsewhere_the_pool_is_the_affinity_mask_within_any_quota() -> None:
    expected = len(os.sched_getaffinity(0))
    quota = cgroup_cpu_quota()
    if quota is not None:  # this machine's own cgroup, read as usable_cpus reads it
        expected = max(1, min(expected, int(quota)))
    assert usable_cpus({}) == expected


def _write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")


def test_cgroup_v2_cpu_max_of_the_own_cgroup(tmp_path: Path) -> None:
    _write(tmp_path, "cpu.max", "max 100000")
    _write(tmp_path, "system.slice/app.service/cpu.max", "150000 100000")
    own = "0::/system.slice/app.service\n"
    assert cgroup_cpu_quota(tmp_path, own) == 1.5
    assert cgroup_cpu_quota(tmp_path, "0::/\n") is None


def test_cgroup_v2_at_the_namespace_root(tmp_path: Path) -> None:
    # A container's cgroup namespace shows its own cgroup as "/".
    _write(tmp_path, "cpu.max", "200000 100000")
    assert cgroup_cpu_quota(tmp_path, "0::/\n") == 2.0


@pytest.mark.parametrize("mount", ["cpu", "cpu,cpuacct"])
def test_cgroup_v1_cfs_quota(tmp_path: Path, mount: str) -> None:
    own = f"5:{mount}:/docker/abc\n4:memory:/docker/abc\n0::/\n"
    _write(tmp_path, f"{mount}/docker/abc/cpu.cfs_quota_us", "50000")
    _write(tmp_path, f"{mount}/docker/abc/cpu.cfs_period_us", "100000")
    assert cgroup_cpu_quota(tmp_path, own) == 0.5


def test_cgroup_v1_unlimited_and_malformed_quotas_are_no_quota(tmp_path: Path) -> None:
    _write(tmp_path, "cpu/cpu.cfs_quota_us", "-1")
    _write(tmp_path, "cpu/cpu.cfs_period_us", "100000")
    assert cgroup_cpu_quota(tmp_path, "3:cpu,cpuacct:/\n") is None
    _write(tmp_path, "cpu.max", "lots 100000")
    assert cgroup_cpu_quota(tmp_path, "0::/\n") is None
    assert cgroup_cpu_quota(tmp_path / "absent", "0::/\n") is None
