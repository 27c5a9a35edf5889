"""What the tie rule says about real timings: the noise each report shows, and how it compares
with the drift between identical requests.

Six identical POST /compress of a 12 KB JSON API response through handler.handler, the default
jobs. For each job and phase: the span of its runs within one request (median ÷ fastest, the
noise a report now shows, median over the six requests), the drift of its fastest time between
the requests (max ÷ min, what bench/bench_spread.py measures), and the share of the 15 pairs of
requests whose two timings of that same job the rule (app/engine/job_timing.py's speeds_tie)
calls equal. Then, within each request, how many speeds the table marks ≈ (tied with the row
above, by size) out of all it shows.

Before this change every difference was shown as one: a report's speeds carried no noise, and
two timings of the same job in two requests were never shown as equal.
"""

from __future__ import annotations

import itertools
import json
import statistics
from typing import Any

from corpora import json_api_response
from lambda_events import FakeLambdaContext, build_event
from timing import markdown_table, request_log_to_devnull

from app.engine.job_timing import speeds_tie

REQUESTS = 6
PHASES = ("compress", "decompress")


def one_request(data: bytes) -> list[dict[str, Any]]:
    import handler

    event = build_event(
        "apigw-http-v2",
        method="POST",
        path="/compress",
        headers={"Content-Type": "application/json"},
        body=data,
    )
    result = handler.handler(event, FakeLambdaContext(remaining_ms=900_000))
    assert result["statusCode"] == 200, result
    report = json.loads(result["body"])
    assert not report["skipped"], report["skipped"]
    results: list[dict[str, Any]] = report["results"]
    return results


def run() -> str:
    data = json_api_response()
    with request_log_to_devnull():
        reports = [one_request(data) for _ in range(REQUESTS)]
    jobs = [(r["codec"], r["level"]) for r in reports[0]]
    rows = []
    spans: list[float] = []
    drifts: list[float] = []
    agreements: list[float] = []
    for (codec, level), phase in itertools.product(jobs, PHASES):
        fastest, median = f"{phase}_ms", f"{phase}_ms_median"
        timings = [
            next(
                (r[fastest], r[median])
                for r in report
                if (r["codec"], r["level"]) == (codec, level)
            )
            for report in reports
        ]
        span = statistics.median(m / f for f, m in timings)
        drift = max(f for f, _ in timings) / min(f for f, _ in timings)
        pairs = list(itertools.combinations(timings, 2))
        agreement = sum(speeds_tie(*a, *b) for a, b in pairs) / len(pairs)
        spans.append(span)
        drifts.append(drift)
        agreements.append(agreement)
        rows.append([f"{codec} {level}", phase, f"{span:.3f}", f"{drift:.2f}", f"{agreement:.0%}"])
    marked = []
    for report in reports:
        ordered = sorted(report, key=lambda r: (r["size"], r["codec"], r["level"]))
        ties = sum(
            speeds_tie(r[f"{p}_ms"], r[f"{p}_ms_median"], above[f"{p}_ms"], above[f"{p}_ms_median"])
            for above, r in itertools.pairwise(ordered)
            for p in PHASES
        )
        marked.append(f"{ties}/{2 * (len(ordered) - 1)}")
    table = markdown_table(
        [
            "job",
            "phase",
            "span in one request (median ÷ fastest)",
            "drift between requests (max ÷ min)",
            "same job, two requests: called equal",
        ],
        rows,
    )
    return (
        f"### The tie rule on {REQUESTS} identical requests ({len(data):,} bytes of JSON, "
        f"{len(jobs)} jobs)\n\n{table}\n\n"
        f"Median over jobs and phases: span {statistics.median(spans):.3f}, drift "
        f"{statistics.median(drifts):.2f}, same job called equal in "
        f"{statistics.median(agreements):.0%} of request pairs "
        f"(mean {statistics.mean(agreements):.0%}). "
        f"Speeds marked ≈ per request (tied with the row above, by size): {', '.join(marked)}."
    )
