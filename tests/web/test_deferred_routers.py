"""The API's routers are included on the first request that reaches the router, not at import.

Each check runs in a fresh interpreter, since what a cold start imports is the point: importing
the app and serving a TinySite page must load neither pydantic.v1 nor the API's modules; the
first API request must find every route.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from app.main import API_ROUTERS

DEFERRED_MODULES = ("pydantic.v1", *API_ROUTERS, "app.engine.benchmark", "lz4", "pysnappy")

PROBE = """
import asyncio, json, sys
import httpx
from app import app

def loaded():
    return sorted(m for m in {modules!r} if m in sys.modules)

async def get(path):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return (await client.get(path)).status_code

seen = {{"import": loaded()}}
for path in {paths!r}:
    status = asyncio.run(get(path))
    seen[path] = [status, loaded()]
print(json.dumps(seen))
"""


def probe(*paths: str) -> dict[str, Any]:
    script = PROBE.format(modules=DEFERRED_MODULES, paths=list(paths))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    seen: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])  # after the request log
    return seen


def test_a_page_request_loads_none_of_the_api() -> None:
    seen = probe("/", "/codecs")
    assert seen["import"] == []
    assert seen["/"] == [200, []]
    assert seen["/codecs"] == [200, []]


def test_the_first_api_request_includes_every_router() -> None:
    seen = probe("/health", "/openapi.json")
    status, loaded = seen["/health"]
    assert status == 200
    assert set(API_ROUTERS) <= set(loaded)
    assert "pydantic.v1" in loaded
    assert seen["/openapi.json"][0] == 200


def test_an_unknown_path_gets_its_404_after_the_routers_are_in() -> None:
    seen = probe("/no-such-page")
    assert seen["/no-such-page"][0] == 404


def test_the_schema_asked_for_without_a_request_lists_every_route() -> None:
    script = "from app import app; print(json.dumps(sorted(app.openapi()['paths'])))"
    done = subprocess.run(
        [sys.executable, "-c", "import json; " + script], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    paths = json.loads(done.stdout.splitlines()[-1])
    assert {"/compress", "/compress/{codec}", "/health", "/echo"} <= set(paths)


def test_an_init_ahead_of_requests_includes_the_routers_at_import() -> None:
    """SnapStart's snapshot and provisioned concurrency's init carry the routers: no request
    pays for them there."""
    for initialization, included in (
        ("snap-start", True),
        ("provisioned-concurrency", True),
        ("on-demand", False),
    ):
        script = (
            "import sys; from app import app; "
            "print(app.deferred_included, 'pydantic.v1' in sys.modules)"
        )
        done = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            env={**os.environ, "AWS_LAMBDA_INITIALIZATION_TYPE": initialization},
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.split()[-2:] == [str(included), str(included)], initialization
