"""ForkedCall (app/engine/forked_call.py): a call in a forked child, its value back through a pipe,
stoppable at once, nothing left behind; on the Lambda runtime's Python too."""

from __future__ import annotations

import os
import subprocess
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from child_processes import child_pids
from sam_tools import lambda_python

from app.engine.forked_call import ChildFailed, ForkedCall

FORKED_CALL_SOURCE = Path(__file__).resolve().parents[2] / "app" / "engine" / "forked_call.py"


def test_the_value_comes_back_from_another_process_and_the_child_is_reaped() -> None:
    dictionary = os.urandom(64)  # a closure over per-call state: nothing to pickle but the value
    call = ForkedCall(lambda: (os.getpid(), dictionary[::-1]))
    pid, reversed_dictionary = call.result()
    assert pid == call.pid != os.getpid()
    assert reversed_dictionary == dictionary[::-1]
    assert call.pid not in child_pids()


def test_a_large_value_crosses_the_pipe_whole() -> None:
    value = os.urandom(3 * 1024 * 1024)  # far beyond a pipe's 64 KiB buffer
    assert ForkedCall(lambda: value).result() == value


def test_an_exception_in_the_child_is_raised_with_its_repr() -> None:
    def fails() -> None:
        raise ValueError("no such level")

    with pytest.raises(ChildFailed, match=r"ValueError\('no such level'\)"):
        ForkedCall(fails).result()


def test_a_child_that_dies_is_reported_by_its_signal() -> None:
    with pytest.raises(ChildFailed, match="killed by SIGTERM"):
        ForkedCall(lambda: os.kill(os.getpid(), 15)).result()


def test_kill_stops_a_busy_child_at_once() -> None:
    def spins() -> None:
        while True:
            pass

    before = child_pids()
    call = ForkedCall(spins)
    started = time.monotonic()
    call.kill()
    assert time.monotonic() - started < 1
    assert child_pids() == before
    call.kill()  # a second kill is harmless


def test_calls_forked_from_many_threads_at_once_each_get_their_own_value() -> None:
    """The fork lock: no child inherits another call's write end, so none waits on another."""

    def slow_value(n: int) -> int:
        time.sleep(0.05 * (n % 3))
        return n * n

    def one(n: int) -> int:
        return ForkedCall(lambda: slow_value(n)).result()

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(one, range(32))) == [n * n for n in range(32)]


def fork_beside_a_thread_on_lambda_python(fork: str) -> subprocess.CompletedProcess[str]:
    """Run `fork` (Python source) on the Lambda runtime's Python while another thread runs.

    `-W always` shows every warning (`-W error` cannot: CPython reports the fork warning from
    inside fork and clears it). `module` is app/engine/forked_call.py, loaded from its file.
    """
    script = f"""
import importlib.util, os, sys, threading
spec = importlib.util.spec_from_file_location("app.engine.forked_call", {str(FORKED_CALL_SOURCE)!r})
module = importlib.util.module_from_spec(spec)
sys.modules["app.engine.forked_call"] = module
spec.loader.exec_module(module)
stop = threading.Event()
thread = threading.Thread(target=stop.wait)
thread.start()
try:
{textwrap.indent(textwrap.dedent(fork).strip(), "    ")}
finally:
    stop.set()
"""
    return subprocess.run(
        [str(lambda_python()), "-I", "-W", "always", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_on_the_lambda_python_a_fork_beside_threads_raises_no_warning() -> None:
    """Python 3.12+ warns (DeprecationWarning) on any fork in a process with threads; the
    module silences that warning for its own fork only."""
    done = fork_beside_a_thread_on_lambda_python("print(module.ForkedCall(lambda: 6 * 7).result())")
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, "42", "")


def test_without_the_filter_python_3_13_does_warn() -> None:
    """The check above can fail: the same fork outside the module does warn."""
    done = fork_beside_a_thread_on_lambda_python(
        """
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
        """
    )
    assert done.returncode == 0
    assert "DeprecationWarning: This process" in done.stderr
    assert "multi-threaded, use of fork() may lead to deadlocks" in done.stderr


def test_no_thread_is_started() -> None:
    before = threading.active_count()
    ForkedCall(lambda: None).result()
    assert threading.active_count() == before
