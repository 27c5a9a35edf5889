"""The HTTP API door on loopback: `python -m app.local --http-api`, payload format 2.0 at the root.

The template's AWS::Serverless::HttpApi has one stage, `$default`, so its URL has no prefix:
every path reaches the function, as the event's rawPath. Each request becomes the event that
API sends (the shape of tests/events/apigw-http-v2.json): header names lower-cased, repeated
headers and query parameters joined with commas, cookies in their own list, the body as text
for textual types and base64 for the rest. The result goes back as that API returns it:
`headers`, then `cookies` as Set-Cookie lines, a base64 body decoded (an HTTP API needs no
binary media types). A development tool, like app/local.py, which serves it.
"""

from __future__ import annotations

import base64
import json
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from app.aws.gateway_template import parameter_default
from app.aws.gateway_throttle import (
    Throttle,
    Throttles,
    http_route_throttles,
    match_http_route,
    path_parameters,
    template_parameters,
)
from app.aws.local_server import (
    INVOCATION_PAYLOAD_LIMIT,
    HttpRequest,
    HttpResponse,
    LambdaHandler,
    LocalLambdaContext,
    media_type_matches,
)

STAGE = "$default"
ROUTE_KEY = "$default"
# Sent as text; any other body arrives base64-encoded.
TEXT_MEDIA_TYPES = (
    "text/*",
    "application/json",
    "application/xml",
    "application/javascript",
)
HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "keep-alive"}
# API Gateway's payload quota; the HTTP API's answer over it is taken to be its 413 below.
GATEWAY_PAYLOAD_LIMIT = 10 * 1024 * 1024


@dataclass(frozen=True)
class HttpApiSettings:
    """What the HTTP API door takes from the template: the function and its limits."""

    function_id: str
    timeout_seconds: float
    memory_mb: int


def read_http_api_settings(template: Mapping[str, Any]) -> HttpApiSettings:
    """The function behind the template's HttpApi event; raises ValueError when there is none."""
    globals_ = template.get("Globals", {}).get("Function", {})
    for function_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        properties = {**globals_, **resource.get("Properties", {})}
        if any(event["Type"] == "HttpApi" for event in properties.get("Events", {}).values()):
            return HttpApiSettings(
                function_id=function_id,
                timeout_seconds=float(properties.get("Timeout", 3)),
                memory_mb=int(parameter_default(template, properties.get("MemorySize", 128))),
            )
    raise ValueError("the template has no AWS::Serverless::Function behind an HttpApi event")


def _is_text(content_type: str | None) -> bool:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type_matches(media_type, TEXT_MEDIA_TYPES) or media_type.endswith(
        ("+json", "+xml")
    )


def http_api_event(
    request: HttpRequest, request_id: str, route_key: str = ROUTE_KEY
) -> dict[str, Any]:
    """The API Gateway HTTP API (payload 2.0) event for `request`, on the `$default` stage,
    through the route `route_key` ("POST /compress/{codec}", or `$default`)."""
    url = urlsplit(request.target)
    path = url.path or "/"
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        name = name.lower()
        if name == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
        else:
            headers[name] = f"{headers[name]},{value}" if name in headers else value
    query: dict[str, str] = {}
    for name, value in parse_qsl(url.query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    is_base64 = bool(request.body) and not _is_text(headers.get("content-type"))
    body: str | None = None
    if request.body:
        body = (
            base64.b64encode(request.body).decode("ascii")
            if is_base64
            else request.body.decode("utf-8", errors="replace")
        )
    now = time.time()
    domain_name = headers.get("host", "localhost")
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": url.query,
        "headers": headers,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": domain_name,
            "domainPrefix": domain_name.split(".", 1)[0],
            "http": {
                "method": request.method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": request.source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": route_key,
            "stage": STAGE,
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": is_base64,
    }
    if cookies:
        event["cookies"] = cookies
    if route_key != ROUTE_KEY and (parameters := path_parameters(route_key.split(" ", 1)[1], path)):
        event["pathParameters"] = parameters
    if query:
        event["queryStringParameters"] = query
    if body is not None:
        event["body"] = body
    return event


def _gateway_error(status: int, message: str) -> HttpResponse:
    body = json.dumps({"message": message}).encode()
    return HttpResponse(status, [("Content-Type", "application/json")], body)


def http_api_response(result: Any) -> HttpResponse:
    """What the HTTP API sends the client for the function's 2.0 `result`.

    A dict without statusCode is taken as a JSON body with status 200 (the 2.0 format's
    inference); anything else that is not a proxy response is a 500, as on AWS.
    """
    if not isinstance(result, dict):
        return _gateway_error(500, "Internal Server Error")
    if "statusCode" not in result:
        body = json.dumps(result).encode()
        return HttpResponse(200, [("Content-Type", "application/json")], body)
    if not isinstance(result["statusCode"], int):
        return _gateway_error(500, "Internal Server Error")
    headers = [
        (name, str(value))
        for name, value in (result.get("headers") or {}).items()
        if name.lower() not in HOP_BY_HOP
    ]
    headers.extend(("Set-Cookie", cookie) for cookie in result.get("cookies") or ())
    raw_body = result.get("body") or ""
    body = base64.b64decode(raw_body) if result.get("isBase64Encoded") else raw_body.encode()
    return HttpResponse(result["statusCode"], headers, body)


class HttpApiThrottles:
    """Every route's token bucket (RouteSettings, else DefaultRouteSettings) of the template."""

    def __init__(self, routes: Mapping[str, Throttle]) -> None:
        self.routes = routes
        self._buckets = Throttles(routes)

    def route(self, method: str, path: str) -> str | None:
        """The route key the request goes to (see match_http_route)."""
        return match_http_route(self.routes, method, path)

    def take(self, route_key: str) -> float | None:
        """None when the route's bucket admits a request; else the seconds to wait."""
        return self._buckets.take(route_key)


def read_http_api_throttles(
    template: Mapping[str, Any], overrides: Mapping[str, str] | None = None
) -> HttpApiThrottles:
    """The HTTP API's routes and limits, with parameter `overrides` as sam deploy takes them."""
    return HttpApiThrottles(
        http_route_throttles(template, template_parameters(template, overrides))
    )


def invoke_through_http_api(
    handler: LambdaHandler,
    request: HttpRequest,
    settings: HttpApiSettings,
    throttles: HttpApiThrottles | None = None,
) -> HttpResponse:
    """One request through `handler` as API Gateway's HTTP API and Lambda run it, its route's
    token bucket first (with `throttles`). The HTTP API's own answers cannot be reshaped: they
    are {"message": ...} as AWS sends them."""
    if len(request.body) > GATEWAY_PAYLOAD_LIMIT:
        return _gateway_error(413, "Request Entity Too Large")
    path = urlsplit(request.target).path or "/"
    route_key = ROUTE_KEY
    if throttles is not None:
        route_key = throttles.route(request.method, path) or ROUTE_KEY
        if throttles.take(route_key) is not None:
            return _gateway_error(429, "Too Many Requests")
    context = LocalLambdaContext(settings.function_id, settings.memory_mb, settings.timeout_seconds)
    event = http_api_event(request, context.aws_request_id, route_key)
    if len(json.dumps(event)) > INVOCATION_PAYLOAD_LIMIT:
        return _gateway_error(413, "Request Entity Too Large")
    try:
        result = handler(event, context)
    except Exception:
        traceback.print_exc()
        return _gateway_error(500, "Internal Server Error")
    if context.get_remaining_time_in_millis() == 0:
        return _gateway_error(503, "Service Unavailable")
    if len(json.dumps(result)) > INVOCATION_PAYLOAD_LIMIT:
        return _gateway_error(500, "Internal Server Error")
    response = http_api_response(result)
    return HttpResponse(
        response.status,
        [*response.headers, ("apigw-requestid", context.aws_request_id)],
        response.body,
    )
