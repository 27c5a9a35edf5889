"""Run inside a clean Python 3.13 by sam_tools.run_artifact: import handler, serve events.

Usage: python3.13 -I -S artifact_runner.py ARTIFACT_DIR < events.json
Prints one JSON line last: the results, the seconds (wall and CPU) spent importing handler and
serving the first event, the wall seconds of every event, and which imported modules came from
outside the artifact and the standard library.
Standard library only, like the Lambda runtime's own bootstrap.
"""

from __future__ import annotations

import json
import sys
import sysconfig
import time
import uuid
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # for mypy only: at run time this script sees the artifact and the stdlib
    from mangum.types import LambdaCognitoIdentity, LambdaMobileClientContext

started = time.perf_counter()
artifact = sys.argv[1]
sys.path.insert(0, artifact)
events = json.loads(sys.stdin.read())


class Context:
    """What the Lambda runtime passes (mangum.types.LambdaContext), with a 29 s deadline (the
    template's Timeout)."""

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self.function_name = "CompressTestFunction"
        self.function_version = "$LATEST"
        self.invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:CompressTest"
        self.memory_limit_in_mb = 1769
        self.log_group_name = "/aws/lambda/CompressTestFunction"
        self.log_stream_name = "2026/12/01/[$LATEST]0123456789abcdef0123456789abcdef"
        self.identity: LambdaCognitoIdentity | None = None
        self.client_context: LambdaMobileClientContext | None = None
        self.deadline = time.monotonic() + 29

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


import_started = time.perf_counter()
import_started_cpu = time.process_time()
import handler  # noqa: E402

imported = time.perf_counter()
imported_cpu = time.process_time()
results = []
call_seconds = []
first_call_seconds = first_call_cpu_seconds = None
for event in events:
    call_started, call_started_cpu = time.perf_counter(), time.process_time()
    results.append(handler.handler(event, Context()))
    call_seconds.append(time.perf_counter() - call_started)
    if first_call_seconds is None:
        first_call_seconds = time.perf_counter() - call_started
        first_call_cpu_seconds = time.process_time() - call_started_cpu

stdlib = sysconfig.get_paths()["stdlib"]
outside = sorted(
    name
    for name, module in list(sys.modules.items())
    if name != "__main__"
    and (path := getattr(module, "__file__", None) or "").startswith("/")
    and not path.startswith((artifact, stdlib))
)
cached = [
    spec.cached
    for module in list(sys.modules.values())
    if (spec := getattr(module, "__spec__", None)) is not None
    and spec.cached
    and (spec.origin or "").startswith(artifact)
]
print(
    json.dumps(
        {
            "results": results,
            "import_seconds": imported - import_started,
            "first_call_seconds": first_call_seconds,
            "import_cpu_seconds": imported_cpu - import_started_cpu,
            "first_call_cpu_seconds": first_call_cpu_seconds,
            "call_seconds": call_seconds,
            "total_seconds": time.perf_counter() - started,
            "modules_outside": outside,
            "site_imported": "site" in sys.modules,
            "sys_path": sys.path,
            "artifact_module_caches": cached,
            "handler_file": handler.__file__,
        }
    )
)
