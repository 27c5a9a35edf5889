"""One JSON line per request, with the Lambda request id when there is one."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lambda_events import FakeLambdaContext, build_event, typed_prefix

import handler


@pytest.fixture
def request_lines() -> Iterator[list[dict[str, Any]]]:
    lines: list[dict[str, Any]] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(json.loads(record.getMessage()))

    collector = Collect()
    logger = logging.getLogger("app.request")
    logger.addHandler(collector)
    yield lines
    logger.removeHandler(collector)


def test_a_lambda_request_logs_one_line_with_its_request_id(
    shape: str, request_lines: list[dict[str, Any]]
) -> None:
    context = FakeLambdaContext(aws_request_id="c6af9ac6-7b61-11e6-9a41-93e8deadbeef")
    handler.handler(build_event(shape, method="GET", path="/health"), context)
    assert len(request_lines) == 1
    line = request_lines[0]
    assert set(line) == {"requestId", "method", "path", "status", "durationMs"}
    assert line["requestId"] == "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    # The path as the client typed it: under the REST API's stage, the stage included.
    typed = f"{typed_prefix(shape)}/health"
    assert (line["method"], line["path"], line["status"]) == ("GET", typed, 200)
    assert 0 <= line["durationMs"] < 10_000


def test_errors_and_preflights_are_logged_too(
    client: TestClient, request_lines: list[dict[str, Any]]
) -> None:
    client.get("/missing")
    client.options("/compress")
    assert [(line["method"], line["status"]) for line in request_lines] == [
        ("GET", 404),
        ("OPTIONS", 204),
    ]
    assert all(line["requestId"] is None for line in request_lines)


def test_a_64_kib_path_is_logged_cut_to_256_characters_with_its_length(
    request_lines: list[dict[str, Any]],
) -> None:
    handler.handler(build_event("apigw-http-v2", path="/" + "a" * 65536), FakeLambdaContext())
    (line,) = request_lines
    assert line["status"] == 404
    assert line["path"] == "/" + "a" * 255 + "... (65537 characters)"
    assert len(json.dumps(line)) < 512
