"""The CLI on the same engine: `python -m app FILE [--codecs SPEC] [--json] [--budget SECONDS]`.

Prints an aligned table sorted by size (or the API's JSON with --json) on stdout, and a progress
bar on stderr while jobs run.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from app.algorithms import CodecSpecError, default_jobs, parse_codec_spec
from app.benchmark import Budget, Report, benchmark
from app.config import settings

PROGRESS_BAR_WIDTH = 30
COLUMNS = (
    ("codec", "<"),
    ("level", ">"),
    ("size", ">"),
    ("ratio", ">"),
    ("saving %", ">"),
    ("compress ms", ">"),
    ("cpu ms", ">"),
    ("compress MB/s", ">"),
    ("decompress ms", ">"),
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


def _milliseconds(ms: float) -> str:
    """Three significant digits (0.0152, 3.20), whole milliseconds from 100 on."""
    return f"{ms:.0f}" if ms >= 100 else f"{ms:#.3g}"


def format_table(report: Report) -> str:
    """The results as aligned columns, smallest first, then the skipped jobs with reasons."""
    rows = [
        [
            r.codec,
            str(r.level),
            f"{r.size:,}",
            f"{r.ratio:.3f}",
            "-" if r.saving is None else f"{r.saving:.2f}",
            _milliseconds(r.compress_ms),
            _milliseconds(r.compress_cpu_ms),
            f"{r.compress_mbps:.1f}",
            _milliseconds(r.decompress_ms),
            f"{r.decompress_mbps:.1f}",
            f"{r.repeats}/{r.decompress_repeats}",
            "yes" if r.verified else "NO",
        ]
        for r in report.results
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
    lines = [
        f"{name}: {report.input.size:,} bytes, sha256 {report.input.sha256}",
        "",
        line(header),
        *(line(row) for row in rows),
    ]
    if report.skipped:
        lines += ["", "skipped:"]
        lines += [f"  {s.codec} {s.level}: {s.reason}" for s in report.skipped]
    lines += [
        "",
        "ratio = original ÷ compressed; times and MB/s are each phase's fastest run, "
        "runs = compress/decompress runs made",
        f"{report.elapsed_ms / 1000:.2f} s of a {report.budget_ms / 1000:g} s budget, "
        f"{report.workers} job{'s' if report.workers > 1 else ''} at a time",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m app",
        description="How well and how fast FILE compresses with each codec and level.",
    )
    parser.add_argument("file", type=Path, help="the file to compress ('-' for stdin)")
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
    args = parser.parse_args(argv)
    try:
        jobs = parse_codec_spec(args.codecs) if args.codecs else default_jobs()
    except CodecSpecError as error:
        parser.error(str(error))
    try:
        data = sys.stdin.buffer.read() if str(args.file) == "-" else args.file.read_bytes()
    except OSError as error:
        parser.error(f"cannot read {args.file}: {error.strerror}")
    report = benchmark(
        data,
        jobs,
        Budget(args.budget),
        filename=None if str(args.file) == "-" else args.file.name,
        on_progress=progress_bar(sys.stderr),
    )
    if args.json:
        print(json.dumps(dataclasses.asdict(report), indent=2, allow_nan=False))
    else:
        print(format_table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
