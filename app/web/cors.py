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


def cors_response_headers(allow_origin: str) -> dict[str, str]:
    """The CORS headers every answer carries, by lower-case name: the one list of them.

    CORSMiddleware adds them to the app's responses and preflight answers; app/aws/lambda_adapter.py
    puts them on the results it makes itself, which never pass through the app. With a fixed
    origin instead of "*", the answer depends on Origin, so caches must key on it (Vary).
    """
    headers = {
        "access-control-allow-origin": allow_origin,
        "access-control-expose-headers": EXPOSED_HEADERS,
    }
    if allow_origin != "*":
        headers["vary"] = "Origin"
    return headers


class CORSMiddleware:
    """Adds Access-Control-Allow-Origin to every HTTP response and answers OPTIONS itself.

    Unlike Starlette's CORSMiddleware it does not wait for an Origin header: a response cached
    by a proxy or API Gateway must carry the header for whichever origin asks next.
    """

    def __init__(self, app: ASGIApp, allow_origin: str = "*") -> None:
        self.app = app
        cors_headers = cors_response_headers(allow_origin)
        # Vary is merged into the response's own Vary rather than sent twice.
        self.vary = cors_headers.pop("vary", None)
        self.response_headers = [
            (name.encode("latin-1"), value.encode("latin-1"))
            for name, value in cors_headers.items()
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
                if self.vary is not None:
                    MutableHeaders(scope=message).add_vary_header(self.vary)
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
        if self.vary is not None:
            headers.append((b"vary", self.vary.encode("latin-1")))
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
