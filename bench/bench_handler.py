"""Warm invocation of handler.handler for a trivial route, against the floor and hello world.

Rows, all in one run on the same REST API (payload 1.0) event for GET /health:
- floor: a bare handler returning a precomputed result dict (what any Python handler costs);
- hello world: FastAPI behind Mangum with its defaults (sync route, lifespan "auto"), the
  baseline every ratio is against;
- hello world, async route, lifespan "off": the same app with this project's two choices;
- handler.handler: this app (CORS, request log with its JSON line, problem guard);
- handler.handler with lifespan "auto": what Mangum's default would cost this app.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from lambda_events import FakeLambdaContext, build_event
from mangum import Mangum
from timing import Timings, markdown_table, request_log_to_devnull, time_calls

CALLS = 5000


def hello_world(*, async_route: bool) -> FastAPI:
    app = FastAPI()
    if async_route:

        @app.get("/health")
        async def health_async() -> dict[str, str]:
            return {"status": "ok"}

    else:

        @app.get("/health")
        def health_sync() -> dict[str, str]:
            return {"status": "ok"}

    return app


def run() -> str:
    import handler
    from app import app

    with request_log_to_devnull():
        event = build_event("apigw-rest-v1", method="GET", path="/health")
        context = FakeLambdaContext()
        precomputed = handler.handler(event, context)

        def floor(event: dict[str, Any], context: FakeLambdaContext) -> dict[str, Any]:
            return precomputed

        candidates: dict[str, Callable[[dict[str, Any], FakeLambdaContext], dict[str, Any]]] = {
            "floor: bare handler, precomputed dict": floor,
            "hello world: FastAPI + Mangum defaults (baseline)": Mangum(
                hello_world(async_route=False)
            ),
            "hello world: async route, lifespan off": Mangum(
                hello_world(async_route=True), lifespan="off"
            ),
            "handler.handler (this app)": handler.handler,
            "this app with Mangum's lifespan auto": Mangum(app, lifespan="auto"),
        }
        timings: dict[str, Timings] = {}
        for name, candidate in candidates.items():
            result = candidate(event, context)
            assert result["statusCode"] == 200, (name, result)
            timings[name] = time_calls(functools.partial(candidate, event, context), CALLS)

    baseline = timings["hello world: FastAPI + Mangum defaults (baseline)"].median_us
    rows = [
        [name, f"{t.median_us:.1f}", f"{t.p99_us:.1f}", f"{t.median_us / baseline:.2f}"]
        for name, t in timings.items()
    ]
    table = markdown_table(
        ["GET /health, warm, in-process", "median µs", "p99 µs", "× baseline"], rows
    )
    return f"### Warm invocation of handler.handler ({CALLS} calls each)\n\n{table}"


if __name__ == "__main__":
    import sys
    from pathlib import Path

    here = Path(__file__).resolve().parent
    sys.path[:0] = [str(here.parent), str(here.parent / "tests")]
    print(run())
