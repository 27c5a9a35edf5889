"""TinySite over HTTP: the precompressed pages, chosen by Accept-Encoding, sent as they are.

The pages are served by a pure ASGI layer that sits inside the app's middleware (so CORS, the
request log and the 500 guard apply as to every route) but ahead of FastAPI's router: a warm
GET / through handler.py costs about half of what the same answer costs as a FastAPI route
(bench/bench_site.py measures both). Every other path goes on to the router untouched.

Mounted under a prefix (scope["root_path"], the REST API's stage: app/aws/mount.py), the pages
answer below it; the prefix typed without its trailing slash is redirected to the slash form,
where the pages' relative links resolve.

A client holding the site's dictionary (RFC 9842: it sends the dictionary's SHA-256 in
`Available-Dictionary` and `dcz` in `Accept-Encoding`) may also get dcz; any other value, a
stale dictionary's included, is ignored and the page negotiated as for everyone else.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.compression.dictionary_transport import (
    available_dictionary_value,
    dictionary_compression_allowed,
    dictionary_hash,
    parse_available_dictionary,
)
from app.config import settings
from app.tinysite import ASSETS, DICTIONARY, PAGES, Page, not_found_page
from app.tinysite.conditional import is_not_modified
from app.tinysite.negotiation import choose_encoding, prefers_html
from app.web.problems import Problem, http_exception_response, problem_response

SAFE_METHODS = ("GET", "HEAD")
# The pages, the script the home page loads and the site dictionary: all TinySite answers,
# all precompressed alike.
SERVED: dict[str, Page] = {**PAGES, **ASSETS, DICTIONARY.path: DICTIONARY}
ALLOW = ", ".join(SAFE_METHODS)
# The SHA-256 a client holding the current dictionary names in Available-Dictionary, and the
# value as Chromium writes it: compared first, it spares the parsing (2 µs) on every request.
DICTIONARY_DIGEST = dictionary_hash(DICTIONARY.representations["identity"].body)
DICTIONARY_FIELD_VALUE = available_dictionary_value(DICTIONARY_DIGEST)


def route_path(scope: Scope) -> str:
    """The request's path below the mount prefix: "/api" for /v1/api, "" for /v1 itself.

    ASGI puts the prefix in both `root_path` and `path` (as uvicorn --root-path and
    app/aws/lambda_adapter.py do); a path that does not start with it is taken as it is.
    """
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if root_path and (path == root_path or path.startswith(root_path + "/")):
        return path[len(root_path) :]
    return path


def depth_below_pages(scope: Scope) -> int:
    """How many levels deeper than the pages (/api) the request's path is: /a/b/c is 2.

    Counted on the raw path when the server gives one, so an encoded slash (%2F), which a
    browser does not take for a level, is not counted either.
    """
    raw_path = scope.get("raw_path")
    if isinstance(raw_path, bytes):
        path = raw_path.decode("latin-1").split("?", 1)[0]
        root_path = scope.get("root_path", "")
        if root_path and path.startswith(root_path):
            path = path[len(root_path) :]
    else:
        path = route_path(scope)
    return max(0, path.count("/") - 1)


def _slash_redirect(scope: Scope) -> Response:
    """308 to the prefix with its trailing slash: relative links need that base (RFC 3986 §5.2)."""
    query = scope.get("query_string", b"").decode("latin-1")
    location = scope.get("root_path", "") + "/" + (f"?{query}" if query else "")
    # 308 keeps the method (RFC 9110 §15.4.9): a POST to /v1 stays a POST to /v1/.
    return RedirectResponse(location, status_code=308)


def _joined(previous: str | None, value: bytes) -> str:
    # RFC 9110 §5.3: repeated field lines combine into one comma-separated list.
    text = value.decode("latin-1")
    return text if previous is None else f"{previous}, {text}"


def _names_the_site_dictionary(available_dictionary: str) -> bool:
    if available_dictionary == DICTIONARY_FIELD_VALUE:
        return True
    return parse_available_dictionary(available_dictionary) == DICTIONARY_DIGEST


@dataclass
class NegotiationFields:
    """The request fields the site's answer depends on, None where absent."""

    accept_encoding: str | None = None
    if_none_match: str | None = None
    available_dictionary: str | None = None
    sec_fetch_site: str | None = None
    sec_fetch_mode: str | None = None
    origin: str | None = None

    def holds_site_dictionary(self) -> bool:
        """True when the client names the current site dictionary and RFC 9842's readability
        rules let this response use it (app/compression/dictionary_transport.py)."""
        value = self.available_dictionary
        if value is None or not _names_the_site_dictionary(value):
            return False
        return dictionary_compression_allowed(
            self.sec_fetch_site, self.sec_fetch_mode, self.origin, settings.cors_allow_origin
        )


_FIELD_NAMES = {
    b"accept-encoding": "accept_encoding",
    b"if-none-match": "if_none_match",
    b"available-dictionary": "available_dictionary",
    b"sec-fetch-site": "sec_fetch_site",
    b"sec-fetch-mode": "sec_fetch_mode",
    b"origin": "origin",
}


def negotiation_fields(scope: Scope) -> NegotiationFields:
    """The fields of NegotiationFields from the request's headers, names in any case."""
    fields = NegotiationFields()
    for name, value in scope["headers"]:
        attribute = _FIELD_NAMES.get(name.lower())
        if attribute is not None:
            setattr(fields, attribute, _joined(getattr(fields, attribute), value))
    return fields


# Clients send few distinct Accept-Encoding values (one per browser version): remembering the
# choice per page saves its parsing, 4 µs of a 75 µs warm call (bench/bench_site.py). Bounded,
# so a client sending endless new values costs memory no more than 128 entries.
@lru_cache(maxsize=128)
def _chosen_coding(path: str, accept_encoding: str | None, with_dictionary: bool) -> str | None:
    page = SERVED[path]
    sizes = page.dictionary_body_sizes if with_dictionary else page.body_sizes
    return choose_encoding(accept_encoding, sizes or page.body_sizes)


def _vary(page: Page) -> str:
    if page.dictionary_body_sizes is None:
        return "Accept-Encoding"
    return "Accept-Encoding, Available-Dictionary"


def not_acceptable(page: Page, accept_encoding: str | None, with_dictionary: bool) -> Problem:
    sizes = page.dictionary_body_sizes if with_dictionary else page.body_sizes
    available = list(sizes or page.body_sizes)
    return Problem(
        406,
        f"Accept-Encoding {accept_encoding!r} accepts none of the codings this page comes in: "
        f"{', '.join(available)}.",
        type="/problems/no-acceptable-encoding",
        title="No acceptable content coding",
        headers={"Vary": _vary(page)},
        available=available,
    )


class TinySite:
    """ASGI middleware answering GET and HEAD for the site's paths; all else goes to `app`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = route_path(scope)
        if path == "":
            await _slash_redirect(scope)(scope, receive, send)
            return
        page = SERVED.get(path)
        if page is None:
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method not in SAFE_METHODS:
            problem = Problem(
                405,
                f"{method} is not allowed on {scope['path']}.",
                headers={"Allow": ALLOW, "Vary": _vary(page)},
            )
            await problem_response(problem)(scope, receive, send)
            return
        fields = negotiation_fields(scope)
        with_dictionary = page.dictionary_body_sizes is not None and fields.holds_site_dictionary()
        coding = _chosen_coding(page.path, fields.accept_encoding, with_dictionary)
        if coding is None:
            problem = not_acceptable(page, fields.accept_encoding, with_dictionary)
            await problem_response(problem)(scope, receive, send)
            return
        representation = page.representations[coding]
        if is_not_modified(fields.if_none_match, representation.etag):
            status, headers, body = 304, representation.not_modified_headers, b""
        else:
            status, headers = 200, representation.headers
            body = representation.body if method == "GET" else b""
        await send({"type": "http.response.start", "status": status, "headers": list(headers)})
        await send({"type": "http.response.body", "body": body})


async def not_found(request: Request, exc: Exception) -> Response:
    """A 404: the HTML page for a client that prefers text/html, the problem+json otherwise.

    Registered for status 404, so it also answers paths no route matches. The HTML page is
    precompressed like the others, its links made to climb back from the path's depth; if no
    coding of it is acceptable, the problem is sent.
    """
    accept = ", ".join(request.headers.getlist("accept")) or None
    coding = None
    page = not_found_page(depth_below_pages(request.scope))
    if prefers_html(accept):
        fields = negotiation_fields(request.scope)
        sizes = page.body_sizes
        if page.dictionary_body_sizes and fields.holds_site_dictionary():
            sizes = page.dictionary_body_sizes
        coding = choose_encoding(fields.accept_encoding, sizes)
    if coding is None:
        # The problem varies by Accept already (an HTML page for a browser, app/web/problems.py).
        return await http_exception_response(request, exc)
    representation = page.representations[coding]
    return Response(
        representation.body if request.method != "HEAD" else b"",
        status_code=404,
        headers={name.decode(): value.decode() for name, value in representation.headers},
    )
