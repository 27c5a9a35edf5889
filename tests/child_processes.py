"""The child processes of this test process, read from Linux's /proc (no third-party library)."""

from __future__ import annotations

from pathlib import Path


def child_pids() -> set[int]:
    """The processes this one started that have not been reaped yet.

    /proc lists children per thread; a thread that ends while they are read is skipped (it
    has no children left to list).
    """
    pids: set[int] = set()
    for task in Path("/proc/self/task").iterdir():
        try:
            pids.update(int(pid) for pid in (task / "children").read_text().split())
        except FileNotFoundError:
            continue
    return pids
