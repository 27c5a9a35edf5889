"""Work a whole test run shares: the first test process to ask does it, the others read it.

Under pytest-xdist each worker has a session of its own, so a session-scoped fixture runs once
per worker: a `sam build` or a batch of `sam validate` runs, 5 to 10 CPU-seconds each, twice
whenever both workers run a test that needs it. `once_per_run` keeps the result as JSON beside
the workers' temporary folders (the parent they share, new for every run), behind a file lock.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable
from typing import TypeVar

import pytest

Json = TypeVar("Json")


def once_per_run(
    tmp_path_factory: pytest.TempPathFactory, name: str, produce: Callable[[], Json]
) -> Json:
    """`produce()` in the first test process of this run to ask for `name`; in every process,
    that one included, what it returned as read back from JSON (dicts, lists, strings, numbers).
    A `produce` that raises leaves nothing behind: the next process to ask tries again."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # this run's folder, parent of every worker's
    result = shared / f"{name}.json"
    with (shared / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not result.exists():
            result.write_text(json.dumps(produce()))
        value: Json = json.loads(result.read_text())
        return value
