"""TinySite over HTTP: the precompressed pages, chosen by Accept-Encoding, sent as they are.

The pages are served by a pure ASGI layer that sits inside the app's middleware (so CORS, the
request log and the 500 guard apply as to every route) but ahead of FastAPI's router: a warm
GET / through handler.py costs about half of what the same answer costs as a FastAPI route
(bench/bench_site.py measures both). Every other path goes on to the router untouched.
"""

from __future__ import annotations

from functools import lru_cache

from fastapi import Request
from fastapi.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.problems import Problem, http_exception_response, problem_response
from app.website import ASSETS, NOT_FOUND_PAGE, PAGES, Page
from app.website.conditional import is_not_modified
from app.website.negotiation import choose_encoding, prefers_html

SAFE_METHODS = ("GET", "HEAD")
# The pages and the script the home page loads: all TinySite answers, all precompressed alike.
SERVED: dict[str, Page] = {**PAGES, **ASSETS}
ALLOW = ", ".join(SAFE_METHODS)


def _joined(previous: str | None, value: bytes) -> str:
    # RFC 9110 §5.3: repeated field lines combine into one comma-separated list.
    text = value.decode("latin-1")
    return text if previous is None else f"{previous}, {text}"


def _negotiation_fields(scope: Scope) -> tuple[str | None, str | None]:
    """Accept-Encoding and If-None-Match of the request, None where absent."""
    accept_encoding = if_none_match = None
    for name, value in scope["headers"]:
        name = name.lower()
        if name == b"accept-encoding":
            accept_encoding = _joined(accept_encoding, value)
        elif name == b"if-none-match":
            if_none_match = _joined(if_none_match, value)
    return accept_encoding, if_none_match


# Clients send few distinct Accept-Encoding values (one per browser version): remembering the
# choice per page saves its parsing, 4 µs of a 75 µs warm call (bench/bench_site.py). Bounded,
# so a client sending endless new values costs memory no more than 128 entries.
@lru_cache(maxsize=128)
def _chosen_coding(path: str, accept_encoding: str | None) -> str | None:
    return choose_encoding(accept_encoding, SERVED[path].body_sizes)


def not_acceptable(page: Page, accept_encoding: str | None) -> Problem:
    available = list(page.body_sizes)
    return Problem(
        406,
        f"Accept-Encoding {accept_encoding!r} accepts none of the codings this page comes in: "
        f"{', '.join(available)}.",
        type="/problems/no-acceptable-encoding",
        title="No acceptable content coding",
        headers={"Vary": "Accept-Encoding"},
        available=available,
    )


class TinySite:
    """ASGI middleware answering GET and HEAD for the site's paths; all else goes to `app`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        page = SERVED.get(scope["path"]) if scope["type"] == "http" else None
        if page is None:
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method not in SAFE_METHODS:
            problem = Problem(
                405,
                f"{method} is not allowed on {scope['path']}.",
                headers={"Allow": ALLOW, "Vary": "Accept-Encoding"},
            )
            await problem_response(problem)(scope, receive, send)
            return
        accept_encoding, if_none_match = _negotiation_fields(scope)
        coding = _chosen_coding(page.path, accept_encoding)
        if coding is None:
            await problem_response(not_acceptable(page, accept_encoding))(scope, receive, send)
            return
        representation = page.representations[coding]
        if is_not_modified(if_none_match, representation.etag):
            status, headers, body = 304, representation.not_modified_headers, b""
        else:
            status, headers = 200, representation.headers
            body = representation.body if method == "GET" else b""
        await send({"type": "http.response.start", "status": status, "headers": list(headers)})
        await send({"type": "http.response.body", "body": body})


async def not_found(request: Request, exc: Exception) -> Response:
    """A 404: the HTML page for a client that prefers text/html, the problem+json otherwise.

    Registered for status 404, so it also answers paths no route matches. The HTML page is
    precompressed like the others; if no coding of it is acceptable, the problem is sent.
    """
    accept = ", ".join(request.headers.getlist("accept")) or None
    coding = None
    if prefers_html(accept):
        accept_encoding = ", ".join(request.headers.getlist("accept-encoding")) or None
        coding = choose_encoding(accept_encoding, NOT_FOUND_PAGE.body_sizes)
    if coding is None:
        response = await http_exception_response(request, exc)
        response.headers.append("Vary", "Accept")
        return response
    representation = NOT_FOUND_PAGE.representations[coding]
    return Response(
        representation.body if request.method != "HEAD" else b"",
        status_code=404,
        headers={name.decode(): value.decode() for name, value in representation.headers},
    )
