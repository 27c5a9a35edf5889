"""Reading the input of a CompressTest request, and its optional dictionary, within the limit.

Accepted: multipart/form-data (or a urlencoded form) with the file in `file` or pasted text in
`text` (the original CompressTest's `fileUpload` and `textEntry` too), or any other body as the
raw bytes (`application/octet-stream`). A form may add a `dictionary` (a file or text: the
previous version, for dcz); a raw body cannot carry one. Guarantees:
- a body larger than the limit is refused with 413 before it is read: from Content-Length when
  the client sends one, else as soon as the streamed byte count passes the limit;
- the limit covers the input and the dictionary together: both travel in one request, and on
  Lambda one request is one event of at most 6 MB, base64 included (app/config.py);
- python-multipart spools a file part over 1 MiB to a temporary file; it is read once and closed
  (which deletes it), so the input is held in memory as one bytes object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.types import Message

from app.web.problems import PROBLEM_MEDIA_TYPE, Problem

FILE_FIELDS = ("file", "fileUpload")
TEXT_FIELDS = ("text", "textEntry")
DICTIONARY_FIELD = "dictionary"
# Room for a form's boundaries and part headers on top of the file itself: a browser sends
# under 300 bytes of them for one file and one empty text field; a dictionary part adds its own
# boundary and headers, about 150 bytes more.
FORM_FRAMING_ALLOWANCE = 64 * 1024
FORM_MEDIA_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


@dataclass(frozen=True)
class Upload:
    """The bytes to work on and, for a file part, the file name the client gave; the same for
    the dictionary, if the form had one (`dictionary` is None without one)."""

    data: bytes
    filename: str | None
    dictionary: bytes | None = None
    dictionary_filename: str | None = None


def payload_too_large(limit: int, size: int | None = None) -> Problem:
    """The 413 problem, naming the limit (and the size when it is known)."""
    measured = f"The upload has {size} bytes; " if size is not None else "The upload is too big; "
    return Problem(
        413,
        f"{measured}the largest accepted is {limit} bytes ({limit / 1024 / 1024:g} MiB).",
        type="/problems/payload-too-large",
        title="Upload too large",
        limit=limit,
    )


def dictionary_too_large(limit: int, dictionary_size: int, input_size: int | None) -> Problem:
    """The 413 for a dictionary that, alone or with the input, passes the shared limit."""
    if input_size is None:
        measured = f"The dictionary has {dictionary_size} bytes; "
    else:
        measured = (
            f"The input ({input_size} bytes) and the dictionary ({dictionary_size} bytes) "
            f"have {input_size + dictionary_size} bytes together; "
        )
    return Problem(
        413,
        measured + f"the input and the dictionary together may have at most {limit} bytes "
        f"({limit / 1024 / 1024:g} MiB): both travel in one request, and on AWS Lambda one "
        "request is one event of at most 6 MB, base64 included.",
        type="/problems/payload-too-large",
        title="Upload too large",
        limit=limit,
    )


def dictionary_without_input() -> Problem:
    return Problem(
        400,
        "The form has a dictionary but nothing to compress against it: add the file in 'file' "
        "(or text in 'text'). The dictionary is the previous version; the file is the new one.",
        type="/problems/dictionary-without-input",
        title="Dictionary without an input",
    )


def no_input_problem(detail: str = "") -> Problem:
    return Problem(
        400,
        detail
        or "Send a file in the form field 'file', text in the field 'text', or the raw bytes "
        "as an application/octet-stream body.",
        type="/problems/no-input",
        title="No input",
    )


def malformed_form_problem(reason: str) -> Problem:
    """The 400 for a form body the parser rejects; `reason` is the parser's, naming the rule
    broken or the limit passed (no boundary, a part without a name, over 1,000 fields, ...)."""
    return Problem(
        400,
        f"The form body cannot be parsed: {reason}",
        type="/problems/malformed-form",
        title="Malformed form body",
    )


# The 400 of every route that reads an upload, for its OpenAPI `responses` (app/web/problems.py adds
# the Problem schema): each problem type of reading one, with an example made by this module.
UPLOAD_BAD_REQUEST_RESPONSE: dict[str, Any] = {
    "description": "The request cannot be read: no input, a form body that cannot be parsed, "
    "a dictionary without an input, or (types /problems/bad-codec-spec and "
    "/problems/dictionary-required) an unknown codec or level, or dcz without a dictionary.",
    "content": {
        PROBLEM_MEDIA_TYPE: {
            "examples": {
                problem.type.removeprefix("/problems/"): {
                    "summary": problem.title,
                    "value": problem.to_dict(),
                }
                for problem in (
                    malformed_form_problem("Missing boundary in multipart."),
                    no_input_problem(),
                    dictionary_without_input(),
                )
            }
        }
    },
}


def request_media_type(request: Request) -> str:
    """The request's Content-Type without parameters, lower-cased; "" when it has none."""
    return request.headers.get("content-type", "").partition(";")[0].strip().lower()


def declared_length(request: Request) -> int | None:
    """The Content-Length the client declared, None when absent or not a number: a claim to
    refuse early by, never trusted for the count (limited_body counts the bytes)."""
    try:
        return int(request.headers["content-length"])
    except (KeyError, ValueError):
        return None


def limited_body(request: Request, body_limit: int, upload_limit: int) -> Request:
    """The same request whose body stream raises the 413 once more than body_limit arrived."""
    received = 0

    async def receive_counting() -> Message:
        nonlocal received
        message = await request.receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > body_limit:
                raise payload_too_large(upload_limit)
        return message

    return Request(request.scope, receive_counting)


async def read_upload(request: Request, limit: int) -> Upload:
    """The request's single input and its optional dictionary, at most `limit` bytes together;
    raises a Problem otherwise.

    413 over the limit, 400 when there is no input (a dictionary alone included), 422 when a
    form carries more than one input or more than one dictionary.
    """
    is_form = request_media_type(request) in FORM_MEDIA_TYPES
    body_limit = limit + FORM_FRAMING_ALLOWANCE if is_form else limit
    declared = declared_length(request)
    if declared is not None and declared > body_limit:
        raise payload_too_large(limit, None if is_form else declared)
    limited = limited_body(request, body_limit, limit)
    if is_form:
        return await _read_form(limited, limit)
    return await _read_raw(limited, limit)


async def _read_raw(request: Request, limit: int) -> Upload:
    chunks = [chunk async for chunk in request.stream() if chunk]
    if not chunks and not request.headers.get("content-type"):
        raise no_input_problem()
    data = b"".join(chunks)
    del chunks
    if len(data) > limit:
        raise payload_too_large(limit, len(data))
    return Upload(data, None)


def _is_given(value: UploadFile | str) -> bool:
    """False for what a browser sends for an untouched input: no file chosen, an empty textarea."""
    if isinstance(value, str):
        return value != ""
    return bool(value.filename) or bool(value.size)


async def _read_input(value: UploadFile | str, limit: int) -> bytes:
    """The input's bytes (text as UTF-8); a 413 naming `limit` when it has more."""
    if isinstance(value, str):
        data = value.encode("utf-8")
    elif value.size is not None and value.size > limit:
        raise payload_too_large(limit, value.size)
    else:
        data = await value.read()
    if len(data) > limit:
        raise payload_too_large(limit, len(data))
    return data


def _filename(value: UploadFile | str) -> str | None:
    return None if isinstance(value, str) else value.filename or None


async def _read_form(request: Request, limit: int) -> Upload:
    try:
        form = await request.form(max_part_size=limit + FORM_FRAMING_ALLOWANCE)
    except (HTTPException, MultiPartException) as error:
        # Starlette re-raises python-multipart's MultiPartException as a plain 400 HTTPException
        # (about:blank) when the request belongs to an app, and as itself otherwise.
        reason = error.detail if isinstance(error, HTTPException) else error.message
        raise malformed_form_problem(reason) from None
    try:
        given = [
            (name, value)
            for name, value in form.multi_items()
            if name in FILE_FIELDS + TEXT_FIELDS and _is_given(value)
        ]
        dictionaries = [
            value
            for name, value in form.multi_items()
            if name == DICTIONARY_FIELD and _is_given(value)
        ]
        if not given and dictionaries:
            raise dictionary_without_input()
        if not given:
            fields = ", ".join(repr(name) for name in form) or "none"
            raise no_input_problem(
                "The form has no file in 'file' (or 'fileUpload') and no text in 'text' "
                f"(or 'textEntry'); its fields: {fields}. Raw bytes need "
                "Content-Type: application/octet-stream."
            )
        if len(given) > 1:
            names = ", ".join(repr(name) for name, _ in given)
            raise Problem(
                422,
                f"The form has more than one input ({names}); send either a file or text.",
                type="/problems/ambiguous-input",
                title="More than one input",
            )
        if len(dictionaries) > 1:
            raise Problem(
                422,
                f"The form has {len(dictionaries)} dictionaries; dcz compresses against one.",
                type="/problems/ambiguous-input",
                title="More than one dictionary",
            )
        _, value = given[0]
        data = await _read_input(value, limit)
        if not dictionaries:
            return Upload(data, _filename(value))
        [dictionary_value] = dictionaries
        declared = None if isinstance(dictionary_value, str) else dictionary_value.size
        if declared is not None and declared + len(data) > limit:
            raise dictionary_too_large(limit, declared, None if declared > limit else len(data))
        if isinstance(dictionary_value, str):
            dictionary = dictionary_value.encode("utf-8")
        else:
            dictionary = await dictionary_value.read()
        if len(dictionary) + len(data) > limit:
            too_big_alone = len(dictionary) > limit
            raise dictionary_too_large(limit, len(dictionary), None if too_big_alone else len(data))
        return Upload(data, _filename(value), dictionary, _filename(dictionary_value))
    finally:
        await form.close()
