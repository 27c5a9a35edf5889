"""What the browser's answer costs: the HTML results page against the JSON report it replaces.

A report of the default 20 jobs (on 64 KiB of Python source) is rendered both ways, in-process,
thousands of times; the JSON rendering (pydantic model, then its JSON, as the route does) is the
baseline. Either is a few hundred microseconds at most beside the seconds of compression.
"""

from __future__ import annotations

from corpora import python_source
from timing import markdown_table, time_calls

from app.compression.codec_spec import default_jobs
from app.engine.benchmark import Budget, benchmark
from app.web.results_page import results_page
from app.web.routes.compress import CompressReport

CALLS = 3000
NAME = "<script>alert(1)</script>.txt"


def run() -> str:
    report = benchmark(python_source(64 * 1024), default_jobs(), Budget(60), filename=NAME)

    def as_json() -> bytes:
        return CompressReport.model_validate(report).model_dump_json().encode()

    def as_page() -> bytes:
        return results_page(report).encode()

    baseline = time_calls(as_json, CALLS)
    page = time_calls(as_page, CALLS)
    rows = [
        [
            label,
            f"{timings.median_us:.0f}",
            f"{timings.p99_us:.0f}",
            f"{timings.median_us / baseline.median_us:.2f}",
            f"{len(body()):,}",
        ]
        for label, timings, body in (
            ("JSON report (baseline)", baseline, as_json),
            ("HTML results page", page, as_page),
        )
    ]
    table = markdown_table(
        ["answer to POST /compress", "median µs", "p99 µs", "× baseline", "bytes"], rows
    )
    return (
        f"### Results page: rendering a {len(report.results)}-job report\n\n{table}\n\n"
        f"{CALLS:,} calls each after a warm-up, same report, same run."
    )
