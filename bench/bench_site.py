"""Warm GET / of TinySite through handler.handler, against the floor and hello world.

Rows, all in one run on the same REST API (payload 1.0) event, a browser's GET / with
`Accept-Encoding: gzip, deflate, br, zstd`:
- floor: a bare handler returning the very result dict handler.handler produces;
- hello world: FastAPI behind Mangum with its defaults (sync route, lifespan "auto"), the
  baseline every ratio is against (it answers its own GET /, JSON);
- handler.handler: this app, the page served by the pure ASGI layer ahead of the router;
- the same page as a FastAPI route: this app's middleware and adapter, but the page sent by an
  `async def` route returning the precomputed bytes: what the ASGI layer saves.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from lambda_events import FakeLambdaContext, build_event
from mangum import Mangum
from timing import Timings, markdown_table, request_log_to_devnull, time_calls

if TYPE_CHECKING:
    from app.lambda_adapter import LambdaAdapter

CALLS = 5000
TARGET_MEDIAN_US = 100.0
TARGET_RATIO = 0.25
BROWSER_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Encoding": "gzip, deflate, br, zstd",
    "Accept-Language": "en-GB,en;q=0.9",
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 Safari/537.36",
}


def hello_world() -> FastAPI:
    app = FastAPI()

    @app.get("/")
    def hello() -> dict[str, str]:
        return {"hello": "world"}

    return app


def page_as_fastapi_route() -> LambdaAdapter:
    """This app's middleware and adapter, with GET / as an ordinary FastAPI route."""
    from app.cors import CORSMiddleware
    from app.lambda_adapter import LambdaAdapter
    from app.problems import UnhandledErrorMiddleware, install_problem_handlers
    from app.request_log import RequestLogMiddleware
    from app.website import PAGES
    from app.website.negotiation import choose_encoding

    app = FastAPI()
    install_problem_handlers(app)
    page = PAGES["/"]

    @app.get("/")
    async def home(request: Request) -> Response:
        coding = choose_encoding(request.headers.get("accept-encoding"), page.body_sizes)
        representation = page.representations[coding or "identity"]
        return Response(representation.body, headers=dict(_text(representation.headers)))

    app.add_middleware(UnhandledErrorMiddleware)
    app.add_middleware(CORSMiddleware)
    app.add_middleware(RequestLogMiddleware)
    return LambdaAdapter(app)


def _text(headers: tuple[tuple[bytes, bytes], ...]) -> list[tuple[str, str]]:
    return [(name.decode(), value.decode()) for name, value in headers]


def run() -> str:
    import handler
    from app.website import PAGES

    with request_log_to_devnull():
        event = build_event("apigw-rest-v1", method="GET", path="/", headers=BROWSER_HEADERS)
        context = FakeLambdaContext()
        precomputed = handler.handler(event, context)
        expected_body = PAGES["/"].representations["br"].body
        assert base64.b64decode(precomputed["body"]) == expected_body

        def floor(event: dict[str, Any], context: FakeLambdaContext) -> dict[str, Any]:
            return precomputed

        baseline_name = "hello world: FastAPI + Mangum defaults (baseline)"
        candidates: dict[str, Callable[[dict[str, Any], FakeLambdaContext], dict[str, Any]]] = {
            "floor: bare handler, precomputed dict": floor,
            baseline_name: Mangum(hello_world()),
            "handler.handler: this app, GET / (br)": handler.handler,
            "the same page as a FastAPI route": page_as_fastapi_route(),
        }
        timings: dict[str, Timings] = {}
        for name, candidate in candidates.items():
            result = candidate(event, context)
            assert result["statusCode"] == 200, (name, result)
            timings[name] = time_calls(functools.partial(candidate, event, context), CALLS)

    baseline = timings[baseline_name].median_us
    rows = [
        [name, f"{t.median_us:.1f}", f"{t.p99_us:.1f}", f"{t.median_us / baseline:.2f}"]
        for name, t in timings.items()
    ]
    table = markdown_table(["GET /, warm, in-process", "median µs", "p99 µs", "× baseline"], rows)
    ours = timings["handler.handler: this app, GET / (br)"].median_us
    verdict = (
        f"Target: median ≤ {TARGET_MEDIAN_US:.0f} µs and ≤ {TARGET_RATIO} × baseline; "
        f"measured {ours:.1f} µs, {ours / baseline:.2f} × baseline."
    )
    title = f"### TinySite: warm GET / through handler.handler ({CALLS} calls each)"
    return f"{title}\n\n{table}\n\n{verdict}"


if __name__ == "__main__":
    import sys
    from pathlib import Path

    here = Path(__file__).resolve().parent
    sys.path[:0] = [str(here.parent), str(here.parent / "tests")]
    print(run())
