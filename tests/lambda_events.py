"""Lambda events built from the AWS-published shapes in tests/events/, and results read back.

One factory for every shape: load the shape as AWS sends it, set the method, path, query,
headers and body of the request under test, keep the rest. `invoke` runs handler.handler.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from mangum.types import LambdaCognitoIdentity, LambdaMobileClientContext

EVENTS_DIR = Path(__file__).resolve().parent / "events"
SHAPES = ("apigw-rest-v1", "apigw-http-v2", "alb", "alb-multivalue", "function-url")

HeaderInput = Mapping[str, str] | Iterable[tuple[str, str]]


@dataclass
class FakeLambdaContext:
    """The Lambda context object (mangum.types.LambdaContext), with a real deadline."""

    remaining_ms: float = 30_000.0
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_name: str = "compresstest"
    memory_limit_in_mb: int = 1769
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:compresstest"
    log_group_name: str = "/aws/lambda/compresstest"
    log_stream_name: str = "2026/12/01/[$LATEST]0123456789abcdef0123456789abcdef"
    identity: LambdaCognitoIdentity | None = None
    client_context: LambdaMobileClientContext | None = None
    _deadline: float = field(init=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.remaining_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def load_shape(shape: str) -> dict[str, Any]:
    """The event exactly as AWS publishes it."""
    event: dict[str, Any] = json.loads((EVENTS_DIR / f"{shape}.json").read_text())
    return event


def typed_prefix(shape: str) -> str:
    """What the client typed in front of the app's path in events of `shape`: the REST API's
    stage ("/testStage" in AWS's sample), "" for every other shape."""
    if shape != "apigw-rest-v1":
        return ""
    return f"/{load_shape(shape)['requestContext']['stage']}"


def _pairs(headers: HeaderInput) -> list[tuple[str, str]]:
    return list(headers.items()) if isinstance(headers, Mapping) else list(headers)


def _grouped(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    return grouped


def build_event(
    shape: str,
    method: str = "GET",
    path: str = "/",
    query: str = "",
    headers: HeaderInput = (),
    body: bytes = b"",
    base64_body: bool = True,
) -> dict[str, Any]:
    """An event of `shape` carrying this request; header names are kept in the case given."""
    event = load_shape(shape)
    header_pairs = _pairs(headers)
    query_pairs = parse_qsl(query, keep_blank_values=True)
    if base64_body:
        encoded_body: str | None = base64.b64encode(body).decode("ascii")
    else:
        encoded_body = body.decode("utf-8")
    if shape in ("apigw-http-v2", "function-url"):
        event["rawPath"] = path
        event["rawQueryString"] = query
        event["requestContext"]["http"]["method"] = method
        event["requestContext"]["http"]["path"] = path
        event["headers"] = {k: ",".join(v) for k, v in _grouped(header_pairs).items()}
        if query_pairs:
            grouped = _grouped(query_pairs)
            event["queryStringParameters"] = {k: ",".join(v) for k, v in grouped.items()}
        else:
            event.pop("queryStringParameters", None)
        event.pop("cookies", None)
    elif shape == "apigw-rest-v1":
        event["httpMethod"] = method
        event["path"] = path
        event["pathParameters"] = {"proxy": path.lstrip("/")}
        event["requestContext"]["httpMethod"] = method
        event["requestContext"]["path"] = typed_prefix(shape) + path
        grouped_headers = _grouped(header_pairs)
        event["headers"] = {k: v[-1] for k, v in grouped_headers.items()}
        event["multiValueHeaders"] = grouped_headers
        grouped_query = _grouped(query_pairs)
        event["queryStringParameters"] = {k: v[-1] for k, v in grouped_query.items()} or None
        event["multiValueQueryStringParameters"] = grouped_query or None
    elif shape == "alb":
        event["httpMethod"] = method
        event["path"] = path
        event["headers"] = {k: v[-1] for k, v in _grouped(header_pairs).items()}
        event["queryStringParameters"] = {k: v[-1] for k, v in _grouped(query_pairs).items()}
    elif shape == "alb-multivalue":
        event["httpMethod"] = method
        event["path"] = path
        event["multiValueHeaders"] = _grouped(header_pairs)
        event["multiValueQueryStringParameters"] = _grouped(query_pairs)
    else:
        raise ValueError(f"unknown event shape {shape!r}; known: {', '.join(SHAPES)}")
    event["body"] = encoded_body if body else ("" if shape.startswith("alb") else None)
    event["isBase64Encoded"] = bool(body) and base64_body
    return event


@dataclass
class LambdaResponse:
    """A Lambda result read back as HTTP: status, lower-cased header pairs and the exact bytes."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    is_base64_encoded: bool

    def header(self, name: str) -> str | None:
        """The value of `name` (any case), repeated values joined by ', '; None if absent."""
        values = self.header_values(name)
        return ", ".join(values) if values else None

    def header_values(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k == name.lower()]


def read_result(result: dict[str, Any]) -> LambdaResponse:
    """Turn a Lambda proxy result into what the client receives."""
    headers: list[tuple[str, str]] = []
    single = result.get("headers") or {}
    multi = result.get("multiValueHeaders") or {}
    for name, values in multi.items():
        headers.extend((name.lower(), v) for v in values)
    seen = {name for name, _ in headers}
    headers.extend((name.lower(), v) for name, v in single.items() if name.lower() not in seen)
    headers.extend(("set-cookie", cookie) for cookie in result.get("cookies") or ())
    raw_body = result.get("body") or ""
    is_base64 = bool(result.get("isBase64Encoded"))
    body = base64.b64decode(raw_body) if is_base64 else raw_body.encode("utf-8")
    return LambdaResponse(result["statusCode"], headers, body, is_base64)


def invoke(shape: str, context: FakeLambdaContext | None = None, **request: Any) -> LambdaResponse:
    """Send one request through handler.handler as an event of `shape`."""
    from handler import handler

    event = build_event(shape, **request)
    return read_result(handler(event, context or FakeLambdaContext()))
