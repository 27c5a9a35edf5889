"""Reading a site check's upload: the `file` parts (the site) and `previous` parts, in the limit.

A multipart form whose `file` field holds one archive or the files of a folder (each part's
filename its relative path, as browsers send `<input type=file webkitdirectory>`), and whose
optional `previous` field holds the previous release the same way; or a raw body, taken as one
archive. Guarantees, as for /compress (app/web/upload.py):
- the parts' bytes together are at most the upload limit (4 MiB); the body is refused with 413
  before it is read when Content-Length says it is larger than that plus SITE_FORM_FRAMING,
  else as soon as the streamed count passes it;
- a folder's many parts each carry ~150 bytes of boundary and headers: SITE_FORM_FRAMING leaves
  room for ~1,700 of them while the whole event still fits Lambda's 6 MB after base64
  ((4 MiB + 256 KiB) x 4/3 = 5.94 MB);
- parts python-multipart spooled to temporary files are closed (so deleted) before returning.
Errors are Problems; the site's own contents are judged later, by app/sitecheck.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from app.sitecheck.errors import SiteCheckError
from app.sitecheck.limits import MAX_ENTRIES
from app.web.problems import Problem
from app.web.upload import (
    FORM_MEDIA_TYPES,
    declared_length,
    limited_body,
    malformed_form_problem,
    payload_too_large,
    request_media_type,
)

SITE_FIELDS = ("file",)
PREVIOUS_FIELD = "previous"
SITE_FORM_FRAMING = 256 * 1024

Part = tuple[str | None, bytes]


@dataclass(frozen=True)
class SiteUpload:
    site: list[Part]
    previous: list[Part]


def site_problem(error: SiteCheckError) -> Problem:
    """The problem+json for a refusal of the site check (app/sitecheck/errors.py)."""
    return Problem(
        error.status, error.detail, type=error.type, title=error.title, **error.members()
    )


def _given(value: UploadFile | str) -> bool:
    """False for a browser's untouched file input: an empty part without a file name."""
    if isinstance(value, str):
        return value != ""
    return bool(value.filename) or bool(value.size)


async def read_site_upload(request: Request, limit: int) -> SiteUpload:
    """The site's parts and the previous release's; a Problem when they cannot be read."""
    is_form = request_media_type(request) in FORM_MEDIA_TYPES
    body_limit = limit + SITE_FORM_FRAMING if is_form else limit
    declared = declared_length(request)
    if declared is not None and declared > body_limit:
        raise payload_too_large(limit, None if is_form else declared)
    limited = limited_body(request, body_limit, limit)
    if not is_form:
        body = b"".join([chunk async for chunk in limited.stream()])
        if len(body) > limit:
            raise payload_too_large(limit, len(body))
        return SiteUpload([(None, body)] if body else [], [])
    try:
        form = await limited.form(
            max_files=2 * MAX_ENTRIES + 2,
            max_fields=2 * MAX_ENTRIES + 2,
            max_part_size=limit + SITE_FORM_FRAMING,
        )
    except (HTTPException, MultiPartException) as error:
        reason = error.detail if isinstance(error, HTTPException) else error.message
        raise malformed_form_problem(reason) from None
    try:
        fields: dict[str, list[UploadFile]] = {name: [] for name in (*SITE_FIELDS, PREVIOUS_FIELD)}
        for name, value in form.multi_items():
            if name not in fields or not _given(value):
                continue
            if isinstance(value, str):
                raise Problem(
                    400,
                    f"The form field {name!r} holds text; it must hold files (an archive, or "
                    "the files of a folder).",
                    type="/problems/no-site",
                    title="No site",
                )
            fields[name].append(value)
        uploads = [u for values in fields.values() for u in values]
        declared_total = sum(u.size or 0 for u in uploads)
        if declared_total > limit:
            raise payload_too_large(limit, declared_total)
        site = [(u.filename, await u.read()) for name in SITE_FIELDS for u in fields[name]]
        previous = [(u.filename, await u.read()) for u in fields[PREVIOUS_FIELD]]
        total = sum(len(data) for _, data in site + previous)
        if total > limit:
            raise payload_too_large(limit, total)
        return SiteUpload(site, previous)
    finally:
        await form.close()
