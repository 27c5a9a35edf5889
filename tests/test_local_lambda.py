"""`python -m app.local`: the Lambda path on loopback answers as uvicorn does, byte for byte.

Plus the gateway rules it carries over from template.yaml: binary media types, the Timeout as
the context's deadline, headers merged from multiValueHeaders, AWS's 502 for a failed
invocation.
"""

from __future__ import annotations

import base64
import http.client
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from lambda_events import load_shape
from loopback_server import serve_on_loopback

from app.config import settings
from app.local import (
    HttpRequest,
    HttpResponse,
    RestApiSettings,
    invoke_through_rest_api,
    load_template,
    media_type_matches,
    read_rest_api_settings,
    rest_event,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# Both servers get the same environment; the upload limit is the template's default.
SERVER_ENV = {"LOG_LEVEL": "WARNING"}
OVER_THE_LIMIT = bytes(settings.max_upload_bytes + 1)
BOUNDARY = "local-lambda-boundary"
SAMPLE = bytes(range(256)) * 64 + b"TinySite " * 500


def multipart(content: bytes) -> bytes:
    return (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="s.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


MULTIPART = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
# (method, path, headers, body): the site, the deterministic /compress download, errors.
REQUESTS = [
    ("GET", "/", {"Accept-Encoding": "br, gzip"}, b""),
    ("GET", "/", {"Accept-Encoding": "gzip"}, b""),
    ("GET", "/", {}, b""),
    ("HEAD", "/", {"Accept-Encoding": "br"}, b""),
    ("GET", "/health", {}, b""),
    ("GET", "/no-such-page", {"Accept": "application/json"}, b""),
    ("POST", "/echo", {"Content-Type": "application/octet-stream"}, SAMPLE),
    ("POST", "/echo", {"Content-Type": "text/plain; charset=utf-8"}, "héllo ✓".encode()),
    ("POST", "/compress/gzip?level=6", MULTIPART, multipart(SAMPLE)),
    ("POST", "/compress/zstd?level=3", MULTIPART, multipart(SAMPLE)),
    ("POST", "/compress?codecs=nope", MULTIPART, multipart(SAMPLE)),
    ("POST", "/echo", {"Content-Type": "application/octet-stream"}, OVER_THE_LIMIT),
    ("OPTIONS", "/compress", {"Origin": "https://example.org"}, b""),
]
# Set per response by the server or the gateway, so never equal between two servers.
VARYING_HEADERS = {"date", "server", "x-amzn-requestid", "content-length", "connection"}


def fetch(
    port: int, method: str, path: str, headers: dict[str, str], body: bytes
) -> tuple[int, list[tuple[str, str]], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        content = response.read()
        kept = sorted(
            (name.lower(), value)
            for name, value in response.getheaders()
            if name.lower() not in VARYING_HEADERS
        )
        return response.status, kept, content
    finally:
        connection.close()


@pytest.fixture(scope="module")
def local_lambda_port() -> Iterator[int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "app.local", "--port", "0"],
        cwd=PROJECT_ROOT,
        env={**os.environ, **SERVER_ENV},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", banner)
        assert match, banner
        yield int(match.group(1))
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def uvicorn_port() -> Iterator[int]:
    with serve_on_loopback(env=SERVER_ENV) as server:
        yield server.port


@pytest.mark.parametrize(("method", "path", "headers", "body"), REQUESTS)
def test_the_lambda_path_answers_with_uvicorns_bytes(
    local_lambda_port: int,
    uvicorn_port: int,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
) -> None:
    through_lambda = fetch(local_lambda_port, method, path, headers, body)
    through_uvicorn = fetch(uvicorn_port, method, path, headers, body)
    assert through_lambda == through_uvicorn


def test_the_answers_compared_are_the_real_ones(local_lambda_port: int) -> None:
    status, headers, body = fetch(local_lambda_port, "POST", "/echo", {}, SAMPLE)
    assert (status, body) == (200, SAMPLE)
    status, headers, _ = fetch(local_lambda_port, "GET", "/", {"Accept-Encoding": "br"}, b"")
    assert status == 200
    assert ("content-encoding", "br") in headers
    status, _, _ = fetch(local_lambda_port, "POST", "/echo", {}, OVER_THE_LIMIT)
    assert status == 413


def test_settings_come_from_the_template() -> None:
    settings = read_rest_api_settings(load_template())
    assert settings.function_id == "CompressTestFunction"
    assert settings.binary_media_types == ("*/*",)
    assert settings.timeout_seconds == 29
    assert settings.stage == "v1"


BINARY_PNG_ONLY = RestApiSettings("Fn", 29, 1769, "v1", ("image/png", "application/*"))


@pytest.mark.parametrize(
    ("content_type", "binary"),
    [
        ("image/png", True),
        ("IMAGE/PNG; q=1", True),
        ("application/octet-stream", True),
        ("text/plain", False),
        ("image/jpeg", False),
        (None, True),  # API Gateway reads a missing Content-Type as application/json
    ],
)
def test_bodies_are_base64_exactly_when_the_content_type_is_binary(
    content_type: str | None, binary: bool
) -> None:
    headers = [("Content-Type", content_type)] if content_type else []
    event = rest_event(HttpRequest("POST", "/up?a=1&a=2", headers, b"abc"), BINARY_PNG_ONLY, "r")
    assert event["isBase64Encoded"] is binary
    assert event["body"] == (base64.b64encode(b"abc").decode() if binary else "abc")
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"]}
    assert event["queryStringParameters"] == {"a": "2"}


def test_media_type_patterns_match_like_api_gateways() -> None:
    assert media_type_matches("anything/at-all", ("*/*",))
    assert media_type_matches("image/webp", ("image/*",))
    assert not media_type_matches("text/html", ("image/*", "application/pdf"))


def test_the_event_has_every_field_of_the_published_rest_shape() -> None:
    event = rest_event(
        HttpRequest("GET", "/a/b", [("Host", "h.example")], b""), BINARY_PNG_ONLY, "r"
    )
    published = load_shape("apigw-rest-v1")
    assert set(published) <= set(event)
    assert set(published["requestContext"]) - {"authorizer"} <= set(event["requestContext"])
    assert event["pathParameters"] == {"proxy": "a/b"}
    assert event["requestContext"]["path"] == "/v1/a/b"
    root = rest_event(HttpRequest("GET", "/", [], b""), BINARY_PNG_ONLY, "r")
    assert (root["resource"], root["pathParameters"], root["body"]) == ("/", None, None)


def invoke_with(
    result: Any, settings: RestApiSettings = BINARY_PNG_ONLY, **request: Any
) -> tuple[HttpResponse, dict[str, Any]]:
    seen: dict[str, Any] = {}

    def handler(event: dict[str, Any], context: Any) -> Any:
        seen["remaining_ms"] = context.get_remaining_time_in_millis()
        seen["event"] = event
        if isinstance(result, Exception):
            raise result
        return result

    defaults = {"method": "GET", "target": "/", "headers": [], "body": b""}
    response = invoke_through_rest_api(handler, HttpRequest(**{**defaults, **request}), settings)
    return response, seen


def test_the_context_deadline_is_the_template_timeout() -> None:
    _, seen = invoke_with({"statusCode": 204}, replace(BINARY_PNG_ONLY, timeout_seconds=7))
    assert 6_000 < seen["remaining_ms"] <= 7_000


def test_multi_value_headers_win_and_are_all_sent() -> None:
    result = {
        "statusCode": 200,
        "headers": {"Set-Cookie": "lost=1", "X-Single": "s"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": "ok",
    }
    response, _ = invoke_with(result)
    assert [v for k, v in response.headers if k == "Set-Cookie"] == ["a=1", "b=2"]
    assert ("X-Single", "s") in response.headers
    assert response.body == b"ok"


@pytest.mark.parametrize(
    ("accept", "content_type", "decoded"),
    [
        ("image/png", "text/plain", True),
        ("text/html", "application/zip", True),
        ("text/html", "text/plain", False),
    ],
)
def test_base64_results_are_decoded_only_for_binary_types(
    accept: str, content_type: str, decoded: bool
) -> None:
    result = {
        "statusCode": 200,
        "headers": {"Content-Type": content_type},
        "body": base64.b64encode(b"\x89PNG").decode(),
        "isBase64Encoded": True,
    }
    response, _ = invoke_with(result, headers=[("Accept", accept)])
    assert response.body == (b"\x89PNG" if decoded else base64.b64encode(b"\x89PNG"))


@pytest.mark.parametrize("result", [RuntimeError("boom"), {"body": "no status"}, None])
def test_a_failed_invocation_is_a_502(result: Any) -> None:
    response, _ = invoke_with(result)
    assert response.status == 502
    assert response.body == b'{"message": "Internal server error"}'


def test_an_event_over_lambdas_6_mb_never_reaches_the_function() -> None:
    response, seen = invoke_with(
        {"statusCode": 200},
        method="POST",
        headers=[("Content-Type", "image/png")],
        body=bytes(5 * 1024 * 1024),
    )
    assert response.status == 413
    assert seen == {}


def test_an_invocation_past_the_timeout_is_a_504() -> None:
    def slow(event: dict[str, Any], context: Any) -> dict[str, Any]:
        time.sleep(0.05)
        return {"statusCode": 200}

    settings = replace(BINARY_PNG_ONLY, timeout_seconds=0.01)
    response = invoke_through_rest_api(slow, HttpRequest("GET", "/", [], b""), settings)
    assert response.status == 504
