"""The REST API door on loopback: `python -m app.local`, payload format 1.0 under the stage.

As the REST API (AWS::Serverless::Api) of template.yaml, it answers only under /{StageName}/,
as the deployed default URL does. What the gateway answers itself (a path outside the stage,
a throttled request, an event Lambda refuses, a failed or late function) it answers as the
template's GatewayResponses shape it (app/aws/gateway_responses.py), and each method (the
resource a path matches, and its HTTP method) has the token bucket of the stage's
MethodSettings (app/aws/gateway_throttle.py); both with the template's parameter defaults or
the overrides given. Without a RestGateway, a call answers as a stage without either.

Each request becomes the event that API would send: payload format 1.0 with
multiValueHeaders, `path` without the stage, `requestContext.path` and `.stage` with it; the
body base64-encoded when its Content-Type matches the template's BinaryMediaTypes ("~1"
meaning "/"). The result goes back the way API Gateway returns it: headers and
multiValueHeaders merged, a base64 body decoded when the Accept or the response's
Content-Type matches those types. The context's deadline is the template's Timeout.
"""

from __future__ import annotations

import base64
import json
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from app.aws.gateway_responses import GatewayAnswer, configured_gateway_responses, gateway_answer
from app.aws.gateway_template import RestApiSettings
from app.aws.gateway_throttle import (
    RestMethod,
    Throttle,
    Throttles,
    match_rest_method,
    path_parameters,
    rest_method_throttles,
    template_parameters,
)
from app.aws.local_server import (
    HOP_BY_HOP,
    INVOCATION_PAYLOAD_LIMIT,
    HttpRequest,
    HttpResponse,
    LambdaHandler,
    LocalLambdaContext,
    media_type_matches,
)

# API Gateway's own payload quota. Over it AWS answers a plain-text 413 before anything else,
# one no gateway response reshapes (docs/api.md cites what users have seen).
GATEWAY_PAYLOAD_LIMIT = 10 * 1024 * 1024
GATEWAY_PAYLOAD_TOO_LARGE = f"HTTP content length exceeded {GATEWAY_PAYLOAD_LIMIT} bytes."
# API Gateway assumes this type for a request without Content-Type.
DEFAULT_CONTENT_TYPE = "application/json"
# What API Gateway's default URL answers for a path outside every stage (and for a method or
# resource the API lacks): 403, whatever the request's credentials.
MISSING_AUTHENTICATION_TOKEN = "Missing Authentication Token"


def _grouped(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    return grouped


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    values = [value for key, value in headers if key.lower() == name]
    return values[-1] if values else None


def stage_route(typed_path: str, stage: str) -> str | None:
    """The path below the stage of a path typed at the REST API's default URL: "/v1/api" ->
    "/api"; "/v1/" and "/v1" -> "/" (AWS serves the root resource for both); None outside it."""
    prefix = f"/{stage}"
    if typed_path == prefix:
        return "/"
    if typed_path.startswith(prefix + "/"):
        return typed_path[len(prefix) :]
    return None


def rest_event(
    request: HttpRequest, settings: RestApiSettings, request_id: str, resource: str | None = None
) -> dict[str, Any]:
    """The API Gateway REST (payload 1.0) proxy event for `request`, whose target is what the
    client typed at the default URL: /{stage}/... (raises ValueError for a path outside it)."""
    url = urlsplit(request.target)
    typed = url.path or "/"
    path = stage_route(typed, settings.stage)
    if path is None:
        raise ValueError(f"{typed} is not under the stage /{settings.stage}/")
    query = _grouped(parse_qsl(url.query, keep_blank_values=True))
    headers = _grouped(request.headers)
    content_type = _header(request.headers, "content-type") or DEFAULT_CONTENT_TYPE
    is_binary = media_type_matches(content_type, settings.binary_media_types)
    body: str | None = None
    if request.body:
        if is_binary:
            body = base64.b64encode(request.body).decode("ascii")
        else:
            # API Gateway passes a text body on as UTF-8 text.
            body = request.body.decode("utf-8", errors="replace")
    now = time.time()
    if resource is None:
        resource = "/" if path == "/" else "/{proxy+}"
    domain_name = _header(request.headers, "host") or "localhost"
    return {
        "resource": resource,
        "path": path,
        "httpMethod": request.method,
        "headers": {name: values[-1] for name, values in headers.items()},
        "multiValueHeaders": headers,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": path_parameters(resource, path),
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": request.method,
            "path": typed,
            "stage": settings.stage,
            "requestId": request_id,
            "extendedRequestId": request_id,
            "accountId": "000000000000",
            "apiId": "local",
            "resourceId": "local",
            "domainName": domain_name,
            "domainPrefix": domain_name.split(".", 1)[0],
            "protocol": "HTTP/1.1",
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "requestTimeEpoch": int(now * 1000),
            "identity": {
                "sourceIp": request.source_ip,
                "userAgent": _header(request.headers, "user-agent"),
            },
        },
        "body": body,
        "isBase64Encoded": bool(request.body) and is_binary,
    }


def _gateway_error(status: int, message: str) -> HttpResponse:
    body = json.dumps({"message": message}).encode()
    return HttpResponse(status, [("Content-Type", "application/json")], body)


def missing_authentication_token() -> HttpResponse:
    """API Gateway's answer for a path no stage or resource serves: its 403, exactly."""
    body = json.dumps({"message": MISSING_AUTHENTICATION_TOKEN}, separators=(",", ":")).encode()
    return HttpResponse(
        403,
        [
            ("Content-Type", "application/json"),
            ("x-amzn-ErrorType", "MissingAuthenticationTokenException"),
        ],
        body,
    )


@dataclass
class RestGateway:
    """The stage's own behaviour, from the template: the gateway responses, every method's
    token bucket, and the parameter values they are rendered with."""

    parameters: Mapping[str, Any]
    responses: Mapping[str, Mapping[str, Any]]
    methods: Mapping[RestMethod, Throttle]
    throttles: Throttles = field(init=False)

    def __post_init__(self) -> None:
        self.throttles = Throttles(self.methods)

    def answer(self, response_type: str, request_id: str, **context: str) -> HttpResponse:
        answer: GatewayAnswer = gateway_answer(
            self.responses, response_type, self.parameters, request_id, context
        )
        return HttpResponse(answer.status, answer.headers, answer.body)


def read_rest_gateway(
    template: Mapping[str, Any], overrides: Mapping[str, str] | None = None
) -> RestGateway:
    """The RestGateway of `template` with parameter `overrides` (as sam deploy takes them)."""
    parameters = template_parameters(template, overrides)
    return RestGateway(
        parameters,
        configured_gateway_responses(template),
        rest_method_throttles(template, parameters),
    )


def _without_gateway(response_type: str, request_id: str) -> HttpResponse:
    answer = gateway_answer({}, response_type, {}, request_id)
    return HttpResponse(answer.status, answer.headers, answer.body)


def http_response(result: Any, request: HttpRequest, settings: RestApiSettings) -> HttpResponse:
    """What API Gateway sends the client for the function's `result`.

    Headers: multiValueHeaders first, then each `headers` entry whose name is not among them
    (AWS merges the two; a name in both keeps the multi-value list). A base64 body is decoded
    when the request's Accept or the response's Content-Type matches the binary types, else
    passed on as base64 text. A result that is not a proxy response is a 502, as on AWS.
    """
    if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
        return _gateway_error(502, "Internal server error")
    headers: list[tuple[str, str]] = []
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.extend((name, str(value)) for value in values)
    seen = {name.lower() for name, _ in headers}
    for name, value in (result.get("headers") or {}).items():
        if name.lower() not in seen:
            headers.append((name, str(value)))
    headers = [(name, value) for name, value in headers if name.lower() not in HOP_BY_HOP]
    raw_body = result.get("body") or ""
    body = raw_body.encode("utf-8")
    if result.get("isBase64Encoded"):
        accept = (_header(request.headers, "accept") or "").split(",", 1)[0]
        binary_types = settings.binary_media_types
        if media_type_matches(accept, binary_types) or media_type_matches(
            _header(headers, "content-type"), binary_types
        ):
            body = base64.b64decode(raw_body)
    return HttpResponse(result["statusCode"], headers, body)


def invoke_through_rest_api(
    handler: LambdaHandler,
    request: HttpRequest,
    settings: RestApiSettings,
    gateway: RestGateway | None = None,
) -> HttpResponse:
    """One request through `handler` as API Gateway's REST API and Lambda run it: through
    `gateway`'s methods, throttles and responses, or without (AWS's built-in answers)."""
    context = LocalLambdaContext(settings.function_id, settings.memory_mb, settings.timeout_seconds)
    request_id = context.aws_request_id
    typed = urlsplit(request.target).path or "/"
    path = stage_route(typed, settings.stage)
    if len(request.body) > GATEWAY_PAYLOAD_LIMIT:
        return HttpResponse(
            413, [("Content-Type", "text/plain; charset=utf-8")], GATEWAY_PAYLOAD_TOO_LARGE.encode()
        )

    def answer(response_type: str) -> HttpResponse:
        if gateway is None:
            return _without_gateway(response_type, request_id)
        extra = {"stage": settings.stage, "path": typed, "httpMethod": request.method}
        return gateway.answer(response_type, request_id, **extra)

    if path is None:
        return answer("MISSING_AUTHENTICATION_TOKEN")
    resource = None
    if gateway is not None:
        method = match_rest_method(gateway.methods, request.method, path)
        if method is None:
            return answer("MISSING_AUTHENTICATION_TOKEN")
        if gateway.throttles.take(method) is not None:
            return answer("THROTTLED")
        resource = method.resource
    event = rest_event(request, settings, request_id, resource)
    if len(json.dumps(event)) > INVOCATION_PAYLOAD_LIMIT:
        # Lambda refuses the invocation; the function never sees the request.
        return answer("REQUEST_TOO_LARGE")
    try:
        result = handler(event, context)
    except Exception:
        # An unhandled exception is a failed invocation: API Gateway answers 502.
        traceback.print_exc()
        return answer("INTEGRATION_FAILURE")
    if context.get_remaining_time_in_millis() == 0:
        # On AWS the invocation would have been stopped at Timeout and the client given this.
        return answer("INTEGRATION_TIMEOUT")
    if len(json.dumps(result)) > INVOCATION_PAYLOAD_LIMIT:
        return answer("INTEGRATION_FAILURE")
    if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
        return answer("INTEGRATION_FAILURE")
    response = http_response(result, request, settings)
    return HttpResponse(
        response.status,
        [*response.headers, ("x-amzn-RequestId", request_id)],
        response.body,
    )
