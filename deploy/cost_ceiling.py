"""The most a flood of maximal uploads can cost per hour, from the template's limits.

    python -m deploy.cost_ceiling [Parameter=Value ...]

prints the ceiling for template.yaml's parameter defaults, or for the values given (the ones
`sam deploy --parameter-overrides` would get), as the Markdown table docs/deploy.md shows.

Every line is an upper bound that holds whatever the requests are, because it multiplies a
count the limits cap by the most one unit can cost:
- Lambda duration: ReservedConcurrency copies, each billed for at most every second of the
  hour (initialisation included), at the function's memory size.
- Requests: API Gateway throttles each method of a REST stage and each route of an HTTP API
  with its own token bucket, which admits at most burst + rate x 3600 requests in an hour (it
  holds at most `burst` tokens and refills `rate` a second); the ones refused with 429 are not
  billed. The template gives each upload route the upload limits and every other method or
  route the page limits; every bucket counts. Each admitted request invokes Lambda once and is
  recorded as at most one trace.
- Data out: each response is at most Lambda's 6 MB result. Data in is free.
- The HTTP API meters a request in 512 KB steps; reading that as request (at most API
  Gateway's 10 MB payload) plus response, one request counts as at most 32 steps.
- SnapStart: at most one restore per invocation, plus the cache of one version for the hour.
Logs are the one estimate: 2 KiB a request, several times what a request writes (the app's one
JSON line of ~100 bytes, Lambda's START, END and REPORT lines of a few hundred).

Prices: US East (N. Virginia), USD, without free tiers; see PRICES_US_EAST_1.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.aws.gateway_template import TEMPLATE_PATH, load_template
from app.aws.gateway_throttle import (
    HTTP_DEFAULT_ROUTE,
    http_route_throttles,
    resolved,
    rest_method_throttles,
    template_parameters,
)

MiB = 1024 * 1024
GiB = 1024 * MiB
SECONDS_PER_HOUR = 3600
# Lambda's synchronous invocation limit on the result, 6 MB.
LAMBDA_MAX_RESULT_BYTES = 6 * MiB
# API Gateway's payload quota (REST and HTTP APIs), 10 MB: what a request may carry to the
# gateway even when the function would refuse it.
GATEWAY_MAX_REQUEST_BYTES = 10 * MiB
# "HTTP APIs are metered in 512 KB increments" (API Gateway pricing).
HTTP_API_METERING_BYTES = 512 * 1024
HTTP_API_STEPS_PER_REQUEST = math.ceil(
    (GATEWAY_MAX_REQUEST_BYTES + LAMBDA_MAX_RESULT_BYTES) / HTTP_API_METERING_BYTES
)
LOG_BYTES_PER_REQUEST = 2 * 1024


@dataclass(frozen=True)
class Prices:
    """USD prices of what a request can consume, for one region."""

    lambda_gb_second: Mapping[str, float]  # by architecture
    lambda_request: float
    rest_api_request: float
    http_api_request: float  # per 512 KB step
    data_out_gb: float
    xray_trace: float
    logs_ingested_gb: float
    snapstart_cache_gb_second: float
    snapstart_restore_gb: float
    waf_web_acl_month: float
    waf_rule_month: float
    waf_request: float


# Read 2026-12-01 from aws.amazon.com/lambda/pricing, /api-gateway/pricing, /xray/pricing,
# /cloudwatch/pricing and /ec2/pricing/on-demand (data transfer), US East (N. Virginia): the
# first tier of each (Lambda's first 6 billion GB-seconds a month, the REST API's first 333
# million requests, the HTTP API's first 300 million, the first 10 TB out).
PRICES_US_EAST_1 = Prices(
    lambda_gb_second={"arm64": 0.0000133334, "x86_64": 0.0000166667},
    lambda_request=0.20 / 1e6,
    rest_api_request=3.50 / 1e6,
    http_api_request=1.00 / 1e6,
    data_out_gb=0.09,
    xray_trace=5.00 / 1e6,
    logs_ingested_gb=0.50,
    snapstart_cache_gb_second=0.0000015046,
    snapstart_restore_gb=0.0001397998,
    # aws.amazon.com/waf/pricing: a web ACL, a rule, a million requests inspected.
    waf_web_acl_month=5.00,
    waf_rule_month=1.00,
    waf_request=0.60 / 1e6,
)
# AWS bills the monthly WAF fees prorated by the hour; a month is 730 hours.
HOURS_PER_MONTH = 730


@dataclass(frozen=True)
class Bucket:
    """One token bucket of a gateway: a REST method or an HTTP API route, and its limits."""

    door: str  # "REST API" or "HTTP API"
    name: str  # "ANY /compress", "POST /compress", "$default", ...
    upload: bool  # the upload limits (a route of its own), else the page limits
    rate: float
    burst: int

    @property
    def requests_per_hour(self) -> int:
        return math.floor(self.burst + self.rate * SECONDS_PER_HOUR)

    def in_flight(self, seconds: float) -> int:
        """The most requests it admits within `seconds`: burst + rate x seconds, rounded up."""
        return math.ceil(self.burst + self.rate * seconds)


REST_API = "REST API"
HTTP_API = "HTTP API"


@dataclass(frozen=True)
class Limits:
    """What template.yaml sets that bounds the spending."""

    architecture: str
    memory_mb: int
    timeout_seconds: float
    buckets: tuple[Bucket, ...]
    reserved_concurrency: int
    snapstart: bool
    per_client_limit: bool = False

    @property
    def memory_gb(self) -> float:
        return self.memory_mb / 1024

    def door_requests_per_hour(self, door: str) -> int:
        return sum(b.requests_per_hour for b in self.buckets if b.door == door)

    @property
    def rest_api_requests_per_hour(self) -> int:
        return self.door_requests_per_hour(REST_API)

    @property
    def http_api_requests_per_hour(self) -> int:
        return self.door_requests_per_hour(HTTP_API)

    @property
    def requests_per_hour(self) -> int:
        return self.rest_api_requests_per_hour + self.http_api_requests_per_hour

    @property
    def admitted_uploads(self) -> int:
        """The most uploads the upload routes of both gateways can have admitted within one
        Timeout: each bucket lets through at most burst + rate x T requests in any T seconds,
        and a request runs at most Timeout seconds."""
        return sum(b.in_flight(self.timeout_seconds) for b in self.buckets if b.upload)


@dataclass(frozen=True)
class CostLine:
    """One line of the ceiling: what is counted, how much of it at most, and its price."""

    item: str
    quantity: str
    usd: float


def hourly_ceiling(limits: Limits, prices: Prices = PRICES_US_EAST_1) -> list[CostLine]:
    """The most each kind of charge can reach in one hour under `limits`."""
    gb_seconds = limits.reserved_concurrency * SECONDS_PER_HOUR * limits.memory_gb
    requests = limits.requests_per_hour
    data_out_gb = requests * LAMBDA_MAX_RESULT_BYTES / GiB
    http_steps = limits.http_api_requests_per_hour * HTTP_API_STEPS_PER_REQUEST
    logs_gb = requests * LOG_BYTES_PER_REQUEST / GiB
    lines = [
        CostLine(
            f"Lambda duration ({limits.architecture})",
            f"{limits.reserved_concurrency} × 3600 s × {limits.memory_gb:.4f} GB "
            f"= {gb_seconds:,.0f} GB-s",
            gb_seconds * prices.lambda_gb_second[limits.architecture],
        ),
        CostLine(
            "Data out",
            f"{requests:,} × 6 MiB = {data_out_gb:.2f} GiB",
            data_out_gb * prices.data_out_gb,
        ),
        CostLine(
            "HTTP API requests",
            f"{limits.http_api_requests_per_hour:,} × {HTTP_API_STEPS_PER_REQUEST} "
            f"steps of 512 KB = {http_steps:,}",
            http_steps * prices.http_api_request,
        ),
        CostLine(
            "REST API requests",
            f"{limits.rest_api_requests_per_hour:,}",
            limits.rest_api_requests_per_hour * prices.rest_api_request,
        ),
        CostLine("X-Ray traces", f"{requests:,}", requests * prices.xray_trace),
        CostLine("Lambda requests", f"{requests:,}", requests * prices.lambda_request),
        CostLine(
            "CloudWatch Logs (estimate)",
            f"{requests:,} × 2 KiB = {logs_gb * 1024:.1f} MiB",
            logs_gb * prices.logs_ingested_gb,
        ),
    ]
    if limits.per_client_limit:
        # The web ACL inspects every request to the REST API's stage.
        rest = limits.rest_api_requests_per_hour
        lines += [
            CostLine(
                "AWS WAF web ACL and its rule",
                "(1 + 1) monthly fees ÷ 730 h",
                (prices.waf_web_acl_month + prices.waf_rule_month) / HOURS_PER_MONTH,
            ),
            CostLine("AWS WAF requests inspected", f"{rest:,}", rest * prices.waf_request),
        ]
    if limits.snapstart:
        lines += [
            CostLine(
                "SnapStart restores",
                f"{requests:,} × {limits.memory_gb:.4f} GB",
                requests * limits.memory_gb * prices.snapstart_restore_gb,
            ),
            CostLine(
                "SnapStart cache (one version)",
                f"3600 s × {limits.memory_gb:.4f} GB",
                SECONDS_PER_HOUR * limits.memory_gb * prices.snapstart_cache_gb_second,
            ),
        ]
    return lines


def total(lines: list[CostLine]) -> float:
    """The hourly ceiling in USD, rounded to the cent as docs/deploy.md states it."""
    return round(sum(line.usd for line in lines), 2)


def limits_from_template(
    template: Mapping[str, Any], overrides: Mapping[str, str] | None = None
) -> Limits:
    """The Limits of `template` (as load_template reads it) with parameter `overrides`.

    The buckets are those the local doors throttle with (app/aws/gateway_throttle.py): every
    method of the REST API and every route of the HTTP API; an API removed from the template
    has none. A method or route with settings of its own has the upload limits. Raises
    KeyError when the function lacks one of its limits.
    """
    parameters = template_parameters(template, overrides)
    resources = template["Resources"]
    function = resources["CompressTestFunction"]["Properties"]
    kinds = {resource["Type"] for resource in resources.values()}
    buckets: list[Bucket] = []
    if "AWS::Serverless::Api" in kinds:
        for method, throttle in rest_method_throttles(template, parameters).items():
            own = method.resource not in ("/", "/{proxy+}")
            name = f"{method.method} {method.resource}"
            buckets.append(Bucket(REST_API, name, own, throttle.rate, throttle.burst))
    if "AWS::Serverless::HttpApi" in kinds:
        for key, throttle in http_route_throttles(template, parameters).items():
            own = key != HTTP_DEFAULT_ROUTE
            buckets.append(Bucket(HTTP_API, key, own, throttle.rate, throttle.burst))

    def number(value: Any) -> float:
        return float(resolved(value, parameters))

    return Limits(
        architecture=str(resolved(function["Architectures"][0], parameters)),
        memory_mb=int(number(function["MemorySize"])),
        timeout_seconds=number(function["Timeout"]),
        buckets=tuple(buckets),
        reserved_concurrency=int(number(function["ReservedConcurrentExecutions"])),
        snapstart=resolved(function["SnapStart"]["ApplyOn"], parameters) == "PublishedVersions",
        per_client_limit=parameters.get("PerClientLimit") == "On",
    )


def buckets_table(limits: Limits) -> str:
    """The token buckets as the Markdown table of docs/deploy.md: what each admits."""
    rows = [
        "| gateway | method or route | limits | requests per hour, at most |",
        "|---|---|---|---|",
    ]
    for b in limits.buckets:
        kind = "upload" if b.upload else "page"
        rows.append(
            f"| {b.door} | `{b.name}` | {kind}: {b.rate:g}/s, burst {b.burst} "
            f"| {b.requests_per_hour:,} |"
        )
    return "\n".join(rows)


def markdown_table(lines: list[CostLine]) -> str:
    """The ceiling as the Markdown table of docs/deploy.md.

    The total follows the lines SnapStart does not add; SnapStart's lines, when present, follow
    it with a second total.
    """
    base = [line for line in lines if not line.item.startswith("SnapStart")]
    snapstart = lines[len(base) :]
    rows = ["| per hour, at most | how much | USD |", "|---|---|---|"]
    rows += [f"| {line.item} | {line.quantity} | {line.usd:.4f} |" for line in base]
    rows.append(f"| **total** | | **{total(base):.2f}** |")
    if snapstart:
        rows += [f"| {line.item} | {line.quantity} | {line.usd:.4f} |" for line in snapstart]
        rows.append(f"| **total with SnapStart on** | | **{total(lines):.2f}** |")
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    overrides = dict(argument.split("=", 1) for argument in argv)
    limits = limits_from_template(load_template(TEMPLATE_PATH), overrides)
    print(markdown_table(hourly_ceiling(limits)))
    print(
        f"\nThe upload routes admit {limits.admitted_uploads} uploads at once at most; "
        f"ReservedConcurrency is {limits.reserved_concurrency}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
