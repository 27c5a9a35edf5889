"""CORS headers on every response, errors included, and answers to preflight requests.

API Gateway's proxy integrations pass responses through untouched, so unless the app sets
these headers no browser on another origin can read a single answer (not even a 413).
"""

from __future__ import annotations

import re

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALLOWED_METHODS = "GET, HEAD, POST, OPTIONS"
# Chromium caps Access-Control-Max-Age at 7200 s; asking for more gains nothing.
PREFLIGHT_MAX_AGE_SECONDS = 7200
# Headers a script may read: the download name and how a body was encoded.
EXPOSED_HEADERS = "Content-Disposition, Content-Encoding, Content-Length, ETag"
# RFC 9110 §5.6.1 and §5.6.2: a comma-separated list of tokens (field names).
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
HEADER_NAME_LIST = re.compile(rf"[ \t]*{_TOKEN}(?:[ \t]*,[ \t]*{_TOKEN})*[ \t]*")


class CORSMiddleware:
    """Adds Access-Control-Allow-Origin to every HTTP response and answers OPTIONS itself.

    Unlike Starlette's CORSMiddleware it does not wait for an Origin header: a response cached
    by a proxy or API Gateway must carry the header for whichever origin asks next.
    """

    def __init__(self, app: ASGIApp, allow_origin: str = "*") -> None:
        self.app = app
        self.allow_origin = allow_origin
        self.response_headers = [
            (b"access-control-allow-origin", allow_origin.encode("latin-1")),
            (b"access-control-expose-headers", EXPOSED_HEADERS.encode()),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            await self._answer_preflight(scope, send)
            return

        async def send_with_cors_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *self.response_headers]
                if self.allow_origin != "*":
                    MutableHeaders(scope=message).add_vary_header("Origin")
            await send(message)

        await self.app(scope, receive, send_with_cors_headers)

    async def _answer_preflight(self, scope: Scope, send: Send) -> None:
        requested_headers = Headers(scope=scope).get("access-control-request-headers")
        if requested_headers is not None and not HEADER_NAME_LIST.fullmatch(requested_headers):
            # Reflect only a list of header names: anything else (a CR LF via a Lambda event,
            # where no HTTP parser stands in the way) would be injected into the response.
            requested_headers = None
        headers = [
            *self.response_headers,
            (b"access-control-allow-methods", ALLOWED_METHODS.encode()),
            (b"access-control-allow-headers", (requested_headers or "Content-Type").encode()),
            (b"access-control-max-age", str(PREFLIGHT_MAX_AGE_SECONDS).encode()),
            (b"allow", ALLOWED_METHODS.encode()),
        ]
        if self.allow_origin != "*":
            headers.append((b"vary", b"Origin"))
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
