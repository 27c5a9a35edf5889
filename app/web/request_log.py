"""One JSON line per request: Lambda request id, method, path, status and duration."""

from __future__ import annotations

import json
import logging
import sys
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.web.problems import echoed_path

logger = logging.getLogger("app.request")


def configure_logging(level: str) -> None:
    """Send the app's logs to stdout as bare lines.

    On Lambda stdout goes to CloudWatch as-is, so each request line stays parseable JSON
    (the runtime's root handler would prefix it with a tab-separated header).
    """
    app_logger = logging.getLogger("app")
    app_logger.setLevel(level)
    if not app_logger.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        app_logger.addHandler(handler)
        app_logger.propagate = False


class RequestLogMiddleware:
    """Logs every HTTP request once, after its response has been sent (or has failed)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not logger.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_recording_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_recording_status)
        finally:
            context = scope.get("aws.context")
            line = {
                "requestId": getattr(context, "aws_request_id", None),
                "method": scope["method"],
                "path": echoed_path(scope["path"]),  # cut at 256 characters: app/web/problems.py
                "status": status,
                "durationMs": round((time.perf_counter() - started) * 1000, 3),
            }
            logger.info(json.dumps(line, separators=(",", ":")))
