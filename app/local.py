"""The Lambda path on loopback: HTTP in, an API Gateway event through handler.handler, HTTP out.

    python -m app.local --port 3000              the REST API, under its stage: /v1/
    python -m app.local --port 3000 --http-api   the HTTP API, at the root (app/local_http_api.py)

As the REST API (AWS::Serverless::Api) of template.yaml, it answers only under /{StageName}/,
as the deployed default URL does; any other path gets API Gateway's 403, {"message":"Missing
Authentication Token"}. Each request becomes the event that API would send: payload format
1.0 with multiValueHeaders, `path` without the stage, `requestContext.path` and `.stage` with
it; the body base64-encoded when its Content-Type matches the template's BinaryMediaTypes
("~1" meaning "/"). The result goes back the way API Gateway returns it: headers and
multiValueHeaders merged, a base64 body decoded when the Accept or the response's
Content-Type matches those types.
The context's deadline is the template's Timeout. Requests are served one at a time, in the
main thread, as a Lambda instance serves them (Mangum's event loop belongs to that thread).

A development tool: it reads template.yaml with PyYAML (the `dev` extra). It travels with app/
into the Lambda artifact, but nothing there imports it.
"""

from __future__ import annotations

import argparse
import base64
import json
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

TEMPLATE_PATH = Path(__file__).resolve().parents[1] / "template.yaml"
# Lambda's synchronous invocation limit, for the event and for the result (6 MB).
INVOCATION_PAYLOAD_LIMIT = 6 * 1024 * 1024
# API Gateway assumes this type for a request without Content-Type.
DEFAULT_CONTENT_TYPE = "application/json"
# Set by API Gateway or the HTTP layer here, never taken from the function's result.
HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "keep-alive"}

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]
# What API Gateway's default URL answers for a path outside every stage (and for a method or
# resource the API lacks): 403, whatever the request's credentials.
MISSING_AUTHENTICATION_TOKEN = "Missing Authentication Token"


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """template.yaml as a dict; short-form intrinsics become their long form ({"Ref": ...})."""
    import yaml

    class CloudFormationLoader(yaml.SafeLoader):
        """SafeLoader taught the short intrinsic tags: !Ref, !Sub, !GetAtt, ..."""

    def intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if suffix == "GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            assert isinstance(node, yaml.MappingNode)  # YAML's third and last kind of node
            value = loader.construct_mapping(node, deep=True)
        return {"Ref" if suffix == "Ref" else f"Fn::{suffix}": value}

    CloudFormationLoader.add_multi_constructor("!", intrinsic)
    template: dict[str, Any] = yaml.load(path.read_text(), Loader=CloudFormationLoader)
    return template


@dataclass(frozen=True)
class RestApiSettings:
    """What the local path takes from the template: one function behind one REST API."""

    function_id: str
    timeout_seconds: float
    memory_mb: int
    stage: str
    binary_media_types: tuple[str, ...]


def read_rest_api_settings(template: Mapping[str, Any]) -> RestApiSettings:
    """The function that serves the REST API, its Timeout and memory, the stage, binary types.

    Raises ValueError when the template has no AWS::Serverless::Api with a function behind it.
    """
    resources = template["Resources"]
    globals_ = template.get("Globals", {}).get("Function", {})
    apis = {k: v for k, v in resources.items() if v["Type"] == "AWS::Serverless::Api"}
    for function_id, resource in resources.items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        properties = {**globals_, **resource.get("Properties", {})}
        for event in properties.get("Events", {}).values():
            api_id = event.get("Properties", {}).get("RestApiId", {}).get("Ref")
            if event["Type"] == "Api" and api_id in apis:
                api = apis[api_id]["Properties"]
                return RestApiSettings(
                    function_id=function_id,
                    timeout_seconds=float(properties.get("Timeout", 3)),
                    memory_mb=int(properties.get("MemorySize", 128)),
                    stage=str(api["StageName"]),
                    binary_media_types=tuple(
                        media_type.replace("~1", "/").replace("~0", "~")
                        for media_type in api.get("BinaryMediaTypes", ())
                    ),
                )
    raise ValueError("the template has no AWS::Serverless::Function behind an Api event")


def media_type_matches(content_type: str | None, patterns: tuple[str, ...]) -> bool:
    """True when `content_type` (parameters ignored, any case) matches a type like "image/*"."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    kind, _, subtype = media_type.partition("/")
    for pattern in patterns:
        pattern_kind, _, pattern_subtype = pattern.lower().partition("/")
        if pattern_kind in ("*", kind) and pattern_subtype in ("*", subtype):
            return True
    return False


@dataclass
class LocalLambdaContext:
    """The Lambda context: a request id and a deadline `timeout_seconds` from its creation."""

    function_name: str
    memory_limit_in_mb: int
    timeout_seconds: float
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    deadline: float = field(init=False)

    def __post_init__(self) -> None:
        self.deadline = time.monotonic() + self.timeout_seconds
        self.invoked_function_arn = (
            f"arn:aws:lambda:local:000000000000:function:{self.function_name}"
        )
        self.log_group_name = f"/aws/lambda/{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


@dataclass(frozen=True)
class HttpRequest:
    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str = "127.0.0.1"


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


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


def rest_event(request: HttpRequest, settings: RestApiSettings, request_id: str) -> dict[str, Any]:
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
        "pathParameters": None if path == "/" else {"proxy": path.lstrip("/")},
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
    handler: LambdaHandler, request: HttpRequest, settings: RestApiSettings
) -> HttpResponse:
    """One request through `handler` as API Gateway's REST API and Lambda run it."""
    if stage_route(urlsplit(request.target).path or "/", settings.stage) is None:
        return missing_authentication_token()
    context = LocalLambdaContext(settings.function_id, settings.memory_mb, settings.timeout_seconds)
    event = rest_event(request, settings, context.aws_request_id)
    if len(json.dumps(event)) > INVOCATION_PAYLOAD_LIMIT:
        # Lambda refuses the invocation; the function never sees the request.
        return _gateway_error(413, "Request Too Long")
    try:
        result = handler(event, context)
    except Exception:
        # An unhandled exception is a failed invocation: API Gateway answers 502.
        traceback.print_exc()
        return _gateway_error(502, "Internal server error")
    if context.get_remaining_time_in_millis() == 0:
        # On AWS the invocation would have been stopped at Timeout and the client given this.
        return _gateway_error(504, "Endpoint request timed out")
    if len(json.dumps(result)) > INVOCATION_PAYLOAD_LIMIT:
        return _gateway_error(502, "Internal server error")
    response = http_response(result, request, settings)
    return HttpResponse(
        response.status,
        [*response.headers, ("x-amzn-RequestId", context.aws_request_id)],
        response.body,
    )


def make_server(host: str, port: int, invoke: Callable[[HttpRequest], HttpResponse]) -> HTTPServer:
    """An HTTP server on (host, port) that answers every request with `invoke(request)`."""

    class GatewayRequestHandler(BaseHTTPRequestHandler):
        # HTTP/1.0: one request per connection, so a browser's idle keep-alive connection can
        # never hold up this single-threaded server.
        protocol_version = "HTTP/1.0"

        def _read_body(self) -> bytes:
            if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                # RFC 9112 §7.1; API Gateway hands the function the reassembled body.
                chunks = []
                while size := int(self.rfile.readline().split(b";", 1)[0], 16):
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _serve(self) -> None:
            request = HttpRequest(
                method=self.command,
                target=self.path,
                headers=[
                    (name, value)
                    for name, value in self.headers.items()
                    if name.lower() != "transfer-encoding"
                ],
                body=self._read_body(),
                source_ip=self.client_address[0],
            )
            response = invoke(request)
            self.send_response(response.status)
            for name, value in response.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve

    return HTTPServer((host, port), GatewayRequestHandler)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Serve handler.handler as the template's REST API (or HTTP API) would."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--template", type=Path, default=TEMPLATE_PATH)
    parser.add_argument(
        "--http-api",
        action="store_true",
        help="be the HTTP API (payload 2.0, at the root) instead of the REST API (under /STAGE/)",
    )
    arguments = parser.parse_args(argv)
    template = load_template(arguments.template)
    from handler import handler

    if arguments.http_api:
        from app.local_http_api import invoke_through_http_api, read_http_api_settings

        http_api = read_http_api_settings(template)
        server = make_server(
            arguments.host,
            arguments.port,
            lambda request: invoke_through_http_api(handler, request, http_api),
        )
        door = "an HTTP API (payload 2.0)"
        url = f"http://{arguments.host}:{server.server_port}/"
        details = f"Timeout {http_api.timeout_seconds:g} s"
        function_id = http_api.function_id
    else:
        settings = read_rest_api_settings(template)
        server = make_server(
            arguments.host,
            arguments.port,
            lambda request: invoke_through_rest_api(handler, request, settings),
        )
        door = "a REST API (payload 1.0)"
        url = f"http://{arguments.host}:{server.server_port}/{settings.stage}/"
        binary = ", ".join(settings.binary_media_types) or "none"
        details = f"Timeout {settings.timeout_seconds:g} s, binary media types: {binary}"
        function_id = settings.function_id
    banner = f"Serving handler.handler as {function_id} behind {door} on {url} ({details})"
    print(banner, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
