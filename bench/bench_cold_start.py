"""Cold start of the built Lambda artifact, against a hello-world FastAPI + Mangum built alike.

Each run is a fresh Python 3.13 (`-I -S`: only the artifact and the standard library, as on
Lambda) that imports handler and serves one API Gateway REST event for GET /. Rows: this
project's artifact from `sam build` (host architecture), and a hello world (one async route
returning a short HTML page, Mangum with lifespan "off") built by the same
deploy/build_artifact.py; each with its shipped bytecode and as a copy without any .pyc (what
SAM's default pip build ships: /var/task is read-only, so every cold start compiles; the
standard library keeps its own .pyc, as in the Lambda runtime). Every child runs with -B.
Runs alternate between the four rows so drift hits them alike.

Each process then serves a second event, GET /health: the first API request, which includes the
API's routers (app/web/deferred_routers.py) and so carries what the cold start no longer does;
for the hello world, which has no such route, the same request is a 404. With
COLD_START_BEFORE=DIR (a checkout of an earlier commit), that tree's handler.py and app/ are
built alike and measured as two more rows in the same run: before and after side by side.

"cold start" is what Lambda's init phase and first invocation would spend in the function's
code: importing handler plus serving the event, timed inside the child. "whole process" adds
the interpreter's start and exit, the same for every row; Lambda's own runtime start and the
code download are in neither. The CPU column is the same span in CPU time of the child: when
other processes share the machine's two cores it holds steadier than the wall clock, and on
Lambda's dedicated vCPU the two are close. Baseline: hello world with bytecode.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from lambda_events import build_event
from sam_tools import (
    PROJECT_ROOT,
    copy_without_bytecode,
    host_architecture,
    lambda_python,
    run_artifact,
    sam_build,
)
from timing import markdown_table

RUNS = 15
HELLO_WORLD_HANDLER = """\
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from mangum import Mangum

app = FastAPI()


@app.get("/")
async def home() -> HTMLResponse:
    return HTMLResponse("<!doctype html><title>Hello</title><h1>Hello, world</h1>")


handler = Mangum(app, lifespan="off")
"""


def build_hello_world(folder: Path) -> Path:
    """The hello world through deploy/build_artifact.py, with the project's pins of both."""
    source = folder / "hello-src"
    source.mkdir()
    (source / "handler.py").write_text(HELLO_WORLD_HANDLER)
    wanted = ("fastapi", "mangum")
    lines = (PROJECT_ROOT / "deploy" / "requirements.txt").read_text().splitlines()
    (source / "requirements.txt").write_text(
        "\n".join(line for line in lines if line.startswith(wanted)) + "\n"
    )
    return build_artifact(
        folder / "hello-artifact", [source / "handler.py"], source / "requirements.txt"
    )


def build_tree(tree: Path, folder: Path) -> Path:
    """Another checkout's handler.py and app/ through this deploy/build_artifact.py."""
    return build_artifact(folder / "before-artifact", [tree / "handler.py", tree / "app"])


def build_artifact(artifact: Path, sources: list[Path], requirements: Path | None = None) -> Path:
    """`sources` (and `requirements`, else the project's) built into `artifact` for this
    machine by deploy/build_artifact.py, under the Lambda's Python."""
    command = [
        str(lambda_python()),
        str(PROJECT_ROOT / "deploy" / "build_artifact.py"),
        "--architecture",
        host_architecture(),
    ]
    if requirements is not None:
        command += ["--requirements", str(requirements)]
    for source in sources:
        command += ["--source", str(source)]
    subprocess.run([*command, str(artifact)], check=True, capture_output=True)
    return artifact


def run() -> str:
    event = build_event("apigw-rest-v1", method="GET", path="/", headers={"Accept-Encoding": "br"})
    health = build_event("apigw-rest-v1", method="GET", path="/health")
    before = os.environ.get("COLD_START_BEFORE")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        built = {"hello world": build_hello_world(folder)}
        if before:
            built[f"before ({Path(before).name})"] = build_tree(Path(before), folder)
        built["this app (sam build)"] = sam_build(folder / "sam")
        artifacts = {
            (name, with_bytecode): path
            if with_bytecode
            else copy_without_bytecode(path, folder / f"{path.name}-no-pyc")
            for name, path in built.items()
            for with_bytecode in (True, False)
        }
        rows: dict[tuple[str, bool], dict[str, list[float]]] = {
            key: {"wall": [], "import": [], "first": [], "cpu": [], "second": []}
            for key in artifacts
        }
        for _ in range(RUNS):
            for key, artifact in artifacts.items():
                started = time.perf_counter()
                report = run_artifact(artifact, [event, health])
                wall = time.perf_counter() - started
                assert report["results"][0]["statusCode"] == 200, report["results"][0]
                rows[key]["wall"].append(wall)
                rows[key]["import"].append(report["import_seconds"])
                rows[key]["first"].append(report["first_call_seconds"])
                rows[key]["second"].append(report["call_seconds"][1])
                rows[key]["cpu"].append(
                    report["import_cpu_seconds"] + report["first_call_cpu_seconds"]
                )

    def median_ms(samples: list[float]) -> float:
        return statistics.median(samples) * 1000

    for samples in rows.values():
        samples["cold"] = [i + f for i, f in zip(samples["import"], samples["first"], strict=True)]
    baseline = median_ms(rows["hello world", True]["cold"])
    baseline_cpu = median_ms(rows["hello world", True]["cpu"])
    table_rows = [
        [
            f"{name}, {'with' if with_bytecode else 'without'} .pyc",
            f"{median_ms(samples['cold']):.0f}",
            f"{median_ms(samples['cold']) / baseline:.2f}",
            f"{median_ms(samples['cpu']):.0f}",
            f"{median_ms(samples['cpu']) / baseline_cpu:.2f}",
            f"{median_ms(samples['import']):.0f}",
            f"{median_ms(samples['first']):.1f}",
            f"{median_ms(samples['second']):.1f}",
            f"{median_ms(samples['wall']):.0f}",
        ]
        for (name, with_bytecode), samples in rows.items()
    ]
    table = markdown_table(
        [
            "fresh python3.13, GET /",
            "cold start ms",
            "× hello world with .pyc",
            "cold start CPU ms",
            "× (CPU)",
            "import handler ms",
            "first request ms",
            "then GET /health ms",
            "whole process ms",
        ],
        table_rows,
    )
    return f"### Cold start of the Lambda artifact (median of {RUNS} fresh processes)\n\n{table}"


if __name__ == "__main__":
    import sys

    here = Path(__file__).resolve().parent
    sys.path[:0] = [str(here.parent), str(here.parent / "tests")]
    print(run())
