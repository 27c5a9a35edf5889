"""The site check on a real site: the plan's time on 2 workers, its bytes against an exhaustive
search over the same candidates, the saving against a typical server, and the cost per file.

The corpus is assembled at bench time from what this repository and its venv hold, nothing
downloaded (`site_corpus`): Swagger UI's dist (fastapi-offline), this project's docs rendered
to HTML (markdown-it), its source and that of FastAPI, Starlette, Mangum,
markdown-it and h11 rendered as highlighted HTML pages (pygments)
with every pygments style sheet, TinySite's own pages and scripts, the HTML report assets of
schemathesis and werkzeug's debugger, and the images among them (PNG, SVG, ICO).

Rows:
- the plan: plan_site with the service's defaults on 2 workers within 25 s, RUNS times: wall
  time (median, min-max), CPU time of the parent and its children, cuts per pass, peak memory
  (largest child, and the parent);
- the exhaustive search: every level of brotli (0-11), gzip (1-9), zopfli and zstd (1-22) on
  every file the plan did not skip, in this process, one after another: its best total and
  CPU time; the plan's static total must be at most 1.005 x that best;
- the typical server default (gzip 6 on nginx's usual gzip_types) and the plan's saving on it;
- 1,000 tiny files (1.5 KiB of HTML each): the plan's wall and CPU per file, against the same
  candidates measured in-process without forks (the overhead of forks and framing).
"""

from __future__ import annotations

import gzip
import os
import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import brotli
import zstandard
from timing import markdown_table

from app.compression.zopfli_encoder import zopfli_available, zopfli_body
from app.engine.job_timing import measure
from app.sitecheck.candidates import FAST_LEVELS, STRONG_LEVELS, ZSTD_STRONG, codec_for
from app.sitecheck.plan import PlanOptions, SitePlan, plan_site
from app.sitecheck.site_files import Site, SiteFile
from app.tinysite import ASSETS, PAGES

REPO = Path(__file__).resolve().parents[1]
SITE_PACKAGES = Path(brotli.__file__).resolve().parent
BUDGET_SECONDS = 25.0
WORKERS = 2
RUNS = 3
TINY_FILES = 1000
TINY_RUNS = 3
EXHAUSTIVE_BOUND = 1.005
UNHURRIED_SECONDS = 600.0
# Highlighted HTML is about ten times its source; a longer source makes a page few sites have.
SOURCE_PAGE_MAX_BYTES = 8 * 1024
SOURCE_LIBRARIES = ("fastapi", "starlette", "mangum", "markdown_it", "h11", "anyio", "httpx")


def _rendered_markdown(text: str) -> str:
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark").enable("table").render(text)
    return f"<!doctype html><meta charset=utf-8><link rel=stylesheet href=../style.css>{body}"


def _highlighted(source: str, title: str) -> str:
    from pygments import highlight  # type: ignore[import-untyped]
    from pygments.formatters import HtmlFormatter  # type: ignore[import-untyped]
    from pygments.lexers import PythonLexer  # type: ignore[import-untyped]

    body = highlight(source, PythonLexer(), HtmlFormatter())
    return (
        f"<!doctype html><meta charset=utf-8><title>{title}</title>"
        f"<link rel=stylesheet href=/css/default.css>{body}"
    )


def site_corpus() -> Site:
    """The bench's site, built from the repository and the venv (module docstring)."""
    files: dict[str, bytes] = {}
    for asset in (SITE_PACKAGES / "fastapi_offline" / "static").iterdir():
        if not asset.name.startswith("redoc"):  # ReDoc is not Swagger UI
            files[f"swagger/{asset.name}"] = asset.read_bytes()
    for doc in [*sorted((REPO / "docs").glob("*.md")), REPO / "README.md"]:
        files[f"docs/{doc.stem}.html"] = _rendered_markdown(doc.read_text()).encode()
    sources = sorted((REPO / "app").rglob("*.py")) + sorted((REPO / "tests").rglob("*.py"))
    libraries = [
        path for name in SOURCE_LIBRARIES for path in sorted((SITE_PACKAGES / name).rglob("*.py"))
    ]
    for source in sources + libraries:
        if source.stat().st_size > SOURCE_PAGE_MAX_BYTES:
            continue
        base = REPO if source.is_relative_to(REPO) else SITE_PACKAGES
        name = source.relative_to(base).with_suffix(".html").as_posix()
        files[f"source/{name}"] = _highlighted(source.read_text(), name).encode()
    from pygments.formatters import HtmlFormatter
    from pygments.styles import get_all_styles  # type: ignore[import-untyped]

    for style in sorted(get_all_styles()):
        files[f"css/{style}.css"] = HtmlFormatter(style=style).get_style_defs(".highlight").encode()
    for path, page in {**PAGES, **ASSETS}.items():
        name = "index.html" if path == "/" else path.lstrip("/")
        files[f"tinysite/{name if '.' in name else name + '.html'}"] = page.html.encode()
    for folder in ("schemathesis/reporting/html", "werkzeug/debug/shared"):
        for asset in sorted((SITE_PACKAGES / folder).rglob("*")):
            if asset.is_file() and asset.suffix != ".py" and "__pycache__" not in asset.parts:
                files[f"vendor/{folder}/{asset.relative_to(SITE_PACKAGES / folder)}"] = (
                    asset.read_bytes()
                )
    return Site(tuple(SiteFile(path, files[path]) for path in sorted(files)))


def _children_cpu() -> float:
    times = os.times()
    return times.children_user + times.children_system


def _self_cpu() -> float:
    times = os.times()
    return times.user + times.system


def timed_plan(site: Site, options: PlanOptions, budget: float) -> tuple[SitePlan, float, float]:
    """The plan, its wall seconds and its CPU seconds (this process and its children)."""
    cpu, children = _self_cpu(), _children_cpu()
    started = time.monotonic()
    plan = plan_site(site, None, started + budget, options, workers=WORKERS)
    wall = time.monotonic() - started
    return plan, wall, (_self_cpu() - cpu) + (_children_cpu() - children)


def _brotli(quality: int) -> Callable[[bytes], bytes]:
    return lambda data: brotli.compress(data, quality=quality)


def _gzip(level: int) -> Callable[[bytes], bytes]:
    return lambda data: gzip.compress(data, level, mtime=0)


def _zstd(level: int) -> Callable[[bytes], bytes]:
    return lambda data: zstandard.ZstdCompressor(level=level).compress(data)


def _exhaustive_codecs() -> list[tuple[str, Callable[[bytes], bytes]]]:
    ways = [(f"brotli {quality}", _brotli(quality)) for quality in range(12)]
    ways += [(f"gzip {level}", _gzip(level)) for level in range(1, 10)]
    ways += [(f"zstd {level}", _zstd(level)) for level in range(1, 23)]
    if zopfli_available():
        ways.append(("zopfli", lambda data: zopfli_body("gzip", data)))
    return ways


def exhaustive_best(site: Site, plan: SitePlan) -> tuple[int, float, dict[str, int]]:
    """Every level of every codec on every file the plan did not skip: the best total bytes
    (skipped files at their own size, as in the plan), CPU seconds, and which way won how often."""
    ways = _exhaustive_codecs()
    total, wins = 0, dict.fromkeys((name for name, _ in ways), 0)
    started = time.process_time()
    for file, planned in zip(site.files, plan.files, strict=True):
        if planned.skipped is not None:
            total += file_size if (file_size := len(file.data)) else 0
            continue
        sizes = {name: len(way(file.data)) for name, way in ways}
        winner = min(sizes, key=lambda name: sizes[name])
        wins[winner] += 1
        total += min(sizes[winner], len(file.data))
    return total, time.process_time() - started, {k: v for k, v in wins.items() if v}


def tiny_site() -> Site:
    page = (
        "<!doctype html><meta charset=utf-8><title>Page {i}</title><main><h1>Page {i}</h1>"
        + "<p>A tiny page of a large site, number {i}, with a little text in it. " * 20
    )
    return Site(
        tuple(
            SiteFile(f"pages/{i:04d}.html", page.format(i=i).encode()[:1536])
            for i in range(TINY_FILES)
        )
    )


def in_process_seconds(site: Site) -> float:
    """CPU seconds of the plan's fast and strong candidates measured here, without forks."""
    started = time.process_time()
    for file in site.files:
        for candidate in (*FAST_LEVELS, *STRONG_LEVELS, ZSTD_STRONG):
            runs = 3 if candidate in FAST_LEVELS else 1
            for _ in range(runs):
                measure(codec_for(candidate, None), candidate.level, file.data)
    return time.process_time() - started


def _spread(values: list[float], unit: str = "s") -> str:
    return f"{statistics.median(values):.2f} {unit} ({min(values):.2f}-{max(values):.2f})"


def _under(size: int, baseline: int) -> str:
    return f"{100 * (1 - size / baseline):.1f}% under typical"


def run() -> str:
    site = site_corpus()
    size = sum(len(f.data) for f in site.files)
    options = PlanOptions()
    runs = [timed_plan(site, options, BUDGET_SECONDS) for _ in range(RUNS)]
    plan = runs[0][0]
    walls = [wall for _, wall, _ in runs]
    cpus = [cpu for _, _, cpu in runs]
    statics = {p.totals.static for p, _, _ in runs}
    cuts_by_pass: dict[str, int] = {}
    for cut in plan.cuts:
        kind = cut.candidate if cut.candidate in ("zopfli", "zstd 19") else "fast or strong levels"
        cuts_by_pass[kind] = cuts_by_pass.get(kind, 0) + 1
    child_peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    self_peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load_during = os.getloadavg()[0]
    # The same plan without the deadline: what it finds when nothing is cut, and its CPU time,
    # the figure to set beside the exhaustive search's (this machine is shared: a 25 s run gets
    # what CPU the other work leaves, which the load average shows).
    unhurried, unhurried_wall, unhurried_cpu = timed_plan(site, options, UNHURRIED_SECONDS)
    best, exhaustive_cpu, wins = exhaustive_best(site, unhurried)
    totals = plan.totals
    strong_cut = sum(1 for cut in plan.cuts if cut.candidate == "brotli 11")
    unplanned = sum(1 for f in plan.files if f.skipped and f.skipped.startswith("not measured"))

    tiny = tiny_site()
    tiny_runs = [
        timed_plan(tiny, PlanOptions(zopfli=False), BUDGET_SECONDS) for _ in range(TINY_RUNS)
    ]
    tiny_walls = [wall for _, wall, _ in tiny_runs]
    tiny_cpus = [cpu for _, _, cpu in tiny_runs]
    direct = in_process_seconds(tiny)
    tiny_cuts = len(tiny_runs[0][0].cuts)

    rows = [
        ["files, bytes", f"{len(site.files):,} files, {size:,} bytes ({size / 2**20:.2f} MiB)"],
        ["plan wall time, 2 workers", f"{_spread(walls)} of {BUDGET_SECONDS:g} s; {RUNS} runs"],
        ["plan CPU time (parent + children)", _spread(cpus)],
        ["files not planned", f"{unplanned}"],
        ["files whose brotli 11 was cut (first run)", f"{strong_cut}"],
        ["cuts (first run)", ", ".join(f"{k}: {v}" for k, v in cuts_by_pass.items()) or "none"],
        [
            "passes (first run)",
            ", ".join(f"{p.name} {p.elapsed_ms / 1000:.1f} s" for p in plan.passes),
        ],
        [
            "static plan total",
            f"{totals.static:,} bytes (the same in every run: {len(statics) == 1})",
        ],
        ["load average (1 min) after the 25 s runs, 2 CPUs", f"{load_during:.1f}"],
        [
            "plan without deadline: wall, CPU, cuts",
            f"{unhurried_wall:.1f} s, {unhurried_cpu:.1f} s, {len(unhurried.cuts)}",
        ],
        ["plan without deadline: static total", f"{unhurried.totals.static:,} bytes"],
        [
            "exhaustive best total",
            f"{best:,} bytes; unhurried plan ÷ best = {unhurried.totals.static / best:.4f}, "
            f"25 s plan ÷ best = {totals.static / best:.4f} (bound {EXHAUSTIVE_BOUND})",
        ],
        [
            "exhaustive CPU time, one process",
            f"{exhaustive_cpu:.1f} s ({exhaustive_cpu / unhurried_cpu:.1f} x the unhurried plan's)",
        ],
        [
            "exhaustive winners",
            ", ".join(f"{k}: {v}" for k, v in sorted(wins.items(), key=lambda kv: -kv[1])),
        ],
        ["as it is", f"{totals.identity:,} bytes"],
        ["typical server default", f"{totals.typical_server:,} bytes"],
        [
            "dynamic plan",
            f"{totals.dynamic:,} bytes ({_under(totals.dynamic, totals.typical_server)})",
        ],
        [
            "static plan",
            f"{totals.static:,} bytes ({_under(totals.static, totals.typical_server)})",
        ],
        [
            "peak memory",
            f"largest child {child_peak_mib:.0f} MiB, parent {self_peak_mib:.0f} MiB (max RSS)",
        ],
        [
            f"{TINY_FILES:,} tiny files: plan wall",
            f"{_spread([w * 1000 / TINY_FILES for w in tiny_walls], 'ms')} a file; "
            f"cuts {tiny_cuts}",
        ],
        [
            f"{TINY_FILES:,} tiny files: plan CPU",
            f"{_spread([c * 1000 / TINY_FILES for c in tiny_cpus], 'ms')} a file",
        ],
        [
            f"{TINY_FILES:,} tiny files: same candidates in-process",
            f"{direct * 1000 / TINY_FILES:.2f} ms a file (no forks)",
        ],
        [
            "per-file overhead (forks, framing)",
            f"{(statistics.median(tiny_cpus) - direct) * 1000 / TINY_FILES:.2f} ms CPU a file",
        ],
    ]
    verdict = "holds" if unhurried.totals.static <= EXHAUSTIVE_BOUND * best else "MISSED"
    verdict_25 = "holds" if totals.static <= EXHAUSTIVE_BOUND * best else "missed"
    return "\n".join(
        [
            "### Site check: a real site of the venv's and the repository's files",
            "",
            markdown_table(["measure", "figure"], rows),
            "",
            f"The static plan within {EXHAUSTIVE_BOUND} x the exhaustive best: {verdict} without "
            f"a deadline; {verdict_25} in the 25 s runs on this machine.",
        ]
    )


if __name__ == "__main__":
    import sys

    ROOT = Path(__file__).resolve().parent.parent
    sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
    print(run())
