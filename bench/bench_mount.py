"""What serving under a mount prefix costs: per request, per 404 depth, per docs file, at import.

Rows, each against a baseline measured in the same run:
- warm GET /v1/ through handler.handler (REST event, stage v1) against the same app behind the
  same Mangum configuration without MountedFromEvent (app/aws/lambda_adapter.py): the per-request
  cost of reading the prefix from the event;
- a 404 page at a depth not seen before (built and compressed then: app/tinysite/precompressed.py,
  not_found_page) against a 404 at a depth already built;
- the first request in a container for Swagger UI's bundle in br (read and compressed then:
  app/web/api_docs.py) against a later one;
- `import handler` in a fresh interpreter against `import fastapi, mangum` (what any such app
  pays), and the self time of the modules this adds (`python -X importtime`).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from lambda_events import FakeLambdaContext, build_event
from timing import markdown_table, request_log_to_devnull, time_calls

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CALLS = 10000
ROUNDS = 20
DEPTHS = range(3, 15)  # fresh depths: only depth 0 is built at import
DOCS_RUNS = 5
IMPORT_RUNS = 15
ADDED_MODULES = ("app.aws.mount", "app.web.api_docs", "app.web.routes.docs")
BROWSER_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Encoding": "gzip, deflate, br, zstd",
}


def _per_request() -> list[list[object]]:
    from mangum import Mangum

    import handler
    from app.aws.lambda_adapter import TEXT_MEDIA_TYPES, LambdaAdapter
    from app.main import app

    without_mount = LambdaAdapter(app)
    without_mount.mangum = Mangum(app, lifespan="off", text_mime_types=TEXT_MEDIA_TYPES)
    event = build_event("apigw-rest-v1", path="/", headers=BROWSER_HEADERS)
    context = FakeLambdaContext()
    assert handler.handler(event, context)["statusCode"] == 200
    baselines: list[float] = []
    mounteds: list[float] = []
    for _ in range(ROUNDS):  # alternated, each round its own ratio, so drift hits both alike
        batch = CALLS // ROUNDS
        baselines.append(time_calls(lambda: without_mount(event, context), batch).median_us)
        mounteds.append(time_calls(lambda: handler.handler(event, context), batch).median_us)
    ratio = statistics.median(m / b for m, b in zip(mounteds, baselines, strict=True))
    baseline, mounted = statistics.median(baselines), statistics.median(mounteds)
    return [
        ["warm GET /v1/, no prefix read (baseline)", f"{baseline:.1f} µs", "1.00"],
        [f"warm GET /v1/, prefix read ({ROUNDS} rounds)", f"{mounted:.1f} µs", f"{ratio:.2f}"],
    ]


def _not_found_depths() -> list[list[object]]:
    import handler

    context = FakeLambdaContext()

    def at_depth(depth: int) -> float:
        path = "/x" * (depth + 1)
        event = build_event("apigw-rest-v1", path=path, headers=BROWSER_HEADERS)
        started = time.perf_counter()
        assert handler.handler(event, context)["statusCode"] == 404
        return (time.perf_counter() - started) * 1e6

    built = [at_depth(depth) for depth in DEPTHS]
    cached = [at_depth(depth) for depth in DEPTHS]
    baseline = statistics.median(cached)
    first = statistics.median(built)
    return [
        ["404 at a depth already built (baseline)", f"{baseline:.0f} µs", "1.00"],
        [f"404 at a new depth ({len(built)} depths)", f"{first:.0f} µs", f"{first / baseline:.0f}"],
    ]


DOCS_SCRIPT = """
import time
from fastapi.testclient import TestClient
from app import app
client = TestClient(app)
headers = {"accept-encoding": "br"}
times = []
for _ in range(2):
    started = time.perf_counter()
    assert client.get("/docs/swagger-ui-bundle.js", headers=headers).status_code == 200
    times.append(time.perf_counter() - started)
print(times[0] * 1000, times[1] * 1000)
"""


def _docs_first_request() -> list[list[object]]:
    firsts, laters = [], []
    for _ in range(DOCS_RUNS):
        done = subprocess.run(
            [sys.executable, "-c", DOCS_SCRIPT],
            cwd=PROJECT_ROOT,
            env={"LOG_LEVEL": "WARNING", "PATH": ""},
            capture_output=True,
            text=True,
            check=True,
        )
        first, later = map(float, done.stdout.split())
        firsts.append(first)
        laters.append(later)
    first, later = statistics.median(firsts), statistics.median(laters)
    return [
        ["docs bundle (br), a later request (baseline)", f"{later:.1f} ms", "1.00"],
        [
            f"docs bundle (br), first in a container ({DOCS_RUNS} runs)",
            f"{first:.1f} ms",
            f"{first / later:.0f}",
        ],
    ]


def _import_seconds(statement: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], cwd=PROJECT_ROOT, check=True)
    return time.perf_counter() - started


def _import_rows() -> list[list[object]]:
    baseline_runs, handler_runs = [], []
    for _ in range(IMPORT_RUNS):  # alternated, so drift hits both alike
        baseline_runs.append(_import_seconds("import fastapi, mangum"))
        handler_runs.append(_import_seconds("import handler"))
    baseline, whole = statistics.median(baseline_runs), statistics.median(handler_runs)
    self_us: dict[str, list[int]] = {name: [] for name in ADDED_MODULES}
    for _ in range(IMPORT_RUNS):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import handler"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        for line in done.stderr.splitlines():
            parts = [part.strip() for part in line.removeprefix("import time:").split("|")]
            if len(parts) == 3 and parts[2] in self_us:
                self_us[parts[2]].append(int(parts[0]))
    added = sum(statistics.median(times) for times in self_us.values()) / 1e6
    return [
        [
            f"import fastapi, mangum (baseline, {IMPORT_RUNS} runs)",
            f"{baseline * 1000:.0f} ms",
            "1.00",
        ],
        ["import handler", f"{whole * 1000:.0f} ms", f"{whole / baseline:.2f}"],
        [
            f"of which {', '.join(ADDED_MODULES)} (self)",
            f"{added * 1000:.2f} ms",
            f"{added / baseline:.4f}",
        ],
    ]


def run() -> str:
    import handler  # noqa: F401  (first: request_log_to_devnull redirects the handlers it sets)

    with request_log_to_devnull():
        rows = [*_per_request(), *_not_found_depths()]
    rows += [*_docs_first_request(), *_import_rows()]
    return "### Serving under a mount prefix\n\n" + markdown_table(
        ["case", "median", "× baseline"], rows
    )


if __name__ == "__main__":
    sys.path[:0] = [str(PROJECT_ROOT / "bench"), str(PROJECT_ROOT), str(PROJECT_ROOT / "tests")]
    print(run())
