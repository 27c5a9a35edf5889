"""The CLI on the same engine: `python -m app FILE [--dictionary FILE] [--codecs SPEC] [--json]
[--budget SECONDS] [--speeds MBITS]`, and `python -m app site PATH ...`, the site check
(app/sitecheck/cli.py).

Prints an aligned table sorted by size, then the time to deliver at each link speed (or the
API's JSON with --json) on stdout, and a progress bar on stderr while jobs run. With
--dictionary, the default jobs add dcz against it (app/compression/registry.py).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from app.compression.codec_spec import CodecSpecError, default_jobs, parse_codec_spec, prepare_jobs
from app.compression.dictionary_transport import dictionary_hash
from app.config import settings
from app.engine.benchmark import Budget, InputSummary, Report, benchmark
from app.engine.delivery import LINK_SPEEDS_MBIT, deliveries, fastest_at
from app.engine.job_timing import JobResult, Phase, phase_ties

PROGRESS_BAR_WIDTH = 30
COLUMNS = (
    ("codec", "<"),
    ("level", ">"),
    ("size", ">"),
    ("ratio", ">"),
    ("saving %", ">"),
    ("compress ms", ">"),
    ("median", ">"),
    ("cpu ms", ">"),
    ("compress MB/s", ">"),
    ("decompress ms", ">"),
    ("median", ">"),
    ("decompress MB/s", ">"),
    ("runs", ">"),
    ("verified", "<"),
)


def progress_bar(stream: TextIO) -> Callable[[int, int], None]:
    """A callback drawing `[#####.....] 5/10 jobs` in place on `stream`."""

    def draw(finished: int, total: int) -> None:
        filled = PROGRESS_BAR_WIDTH * finished // total if total else PROGRESS_BAR_WIDTH
        bar = "#" * filled + "." * (PROGRESS_BAR_WIDTH - filled)
        stream.write(f"\r[{bar}] {finished}/{total} jobs")
        if finished == total:
            stream.write("\n")
        stream.flush()

    return draw


def _phase_milliseconds(ms: float) -> str:
    """Three significant digits (0.0152, 3.20), whole milliseconds from 100 on: a repeated
    phase of a small input takes microseconds."""
    return f"{ms:.0f}" if ms >= 100 else f"{ms:#.3g}"


TIE = "≈"


def tie_mark(result: JobResult, above: JobResult | None, phase: Phase) -> str:
    """'≈ ' when `result`'s `phase` speed equals that of the row `above` within the noise of
    their runs (app/engine/job_timing.py's rule), else ''."""
    return f"{TIE} " if above is not None and phase_ties(result, above, phase) else ""


def format_table(report: Report, dictionary: InputSummary | None = None) -> str:
    """The results as aligned columns, smallest first, then the skipped jobs with reasons."""
    rows = [
        [
            r.codec,
            str(r.level),
            f"{r.size:,}",
            f"{r.ratio:.3f}",
            "-" if r.saving is None else f"{r.saving:.2f}",
            _phase_milliseconds(r.compress_ms),
            _phase_milliseconds(r.compress_ms_median),
            _phase_milliseconds(r.compress_cpu_ms),
            tie_mark(r, above, "compress") + f"{r.compress_mbps:.1f}",
            _phase_milliseconds(r.decompress_ms),
            _phase_milliseconds(r.decompress_ms_median),
            tie_mark(r, above, "decompress") + f"{r.decompress_mbps:.1f}",
            f"{r.repeats}/{r.decompress_repeats}",
            "yes" if r.verified else "NO",
        ]
        for r, above in zip(report.results, [None, *report.results], strict=False)
    ]
    header = [name for name, _ in COLUMNS]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(COLUMNS))]

    def line(cells: list[str]) -> str:
        padded = (
            f"{cell:{align}{width}}"
            for cell, (_, align), width in zip(cells, COLUMNS, widths, strict=True)
        )
        return "  ".join(padded).rstrip()

    name = report.input.filename or "input"
    lines = [f"{name}: {report.input.size:,} bytes, sha256 {report.input.sha256}"]
    if dictionary is not None:
        lines.append(
            f"dcz against {dictionary.filename}: {dictionary.size:,} bytes, "
            f"sha256 {dictionary.sha256} (dcz sizes include its 40-byte header)"
        )
    lines += [
        "",
        line(header),
        *(line(row) for row in rows),
    ]
    if report.skipped:
        lines += ["", "skipped:"]
        lines += [f"  {s.codec} {s.level}: {s.reason}" for s in report.skipped]
    lines += [
        "",
        "ratio = original ÷ compressed; times and MB/s are each phase's fastest run, median its "
        "median run, runs = compress/decompress runs made;",
        f"{TIE} = as fast as the row above within the noise (each one's fastest run no slower "
        "than the other's median run)",
        f"{report.elapsed_ms / 1000:.2f} s of a {report.budget_ms / 1000:g} s budget, "
        f"{report.workers} job{'s' if report.workers > 1 else ''} at a time",
    ]
    return "\n".join(lines)


def _milliseconds(ms: float) -> str:
    return f"{ms:,.0f}" if ms >= 100 else f"{ms:.1f}" if ms >= 10 else f"{ms:.2f}"


def format_delivery(report: Report, link_speeds: tuple[float, ...]) -> str:
    """At each link speed, the fastest way to deliver, precompressed and on the fly (ms).

    app/engine/delivery.py has the formula; the browser computes the same from the same report.
    """
    candidates = deliveries(report)
    header = ("link Mbit/s", "precompressed", "ms", "on the fly", "ms", "uncompressed ms")
    rows = []
    for speed in link_speeds:
        best = fastest_at(candidates, speed)
        rows.append(
            (
                f"{speed:g}",
                best.precompressed.label,
                _milliseconds(best.precompressed_ms),
                best.on_the_fly.label,
                _milliseconds(best.on_the_fly_ms),
                _milliseconds(candidates[0].precompressed_ms(speed)),
            )
        )
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    aligns = ">" + "<><>" + ">"

    def line(cells: tuple[str, ...]) -> str:
        padded = (f"{c:{a}{w}}" for c, a, w in zip(cells, aligns, widths, strict=True))
        return "  ".join(padded).rstrip()

    return "\n".join(
        [
            "time to deliver, fastest at each link speed:",
            "precompressed = transfer + decompress; on the fly = compress + transfer + "
            "decompress; transfer = size × 8 ÷ link speed",
            "",
            line(header),
            *(line(row) for row in rows),
        ]
    )


def link_speeds_arg(text: str) -> tuple[float, ...]:
    """'1,10,100' -> (1.0, 10.0, 100.0): positive Mbit/s, for argparse."""
    try:
        speeds = tuple(float(item) for item in text.split(",") if item.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of Mbit/s: {text!r}") from None
    if not speeds or any(not speed > 0 or speed == float("inf") for speed in speeds):
        raise argparse.ArgumentTypeError(f"link speeds must be positive Mbit/s: {text!r}")
    return speeds


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    if arguments[:1] == ["site"]:
        # `python -m app site PATH`: the site check (app/sitecheck/cli.py). A file named "site" is
        # still benchmarked as ./site.
        from app.sitecheck.cli import main as site_main

        return site_main(arguments[1:])
    parser = argparse.ArgumentParser(
        prog="python -m app",
        description="How well and how fast FILE compresses with each codec and level.",
    )
    parser.add_argument("file", type=Path, help="the file to compress ('-' for stdin)")
    parser.add_argument(
        "--dictionary",
        type=Path,
        help="the previous version of FILE: adds dcz (zstd against it, RFC 9842) to the jobs",
    )
    parser.add_argument(
        "--codecs",
        help="jobs, e.g. 'gzip:9,brotli,zstd:3-19' (default: every codec's default levels)",
    )
    parser.add_argument("--json", action="store_true", help="print the API's JSON report")
    parser.add_argument(
        "--budget",
        type=float,
        default=settings.budget_seconds,
        help="seconds the benchmark may take (default: %(default)s, as the service)",
    )
    parser.add_argument(
        "--speeds",
        type=link_speeds_arg,
        default=LINK_SPEEDS_MBIT,
        help="link speeds for the time to deliver, in Mbit/s (default: 1,10,100,1000)",
    )
    args = parser.parse_args(arguments)
    dictionary: bytes | None = None
    if args.dictionary is not None:
        try:
            dictionary = args.dictionary.read_bytes()
        except OSError as error:
            parser.error(f"cannot read {args.dictionary}: {error.strerror}")
    try:
        jobs = (
            parse_codec_spec(args.codecs, dictionary) if args.codecs else default_jobs(dictionary)
        )
    except CodecSpecError as error:
        parser.error(str(error))
    try:
        data = sys.stdin.buffer.read() if str(args.file) == "-" else args.file.read_bytes()
    except OSError as error:
        parser.error(f"cannot read {args.file}: {error.strerror}")
    budget = Budget(args.budget)
    prepare_jobs(jobs, budget.deadline)  # dcz's dictionary, loaded per level before timing
    report = benchmark(
        data,
        jobs,
        budget,
        filename=None if str(args.file) == "-" else args.file.name,
        on_progress=progress_bar(sys.stderr),
    )
    summary = None
    if dictionary is not None:
        digest = dictionary_hash(dictionary).hex()
        summary = InputSummary(args.dictionary.name, len(dictionary), digest)
    if args.json:
        # The API's report: `dictionary` follows `input`, null without one.
        fields = dataclasses.asdict(report)
        fields = {
            "input": fields.pop("input"),
            "dictionary": None if summary is None else dataclasses.asdict(summary),
            **fields,
        }
        print(json.dumps(fields, indent=2, allow_nan=False))
    else:
        print(format_table(report, summary))
        print()
        print(format_delivery(report, args.speeds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
