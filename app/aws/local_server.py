"""What both local doors share: the loopback HTTP server, the request and response they pass
around, and the Lambda context they invoke the handler with.

Like API Gateway, the server takes many clients at once: each connection is read and answered
in a thread of its own (throttling and the gateway's own answers need nothing else), and the
listen backlog holds a crowd (socketserver's default of 5 reset 3 to 6 of 20 simultaneous
uploads). The handler itself still runs in the main thread, one event at a time, as a Lambda
instance serves them (Mangum's event loop belongs to that thread): SerialInvoker queues the
calls there.
"""

from __future__ import annotations

import queue
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# Lambda's synchronous invocation limit, for the event and for the result (6 MB).
INVOCATION_PAYLOAD_LIMIT = 6 * 1024 * 1024
# Set by API Gateway or the HTTP layer here, never taken from the function's result.
HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "keep-alive"}

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]
# Connections the kernel queues before accept(): 50 clients at once must all get an answer.
LISTEN_BACKLOG = 256


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

    def start_clock(self) -> None:
        """Count the deadline from now: the moment the invocation starts, after any wait."""
        self.deadline = time.monotonic() + self.timeout_seconds

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


class SerialInvoker:
    """Runs handler calls one at a time in the thread that calls `run`, for any thread.

    `wrap(handler)` gives a handler that any thread may call: the call waits in a queue for the
    running thread and returns (or raises) what the handler did.
    """

    def __init__(self) -> None:
        self._calls: queue.Queue[tuple[Callable[[], Any], Future[Any]] | None] = queue.Queue()

    def wrap(self, handler: LambdaHandler) -> LambdaHandler:
        def serially(event: dict[str, Any], context: Any) -> dict[str, Any]:
            def invocation() -> dict[str, Any]:
                # On AWS another copy of the function would have taken the request at once.
                if isinstance(context, LocalLambdaContext):
                    context.start_clock()
                return handler(event, context)

            future: Future[dict[str, Any]] = Future()
            self._calls.put((invocation, future))
            return future.result()

        return serially

    def run(self) -> None:
        """Make the queued calls, in order, until `stop`."""
        while (item := self._calls.get()) is not None:
            call, future = item
            try:
                future.set_result(call())
            except BaseException as error:  # handed to the caller, who re-raises it
                future.set_exception(error)

    def stop(self) -> None:
        self._calls.put(None)


class GatewayServer(ThreadingHTTPServer):
    """A threading HTTP server with a listen backlog for a crowd."""

    request_queue_size = LISTEN_BACKLOG
    daemon_threads = True


def serve_until_interrupted(server: ThreadingHTTPServer, invoker: SerialInvoker) -> None:
    """Accept connections in a background thread and make the handler calls in this one until
    KeyboardInterrupt (or SIGTERM's default exit); then close the server."""
    accepting = threading.Thread(target=server.serve_forever, name="accept", daemon=True)
    accepting.start()
    try:
        invoker.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        server.server_close()


def make_server(
    host: str, port: int, invoke: Callable[[HttpRequest], HttpResponse]
) -> GatewayServer:
    """An HTTP server on (host, port) that answers every request with `invoke(request)`, each
    in its connection's thread (`invoke` runs the handler through a SerialInvoker)."""

    class GatewayRequestHandler(BaseHTTPRequestHandler):
        # HTTP/1.0: one request per connection, so a browser's idle keep-alive connection
        # never holds a thread.
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

    return GatewayServer((host, port), GatewayRequestHandler)
