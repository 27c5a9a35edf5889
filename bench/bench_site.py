"""TinySite through handler.handler: the bytes of a visit with and without the site dictionary,
and the time of a warm GET, brotli and dcz, against the floor and hello world.

A visit, home → api → codecs → about, as Chromium 156 makes it (REST API events through
handler.handler, bytes as the app sends them; API Gateway adds its own headers to each):
- brotli 11 alone, the baseline: no dictionary, every page in br;
- with the dictionary: home in br, the dictionary fetched once (in br, as Chromium fetches it),
  then each next page in dcz;
- a later visit, the dictionary held: every page in dcz.

Warm GET rows, interleaved over ROUNDS rounds of CALLS calls (per row: the median of the round
medians, and their spread), all on the same REST API (payload 1.0) event shape:
- floor: a bare handler returning the very result dict handler.handler produces;
- hello world: FastAPI behind Mangum with its defaults (sync route, lifespan "auto"), the
  baseline every ratio is against (it answers its own GET /, JSON);
- handler.handler GET / (br): a browser's GET / with `Accept-Encoding: gzip, deflate, br, zstd`,
  the site bench's row before the dictionary;
- handler.handler GET /api (dcz): the same browser holding the dictionary;
- the same page as a FastAPI route: this app's middleware and adapter, but GET / sent by an
  `async def` route returning the precomputed bytes: what the ASGI layer saves.
"""

from __future__ import annotations

import base64
import statistics
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from lambda_events import FakeLambdaContext, build_event
from mangum import Mangum
from timing import Timings, markdown_table, request_log_to_devnull, time_calls

if TYPE_CHECKING:
    from app.aws.lambda_adapter import LambdaAdapter

# The machine is shared and noisy: many short interleaved rounds, so that every row sees the
# same disturbances; a row's figure is the median of its round medians.
CALLS = 1500
ROUNDS = 9
TARGET_MEDIAN_US = 100.0
TARGET_RATIO = 0.25
BROWSER_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Encoding": "gzip, deflate, br, zstd",
    "Accept-Language": "en-GB,en;q=0.9",
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 Safari/537.36",
    "Sec-Fetch-Mode": "navigate",
    "Sec-Fetch-Site": "same-origin",
}
VISIT = ["/", "/api", "/codecs", "/about"]


def hello_world() -> FastAPI:
    app = FastAPI()

    @app.get("/")
    def hello() -> dict[str, str]:
        return {"hello": "world"}

    return app


def page_as_fastapi_route() -> LambdaAdapter:
    """This app's middleware and adapter, with GET / as an ordinary FastAPI route."""
    from app.aws.lambda_adapter import LambdaAdapter
    from app.tinysite import PAGES
    from app.tinysite.negotiation import choose_encoding
    from app.web.cors import CORSMiddleware
    from app.web.problems import UnhandledErrorMiddleware, install_problem_handlers
    from app.web.request_log import RequestLogMiddleware

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


def holding_the_dictionary() -> dict[str, str]:
    """A browser's headers once it holds the site dictionary (Chromium adds dcb and dcz)."""
    from app.compression.dictionary_transport import available_dictionary_value, dictionary_hash
    from app.tinysite import DICTIONARY

    digest = dictionary_hash(DICTIONARY.representations["identity"].body)
    return {
        **BROWSER_HEADERS,
        "Accept-Encoding": "gzip, deflate, br, zstd, dcb, dcz",
        "Available-Dictionary": available_dictionary_value(digest),
    }


def wire_bytes(result: dict[str, Any]) -> tuple[int, int]:
    """(body bytes, HTTP/1.1 bytes: status line, header lines, blank line, body) of a result."""
    body = base64.b64decode(result["body"]) if result["isBase64Encoded"] else result["body"]
    body_bytes = len(body if isinstance(body, bytes) else body.encode())
    header_lines = sum(len(f"{k}: {v}\r\n") for k, v in result["headers"].items())
    head = len(f"HTTP/1.1 {result['statusCode']} OK\r\n") + header_lines + 2
    return body_bytes, head + body_bytes


def visit_table() -> str:
    """Bytes of the visit home → api → codecs → about, each way, through handler.handler."""
    import handler
    from app.tinysite import DICTIONARY

    context = FakeLambdaContext()
    held = holding_the_dictionary()

    def get(path: str, headers: dict[str, str], coding: str) -> tuple[int, int]:
        event = build_event("apigw-rest-v1", method="GET", path=path, headers=headers)
        result = handler.handler(event, context)
        assert result["statusCode"] == 200, (path, result["statusCode"])
        assert result["headers"].get("content-encoding") == coding, (path, coding)
        return wire_bytes(result)

    with request_log_to_devnull():
        dictionary_fetch = get(DICTIONARY.path, BROWSER_HEADERS, "br")
        visits = {
            "brotli 11 alone, no dictionary (baseline)": [
                get(p, BROWSER_HEADERS, "br") for p in VISIT
            ],
            "with the dictionary: home in br, the dictionary once, then dcz": [
                get("/", BROWSER_HEADERS, "br"),
                dictionary_fetch,
                *(get(p, held, "dcz") for p in VISIT[1:]),
            ],
            "a later visit, the dictionary held: all dcz": [get(p, held, "dcz") for p in VISIT],
        }
    baseline_body, baseline_wire = (sum(x) for x in zip(*next(iter(visits.values())), strict=True))
    rows = []
    for name, responses in visits.items():
        body, wire = (sum(x) for x in zip(*responses, strict=True))
        rows.append(
            [
                name,
                " + ".join(f"{b:,}" for b, _ in responses),
                f"{body:,}",
                f"{wire:,}",
                f"{body / baseline_body:.2f}",
                f"{wire / baseline_wire:.2f}",
            ]
        )
    header = [
        "visit " + " → ".join(VISIT),
        "body bytes per response",
        "body bytes",
        "bytes with headers",
        "× baseline (body)",
        "× baseline (with headers)",
    ]
    note = (
        f"The dictionary: {DICTIONARY.body_sizes['identity']:,} bytes, fetched in br: "
        f"{dictionary_fetch[0]:,} bytes of body, {dictionary_fetch[1]:,} with headers."
    )
    return f"{markdown_table(header, rows)}\n\n{note}"


def timing_table() -> str:
    import handler
    from app.tinysite import PAGES

    with request_log_to_devnull():
        event = build_event("apigw-rest-v1", method="GET", path="/", headers=BROWSER_HEADERS)
        context = FakeLambdaContext()
        precomputed = handler.handler(event, context)
        expected_body = PAGES["/"].representations["br"].body
        assert base64.b64decode(precomputed["body"]) == expected_body

        def floor(event: dict[str, Any], context: FakeLambdaContext) -> dict[str, Any]:
            return precomputed

        dcz_event = build_event(
            "apigw-rest-v1", method="GET", path="/api", headers=holding_the_dictionary()
        )
        dcz_result = handler.handler(dcz_event, context)
        assert dcz_result["headers"]["content-encoding"] == "dcz"
        expected_dcz = PAGES["/api"].representations["dcz"].body
        assert base64.b64decode(dcz_result["body"]) == expected_dcz

        baseline_name = "hello world: FastAPI + Mangum defaults (baseline)"
        br_name = "handler.handler: this app, GET / (br)"
        dcz_name = "handler.handler: this app, GET /api (dcz, dictionary held)"
        Handler = Callable[[dict[str, Any], FakeLambdaContext], dict[str, Any]]
        candidates: dict[str, tuple[Handler, dict[str, Any]]] = {
            "floor: bare handler, precomputed dict": (floor, event),
            baseline_name: (Mangum(hello_world()), event),
            br_name: (handler.handler, event),
            dcz_name: (handler.handler, dcz_event),
            "the same page as a FastAPI route": (page_as_fastapi_route(), event),
        }
        rounds: dict[str, list[Timings]] = {name: [] for name in candidates}
        for _ in range(ROUNDS):
            for name, (candidate, candidate_event) in candidates.items():
                result = candidate(candidate_event, context)
                assert result["statusCode"] == 200, (name, result)
                rounds[name].append(time_calls(partial(candidate, candidate_event, context), CALLS))

    medians = {name: statistics.median(t.median_us for t in runs) for name, runs in rounds.items()}
    baseline = medians[baseline_name]
    rows = []
    for name, runs in rounds.items():
        round_medians = sorted(t.median_us for t in runs)
        p99 = statistics.median(t.p99_us for t in runs)
        spread = f"{round_medians[0]:.1f} to {round_medians[-1]:.1f}"
        ratio = f"{medians[name] / baseline:.2f}"
        rows.append([name, f"{medians[name]:.1f}", spread, f"{p99:.1f}", ratio])
    header = ["warm, in-process", "median µs", "round medians µs", "p99 µs", "× baseline"]
    table = markdown_table(header, rows)
    br, dcz = medians[br_name], medians[dcz_name]
    verdict = (
        f"Target: median ≤ {TARGET_MEDIAN_US:.0f} µs and ≤ {TARGET_RATIO} × baseline; "
        f"measured GET / (br) {br:.1f} µs, {br / baseline:.2f} × baseline; GET /api (dcz) "
        f"{dcz:.1f} µs, {dcz / baseline:.2f} × baseline, {dcz / br:.2f} × GET / (br)."
    )
    return f"{table}\n\n{verdict}"


def run() -> str:
    title = "### TinySite: a visit's bytes, and warm GETs through handler.handler"
    timing_title = f"{ROUNDS} rounds of {CALLS} calls per row, interleaved:"
    return f"{title}\n\n{visit_table()}\n\n{timing_title}\n\n{timing_table()}"


if __name__ == "__main__":
    import sys
    from pathlib import Path

    here = Path(__file__).resolve().parent
    sys.path[:0] = [str(here.parent), str(here.parent / "tests")]
    print(run())
