"""What each local door answers itself, as the deployed gateways do (docs/api.md): the REST API
in the template's problem+json shape, the HTTP API with AWS's own {"message": ...}."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

import pytest
from sam_tools import TEMPLATE

from app.aws.gateway_template import RestApiSettings, load_template, read_rest_api_settings
from app.aws.local_http_api import (
    HttpApiSettings,
    invoke_through_http_api,
    read_http_api_settings,
    read_http_api_throttles,
)
from app.aws.local_rest_api import RestGateway, invoke_through_rest_api, read_rest_gateway
from app.aws.local_server import HttpRequest, HttpResponse

ORIGIN = "https://ui.example"
MiB = 1024 * 1024


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(TEMPLATE)


@pytest.fixture(scope="module")
def settings(template: dict[str, Any]) -> RestApiSettings:
    return read_rest_api_settings(template)


@pytest.fixture
def gateway(template: dict[str, Any]) -> RestGateway:
    return read_rest_gateway(template, {"CorsAllowOrigin": ORIGIN})


def ok(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "headers": {"Content-Type": "text/plain"}, "body": "ok"}


def request(method: str, target: str, body: bytes = b"") -> HttpRequest:
    headers = [("Host", "localhost"), ("Content-Type", "application/octet-stream")]
    return HttpRequest(method, target, headers, body)


def header(response: HttpResponse, name: str) -> str | None:
    values = [v for k, v in response.headers if k.lower() == name.lower()]
    return values[-1] if values else None


def problem(response: HttpResponse, status: int, type_: str) -> dict[str, Any]:
    """The problem body of `response`, checked for the shape every gateway answer has."""
    assert response.status == status, response.body
    assert header(response, "Content-Type") == "application/problem+json"
    assert header(response, "Access-Control-Allow-Origin") == ORIGIN
    body: dict[str, Any] = json.loads(response.body)
    assert body["type"] == type_
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert body["request_id"]
    return body


def test_a_path_outside_the_stage_is_a_404_problem(
    settings: RestApiSettings, gateway: RestGateway
) -> None:
    response = invoke_through_rest_api(ok, request("GET", "/compress"), settings, gateway)
    body = problem(response, 404, "/problems/outside-the-stage")
    assert "/v1/" in body["detail"]


def test_past_the_burst_a_route_answers_the_throttled_problem(
    settings: RestApiSettings, gateway: RestGateway
) -> None:
    statuses = [
        invoke_through_rest_api(ok, request("POST", "/v1/echo", b"x"), settings, gateway).status
        for _ in range(5)
    ]
    assert statuses == [200] * 5
    response = invoke_through_rest_api(ok, request("POST", "/v1/echo", b"x"), settings, gateway)
    problem(response, 429, "/problems/throttled")
    assert header(response, "Retry-After") == "1"
    # Other methods have buckets of their own: the pages still answer.
    assert invoke_through_rest_api(ok, request("GET", "/v1/"), settings, gateway).status == 200
    assert invoke_through_rest_api(ok, request("GET", "/v1/api"), settings, gateway).status == 200


def test_an_event_over_lambdas_6_mb_is_the_payload_problem_with_the_limit(
    settings: RestApiSettings, gateway: RestGateway
) -> None:
    response = invoke_through_rest_api(
        ok, request("POST", "/v1/compress", b"x" * (5 * MiB)), settings, gateway
    )
    body = problem(response, 413, "/problems/payload-too-large")
    assert body["limit"] == 4 * MiB


def test_a_body_over_api_gateways_10_mb_is_its_plain_413(
    settings: RestApiSettings, gateway: RestGateway
) -> None:
    response = invoke_through_rest_api(
        ok, request("POST", "/v1/compress", b"x" * (10 * MiB + 1)), settings, gateway
    )
    assert response.status == 413
    assert header(response, "Content-Type") == "text/plain; charset=utf-8"
    assert response.body == b"HTTP content length exceeded 10485760 bytes."


def failing(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise RuntimeError("the function failed")


def too_large(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "body": "x" * (6 * MiB + 1)}


def not_a_proxy_result(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"hello": "world"}


@pytest.mark.parametrize("handler", [failing, too_large, not_a_proxy_result])
def test_a_failed_invocation_is_the_function_failed_problem(
    settings: RestApiSettings, gateway: RestGateway, handler: Any
) -> None:
    response = invoke_through_rest_api(handler, request("GET", "/v1/"), settings, gateway)
    problem(response, 502, "/problems/function-failed")


def test_a_late_answer_is_the_gateway_timeout_problem(
    settings: RestApiSettings, gateway: RestGateway
) -> None:
    def slow(event: dict[str, Any], context: Any) -> dict[str, Any]:
        time.sleep(0.05)
        return ok(event, context)

    quick = replace(settings, timeout_seconds=0.01)
    response = invoke_through_rest_api(slow, request("GET", "/v1/"), quick, gateway)
    problem(response, 504, "/problems/gateway-timeout")


def test_without_gateway_responses_the_answers_are_aws_own(settings: RestApiSettings) -> None:
    response = invoke_through_rest_api(ok, request("GET", "/elsewhere"), settings)
    assert (response.status, response.body) == (403, b'{"message":"Missing Authentication Token"}')
    response = invoke_through_rest_api(failing, request("GET", "/v1/"), settings)
    assert (response.status, response.body) == (502, b'{"message": "Internal server error"}')


@pytest.fixture(scope="module")
def http_settings(template: dict[str, Any]) -> HttpApiSettings:
    return read_http_api_settings(template)


def message(response: HttpResponse, status: int, text: str) -> None:
    """The HTTP API's own answer: AWS's JSON message, which no setting reshapes."""
    assert response.status == status
    assert header(response, "Content-Type") == "application/json"
    assert json.loads(response.body) == {"message": text}


def test_the_http_api_throttles_each_upload_route_with_its_own_message(
    template: dict[str, Any], http_settings: HttpApiSettings
) -> None:
    throttles = read_http_api_throttles(template)
    for _ in range(5):
        posted = invoke_through_http_api(
            ok, request("POST", "/echo", b"x"), http_settings, throttles
        )
        assert posted.status == 200
    throttled = invoke_through_http_api(
        ok, request("POST", "/echo", b"x"), http_settings, throttles
    )
    message(throttled, 429, "Too Many Requests")
    assert invoke_through_http_api(ok, request("GET", "/"), http_settings, throttles).status == 200


def test_the_http_api_answers_for_size_failure_and_time(
    http_settings: HttpApiSettings,
) -> None:
    message(
        invoke_through_http_api(ok, request("POST", "/compress", b"x" * (5 * MiB)), http_settings),
        413,
        "Request Entity Too Large",
    )
    message(
        invoke_through_http_api(
            ok, request("POST", "/compress", b"x" * (10 * MiB + 1)), http_settings
        ),
        413,
        "Request Entity Too Large",
    )
    message(
        invoke_through_http_api(failing, request("GET", "/"), http_settings),
        500,
        "Internal Server Error",
    )

    def slow(event: dict[str, Any], context: Any) -> dict[str, Any]:
        time.sleep(0.05)
        return ok(event, context)

    quick = replace(http_settings, timeout_seconds=0.01)
    message(invoke_through_http_api(slow, request("GET", "/"), quick), 503, "Service Unavailable")


def test_an_upload_route_reaches_the_function_as_its_own_resource(
    settings: RestApiSettings, gateway: RestGateway
) -> None:
    """The REST event names the resource the path matched and its path parameters."""
    seen: list[dict[str, Any]] = []

    def recording(event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen.append(event)
        return ok(event, context)

    for target in ("/v1/compress/gzip", "/v1/compress", "/v1/docs/start.js"):
        invoke_through_rest_api(recording, request("POST", target, b"x"), settings, gateway)
    assert [(e["resource"], e["pathParameters"]) for e in seen] == [
        ("/compress/{codec}", {"codec": "gzip"}),
        ("/compress", None),
        ("/{proxy+}", {"proxy": "docs/start.js"}),
    ]
    assert [e["requestContext"]["resourcePath"] for e in seen] == [e["resource"] for e in seen]


def test_an_upload_route_reaches_the_function_by_its_http_api_route(
    template: dict[str, Any], http_settings: HttpApiSettings
) -> None:
    seen: list[dict[str, Any]] = []

    def recording(event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen.append(event)
        return ok(event, context)

    throttles = read_http_api_throttles(template)
    for method, target in (("POST", "/compress/zstd"), ("GET", "/compress/zstd")):
        invoke_through_http_api(recording, request(method, target), http_settings, throttles)
    assert [(e["routeKey"], e.get("pathParameters")) for e in seen] == [
        ("POST /compress/{codec}", {"codec": "zstd"}),
        ("$default", None),
    ]
