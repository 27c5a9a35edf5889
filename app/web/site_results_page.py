"""The site check's plan as an HTML page: what a browser gets posting the form without JS.

Pure: a SitePlan in, a str out, in the site's layout (app/web/results_page.py). Every string
from the request (paths, media types sniffed from its bytes) and every reason is escaped. The
only URLs are relative ones of this site, so the page works under any mount prefix.
"""

from __future__ import annotations

from app.sitecheck.plan import SitePlan, Totals
from app.sitecheck.report_json import TYPICAL_SERVER_TEXT
from app.web.results_page import escaped, in_layout

# A page of 10,000 rows would be a few MB of HTML; the JSON has every file.
MAX_FILE_ROWS = 2000


def _bytes(size: int | None) -> str:
    return "—" if size is None else f"{size:,}"


def _saving(size: int, against: int) -> str:
    return f"{100 * (1 - size / against):.1f}%" if against else "—"


def _totals_rows(totals: Totals) -> str:
    rows = [
        ("As it is", totals.identity),
        ("Typical server default", totals.typical_server),
        ("Static plan (precompressed)", totals.static),
        ("Dynamic plan (on the fly)", totals.dynamic),
    ]
    if totals.returning is not None:
        rows.append(("Returning visitor (dcz)", totals.returning))
    return "".join(
        f"<tr><td>{label}<td>{size:,}<td>{_saving(size, totals.identity)}"
        f"<td>{_saving(size, totals.typical_server)}"
        for label, size in rows
    )


def site_results_page(plan: SitePlan) -> str:
    """The whole page for `plan`."""
    t = plan.totals
    parts = [
        "<h1>Your site's serving plan</h1>",
        f"<p>{t.files:,} files, {t.identity:,} bytes, planned in {plan.elapsed_ms / 1000:.1f} s"
        f" of a {plan.budget_ms / 1000:.0f} s budget on {plan.workers} worker(s).",
        "<table id=totals><tr><th>Serving<th>bytes<th>saving<th>vs typical",
        _totals_rows(t),
        "</table>",
        f"<p>Typical server default: {escaped(TYPICAL_SERVER_TEXT)}.",
        "<h2>By media type</h2><div class=scroll><table id=types>",
        "<tr><th>media type<th>files<th>as it is<th>typical<th>static<th>dynamic",
    ]
    for media, totals in plan.by_media_type:
        parts.append(
            f"<tr><td>{escaped(media)}<td>{totals.files}<td>{totals.identity:,}"
            f"<td>{totals.typical_server:,}<td>{totals.static:,}<td>{totals.dynamic:,}"
        )
    parts += [
        "</table></div><h2>Files</h2><div class=scroll><table id=files>",
        "<tr><th>path<th>type<th>size<th>static<th>bytes<th>dynamic<th>bytes<th>note",
    ]
    for file in plan.files[:MAX_FILE_ROWS]:
        parts.append(
            f"<tr><td>{escaped(file.path)}<td>{escaped(file.media_type)}<td>{file.size:,}"
            f"<td>{escaped(file.static.method)}<td>{file.static.size:,}"
            f"<td>{escaped(file.dynamic.method)}<td>{file.dynamic.size:,}"
            f"<td>{escaped(file.skipped or '')}"
        )
    parts.append("</table></div>")
    if len(plan.files) > MAX_FILE_ROWS:
        parts.append(f"<p>The first {MAX_FILE_ROWS:,} files; the JSON answer has them all.")
    if plan.cuts:
        parts.append(f"<h2>Cut by the time budget ({len(plan.cuts):,})</h2><ul id=cuts>")
        parts += [
            f"<li>{escaped(c.path)}: {escaped(c.candidate)}: {escaped(c.reason)}"
            for c in plan.cuts[:200]
        ]
        parts.append("</ul>")
    parts.append(
        "<h2>The files</h2><p>Pick the same site again to download the variants "
        "(.br, .gz, .zst) the static plan keeps, as a zip to unpack over the site's folder:"
        "<form method=post action=site/precompressed enctype=multipart/form-data>"
        "<p><label>Archive: <input type=file name=file></label>"
        "<p><button>Download the variants</button></form>"
        "<p><a href=check>Check another site</a>"
    )
    return in_layout("Site check · CompressTest", "\n".join(parts))
