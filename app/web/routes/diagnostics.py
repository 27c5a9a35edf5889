"""Routes for checking a deployment: is it up, and do binary bodies cross the gateway intact."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel

from app.config import settings
from app.web.upload import payload_too_large

router = APIRouter(tags=["diagnostics"])


class Health(BaseModel):
    status: str


@router.get("/health", response_model=Health)
async def health() -> Health:
    """Liveness: answers without touching any codec."""
    return Health(status="ok")


@router.post(
    "/echo",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
async def echo(request: Request) -> Response:
    """Return the request body byte for byte.

    Checks a gateway's binary set-up (API Gateway's BinaryMediaTypes): what goes in must come
    back identical. Always application/octet-stream and nosniff, so it can reflect nothing a
    browser would render.
    """
    body = await request.body()
    if len(body) > settings.max_upload_bytes:
        raise payload_too_large(settings.max_upload_bytes, len(body))
    return Response(
        body,
        media_type="application/octet-stream",
        headers={"X-Content-Type-Options": "nosniff"},
    )
