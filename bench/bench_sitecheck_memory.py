"""The site check's peak memory at its caps: 32 MiB unpacked in 8 files of 4 MiB (Python
source, compressible), planned on 2 workers within 24 s with the variants kept and zipped, as
POST /site/precompressed does. Reports the peak resident memory (max RSS) of this process and
of its largest child, against this process's before planning (the baseline, same run).
"""

from __future__ import annotations

import resource
import time

from corpora import python_source
from timing import markdown_table

from app.sitecheck.limits import MAX_ENTRY_BYTES, MAX_TOTAL_BYTES
from app.sitecheck.plan import PlanOptions, plan_site
from app.sitecheck.precompressed_tree import precompressed_zip
from app.sitecheck.site_files import Site, SiteFile

BUDGET_SECONDS = 24.0


def _max_rss_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


def run() -> str:
    data = python_source(MAX_ENTRY_BYTES)
    count = MAX_TOTAL_BYTES // MAX_ENTRY_BYTES
    # Each file a rotation of the same text: the same compressibility, no two files equal.
    site = Site(tuple(SiteFile(f"s/f{i}.py", data[i:] + data[:i]) for i in range(count)))
    before = _max_rss_mib(resource.RUSAGE_SELF)
    started = time.monotonic()
    plan = plan_site(
        site, None, started + BUDGET_SECONDS, PlanOptions(keep_variants=True), workers=2
    )
    tree = precompressed_zip(plan, site.by_path())
    wall = time.monotonic() - started
    rows = [
        ["site", f"{count} files x {MAX_ENTRY_BYTES:,} bytes = {MAX_TOTAL_BYTES:,} bytes"],
        ["wall time, cuts", f"{wall:.1f} s, {len(plan.cuts)} cuts"],
        ["zip of variants", f"{len(tree.body):,} bytes, {tree.variants} variants"],
        ["this process before planning (baseline)", f"{before:.0f} MiB"],
        ["this process, peak", f"{_max_rss_mib(resource.RUSAGE_SELF):.0f} MiB"],
        ["largest child, peak", f"{_max_rss_mib(resource.RUSAGE_CHILDREN):.0f} MiB"],
    ]
    return "\n".join(
        [
            "### Site check: peak memory at the caps",
            "",
            markdown_table(["measure", "figure"], rows),
        ]
    )
