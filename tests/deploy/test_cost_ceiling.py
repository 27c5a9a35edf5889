"""deploy/cost_ceiling.py: the hourly ceiling follows from the template, and the docs state it."""

from __future__ import annotations

import copy
import math
import re
import subprocess
import sys
from typing import Any

import pytest
from sam_tools import PROJECT_ROOT, TEMPLATE

from app.aws.gateway_template import load_template
from deploy.cost_ceiling import (
    HTTP_API,
    HTTP_API_STEPS_PER_REQUEST,
    PRICES_US_EAST_1,
    REST_API,
    Bucket,
    GiB,
    Limits,
    buckets_table,
    hourly_ceiling,
    limits_from_template,
    markdown_table,
    total,
)

DEPLOY_DOC = PROJECT_ROOT / "docs" / "deploy.md"


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(TEMPLATE)


UPLOAD_ROUTES = ("/compress", "/compress/{codec}", "/echo", "/site", "/site/precompressed")
# Each token bucket admits at most burst + rate x 3600 requests an hour.
PAGE_HOUR = 40 + 10 * 3600
UPLOAD_HOUR = 5 + 1 * 3600
REST_HOUR = 2 * PAGE_HOUR + len(UPLOAD_ROUTES) * UPLOAD_HOUR  # "/" and "/{proxy+}", uploads
HTTP_HOUR = PAGE_HOUR + len(UPLOAD_ROUTES) * UPLOAD_HOUR  # $default, uploads
ALL_HOUR = REST_HOUR + HTTP_HOUR


def test_the_limits_are_read_from_the_template(template: dict[str, Any]) -> None:
    limits = limits_from_template(template)
    assert (
        limits.architecture,
        limits.memory_mb,
        limits.timeout_seconds,
        limits.reserved_concurrency,
        limits.snapstart,
    ) == ("arm64", 3538, 29, 68, False)
    assert set(limits.buckets) == {
        Bucket(REST_API, "ANY /", False, 10, 40),
        Bucket(REST_API, "ANY /{proxy+}", False, 10, 40),
        *(Bucket(REST_API, f"ANY {path}", True, 1, 5) for path in UPLOAD_ROUTES),
        Bucket(HTTP_API, "$default", False, 10, 40),
        *(Bucket(HTTP_API, f"POST {path}", True, 1, 5) for path in UPLOAD_ROUTES),
    }
    assert (limits.rest_api_requests_per_hour, limits.http_api_requests_per_hour) == (
        REST_HOUR,
        HTTP_HOUR,
    )
    # (5 + 1 x 29) uploads for each upload route of each door.
    assert limits.admitted_uploads == 2 * len(UPLOAD_ROUTES) * 34


def test_overrides_replace_defaults_as_sam_deploy_would(template: dict[str, Any]) -> None:
    limits = limits_from_template(
        template,
        {"Architecture": "x86_64", "ReservedConcurrency": "10", "SnapStart": "PublishedVersions"},
    )
    assert (limits.architecture, limits.reserved_concurrency, limits.snapstart) == (
        "x86_64",
        10,
        True,
    )


def test_a_memory_size_parameter_is_resolved(template: dict[str, Any]) -> None:
    """The memory size may become a parameter; the ceiling then follows its value."""
    changed = copy.deepcopy(template)
    changed["Parameters"]["MemorySize"] = {"Type": "Number", "Default": 3008}
    changed["Resources"]["CompressTestFunction"]["Properties"]["MemorySize"] = {"Ref": "MemorySize"}
    assert limits_from_template(changed).memory_mb == 3008
    assert limits_from_template(changed, {"MemorySize": "1024"}).memory_mb == 1024


def test_a_removed_api_admits_nothing(template: dict[str, Any]) -> None:
    """docs/deploy.md suggests removing the API one does not need."""
    rest_only = copy.deepcopy(template)
    del rest_only["Resources"]["HttpApi"]
    function = rest_only["Resources"]["CompressTestFunction"]["Properties"]
    function["Events"] = {k: v for k, v in function["Events"].items() if v["Type"] == "Api"}
    limits = limits_from_template(rest_only)
    assert (limits.http_api_requests_per_hour, limits.requests_per_hour) == (0, REST_HOUR)
    assert limits.admitted_uploads == len(UPLOAD_ROUTES) * (5 + 29)


def test_a_token_bucket_admits_burst_plus_rate_per_second() -> None:
    bucket = Bucket(REST_API, "ANY /compress", True, 2.5, 10)
    assert bucket.requests_per_hour == 10 + 2.5 * 3600
    # In flight within one 29 s timeout: 10 + 72.5, rounded up.
    assert bucket.in_flight(29) == 83
    limits = Limits(
        "arm64", 1769, 29, (bucket, Bucket(HTTP_API, "$default", False, 1, 5)), 100, False
    )
    assert limits.requests_per_hour == 10 + 9000 + 5 + 3600
    assert limits.admitted_uploads == 83  # pages are not uploads


def test_the_deploy_doc_lists_every_bucket(template: dict[str, Any]) -> None:
    assert buckets_table(limits_from_template(template)) in DEPLOY_DOC.read_text()


def test_the_default_ceiling_line_by_line(template: dict[str, Any]) -> None:
    lines = {line.item: line.usd for line in hourly_ceiling(limits_from_template(template))}
    gb = 3538 / 1024  # the template's MemorySize: two vCPUs
    requests = ALL_HOUR
    expected = {
        "Lambda duration (arm64)": 68 * 3600 * gb * 0.0000133334,
        "Data out": requests * 6 * 2**20 / 2**30 * 0.09,
        "HTTP API requests": HTTP_HOUR * 32 * 1.00e-6,
        "REST API requests": REST_HOUR * 3.50e-6,
        "X-Ray traces": requests * 5.00e-6,
        "Lambda requests": requests * 0.20e-6,
        "CloudWatch Logs (estimate)": requests * 2048 / 2**30 * 0.50,
    }
    assert lines == pytest.approx(expected, rel=1e-12)
    # Worked out by hand: $11.28 of Lambda, $76.03 of data out, $2.93 of the rest.
    assert total(hourly_ceiling(limits_from_template(template))) == 90.24


def test_snapstart_adds_a_restore_per_request_and_the_cache(template: dict[str, Any]) -> None:
    off = hourly_ceiling(limits_from_template(template))
    on = hourly_ceiling(limits_from_template(template, {"SnapStart": "PublishedVersions"}))
    assert on[: len(off)] == off
    added = {line.item: line.usd for line in on[len(off) :]}
    gb = 3538 / 1024  # the template's MemorySize: two vCPUs
    assert added == pytest.approx(
        {
            "SnapStart restores": ALL_HOUR * gb * 0.0001397998,
            "SnapStart cache (one version)": 3600 * gb * 0.0000015046,
        },
        rel=1e-12,
    )
    assert total(on) == 159.89


def test_x86_costs_more_per_gb_second(template: dict[str, Any]) -> None:
    arm = hourly_ceiling(limits_from_template(template))
    x86 = hourly_ceiling(limits_from_template(template, {"Architecture": "x86_64"}))
    assert x86[0].usd / arm[0].usd == pytest.approx(0.0000166667 / 0.0000133334)


def test_the_http_api_counts_at_most_32_steps_a_request() -> None:
    # 10 MiB in (API Gateway's payload quota) + 6 MiB out (Lambda's result), 512 KiB each.
    assert HTTP_API_STEPS_PER_REQUEST == math.ceil(16 * 2**20 / (512 * 1024)) == 32
    assert GiB == 2**30
    assert set(PRICES_US_EAST_1.lambda_gb_second) == {"arm64", "x86_64"}


def test_the_deploy_doc_shows_the_ceilings_of_the_template(template: dict[str, Any]) -> None:
    doc = DEPLOY_DOC.read_text()
    off = hourly_ceiling(limits_from_template(template))
    on = hourly_ceiling(limits_from_template(template, {"SnapStart": "PublishedVersions"}))
    # One table: the lines of the default, its total, SnapStart's two lines and that total.
    assert markdown_table(on) in doc
    assert markdown_table(on).startswith(markdown_table(off) + "\n")
    assert f"${total(off):.2f} an hour" in doc
    assert f"${total(on):.2f} with SnapStart on" in doc
    # The template's own comment states the same two figures.
    assert "$90.24 an hour" in TEMPLATE.read_text()
    assert "$159.89 with\n  # SnapStart on" in TEMPLATE.read_text()


def test_the_command_prints_the_table() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "deploy.cost_ceiling", "SnapStart=PublishedVersions"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        check=True,
    )
    assert "| **total** | | **90.24** |" in completed.stdout
    assert "| **total with SnapStart on** | | **159.89** |" in completed.stdout
    assert (
        f"The upload routes admit {2 * len(UPLOAD_ROUTES) * 34} uploads at once at most; "
        "ReservedConcurrency is 68." in completed.stdout
    )


def test_the_docs_examples_of_other_limits_compute(template: dict[str, Any]) -> None:
    """Each "`python -m deploy.cost_ceiling A=B ...` gives $X" in docs/deploy.md holds."""
    doc = " ".join(DEPLOY_DOC.read_text().split())
    examples = re.findall(
        r"`python -m deploy\.cost_ceiling ((?:\w+=\S+ ?)+)` gives \$([\d.]+)", doc
    )
    assert examples
    for arguments, stated in examples:
        overrides = dict(argument.split("=", 1) for argument in arguments.split())
        limits = limits_from_template(template, overrides)
        assert f"{total(hourly_ceiling(limits)):.2f}" == stated


def test_the_per_client_limit_adds_wafs_fees(template: dict[str, Any]) -> None:
    off = hourly_ceiling(limits_from_template(template))
    on = hourly_ceiling(limits_from_template(template, {"PerClientLimit": "On"}))
    added = {line.item: line.usd for line in on if line not in off}
    assert added == pytest.approx(
        {
            # $5 a month for the web ACL and $1 for its rule, by the hour of a 730-hour month.
            "AWS WAF web ACL and its rule": 6.00 / 730,
            # Every request to the REST API's stage is inspected, $0.60 a million.
            "AWS WAF requests inspected": REST_HOUR * 0.60e-6,
        },
        rel=1e-12,
    )
