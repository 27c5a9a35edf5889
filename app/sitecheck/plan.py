"""The serving plan of a site: each file's measured candidates, its choices, and the totals.

For each file (app/sitecheck/candidates.py says which candidates each pass measures):
- static: the fewest bytes among every verified candidate but dcz, ties to the faster
  decompression; what precompressing once and serving the file as it is gives a first visit;
- dynamic: the fewest bytes among the fast levels that compressed at DEFAULT_DYNAMIC_FLOOR_MBPS
  or faster. Why 50 MB/s: brotli 6, ngx_brotli's default and what servers compress on the fly
  with, measured 51 MB/s on swagger-ui.css here; at that speed a 100 KB response costs 2 ms of
  CPU, less than its transfer at 100 Mbit/s (8 ms), so compressing never delays the answer
  more than it saves. Slower levels pay off only precompressed;
- returning: with a previous release, what a visitor holding it downloads: nothing for an
  unchanged file (cached), the smaller of dcz against the previous version and the static
  choice for a changed one, the static choice for a new one;
- a file under `min_size` bytes, or whose choice saves under `min_saving` percent, is sent as
  it is, with the reason.
Every size in the plan was measured; a candidate the budget did not reach is listed as a cut
with its reason, and a file none of whose candidates ran counts at its own size everywhere
(the typical server's total included), so totals never mix estimates in.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from app.engine.cpus import usable_cpus
from app.sitecheck.candidates import (
    DCZ_LEVELS,
    FAST_LEVELS,
    STRONG_LEVELS,
    ZOPFLI_CANDIDATE,
    ZSTD_STRONG,
    Candidate,
    zopfli_installed,
)
from app.sitecheck.measurement import FileMeasurements, FileWork, Measured
from app.sitecheck.media_types import (
    NGINX_GZIP_MIN_LENGTH,
    NGINX_TYPICAL_GZIP_LEVEL,
    compressed_by_typical_server,
    media_type,
)
from app.sitecheck.scheduler import ProgressCallback, run_pass
from app.sitecheck.site_files import Site

DEFAULT_MIN_SIZE = 1024
DEFAULT_MIN_SAVING_PERCENT = 5.0
DEFAULT_DYNAMIC_FLOOR_MBPS = 50.0
IDENTITY = "identity"
TYPICAL_SERVER = Candidate("gzip", "gzip", NGINX_TYPICAL_GZIP_LEVEL)
# Strong levels are not tried on a file the fast levels saved less than this share of the
# skip threshold on: already-compressed data (PNG, JPEG, WOFF2, archives) gains a point or two
# at most from the strong levels, never the threshold (brotli 11 on this repo's PNGs: 0.1-1.6%).
STRONG_TRY_SHARE = 0.5
# Each refinement pass (zstd 19 for the .zst variant, zopfli for the .gz one) gets at most this
# long after brotli 11: neither changes the static choice (brotli 11 was smallest on every file
# of the bench's site), and zopfli at 0.2 MB/s would take the whole budget on any real site
# for a variant 8% smaller than gzip 9 (swagger-ui.css) that only clients without brotli and
# zstd receive. So the answer comes seconds after the choices are known, not at the deadline.
REFINEMENT_SECONDS = 4.0
FINISH_RESERVE_SECONDS = 0.75


@dataclass(frozen=True)
class PlanOptions:
    min_size: int = DEFAULT_MIN_SIZE
    min_saving_percent: float = DEFAULT_MIN_SAVING_PERCENT
    dynamic_floor_mbps: float = DEFAULT_DYNAMIC_FLOOR_MBPS
    zopfli: bool = True
    refinement_seconds: float = REFINEMENT_SECONDS
    keep_variants: bool = False


@dataclass(frozen=True)
class Choice:
    """A file as sent: its coding ("identity" for as it is), what made it and its bytes."""

    coding: str
    method: str
    size: int


@dataclass(frozen=True)
class FilePlan:
    path: str
    media_type: str
    size: int
    previous_size: int | None
    unchanged: bool
    results: tuple[Measured, ...]
    static: Choice
    dynamic: Choice
    returning: Choice | None
    typical_server: int
    skipped: str | None
    cuts: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Totals:
    files: int
    identity: int
    typical_server: int
    static: int
    dynamic: int
    returning: int | None


@dataclass(frozen=True)
class PassTime:
    name: str
    files: int
    elapsed_ms: float


@dataclass(frozen=True)
class Cut:
    path: str
    candidate: str
    reason: str


@dataclass(frozen=True)
class SitePlan:
    files: tuple[FilePlan, ...]
    totals: Totals
    by_media_type: tuple[tuple[str, Totals], ...]
    cuts: tuple[Cut, ...]
    options: PlanOptions
    root: str
    previous_files: int | None
    zopfli_used: bool
    workers: int
    budget_ms: float
    elapsed_ms: float
    passes: tuple[PassTime, ...] = ()
    # path -> coding -> the smallest verified bytes of that coding (keep_variants only)
    variants: dict[str, dict[str, bytes]] = field(default_factory=dict, repr=False)


def _saving(size: int, original: int) -> float:
    return 100.0 * (1 - size / original) if original else 0.0


def _best(results: Sequence[Measured]) -> Measured | None:
    return min(results, key=lambda m: (m.size, -m.decompress_mbps), default=None)


def _choice(best: Measured | None, size: int, options: PlanOptions) -> tuple[Choice, str | None]:
    if size < options.min_size:
        reason = f"under {options.min_size:,} bytes: sent as it is"
        return Choice(IDENTITY, IDENTITY, size), reason
    if best is None:
        return Choice(IDENTITY, IDENTITY, size), "not measured: the budget ran out"
    saving = _saving(best.size, size)
    if saving < options.min_saving_percent:
        reason = (
            f"saves {saving:.1f}% at best ({best.candidate.label}), under the "
            f"{options.min_saving_percent:g}% threshold: sent as it is"
        )
        return Choice(IDENTITY, IDENTITY, size), reason
    return Choice(best.candidate.coding, best.candidate.label, best.size), None


def _file_plan(
    path: str,
    data: bytes,
    previous: bytes | None,
    has_previous: bool,
    measured: FileMeasurements,
    options: PlanOptions,
) -> FilePlan:
    size = len(data)
    media = media_type(path, data)
    verified = [m for m in measured.results if m.verified]
    static, skipped = _choice(
        _best([m for m in verified if m.candidate.coding != "dcz"]), size, options
    )
    fast = [
        m
        for m in verified
        if m.candidate in FAST_LEVELS and m.compress_mbps >= options.dynamic_floor_mbps
    ]
    dynamic, _ = _choice(_best(fast), size, options)
    if dynamic.coding == IDENTITY and not skipped and verified and not fast:
        dynamic = Choice(IDENTITY, IDENTITY, size)
    returning: Choice | None = None
    unchanged = previous is not None and previous == data
    if has_previous:
        if unchanged:
            returning = Choice("cached", "cached", 0)
        else:
            dcz = _best([m for m in verified if m.candidate.coding == "dcz"])
            returning = static
            if dcz is not None and dcz.size < static.size and size >= options.min_size:
                returning = Choice("dcz", dcz.candidate.label, dcz.size)
    typical = size
    if compressed_by_typical_server(media) and size >= NGINX_GZIP_MIN_LENGTH:
        gzip6 = next((m for m in verified if m.candidate == TYPICAL_SERVER), None)
        typical = gzip6.size if gzip6 is not None else size
    return FilePlan(
        path=path,
        media_type=media,
        size=size,
        previous_size=None if previous is None else len(previous),
        unchanged=unchanged,
        results=tuple(sorted(measured.results, key=lambda m: (m.size, m.candidate.label))),
        static=static,
        dynamic=dynamic,
        returning=returning,
        typical_server=typical,
        skipped=skipped,
        cuts=tuple(measured.cuts),
    )


def _totals(files: Sequence[FilePlan], has_previous: bool) -> Totals:
    return Totals(
        files=len(files),
        identity=sum(f.size for f in files),
        typical_server=sum(f.typical_server for f in files),
        static=sum(f.static.size for f in files),
        dynamic=sum(f.dynamic.size for f in files),
        returning=sum(f.returning.size for f in files if f.returning) if has_previous else None,
    )


def plan_site(
    site: Site,
    previous: Site | None,
    deadline: float,
    options: PlanOptions = PlanOptions(),
    *,
    workers: int | None = None,
    on_progress: ProgressCallback | None = None,
) -> SitePlan:
    """Measure and plan every file of `site` by `deadline` (time.monotonic()); never later."""
    started = time.monotonic()
    # The passes end FINISH_RESERVE_SECONDS early: killing and reaping the last children and
    # building the plan take that long at most on a loaded machine (the bench saw 0.65 s).
    deadline -= FINISH_RESERVE_SECONDS
    workers = max(1, workers or usable_cpus())
    previous_by_path = previous.by_path() if previous is not None else {}
    files = site.files
    measurements = {i: FileMeasurements(i) for i in range(len(files))}
    passes: list[PassTime] = []

    def merge(results: list[FileMeasurements]) -> None:
        for result in results:
            into = measurements[result.index]
            into.results += result.results
            into.cuts += result.cuts
            for coding, body in result.variants.items():
                held = into.variants.get(coding)
                if held is None or len(body) < len(held):
                    into.variants[coding] = body

    def pass_of(
        name: str,
        choose: Callable[[int], tuple[Candidate, ...]],
        order: Sequence[int],
        longest: bool,
        until: float,
    ) -> None:
        works = []
        for index in order:
            file = files[index]
            candidates = choose(index)
            if candidates:
                old = previous_by_path.get(file.path)
                works.append(FileWork(index, file.data, old, candidates))
        pass_started = time.monotonic()
        if works:
            merge(
                run_pass(
                    name,
                    works,
                    until,
                    workers,
                    keep_bytes=options.keep_variants,
                    longest_first=longest,
                    on_progress=on_progress,
                )
            )
        passes.append(PassTime(name, len(works), (time.monotonic() - pass_started) * 1000))

    def fast(index: int) -> tuple[Candidate, ...]:
        file = files[index]
        if len(file.data) >= options.min_size:
            return FAST_LEVELS
        typical = compressed_by_typical_server(media_type(file.path, file.data))
        return (TYPICAL_SERVER,) if typical and len(file.data) >= NGINX_GZIP_MIN_LENGTH else ()

    def worth_more(index: int) -> bool:
        file = files[index]
        if len(file.data) < options.min_size:
            return False
        best = _best([m for m in measurements[index].results if m.verified])
        share = options.min_saving_percent * STRONG_TRY_SHARE
        return best is not None and _saving(best.size, len(file.data)) >= share

    def strong(index: int) -> tuple[Candidate, ...]:
        if not worth_more(index):
            return ()
        old = previous_by_path.get(files[index].path)
        changed = old is not None and old != files[index].data
        return STRONG_LEVELS + (DCZ_LEVELS if changed else ())

    zopfli_used = options.zopfli and zopfli_installed()

    def zstd_strong(index: int) -> tuple[Candidate, ...]:
        return (ZSTD_STRONG,) if worth_more(index) else ()

    def zopfli(index: int) -> tuple[Candidate, ...]:
        return (ZOPFLI_CANDIDATE,) if worth_more(index) else ()

    everything = range(len(files))
    pass_of("fast levels", fast, everything, True, deadline)
    pass_of("strong levels", strong, everything, True, deadline)
    refinement_deadline = min(deadline, time.monotonic() + options.refinement_seconds)
    pass_of("zstd 19", zstd_strong, everything, True, refinement_deadline)
    if zopfli_used:
        # Smallest first: within what the budget leaves, the most files get zopfli's gzip.
        smallest_first = sorted(everything, key=lambda i: len(files[i].data))
        zopfli_deadline = min(deadline, time.monotonic() + options.refinement_seconds)
        pass_of("zopfli", zopfli, smallest_first, False, zopfli_deadline)

    has_previous = previous is not None
    plans = tuple(
        _file_plan(
            f.path, f.data, previous_by_path.get(f.path), has_previous, measurements[i], options
        )
        for i, f in enumerate(files)
    )
    by_type: dict[str, list[FilePlan]] = defaultdict(list)
    for plan in plans:
        by_type[plan.media_type].append(plan)
    summary = tuple(
        (media, _totals(group, has_previous))
        for media, group in sorted(by_type.items(), key=lambda item: -sum(p.size for p in item[1]))
    )
    cuts = tuple(Cut(p.path, label, reason) for p in plans for label, reason in p.cuts)
    variants = (
        {files[i].path: m.variants for i, m in measurements.items() if m.variants}
        if options.keep_variants
        else {}
    )
    return SitePlan(
        files=plans,
        totals=_totals(plans, has_previous),
        by_media_type=summary,
        cuts=cuts,
        options=options,
        root=site.root,
        previous_files=None if previous is None else len(previous.files),
        zopfli_used=zopfli_used,
        workers=workers,
        budget_ms=max(0.0, deadline + FINISH_RESERVE_SECONDS - started) * 1000,
        elapsed_ms=(time.monotonic() - started) * 1000,
        passes=tuple(passes),
        variants=variants,
    )
