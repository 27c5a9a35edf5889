"""`python -m app.local`: the Lambda path on loopback answers as uvicorn does, byte for byte.

Through the REST API door the app lives under the stage, /v1/, and is compared with uvicorn
run with --root-path /v1 (the same prefix, told the ASGI way); through the HTTP API door it
lives at the root, compared with uvicorn at the root. Plus the gateway rules it carries over
from template.yaml: the stage and API Gateway's 403 outside it, binary media types, the Timeout
as the context's deadline, headers merged from multiValueHeaders, AWS's 502 for a failed
invocation, and the HTTP API's payload 2.0.
"""

from __future__ import annotations

import base64
import http.client
import json
import re
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from lambda_events import load_shape
from loopback_server import UNTHROTTLED, serve_local_gateway, serve_on_loopback

from app.aws.gateway_template import RestApiSettings, load_template, read_rest_api_settings
from app.aws.local_http_api import (
    HttpApiSettings,
    http_api_event,
    invoke_through_http_api,
    read_http_api_settings,
)
from app.aws.local_rest_api import invoke_through_rest_api, rest_event
from app.aws.local_server import HttpRequest, HttpResponse, media_type_matches
from app.config import settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
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
VARYING_HEADERS = {
    "date",
    "server",
    "x-amzn-requestid",
    "apigw-requestid",
    "content-length",
    "connection",
}


STAGE = "/v1"


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


def port_of(base_url: str) -> int:
    match = re.fullmatch(r"http://127\.0\.0\.1:(\d+)/.*", base_url)
    assert match, base_url
    return int(match[1])


@pytest.fixture(scope="module")
def local_lambda_port() -> Iterator[int]:
    """`python -m app.local`: the REST API, its banner naming the stage's URL."""
    # Unthrottled: these tests compare the function's bytes, many requests a second.
    with serve_local_gateway(env=SERVER_ENV, parameter_overrides=UNTHROTTLED) as gateway:
        assert gateway.base_url.endswith(f":{port_of(gateway.base_url)}{STAGE}/")
        yield port_of(gateway.base_url)


@pytest.fixture(scope="module")
def local_http_api_port() -> Iterator[int]:
    """`python -m app.local --http-api`: the HTTP API, at the root."""
    with serve_local_gateway(
        http_api=True, env=SERVER_ENV, parameter_overrides=UNTHROTTLED
    ) as gateway:
        assert gateway.base_url.endswith(f":{port_of(gateway.base_url)}/")
        yield port_of(gateway.base_url)


@pytest.fixture(scope="module")
def uvicorn_port() -> Iterator[int]:
    with serve_on_loopback(env=SERVER_ENV) as server:
        yield server.port


@pytest.fixture(scope="module")
def uvicorn_under_stage_port() -> Iterator[int]:
    with serve_on_loopback(env=SERVER_ENV, root_path=STAGE) as server:
        yield server.port


@pytest.mark.parametrize(("method", "path", "headers", "body"), REQUESTS)
def test_the_lambda_path_answers_with_uvicorns_bytes(
    local_lambda_port: int,
    uvicorn_under_stage_port: int,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
) -> None:
    through_lambda = fetch(local_lambda_port, method, STAGE + path, headers, body)
    through_uvicorn = fetch(uvicorn_under_stage_port, method, path, headers, body)
    assert through_lambda == through_uvicorn


@pytest.mark.parametrize(("method", "path", "headers", "body"), REQUESTS)
def test_the_http_api_path_answers_with_uvicorns_bytes(
    local_http_api_port: int,
    uvicorn_port: int,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
) -> None:
    through_lambda = fetch(local_http_api_port, method, path, headers, body)
    through_uvicorn = fetch(uvicorn_port, method, path, headers, body)
    if method == "OPTIONS":
        # Mangum gives a 2.0 result without Content-Type one of application/json (its
        # handlers/api_gateway.py, HTTPGateway), so the HTTP API's 204 preflight carries it.
        status, with_type, content = through_lambda
        assert ("content-type", "application/json") in with_type
        through_lambda = (status, [h for h in with_type if h[0] != "content-type"], content)
    assert through_lambda == through_uvicorn


def test_the_answers_compared_are_the_real_ones(local_lambda_port: int) -> None:
    status, headers, body = fetch(local_lambda_port, "POST", "/v1/echo", {}, SAMPLE)
    assert (status, body) == (200, SAMPLE)
    status, headers, _ = fetch(local_lambda_port, "GET", "/v1/", {"Accept-Encoding": "br"}, b"")
    assert status == 200
    assert ("content-encoding", "br") in headers
    status, _, _ = fetch(local_lambda_port, "POST", "/v1/echo", {}, OVER_THE_LIMIT)
    assert status == 413


@pytest.mark.parametrize("path", ["/", "/api", "/health", "/v2/", "/v1x", "/V1/", "/compress"])
def test_outside_the_stage_the_rest_api_answers_its_gateway_response(
    local_lambda_port: int, path: str
) -> None:
    """AWS's 403 {"message":"Missing Authentication Token"}, reshaped by the template's
    MISSING_AUTHENTICATION_TOKEN gateway response (tests/aws/test_gateway_answers.py)."""
    status, headers, body = fetch(local_lambda_port, "GET", path, {}, b"")
    assert status == 404
    assert ("content-type", "application/problem+json") in headers
    assert ("access-control-allow-origin", "*") in headers
    assert json.loads(body)["type"] == "/problems/outside-the-stage"


def test_the_stage_typed_without_its_slash_is_redirected_to_it(local_lambda_port: int) -> None:
    status, headers, _ = fetch(local_lambda_port, "GET", "/v1?x=1", {}, b"")
    assert status == 308
    assert ("location", "/v1/?x=1") in headers


def test_the_rest_api_serves_the_docs_and_the_spec_under_the_stage(
    local_lambda_port: int,
) -> None:
    status, _, body = fetch(local_lambda_port, "GET", "/v1/openapi.json", {}, b"")
    assert status == 200
    assert json.loads(body)["servers"] == [{"url": "/v1"}]
    status, _, body = fetch(local_lambda_port, "GET", "/v1/docs", {}, b"")
    assert status == 200
    assert b"<script src=docs/swagger-ui-bundle.js>" in body


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
    request = HttpRequest("POST", "/v1/up?a=1&a=2", headers, b"abc")
    event = rest_event(request, BINARY_PNG_ONLY, "r")
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
        HttpRequest("GET", "/v1/a/b", [("Host", "h.example")], b""), BINARY_PNG_ONLY, "r"
    )
    published = load_shape("apigw-rest-v1")
    assert set(published) <= set(event)
    assert set(published["requestContext"]) - {"authorizer"} <= set(event["requestContext"])
    # As AWS sends it: `path` without the stage, requestContext.path and .stage with it.
    assert event["path"] == "/a/b"
    assert event["pathParameters"] == {"proxy": "a/b"}
    assert event["requestContext"]["path"] == "/v1/a/b"
    assert event["requestContext"]["stage"] == "v1"
    for typed in ("/v1/", "/v1"):
        root = rest_event(HttpRequest("GET", typed, [], b""), BINARY_PNG_ONLY, "r")
        assert (root["resource"], root["path"], root["pathParameters"]) == ("/", "/", None)
        assert root["requestContext"]["path"] == typed
    with pytest.raises(ValueError, match="not under the stage"):
        rest_event(HttpRequest("GET", "/a/b", [], b""), BINARY_PNG_ONLY, "r")


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

    defaults = {"method": "GET", "target": "/v1/", "headers": [], "body": b""}
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
    response = invoke_through_rest_api(slow, HttpRequest("GET", "/v1/", [], b""), settings)
    assert response.status == 504


def test_a_path_outside_the_stage_never_reaches_the_function() -> None:
    response, seen = invoke_with({"statusCode": 200}, target="/health")
    assert response.status == 403
    assert response.body == b'{"message":"Missing Authentication Token"}'
    assert seen == {}


# --- the HTTP API door (payload 2.0) -----------------------------------------------------------

HTTP_API = HttpApiSettings("Fn", 29, 1769)


def test_http_api_settings_come_from_the_template() -> None:
    # MemorySize is a parameter: its default.
    assert read_http_api_settings(load_template()) == HttpApiSettings(
        "CompressTestFunction", 29, 3538
    )


def test_the_http_api_event_has_every_field_of_the_published_shape() -> None:
    request = HttpRequest(
        "POST",
        "/compress/gzip?level=6&a=1&a=2",
        [("Host", "h.example"), ("X-Twice", "1"), ("x-twice", "2"), ("Cookie", "a=1; b=2")],
        b"\x00\xff",
    )
    event = http_api_event(request, "r")
    published = load_shape("apigw-http-v2")
    assert set(published) <= set(event)
    assert set(published["requestContext"]) <= set(event["requestContext"])
    assert set(published["requestContext"]["http"]) <= set(event["requestContext"]["http"])
    assert (event["rawPath"], event["requestContext"]["http"]["path"]) == ("/compress/gzip",) * 2
    assert event["requestContext"]["stage"] == "$default"
    assert event["rawQueryString"] == "level=6&a=1&a=2"
    assert event["queryStringParameters"] == {"level": "6", "a": "1,2"}
    assert event["headers"]["x-twice"] == "1,2"
    assert event["cookies"] == ["a=1", "b=2"]
    assert (event["isBase64Encoded"], event["body"]) == (True, "AP8=")


@pytest.mark.parametrize(
    ("content_type", "base64_encoded"),
    [
        ("application/json", False),
        ("text/plain; charset=utf-8", False),
        ("image/png", True),
        ("multipart/form-data; boundary=x", True),
        ("application/problem+json", False),
    ],
)
def test_http_api_bodies_are_text_only_for_textual_types(
    content_type: str, base64_encoded: bool
) -> None:
    request = HttpRequest("POST", "/echo", [("Content-Type", content_type)], b"{}")
    event = http_api_event(request, "r")
    assert event["isBase64Encoded"] is base64_encoded
    assert event["body"] == ("e30=" if base64_encoded else "{}")


def test_http_api_results_decode_base64_and_send_cookies() -> None:
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {
            "statusCode": 201,
            "headers": {"content-type": "image/png"},
            "cookies": ["a=1", "b=2"],
            "body": base64.b64encode(b"\x89PNG").decode(),
            "isBase64Encoded": True,
        }

    response = invoke_through_http_api(handler, HttpRequest("GET", "/", [], b""), HTTP_API)
    assert (response.status, response.body) == (201, b"\x89PNG")
    assert [v for k, v in response.headers if k == "Set-Cookie"] == ["a=1", "b=2"]


def test_a_failed_http_api_invocation_is_a_500() -> None:
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        raise RuntimeError("boom")

    response = invoke_through_http_api(handler, HttpRequest("GET", "/", [], b""), HTTP_API)
    assert (response.status, response.body) == (500, b'{"message": "Internal Server Error"}')
