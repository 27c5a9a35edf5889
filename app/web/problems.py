"""RFC 9457 problem details: every 4xx and 5xx leaves the service as application/problem+json.

Errors are values: the core and the routes raise `Problem`, and this module renders it once:
as problem+json, or as an HTML page (app/web/problem_page.py) for a client that ranks text/html
above it, a browser posting the home page's form without JavaScript for one.
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
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.tinysite.negotiation import prefers_html
from app.web.problem_page import CONTENT_SECURITY_POLICY, problem_page

PROBLEM_MEDIA_TYPE = "application/problem+json"

logger = logging.getLogger("app.problems")

# The longest request path the service repeats back, in a 404's or 405's detail and in its log
# lines (app/web/request_log.py). Every route and page here is under 20 characters; a Lambda event
# or uvicorn hands over paths of 64 KiB (tests/hardening/test_hostile_requests.py), which echoed
# whole make a 64 KiB problem body and a 64 KiB log line per request (CloudWatch Logs bills by the
# byte).
ECHOED_PATH_MAX_CHARS = 256


def echoed_path(path: str) -> str:
    """`path` as the service repeats it: whole up to ECHOED_PATH_MAX_CHARS characters, else its
    first ECHOED_PATH_MAX_CHARS, "..." and the full length, so a reader can tell it was cut."""
    if len(path) <= ECHOED_PATH_MAX_CHARS:
        return path
    return f"{path[:ECHOED_PATH_MAX_CHARS]}... ({len(path)} characters)"


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


def _accept(scope: Scope) -> str | None:
    values = [
        value.decode("latin-1") for name, value in scope.get("headers", ()) if name == b"accept"
    ]
    return ", ".join(values) or None


def negotiated_problem_response(problem: Problem, scope: Scope) -> Response:
    """The problem for the request of `scope`: an HTML page when its Accept ranks text/html
    above application/problem+json (RFC 9110 §12.5.1), problem+json otherwise; both vary by
    Accept."""
    if not prefers_html(_accept(scope)):
        response = problem_response(problem)
    else:
        root_path = scope.get("root_path", "")
        path = scope.get("path", "/")
        below = path[len(root_path) :] if root_path and path.startswith(root_path) else path
        response = Response(
            content=problem_page(problem.to_dict(), below),
            status_code=problem.status,
            media_type="text/html; charset=utf-8",
            headers={
                **problem.headers,
                "Content-Security-Policy": CONTENT_SECURITY_POLICY,
                "X-Content-Type-Options": "nosniff",
            },
        )
    response.headers.append("Vary", "Accept")
    return response


def internal_error_problem() -> Problem:
    """The 500 body: says nothing about the code; the trace goes to the log instead."""
    return Problem(500, "The server hit an unexpected error; it has been logged.")


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return negotiated_problem_response(exc, request.scope)


async def http_exception_response(request: Request, exc: Exception) -> Response:
    """The problem for a framework HTTPException; public so a status handler can fall back."""
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404:
        detail = f"No resource at {echoed_path(request.url.path)}."
    elif exc.status_code == 405:
        detail = f"{request.method} is not allowed on {echoed_path(request.url.path)}."
    problem = Problem(exc.status_code, detail, headers=dict(exc.headers or {}))
    return negotiated_problem_response(problem, request.scope)


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(error.get("loc", ())), "msg": error.get("msg", ""), "type": error.get("type")}
        for error in exc.errors()
    ]
    where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
    problem = Problem(
        422,
        f"The request is not valid: {where}",
        type="/problems/validation",
        title="Request validation failed",
        errors=errors,
    )
    return negotiated_problem_response(problem, request.scope)


# What every problem body holds (RFC 9457 §3.1); extension members such as `limit` may follow.
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "description": "'about:blank' or '/problems/<slug>'."},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
    },
    "required": ["type", "title", "status", "detail"],
    "additionalProperties": True,
}


def _document_problems(app: FastAPI) -> None:
    """Make the OpenAPI schema tell the truth about errors: problem+json for every 4xx and 5xx.

    FastAPI documents its 422 as application/json with its own error shape, which this
    service never sends (schemathesis in tests/hardening/test_schema_fuzz.py catches the
    difference).
    """
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas["Problem"] = PROBLEM_SCHEMA
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        problem_body = {"schema": {"$ref": "#/components/schemas/Problem"}}
        problem = {"content": {PROBLEM_MEDIA_TYPE: problem_body}}
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                responses = operation.setdefault("responses", {})
                if "422" in responses:
                    responses["422"] = {"description": "The request is not valid", **problem}
                for status, documented in list(responses.items()):
                    # A route's own 4xx/5xx, described (and given examples) by the route: new
                    # dicts, as the route's may be shared constants (app/web/upload.py).
                    if status[0] in "45":
                        content = documented.get("content", {})
                        body = {**content.get(PROBLEM_MEDIA_TYPE, {}), **problem_body}
                        content = {**content, PROBLEM_MEDIA_TYPE: body}
                        responses[status] = {**documented, "content": content}
                responses.setdefault("4XX", {"description": "A client error", **problem})
                responses.setdefault("5XX", {"description": "A server error", **problem})
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI documents replacing it


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error the framework raises leave as problem+json, and say so in the schema."""
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(StarletteHTTPException, http_exception_response)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    _document_problems(app)


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
        except ClientDisconnect:
            # The client hung up before its body was complete (under uvicorn; Lambda delivers
            # whole bodies): no one is left to answer, and it is not the server's error.
            path = echoed_path(scope["path"])
            logger.info("client disconnected during %s %s", scope["method"], path)
        except Exception:
            logger.exception(
                "unhandled error in %s %s", scope["method"], echoed_path(scope["path"])
            )
            if response_started:
                raise
            response = negotiated_problem_response(internal_error_problem(), scope)
            await response(scope, receive, send)
