"""/docs: Swagger UI from this origin (app/web/api_docs.py), under a policy that allows no other.

FastAPI's own /docs and /redoc are turned off in app/main.py: they load Swagger UI from a CDN
and ask for /openapi.json at the root, whatever the mount prefix.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from app.tinysite.conditional import is_not_modified
from app.tinysite.negotiation import IDENTITY, choose_encoding
from app.web.api_docs import (
    ASSETS,
    CACHE_CONTROL,
    CONTENT_SECURITY_POLICY,
    DOCS_PATH,
    PREFERENCE,
    asset_files,
    docs_page,
)
from app.web.problems import Problem

router = APIRouter(include_in_schema=False)


@router.get(DOCS_PATH)
async def docs(request: Request) -> Response:
    """The Swagger UI page; its files and the spec are fetched relative to it."""
    return Response(
        docs_page(request.app.title),
        media_type="text/html; charset=utf-8",
        headers={
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-cache",
        },
    )


@router.get(DOCS_PATH + "/{name}")
async def docs_file(name: str, request: Request) -> Response:
    """One of Swagger UI's files, in the content coding the client prefers (RFC 9110 §12.5.3)."""
    if name not in asset_files():
        raise HTTPException(404)
    accept_encoding = ", ".join(request.headers.getlist("accept-encoding")) or None
    coding = choose_encoding(accept_encoding, PREFERENCE)
    if coding is None:
        raise Problem(
            406,
            f"Accept-Encoding {accept_encoding!r} accepts none of {', '.join(PREFERENCE)}.",
            type="/problems/no-acceptable-encoding",
            title="No acceptable content coding",
            headers={"Vary": "Accept-Encoding"},
        )
    encoded = ASSETS.encoded(name, coding)
    headers = {"ETag": encoded.etag, "Vary": "Accept-Encoding", "Cache-Control": CACHE_CONTROL}
    if is_not_modified(request.headers.get("if-none-match"), encoded.etag):
        return Response(status_code=304, headers=headers)
    if coding != IDENTITY:
        headers["Content-Encoding"] = coding
    headers["X-Content-Type-Options"] = "nosniff"
    return Response(encoded.body, media_type=encoded.media_type, headers=headers)
