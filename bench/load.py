"""Load: uvicorn on 127.0.0.1 under wrk, on GET / and on POST /compress with a 64 KiB file.

Usage: .venv/bin/python bench/load.py [--seconds 30] [--connections 50]
Needs Debian's wrk (`apt-get install -y wrk`). Takes about 2 × seconds + a baseline run of
seconds / 3: not part of bench/run_all.py, whose benchmarks each finish within a minute.

Loopback only and bounded: the server listens on 127.0.0.1 at a port the OS picks, wrk runs for
a fixed time with a timeout of its own, and the server is stopped afterwards. Every response is
counted by a wrk Lua script: the run passes when there is no non-2xx answer and no socket error
(connect, read, write, timeout). The baseline is GET /health on the same server in the same run:
a FastAPI route doing nothing, so `× /health` says what a page or an upload costs beyond it.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent), str(HERE.parent / "tests")]

from loopback_server import serve_on_loopback  # noqa: E402
from timing import markdown_table  # noqa: E402

THREADS = 2  # wrk threads: one per core of this machine
UPLOAD_BYTES = 64 * 1024
# A realistic short list: one fast, one balanced, one strong codec. The default jobs (every
# codec up to its strongest level) take ~0.3 s of CPU per 64 KiB upload, so 50 connections on
# 2 cores would queue for many seconds; this keeps the test about throughput, not queueing.
UPLOAD_CODECS = "gzip:6,zstd:3,brotli:5"
WRK_TIMEOUT_SECONDS = 10
BOUNDARY = "wrk-load-boundary-5b1c"

# Per thread: one prepared request (optionally with a body read from a file), a count of
# responses that are not 2xx; at the end, one JSON line with the totals and percentiles.
WRK_SCRIPT = r"""
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non2xx = 0
  local method, path, content_type, body_path = args[1], args[2], args[3], args[4]
  local headers = {}
  local body = nil
  if body_path ~= nil and body_path ~= "" then
    local file = assert(io.open(body_path, "rb"))
    body = file:read("*a")
    file:close()
    headers["Content-Type"] = content_type
  end
  prepared = wrk.format(method, path, headers, body)
end

function request()
  return prepared
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local non2xx_total = 0
  for _, thread in ipairs(threads) do
    non2xx_total = non2xx_total + thread:get("non2xx")
  end
  local e = summary.errors
  io.write("WRK-RESULT ")
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"non2xx":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, non2xx_total, e.connect, e.read,
    e.write, e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max))
end
"""


@dataclass(frozen=True)
class LoadResult:
    name: str
    requests: int
    seconds: float
    non2xx: int
    socket_errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def clean(self) -> bool:
        return self.requests > 0 and self.non2xx == 0 and self.socket_errors == 0


def multipart_upload(size: int) -> bytes:
    """A form with one file of `size` bytes of seeded, text-like data."""
    words = [b"compress", b"tiny", b"site", b"lambda", b"brotli", b"zstd", b"\n"]
    rng = random.Random(64)
    data = bytearray()
    while len(data) < size:
        data += rng.choice(words) + b" "
    head = (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="file"; filename="load.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()
    return head + bytes(data[:size]) + f"\r\n--{BOUNDARY}--\r\n".encode()


def run_wrk(
    name: str,
    url: str,
    seconds: int,
    connections: int,
    script: Path,
    args: list[str],
) -> LoadResult:
    command = [
        "wrk",
        f"--threads={THREADS}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        f"--timeout={WRK_TIMEOUT_SECONDS}s",
        f"--script={script}",
        url,
        "--",
        *args,
    ]
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=True
    )
    line = next((ln for ln in completed.stdout.splitlines() if ln.startswith("WRK-RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{completed.stdout}\n{completed.stderr}")
    raw = json.loads(line.removeprefix("WRK-RESULT "))
    return LoadResult(
        name=name,
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        non2xx=raw["non2xx"],
        socket_errors=raw["connect"] + raw["read"] + raw["write"] + raw["timeout"],
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
    )


def run(seconds: int = 30, connections: int = 50) -> str:
    """Run the three loads and return the Markdown section; raises if any run was not clean."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed: apt-get install -y wrk")
    with tempfile.TemporaryDirectory(prefix="load-") as scratch:
        script = Path(scratch, "load.lua")
        script.write_text(WRK_SCRIPT)
        body = Path(scratch, "upload.multipart")
        body.write_bytes(multipart_upload(UPLOAD_BYTES))
        form = f"multipart/form-data; boundary={BOUNDARY}"
        with serve_on_loopback() as server:
            base = server.base_url
            loads = [
                ("GET /health (baseline)", "/health", max(5, seconds // 3), ["GET", "/health"]),
                ("GET /", "/", seconds, ["GET", "/"]),
                (
                    f"POST /compress, 64 KiB file, codecs={UPLOAD_CODECS}",
                    "/compress",
                    seconds,
                    ["POST", f"/compress?codecs={UPLOAD_CODECS}", form, str(body)],
                ),
            ]
            results = [
                run_wrk(name, base + path, duration, connections, script, args)
                for name, path, duration, args in loads
            ]
            server_errors = server.stderr()
    baseline = results[0].requests_per_second
    rows = [
        [
            r.name,
            f"{r.requests_per_second:,.0f}",
            f"{r.requests_per_second / baseline:.2f}",
            f"{r.p50_ms:.1f}",
            f"{r.p90_ms:.1f}",
            f"{r.p99_ms:.1f}",
            f"{r.max_ms:.0f}",
            r.non2xx,
            r.socket_errors,
        ]
        for r in results
    ]
    table = markdown_table(
        [
            f"wrk, {connections} connections, uvicorn on 127.0.0.1",
            "requests/s",
            "× /health",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "max ms",
            "non-2xx",
            "socket errors",
        ],
        rows,
    )
    section = f"### Load: uvicorn under wrk ({seconds} s per run)\n\n{table}"
    dirty = [r.name for r in results if not r.clean]
    if dirty or "Traceback" in server_errors:
        raise RuntimeError(f"{section}\n\nnot clean: {dirty}\n{server_errors[-3000:]}")
    return section


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30, help="per run (default 30)")
    parser.add_argument("--connections", type=int, default=50, help="default 50")
    options = parser.parse_args()
    print(run(options.seconds, options.connections))


if __name__ == "__main__":
    main()
