"""What both local doors share: the loopback HTTP server, the request and response they pass
around, and the Lambda context they invoke the handler with.

The server answers each request by calling one function (a door's invoke) in the main thread,
as a Lambda instance serves one event at a time (Mangum's event loop belongs to that thread).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

# Lambda's synchronous invocation limit, for the event and for the result (6 MB).
INVOCATION_PAYLOAD_LIMIT = 6 * 1024 * 1024
# Set by API Gateway or the HTTP layer here, never taken from the function's result.
HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "keep-alive"}

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


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
