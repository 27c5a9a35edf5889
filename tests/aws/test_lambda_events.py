"""handler.handler serves every Lambda HTTP event shape, binary in and out, like the ASGI app."""

from __future__ import annotations

import base64
import json

import pytest
from fastapi.testclient import TestClient
from lambda_events import (
    SHAPES,
    FakeLambdaContext,
    build_event,
    invoke,
    read_result,
    typed_prefix,
)

import handler

ALL_BYTES = bytes(range(256))


def test_every_shape_is_served_over_http(shape: str) -> None:
    response = invoke(shape, method="GET", path="/health", headers={"accept": "*/*"})
    assert response.status == 200
    assert json.loads(response.body) == {"status": "ok"}
    assert response.header("content-type") == "application/json"
    assert response.header("access-control-allow-origin") == "*"
    assert response.is_base64_encoded is False


def test_get_gives_the_same_bytes_as_the_asgi_app(shape: str, client: TestClient) -> None:
    via_lambda = invoke(shape, method="GET", path="/health")
    via_asgi = client.get("/health")
    assert via_lambda.body == via_asgi.content
    assert via_lambda.header("content-type") == via_asgi.headers["content-type"]


def test_binary_post_body_round_trips_byte_exact(shape: str, client: TestClient) -> None:
    headers = {"Content-Type": "application/octet-stream"}
    response = invoke(shape, method="POST", path="/echo", headers=headers, body=ALL_BYTES)
    assert response.status == 200
    assert response.is_base64_encoded is True
    assert response.body == ALL_BYTES
    assert response.header("content-type") == "application/octet-stream"
    assert client.post("/echo", content=ALL_BYTES, headers=headers).content == response.body


@pytest.mark.parametrize("base64_body", [True, False])
def test_text_body_arrives_intact_base64_or_not(shape: str, base64_body: bool) -> None:
    text = "naïve café, ünïcödé ✓\r\n\t{}".encode()
    response = invoke(
        shape,
        method="POST",
        path="/echo",
        headers={"content-type": "text/plain; charset=utf-8"},
        body=text,
        base64_body=base64_body,
    )
    assert response.status == 200
    assert response.body == text


def test_unknown_path_is_a_404_problem_with_cors(shape: str, client: TestClient) -> None:
    response = invoke(shape, method="GET", path="/no/such/thing", headers={"accept": "*/*"})
    assert response.status == 404
    assert response.header("content-type") == "application/problem+json"
    assert response.header("access-control-allow-origin") == "*"
    problem = json.loads(response.body)
    assert problem == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        # The path the client typed: under the REST API's stage, the stage included.
        "detail": f"No resource at {typed_prefix(shape)}/no/such/thing.",
    }
    if not typed_prefix(shape):
        assert response.body == client.get("/no/such/thing", headers={"accept": "*/*"}).content


def test_wrong_method_is_a_405_problem(shape: str) -> None:
    response = invoke(shape, method="DELETE", path="/health")
    assert response.status == 405
    assert response.header("content-type") == "application/problem+json"
    detail = f"DELETE is not allowed on {typed_prefix(shape)}/health."
    assert json.loads(response.body)["detail"] == detail
    assert response.header("access-control-allow-origin") == "*"


@pytest.mark.parametrize(
    "request_headers_name",
    [
        "access-control-request-headers",
        "Access-Control-Request-Headers",
        "ACCESS-CONTROL-REQUEST-HEADERS",
    ],
)
def test_preflight_is_answered_whatever_the_header_case(
    shape: str, request_headers_name: str, client: TestClient
) -> None:
    headers = {
        "Origin": "https://example.org",
        "Access-Control-Request-Method": "POST",
        request_headers_name: "content-type, x-requested-with",
    }
    response = invoke(shape, method="OPTIONS", path="/compress", headers=headers)
    assert response.status == 204
    assert response.body == b""
    assert response.header("access-control-allow-origin") == "*"
    assert response.header("access-control-allow-methods") == "GET, HEAD, POST, OPTIONS"
    assert response.header("access-control-allow-headers") == "content-type, x-requested-with"
    assert response.header("access-control-max-age") == "7200"
    via_asgi = client.options("/compress", headers=headers)
    assert via_asgi.status_code == 204
    assert via_asgi.headers["access-control-allow-headers"] == "content-type, x-requested-with"


@pytest.mark.parametrize("name", ["content-type", "Content-Type", "CONTENT-TYPE"])
def test_request_header_names_in_any_case(shape: str, name: str) -> None:
    response = invoke(shape, method="POST", path="/echo", headers={name: "text/plain"}, body=b"x")
    assert response.status == 200
    assert response.body == b"x"


def test_request_id_comes_from_the_lambda_context(shape: str) -> None:
    context = FakeLambdaContext(aws_request_id="req-1234")
    event = build_event(shape, method="GET", path="/health")
    assert read_result(handler.handler(event, context)).status == 200


@pytest.mark.parametrize(
    ("event", "kind"),
    [
        ({"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}, "scheduled"),
        ({}, "empty"),
        (
            {"Records": [{"eventSource": "aws:s3", "s3": {"bucket": {"name": "b"}}}]},
            "records:aws:s3",
        ),
        ({"Records": [{"eventSource": "aws:sqs", "body": "hello"}]}, "records:aws:sqs"),
        ({"Records": [1]}, "unknown"),
        ({"requestContext": {}}, "unknown"),
        ([1, 2, 3], "list"),
        ("warm", "str"),
        (None, "NoneType"),
    ],
)
def test_non_http_events_get_a_small_reply(event: object, kind: str) -> None:
    assert handler.handler(event, FakeLambdaContext()) == {"ok": True, "handled": kind}


def test_event_base64_body_is_decoded_exactly() -> None:
    event = build_event("apigw-rest-v1", method="POST", path="/echo", body=ALL_BYTES)
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == ALL_BYTES
    assert read_result(handler.handler(event, FakeLambdaContext())).body == ALL_BYTES


def test_every_published_shape_is_exercised() -> None:
    assert set(SHAPES) == {
        "apigw-rest-v1",
        "apigw-http-v2",
        "alb",
        "alb-multivalue",
        "function-url",
    }
