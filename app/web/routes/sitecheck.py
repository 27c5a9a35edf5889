"""The site check over HTTP: POST /site (the plan) and POST /site/precompressed (the variants).

Thin: read the parts (app/web/site_upload.py), let app/sitecheck read the site and plan it off
the event loop within the request's budget, shape the answer.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from app.config import settings
from app.sitecheck.errors import SiteCheckError
from app.sitecheck.limits import SiteLimits
from app.sitecheck.plan import (
    DEFAULT_DYNAMIC_FLOOR_MBPS,
    DEFAULT_MIN_SAVING_PERCENT,
    DEFAULT_MIN_SIZE,
    PlanOptions,
    SitePlan,
    plan_site,
)
from app.sitecheck.precompressed_tree import precompressed_zip
from app.sitecheck.report_json import site_report
from app.sitecheck.site_files import Site
from app.sitecheck.site_input import sites_from_parts
from app.tinysite.negotiation import prefers_html
from app.tinysite.precompressed import CONTENT_SECURITY_POLICY
from app.web.routes.compress import REPORT_HEADERS, content_disposition, request_budget
from app.web.site_report import SiteReport
from app.web.site_results_page import site_results_page
from app.web.site_upload import read_site_upload, site_problem

router = APIRouter(tags=["sitecheck"])

BINARY = {"type": "string", "format": "binary"}
SITE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {
                            "type": "array",
                            "items": BINARY,
                            "description": "One archive (zip, tar, tar.gz, tar.xz, tar.bz2, "
                            "tar.zst: recognised by content), or the files of a folder, each "
                            "part's filename its relative path.",
                        },
                        "previous": {
                            "type": "array",
                            "items": BINARY,
                            "description": "Optional: the previous release, in the same forms; "
                            "each file is also compressed with dcz against its previous version.",
                        },
                    },
                }
            },
            "application/octet-stream": {"schema": BINARY},
        },
    }
}
SITE_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "No site, a previous release without one, a corrupt archive."},
    413: {"description": "Over the upload limit, or the site unpacks past a cap."},
    415: {"description": "The single part is not a supported archive."},
    422: {
        "description": "Unsafe, duplicate or non-UTF-8 paths, links or devices, encrypted "
        "entries, an empty site, or an archive beside loose files."
    },
}

MinSize = Annotated[
    int, Query(ge=0, le=1 << 30, description="Files under this many bytes are sent as they are.")
]
MinSaving = Annotated[
    float, Query(ge=0, le=100, description="Files saving less (percent) are sent as they are.")
]
Floor = Annotated[
    float,
    Query(
        gt=0,
        le=100_000,
        description="The dynamic plan's levels compress at least this fast (MB/s).",
    ),
]


def _site_and_previous(parts: Any) -> tuple[Site, Site | None]:
    try:
        return sites_from_parts(parts.site, parts.previous, SiteLimits())
    except SiteCheckError as error:
        raise site_problem(error) from None


async def _plan(request: Request, options: PlanOptions) -> tuple[SitePlan, Site]:
    budget = request_budget(request)
    upload = await read_site_upload(request, settings.max_upload_bytes)
    site, previous = await run_in_threadpool(_site_and_previous, upload)
    del upload
    plan = await run_in_threadpool(plan_site, site, previous, budget.deadline, options)
    return plan, site


@router.post(
    "/site",
    response_model=SiteReport,
    openapi_extra=SITE_BODY,
    responses={
        200: {
            "description": "JSON; the HTML plan for a client that ranks text/html above "
            "application/json (a browser posting the site check's form).",
            "content": {"text/html": {"schema": {"type": "string"}}},
        },
        **SITE_ERRORS,
    },
)
async def site_check(
    request: Request,
    min_size: MinSize = DEFAULT_MIN_SIZE,
    min_saving: MinSaving = DEFAULT_MIN_SAVING_PERCENT,
    dynamic_floor: Floor = DEFAULT_DYNAMIC_FLOOR_MBPS,
) -> Response:
    """Measure every file of a site under br, gzip (zopfli too), zstd and dcz; plan its serving."""
    options = PlanOptions(min_size, min_saving, dynamic_floor)
    plan, _ = await _plan(request, options)
    accept = ", ".join(request.headers.getlist("accept")) or None
    if prefers_html(accept, "application/json"):
        return HTMLResponse(site_results_page(plan), headers=REPORT_HEADERS)
    return JSONResponse(site_report(plan), headers=REPORT_HEADERS)


@router.post(
    "/site/precompressed",
    response_class=Response,
    openapi_extra=SITE_BODY,
    responses={
        200: {
            "description": "A zip of the variants the static plan keeps (.br, .gz, .zst beside "
            "each file's path, each smaller than its file and checked to decode to it).",
            "content": {"application/zip": {"schema": BINARY}},
        },
        **SITE_ERRORS,
    },
)
async def site_precompressed(
    request: Request,
    min_size: MinSize = DEFAULT_MIN_SIZE,
    min_saving: MinSaving = DEFAULT_MIN_SAVING_PERCENT,
) -> Response:
    """The site's precompressed variants as a zip, ready for gzip_static, brotli_static, Caddy."""
    options = PlanOptions(min_size, min_saving, keep_variants=True)
    plan, site = await _plan(request, options)
    tree = await run_in_threadpool(precompressed_zip, plan, site.by_path())
    return Response(
        tree.body,
        media_type="application/zip",
        headers={
            "Content-Disposition": content_disposition("precompressed.zip"),
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "X-Variants": str(tree.variants),
            "X-Variants-Left-Out": str(len(tree.left_out)),
            "X-Budget-Cuts": str(len(plan.cuts)),
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        },
    )
