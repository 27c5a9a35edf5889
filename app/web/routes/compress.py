"""CompressTest over HTTP: POST /compress (the benchmark report) and POST /compress/{codec}.

Thin: read the upload (app/web/upload.py), call the engine (app/engine/benchmark.py,
app/compression/registry.py) off the event loop, shape the answer.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from app.compression.codec_spec import (
    CodecSpecError,
    DictionaryRequiredError,
    check_level,
    default_jobs,
    get_codec,
    parse_codec_spec,
    prepare_jobs,
)
from app.compression.dictionary_codec import DCZ
from app.compression.dictionary_transport import dictionary_hash
from app.compression.registry import CODECS
from app.config import settings
from app.engine.benchmark import Budget, InputSummary, Report, benchmark
from app.engine.job_timing import MAX_REPEATS, MIN_PHASE_SECONDS, REPEAT_MAX_INPUT_BYTES
from app.tinysite.negotiation import prefers_html
from app.tinysite.precompressed import CONTENT_SECURITY_POLICY
from app.web.problems import Problem
from app.web.results_page import results_page
from app.web.upload import UPLOAD_BAD_REQUEST_RESPONSE, Upload, read_upload

router = APIRouter(tags=["compresstest"])

# Kept back from the Lambda's remaining time for reading the upload's last bytes, rendering the
# JSON and Mangum's conversion: all well under a second even for a maximal upload.
LAMBDA_SAFETY_MARGIN_SECONDS = 1.0

BINARY_SCHEMA = {"type": "string", "format": "binary"}
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": BINARY_SCHEMA,
                        "text": {"type": "string"},
                        "dictionary": {
                            **BINARY_SCHEMA,
                            "description": "Optional: the previous version, for dcz. It shares "
                            "the upload limit with the input.",
                        },
                    },
                    "description": "Either `file` or `text` (also `fileUpload`, `textEntry`); "
                    "optionally a `dictionary` beside it.",
                }
            },
            "application/octet-stream": {"schema": BINARY_SCHEMA},
        },
    }
}


class InputModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    filename: str | None = Field(description="The uploaded file's name; null for text or raw.")
    size: int = Field(description="Bytes in the input.")
    sha256: str = Field(description="SHA-256 of the input, hex.")


class ResultModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    codec: str
    level: int
    size: int = Field(description="Compressed bytes, exactly what the library produced.")
    ratio: float = Field(
        description="Original size ÷ compressed size: 4.48 means 4.48 times smaller (lzbench "
        "prints the inverse, compressed ÷ original, as a percentage). 0 for an empty input."
    )
    saving: float | None = Field(
        description="Percent saved: 100 × (1 - compressed ÷ original); negative when the output "
        "is larger; null for an empty input."
    )
    compress_ms: float = Field(
        description="Time of the fastest compression run (see `repeats`): its wall time, or "
        "its CPU time where other work held it up (the smaller of the two)."
    )
    compress_cpu_ms: float = Field(
        description="CPU time of the compressing process in that fastest run."
    )
    compress_mbps: float = Field(
        description="Original megabytes (10^6 bytes) per second, from `compress_ms`."
    )
    decompress_ms: float = Field(
        description="Time of the fastest decompression run (see `decompress_repeats`), taken "
        "as for `compress_ms`."
    )
    decompress_mbps: float = Field(
        description="Original megabytes (10^6 bytes) per second, from `decompress_ms`."
    )
    verified: bool = Field(description="The decompressed bytes equal the input byte for byte.")
    repeats: int = Field(
        ge=1,
        description="Compression runs the fastest was taken from: each phase repeats until its "
        f"runs took {MIN_PHASE_SECONDS * 1000:g} ms of CPU time or {MAX_REPEATS:,} runs were "
        f"made; 1 for an input over {REPEAT_MAX_INPUT_BYTES // 1024 // 1024} MiB.",
    )
    decompress_repeats: int = Field(ge=1, description="The same for decompression.")
    compress_ms_median: float = Field(
        description="Time of the median compression run, beside `compress_ms` (the fastest): "
        "the spread of the runs. Two speeds are equal within the noise when each one's fastest "
        "run is no slower than the other's median run (docs/api.md). Equal to `compress_ms` "
        "for a phase run once."
    )
    decompress_ms_median: float = Field(
        description="Time of the median decompression run, beside `decompress_ms`."
    )


class SkippedModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    codec: str
    level: int
    reason: str = Field(description="Why the job was not run or not finished.")


class CompressReport(BaseModel):
    """How small and how fast the input compresses with each codec and level."""

    model_config = ConfigDict(from_attributes=True)

    input: InputModel
    dictionary: InputModel | None = Field(
        default=None, description="The dictionary dcz compressed against; null without one."
    )
    results: list[ResultModel] = Field(description="One per job run, smallest first.")
    skipped: list[SkippedModel] = Field(description="Jobs the time budget could not hold.")
    elapsed_ms: float = Field(description="Wall time of the whole benchmark.")
    budget_ms: float = Field(description="The time the benchmark was allowed.")
    workers: int = Field(
        ge=1,
        description="Jobs run at once, at most: 1 for an input of up to "
        f"{REPEAT_MAX_INPUT_BYTES // 1024 // 1024} MiB (each job's "
        "repeated timing runs undisturbed), else the CPUs this process may use (on Lambda "
        "its memory size ÷ 1769 MB).",
    )


CodecsQuery = Annotated[
    str | None,
    Query(
        description="Jobs, e.g. `gzip:9,brotli,zstd:3-19`: a name (its fast, default and "
        "strongest levels), name:level or name:low-high. Absent: every codec's default levels "
        "(and dcz 1, 3 and 19 when the form has a `dictionary`). `dcz` needs a dictionary.",
        examples=["gzip:9,brotli,zstd:3-19"],
    ),
]


def bad_codec_spec(error: CodecSpecError) -> Problem:
    if isinstance(error, DictionaryRequiredError):
        return Problem(
            400, str(error), type="/problems/dictionary-required", title="dcz needs a dictionary"
        )
    return Problem(400, str(error), type="/problems/bad-codec-spec", title="Unknown codec or level")


# Stands in for the dictionary while only names and levels are checked, before the body is read.
NO_DICTIONARY_YET = b""


def dictionary_summary(upload: Upload) -> InputSummary | None:
    """The dictionary's name, size and SHA-256 (the digest a dcz header carries), if any."""
    if upload.dictionary is None:
        return None
    digest = dictionary_hash(upload.dictionary).hex()
    return InputSummary(upload.dictionary_filename, len(upload.dictionary), digest)


def request_budget(request: Request) -> Budget:
    """settings.budget_seconds, or less: what the Lambda invocation has left, minus a margin."""
    seconds = settings.budget_seconds
    context = request.scope.get("aws.context")
    if context is not None and hasattr(context, "get_remaining_time_in_millis"):
        remaining = context.get_remaining_time_in_millis() / 1000
        seconds = min(seconds, remaining - LAMBDA_SAFETY_MARGIN_SECONDS)
    return Budget(seconds)


async def benchmark_request(
    request: Request, codecs: str | None
) -> tuple[Report, InputSummary | None]:
    """The report for this request's upload, and its dictionary's summary: the shared core of
    every /compress answer.

    Raises Problem for a bad codec spec (before reading the body), for a bad upload, and for
    dcz asked for without a dictionary (once the body shows there is none).
    """
    budget = request_budget(request)
    spec = codecs if codecs and codecs.strip() else None
    try:
        if spec is not None:
            parse_codec_spec(spec, NO_DICTIONARY_YET)
    except CodecSpecError as error:
        raise bad_codec_spec(error) from None
    upload = await read_upload(request, settings.max_upload_bytes)
    try:
        dictionary = upload.dictionary
        jobs = parse_codec_spec(spec, dictionary) if spec else default_jobs(dictionary)
    except CodecSpecError as error:
        raise bad_codec_spec(error) from None
    # The codecs release the GIL, but the wait for them must not hold the event loop. dcz loads
    # its dictionary per level first, within the budget, so no estimate scales that up.
    await run_in_threadpool(prepare_jobs, jobs, budget.deadline)
    report = await run_in_threadpool(benchmark, upload.data, jobs, budget, filename=upload.filename)
    return report, dictionary_summary(upload)


# The answer depends on Accept (JSON or the HTML page); both are made for one request only.
REPORT_HEADERS = {
    "Vary": "Accept",
    "Cache-Control": "no-store",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
}


@router.post(
    "/compress",
    response_model=CompressReport,
    openapi_extra=UPLOAD_BODY,
    responses={
        200: {
            "description": "JSON; the HTML results page for a client that ranks text/html "
            "above application/json (a browser posting the home page's form).",
            "content": {"text/html": {"schema": {"type": "string"}}},
        },
        400: UPLOAD_BAD_REQUEST_RESPONSE,
    },
)
async def compress_report(
    request: Request, response: Response, codecs: CodecsQuery = None
) -> CompressReport | HTMLResponse:
    """Compress the upload with each codec and level; sizes, ratios, speeds, round-trip check."""
    report, dictionary = await benchmark_request(request, codecs)
    # RFC 9110 §12.5.1: a browser asks text/html first and gets the page; */* (curl), no
    # Accept, or an API client's application/json ties or loses, and gets JSON.
    accept = ", ".join(request.headers.getlist("accept")) or None
    if prefers_html(accept, "application/json"):
        return HTMLResponse(results_page(report, dictionary), headers=REPORT_HEADERS)
    response.headers.update(REPORT_HEADERS)
    model = CompressReport.model_validate(report)
    if dictionary is not None:
        model.dictionary = InputModel.model_validate(dictionary)
    return model


_UNSAFE_IN_FILENAME = re.compile(r'[\x00-\x1f\x7f"\\/;:*?<>|]')


def download_filename(uploaded: str | None, extension: str) -> str:
    """A safe name for the download: the upload's base name (or 'data') plus the extension.

    Path components, quotes, control and separator characters are dropped, so the name can
    neither escape a directory nor break out of the header's quoted string.
    """
    name = (uploaded or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", _UNSAFE_IN_FILENAME.sub("", name)).strip(" .")[:200]
    return (name or "data") + extension


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII filename, plus RFC 6266's filename* when it is not ASCII."""
    ascii_name = filename.encode("ascii", "replace").decode("ascii").replace("?", "_")
    header = f'attachment; filename="{ascii_name}"'
    if ascii_name != filename:
        header += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return header


@router.post(
    "/compress/{codec}",
    response_class=Response,
    openapi_extra=UPLOAD_BODY,
    responses={
        200: {
            "description": "The compressed bytes, as a download.",
            # Each codec's own media type (application/gzip, application/zstd, ...); dcz's
            # is application/octet-stream, as brotli's.
            "content": {
                media_type: {"schema": BINARY_SCHEMA}
                for media_type in dict.fromkeys(c.media_type for c in CODECS.values())
            },
        },
        400: UPLOAD_BAD_REQUEST_RESPONSE,
    },
)
async def compress_download(
    codec: Annotated[
        str,
        # Documented as the list of names; an unknown one still gets the 400 that names them.
        Path(json_schema_extra={"enum": [*CODECS, DCZ]}),
    ],
    request: Request,
    level: Annotated[int | None, Query(description="Default: the codec's default level.")] = None,
) -> Response:
    """The upload compressed with one codec: Content-Type of the format, a file name to save.

    `dcz` compresses against the form's `dictionary` and saves as NAME.dcz.
    """
    try:
        checked = get_codec(codec, NO_DICTIONARY_YET)
        chosen_level = check_level(checked, checked.default_level if level is None else level)
    except CodecSpecError as error:
        raise bad_codec_spec(error) from None
    upload = await read_upload(request, settings.max_upload_bytes)
    try:
        chosen = get_codec(codec, upload.dictionary)
    except CodecSpecError as error:
        raise bad_codec_spec(error) from None
    compressed = await run_in_threadpool(chosen.compress, upload.data, chosen_level)
    filename = download_filename(upload.filename, chosen.extension)
    return Response(
        compressed,
        media_type=chosen.media_type,
        headers={
            "Content-Disposition": content_disposition(filename),
            "X-Content-Type-Options": "nosniff",
        },
    )
