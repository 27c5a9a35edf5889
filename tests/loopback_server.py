"""A real uvicorn serving the app in a child process on 127.0.0.1, on a port the OS picks.

uvicorn binds port 0 itself and the port is read from its start-up line. (Handing it a bound
socket with `--fd` would be simpler, but uvicorn then takes the socket for a Unix one and
asyncio leaves Nagle's algorithm on: every response waited ~40 ms for a delayed ACK.)
Loopback only, by construction.

`timing_floor_seconds` (QUICK_TIMING_FLOOR_SECONDS, say) starts a server whose benchmarks time
each phase for that long instead of app/engine/job_timing.py's MIN_PHASE_SECONDS, 20 ms: for
tests of what a page or an answer shows of a report, not of how well it was timed (that is
tests/engine's). Everything else is the real app under the real server. The `quick_timing`
fixture (tests/conftest.py) lowers the floor in process the same way.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
STARTUP_TIMEOUT_SECONDS = 30.0
LISTENING_LINE = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+) ")


# Each phase repeats for 0.5 ms instead of 20 ms: a small upload's report then costs 0.05
# CPU-seconds instead of 1.1.
QUICK_TIMING_FLOOR_SECONDS = 0.0005

# `python -m MODULE ARGS...` with job_timing.MIN_PHASE_SECONDS set first; argv: FLOOR MODULE ARGS.
RUN_WITH_TIMING_FLOOR = """
import runpy, sys
import app.engine.job_timing as job_timing
job_timing.MIN_PHASE_SECONDS = float(sys.argv[1])
module = sys.argv[2]
sys.argv = [module, *sys.argv[3:]]
runpy.run_module(module, run_name="__main__", alter_sys=True)
"""


def python_module_command(module: str, timing_floor_seconds: float | None) -> list[str]:
    """`python -m module`, or the same with the benchmarks' timing floor set (see above)."""
    if timing_floor_seconds is None:
        return [sys.executable, "-m", module]
    return [sys.executable, "-c", RUN_WITH_TIMING_FLOOR, str(timing_floor_seconds), module]


@dataclass
class LoopbackServer:
    """A running server: where it listens, and what it has written to stderr so far."""

    host: str
    port: int
    process: subprocess.Popen[bytes]
    stderr_path: Path

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")


def _port_when_listening(process: subprocess.Popen[bytes], stderr_path: Path) -> int:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        log = stderr_path.read_text(errors="replace")
        if match := LISTENING_LINE.search(log):
            return int(match[1])
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn exited at start-up:\n{log}")
        time.sleep(0.05)
    raise RuntimeError(f"uvicorn did not start within {STARTUP_TIMEOUT_SECONDS} s")


@contextmanager
def serve_on_loopback(
    env: dict[str, str] | None = None,
    root_path: str = "",
    timing_floor_seconds: float | None = None,
) -> Iterator[LoopbackServer]:
    """Run `uvicorn app:app` on 127.0.0.1:<ephemeral> until the block ends; stops it after.

    The app's request lines are off (LOG_LEVEL=WARNING), as is uvicorn's access log; uvicorn's
    own messages, errors and tracebacks included, reach `server.stderr()`. `root_path` is
    uvicorn's --root-path: the app then sees every path under it, as behind a REST API's stage.
    """
    command = [
        *python_module_command("uvicorn", timing_floor_seconds),
        "app:app",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--no-access-log",
        *(["--root-path", root_path] if root_path else []),
    ]
    with tempfile.NamedTemporaryFile(prefix="uvicorn-", suffix=".log", delete=False) as stderr_file:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_DIR,
            env={**os.environ, "LOG_LEVEL": "WARNING", **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=stderr_file,
        )
    stderr_path = Path(stderr_file.name)
    try:
        port = _port_when_listening(process, stderr_path)
        yield LoopbackServer("127.0.0.1", port, process, stderr_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        stderr_path.unlink(missing_ok=True)


# Limits no test reaches: for tests of what the function answers, not of the throttling.
UNTHROTTLED = {
    f"{door}{kind}{limit}Limit": "10000"
    for door in ("RestApi", "HttpApi")
    for kind in ("Upload", "Page")
    for limit in ("Rate", "Burst")
}
LOCAL_GATEWAY_BANNER = re.compile(r" on (http://127\.0\.0\.1:\d+/\S*) ")


@dataclass
class LocalGateway:
    """`python -m app.local` running: the URL its banner names (the stage's, for the REST API)."""

    base_url: str
    process: subprocess.Popen[str]


@contextmanager
def serve_local_gateway(
    http_api: bool = False,
    env: dict[str, str] | None = None,
    parameter_overrides: dict[str, str] | None = None,
    timing_floor_seconds: float | None = None,
) -> Iterator[LocalGateway]:
    """Run handler.handler behind app/local.py's REST API (or, `http_api`, its HTTP API) on
    127.0.0.1:<ephemeral> until the block ends. LOG_LEVEL=WARNING keeps the request lines out.

    The door throttles and answers as template.yaml configures it for its parameter defaults,
    what users meet; `parameter_overrides` sets others, as `sam deploy --parameter-overrides`
    would (UNTHROTTLED for a test that uploads more than a few times a second).
    `timing_floor_seconds`: as for serve_on_loopback (this module's docstring).
    """
    command = [*python_module_command("app.local", timing_floor_seconds), "--port", "0"]
    if http_api:
        command.append("--http-api")
    if parameter_overrides:
        overrides = [f"{name}={value}" for name, value in parameter_overrides.items()]
        command += ["--parameter-overrides", *overrides]
    process = subprocess.Popen(
        command,
        cwd=PROJECT_DIR,
        env={**os.environ, "LOG_LEVEL": "WARNING", **(env or {})},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        match = LOCAL_GATEWAY_BANNER.search(banner)
        if match is None:
            raise RuntimeError(f"app.local did not start: {banner!r}")
        yield LocalGateway(match[1], process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
