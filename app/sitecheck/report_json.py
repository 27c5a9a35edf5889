"""The plan as JSON-ready data: what POST /site answers and `python -m app site --json` prints.

Pure: dicts of str, int, float, bool and None; app/web/site_report.py documents the shape.
"""

from __future__ import annotations

from typing import Any

from app.sitecheck.media_types import NGINX_TYPICAL_GZIP_LEVEL, NGINX_TYPICAL_GZIP_TYPES
from app.sitecheck.plan import Choice, FilePlan, SitePlan, Totals

TYPICAL_SERVER_TEXT = (
    f"gzip level {NGINX_TYPICAL_GZIP_LEVEL} on {', '.join(sorted(NGINX_TYPICAL_GZIP_TYPES))} "
    "(nginx's `gzip on` with the gzip_types and level Debian's nginx.conf suggests), files of "
    "20 bytes or more; every other file as it is"
)


def _choice(choice: Choice) -> dict[str, Any]:
    return {"coding": choice.coding, "method": choice.method, "size": choice.size}


def _totals(totals: Totals) -> dict[str, Any]:
    return {
        "files": totals.files,
        "identity": totals.identity,
        "typical_server": totals.typical_server,
        "static": totals.static,
        "dynamic": totals.dynamic,
        "returning": totals.returning,
    }


def _file(plan: FilePlan) -> dict[str, Any]:
    return {
        "path": plan.path,
        "media_type": plan.media_type,
        "size": plan.size,
        "previous_size": plan.previous_size,
        "unchanged": plan.unchanged,
        "static": _choice(plan.static),
        "dynamic": _choice(plan.dynamic),
        "returning": None if plan.returning is None else _choice(plan.returning),
        "typical_server": plan.typical_server,
        "skipped": plan.skipped,
        "results": [
            {
                "coding": m.candidate.coding,
                "method": m.candidate.label,
                "size": m.size,
                "saving": round(100 * (1 - m.size / plan.size), 2) if plan.size else 0.0,
                "compress_mbps": round(m.compress_mbps, 2),
                "decompress_mbps": round(m.decompress_mbps, 2),
                "verified": m.verified,
            }
            for m in plan.results
        ],
        "cuts": [{"path": plan.path, "candidate": c, "reason": r} for c, r in plan.cuts],
    }


def site_report(plan: SitePlan) -> dict[str, Any]:
    """The plan as the JSON SiteReport documents."""
    return {
        "root": plan.root,
        "previous_files": plan.previous_files,
        "totals": _totals(plan.totals),
        "by_media_type": [
            {"media_type": media, **_totals(totals)} for media, totals in plan.by_media_type
        ],
        "files": [_file(f) for f in plan.files],
        "cuts": [{"path": c.path, "candidate": c.candidate, "reason": c.reason} for c in plan.cuts],
        "options": {
            "min_size": plan.options.min_size,
            "min_saving_percent": plan.options.min_saving_percent,
            "dynamic_floor_mbps": plan.options.dynamic_floor_mbps,
        },
        "typical_server": TYPICAL_SERVER_TEXT,
        "zopfli": plan.zopfli_used,
        "workers": plan.workers,
        "budget_ms": round(plan.budget_ms, 1),
        "elapsed_ms": round(plan.elapsed_ms, 1),
        "passes": [
            {"name": p.name, "files": p.files, "elapsed_ms": round(p.elapsed_ms, 1)}
            for p in plan.passes
        ],
    }
