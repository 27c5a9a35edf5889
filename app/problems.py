"""RFC 9457 problem details: every 4xx and 5xx leaves the service as application/problem+json.

Errors are values: the core and the routes raise `Problem`, and this module renders it once.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PROBLEM_MEDIA_TYPE = "application/problem+json"

logger = logging.getLogger("app.problems")


class Problem(Exception):
    """An error the client can act on: HTTP status, a type URI, a title and a precise detail.

    `type` is "about:blank" for plain HTTP errors (RFC 9457 §4.2.1, the title is then the
    status phrase) and a relative "/problems/<slug>" for this service's own kinds. Extra
    keyword arguments become extension members (e.g. `limit=4194304`).
    """

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        type: str = "about:blank",
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.type = type
        self.title = title or HTTPStatus(status).phrase
        self.headers = headers or {}
        self.extensions = extensions

    def to_dict(self) -> dict[str, Any]:
        body = {"type": self.type, "title": self.title, "status": self.status}
        body["detail"] = self.detail
        body.update(self.extensions)
        return body


def problem_response(problem: Problem) -> Response:
    """Render a Problem; the one place problem bodies are serialised."""
    return Response(
        content=json.dumps(problem.to_dict(), separators=(",", ":")).encode(),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=problem.headers,
    )


def internal_error_problem() -> Problem:
    """The 500 body: says nothing about the code; the trace goes to the log instead."""
    return Problem(500, "The server hit an unexpected error; it has been logged.")


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return problem_response(exc)


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404:
        detail = f"No resource at {request.url.path}."
    elif exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}."
    return problem_response(Problem(exc.status_code, detail, headers=dict(exc.headers or {})))


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(error.get("loc", ())), "msg": error.get("msg", ""), "type": error.get("type")}
        for error in exc.errors()
    ]
    where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
    return problem_response(
        Problem(
            422,
            f"The request is not valid: {where}",
            type="/problems/validation",
            title="Request validation failed",
            errors=errors,
        )
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error the framework raises leave as problem+json."""
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(RequestValidationError, _on_validation_error)


class UnhandledErrorMiddleware:
    """Turns an exception that escaped every route into the 500 problem, and logs its trace.

    It sits inside the CORS middleware (Starlette's own 500 handler sits outside all user
    middleware, so its answer would carry no CORS header and no problem body).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response_started = False

        async def send_tracking_start(message: Message) -> None:
            nonlocal response_started
            response_started |= message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_tracking_start)
        except Exception:
            logger.exception("unhandled error in %s %s", scope["method"], scope["path"])
            if response_started:
                raise
            await problem_response(internal_error_problem())(scope, receive, send)
