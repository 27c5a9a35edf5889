"""`python -m app site PATH`: the site check on a local folder or archive, as POST /site does.

    python -m app site ./public [--previous ./old-public] [--json] [--write] [--budget S]

Prints the totals, the summary per media type and the files (or the API's JSON with --json) on
stdout, with a progress bar on stderr. --write puts the variants the static plan keeps beside
the files of a folder, as the `precompress` tools do, but only where measured smaller: each
written through a temporary file in the same folder and renamed, so a reader never sees half
of one. --budget defaults to the service's 25 s; locally it can be longer.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from app.config import settings
from app.sitecheck.errors import SiteCheckError
from app.sitecheck.limits import SiteLimits
from app.sitecheck.local_site import read_local_site
from app.sitecheck.plan import (
    DEFAULT_DYNAMIC_FLOOR_MBPS,
    DEFAULT_MIN_SAVING_PERCENT,
    DEFAULT_MIN_SIZE,
    PlanOptions,
    SitePlan,
    Totals,
    plan_site,
)
from app.sitecheck.precompressed_tree import Variant, kept_variants
from app.sitecheck.report_json import TYPICAL_SERVER_TEXT, site_report

BAR_WIDTH = 30


def progress_bar(stream: TextIO) -> Callable[[str, int, int], None]:
    """Draws `[#####.....] strong levels 12/40 files` in place on `stream`, a line per pass."""

    def draw(name: str, done: int, total: int) -> None:
        filled = BAR_WIDTH * done // total if total else BAR_WIDTH
        stream.write(f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {name} {done}/{total} files")
        if done == total:
            stream.write("\n")
        stream.flush()

    return draw


def _percent(size: int, of: int) -> str:
    return f"{100 * (1 - size / of):5.1f}%" if of else "    -"


def format_totals(totals: Totals) -> str:
    rows = [
        ("as it is", totals.identity),
        ("typical server default", totals.typical_server),
        ("static plan", totals.static),
        ("dynamic plan", totals.dynamic),
    ]
    if totals.returning is not None:
        rows.append(("returning visitor (dcz)", totals.returning))
    lines = [f"{'serving':<26}{'bytes':>14}{'saving':>9}{'vs typical':>12}"]
    lines += [
        f"{label:<26}{size:>14,}{_percent(size, totals.identity):>9}"
        f"{_percent(size, totals.typical_server):>12}"
        for label, size in rows
    ]
    return "\n".join(lines)


def format_plan(plan: SitePlan) -> str:
    out = [
        f"{plan.totals.files:,} files, planned in {plan.elapsed_ms / 1000:.1f} s on "
        f"{plan.workers} worker(s)",
        "",
        format_totals(plan.totals),
        f"typical server default: {TYPICAL_SERVER_TEXT}",
        "",
        f"{'media type':<28}{'files':>6}{'as it is':>12}{'typical':>12}{'static':>12}"
        f"{'dynamic':>12}",
    ]
    out += [
        f"{media[:27]:<28}{t.files:>6}{t.identity:>12,}{t.typical_server:>12,}{t.static:>12,}"
        f"{t.dynamic:>12,}"
        for media, t in plan.by_media_type
    ]
    out += ["", f"{'path':<50}{'size':>10}  {'static':<16}{'bytes':>10}  {'dynamic':<12}note"]
    for f in plan.files:
        out.append(
            f"{f.path[-49:]:<50}{f.size:>10,}  {f.static.method:<16}{f.static.size:>10,}  "
            f"{f.dynamic.method:<12}{f.skipped or ''}"
        )
    if plan.cuts:
        out += ["", f"cut by the budget ({len(plan.cuts)}):"]
        out += [f"  {c.path}: {c.candidate}: {c.reason}" for c in plan.cuts]
    return "\n".join(out)


def write_beside(folder: Path, variants: list[Variant]) -> int:
    """Write each variant beside its file under `folder`; returns how many were written."""
    for variant in variants:
        target = folder / variant.name
        handle, temporary = tempfile.mkstemp(prefix=".sitecheck-", dir=target.parent)
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(variant.body)
            os.chmod(temporary, 0o644)
            os.replace(temporary, target)
        except BaseException:
            os.unlink(temporary)
            raise
    return len(variants)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m app site",
        description="Plan how to serve a site: every file measured under br, gzip, zstd (and "
        "dcz against a previous release), with totals against a typical server's default.",
    )
    parser.add_argument("path", type=Path, help="the site: a folder, or an archive")
    parser.add_argument("--previous", type=Path, help="the previous release (folder or archive)")
    parser.add_argument("--json", action="store_true", help="print the API's JSON answer")
    parser.add_argument(
        "--write",
        action="store_true",
        help="write the kept .br/.gz/.zst variants beside the files (a folder only)",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=settings.budget_seconds,
        help="seconds the plan may take (default: %(default)s, as the service)",
    )
    parser.add_argument("--min-size", type=int, default=DEFAULT_MIN_SIZE)
    parser.add_argument("--min-saving", type=float, default=DEFAULT_MIN_SAVING_PERCENT)
    parser.add_argument(
        "--dynamic-floor",
        type=float,
        default=DEFAULT_DYNAMIC_FLOOR_MBPS,
        help="MB/s the dynamic plan's levels must reach (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    if args.write and not args.path.is_dir():
        parser.error("--write needs a folder: the variants go beside its files")
    limits = SiteLimits()
    try:
        site = read_local_site(args.path, limits)
        previous = read_local_site(args.previous, limits) if args.previous else None
    except SiteCheckError as error:
        print(f"python -m app site: {error.detail} ({error.type})", file=sys.stderr)
        return 2
    options = PlanOptions(
        args.min_size, args.min_saving, args.dynamic_floor, keep_variants=args.write
    )
    plan = plan_site(
        site,
        previous,
        time.monotonic() + args.budget,
        options,
        on_progress=progress_bar(sys.stderr),
    )
    if args.json:
        print(json.dumps(site_report(plan), indent=2, allow_nan=False))
    else:
        print(format_plan(plan))
    if args.write:
        variants, left_out = kept_variants(plan, site.by_path())
        written = write_beside(args.path, variants)
        print(f"wrote {written} variants beside the files of {args.path}", file=sys.stderr)
        for item in left_out:
            print(f"not written: {item.path}: {item.reason}", file=sys.stderr)
    return 0
