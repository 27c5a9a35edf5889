"""Every error leaves as RFC 9457 problem+json with CORS headers; a 500 leaks no trace."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from fastapi import FastAPI, Query
from fastapi.testclient import TestClient
from lambda_events import FakeLambdaContext, build_event, read_result, typed_prefix

from app.aws.lambda_adapter import LambdaAdapter
from app.main import create_app
from app.web.problems import ECHOED_PATH_MAX_CHARS, Problem, echoed_path

SECRET = "the-secret-inside-the-exception"


@pytest.fixture(scope="module")
def failing_app() -> FastAPI:
    app = create_app()

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError(SECRET)

    @app.get("/limit")
    async def limit() -> None:
        raise Problem(413, "Too big.", type="/problems/payload-too-large", limit=42)

    @app.get("/typed")
    async def typed(level: int = Query(ge=1, le=9)) -> dict[str, int]:
        return {"level": level}

    return app


@pytest.fixture
def captured_log() -> Iterator[list[str]]:
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Collect()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("app")
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)


def test_an_unhandled_error_is_a_500_problem_without_the_trace(
    failing_app: FastAPI, captured_log: list[str]
) -> None:
    client = TestClient(failing_app, raise_server_exceptions=False)
    response = client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.json() == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "The server hit an unexpected error; it has been logged.",
    }
    assert SECRET not in response.text
    assert "Traceback" not in response.text
    log = "\n".join(captured_log)
    assert "Traceback" in log
    assert SECRET in log
    assert client.get("/health").status_code == 200


def test_the_500_through_lambda_is_a_problem_too(shape: str, failing_app: FastAPI) -> None:
    result = LambdaAdapter(failing_app)(build_event(shape, path="/boom"), FakeLambdaContext())
    response = read_result(result)
    assert response.status == 500
    assert response.header("content-type") == "application/problem+json"
    assert response.header("access-control-allow-origin") == "*"
    assert SECRET.encode() not in response.body


def test_a_problem_carries_its_extension_members(failing_app: FastAPI) -> None:
    response = TestClient(failing_app).get("/limit")
    assert response.status_code == 413
    assert response.json() == {
        "type": "/problems/payload-too-large",
        "title": "Request Entity Too Large",
        "status": 413,
        "detail": "Too big.",
        "limit": 42,
    }


def test_a_validation_error_is_a_422_problem_naming_the_field(failing_app: FastAPI) -> None:
    response = TestClient(failing_app).get("/typed", params={"level": "12"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "/problems/validation"
    assert body["status"] == 422
    assert body["errors"][0]["loc"] == ["query", "level"]
    assert "query.level" in body["detail"]
    assert json.dumps(body)  # JSON all the way down


def test_problem_title_defaults_to_the_status_phrase() -> None:
    assert Problem(406, "x").to_dict()["title"] == "Not Acceptable"


# --- paths are echoed at most ECHOED_PATH_MAX_CHARS characters long ---


@pytest.mark.parametrize(
    ("path", "echoed"),
    [
        ("/a", "/a"),
        ("/" + "a" * 255, "/" + "a" * 255),
        ("/" + "a" * 256, "/" + "a" * 255 + "... (257 characters)"),
        ("/" + "é" * 65535, "/" + "é" * 255 + "... (65536 characters)"),
    ],
    ids=["short", "exactly-the-limit", "one-over", "64-KiB-non-ASCII"],
)
def test_echoed_path_keeps_short_paths_and_cuts_long_ones_saying_so(path: str, echoed: str) -> None:
    assert ECHOED_PATH_MAX_CHARS == 256
    assert echoed_path(path) == echoed


def test_a_404_for_a_64_kib_path_names_a_cut_path(shape: str) -> None:
    path = "/" + "a" * 65536
    result = LambdaAdapter(create_app())(build_event(shape, path=path), FakeLambdaContext())
    response = read_result(result)
    assert response.status == 404
    detail = json.loads(response.body)["detail"]
    # The path as typed: under the REST API's stage, the stage leads it.
    typed = typed_prefix(shape) + path
    assert detail == f"No resource at {typed[:256]}... ({len(typed)} characters)."
    assert len(response.body) < 1024


def test_a_405_names_a_cut_path_too() -> None:
    app = create_app()

    @app.get("/" + "b" * 300)
    async def long_route() -> None:
        return None

    response = TestClient(app).post("/" + "b" * 300)
    assert response.status_code == 405
    assert response.json()["detail"] == f"POST is not allowed on /{'b' * 255}... (301 characters)."
