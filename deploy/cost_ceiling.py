"""The most a flood of maximal uploads can cost per hour, from the template's limits.

    python -m deploy.cost_ceiling [Parameter=Value ...]

prints the ceiling for template.yaml's parameter defaults, or for the values given (the ones
`sam deploy --parameter-overrides` would get), as the Markdown table docs/deploy.md shows.

Every line is an upper bound that holds whatever the requests are, because it multiplies a
count the limits cap by the most one unit can cost:
- Lambda duration: ReservedConcurrency copies, each billed for at most every second of the
  hour (initialisation included), at the function's memory size.
- Requests: a gateway admits at most burst + rate x 3600 requests in an hour (a token bucket
  holds at most `burst` tokens and refills `rate` a second); the ones it refuses with 429 are
  not billed. Each admitted request invokes Lambda once and is recorded as at most one trace.
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
)


@dataclass(frozen=True)
class Limits:
    """What template.yaml sets that bounds the spending."""

    architecture: str
    memory_mb: int
    timeout_seconds: float
    rest_api_rate: float
    rest_api_burst: int
    http_api_rate: float
    http_api_burst: int
    reserved_concurrency: int
    snapstart: bool

    @property
    def memory_gb(self) -> float:
        return self.memory_mb / 1024

    @property
    def rest_api_requests_per_hour(self) -> int:
        return math.floor(self.rest_api_burst + self.rest_api_rate * SECONDS_PER_HOUR)

    @property
    def http_api_requests_per_hour(self) -> int:
        return math.floor(self.http_api_burst + self.http_api_rate * SECONDS_PER_HOUR)

    @property
    def requests_per_hour(self) -> int:
        return self.rest_api_requests_per_hour + self.http_api_requests_per_hour

    @property
    def admitted_concurrency(self) -> int:
        """The most requests the two gateways can have admitted within one Timeout.

        A token bucket lets through at most burst + rate x T requests in any T seconds, and a
        request runs at most Timeout seconds: at or above this, the concurrency cap never
        refuses a request a gateway admitted.
        """
        in_flight = (
            self.rest_api_burst
            + self.rest_api_rate * self.timeout_seconds
            + self.http_api_burst
            + self.http_api_rate * self.timeout_seconds
        )
        return math.ceil(in_flight)


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


def _resolve(value: Any, parameters: Mapping[str, Any]) -> Any:
    if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in parameters:
        return parameters[value["Ref"]]
    return value


def limits_from_template(
    template: Mapping[str, Any], overrides: Mapping[str, str] | None = None
) -> Limits:
    """The Limits of `template` (as app.local.load_template reads it) with parameter `overrides`.

    An API removed from the template admits nothing. Raises KeyError when the function lacks
    one of its limits, or a remaining API its throttling.
    """
    parameters = {name: p.get("Default") for name, p in template["Parameters"].items()}
    parameters.update(overrides or {})
    resources = template["Resources"]
    function = resources["CompressTestFunction"]["Properties"]
    no_requests = {"ThrottlingRateLimit": 0, "ThrottlingBurstLimit": 0}
    stage_limits = (
        resources["RestApi"]["Properties"]["MethodSettings"][0]
        if "RestApi" in resources
        else no_requests
    )
    route_limits = (
        resources["HttpApi"]["Properties"]["DefaultRouteSettings"]
        if "HttpApi" in resources
        else no_requests
    )

    def number(value: Any) -> float:
        return float(_resolve(value, parameters))

    return Limits(
        architecture=str(_resolve(function["Architectures"][0], parameters)),
        memory_mb=int(number(function["MemorySize"])),
        timeout_seconds=number(function["Timeout"]),
        rest_api_rate=number(stage_limits["ThrottlingRateLimit"]),
        rest_api_burst=int(number(stage_limits["ThrottlingBurstLimit"])),
        http_api_rate=number(route_limits["ThrottlingRateLimit"]),
        http_api_burst=int(number(route_limits["ThrottlingBurstLimit"])),
        reserved_concurrency=int(number(function["ReservedConcurrentExecutions"])),
        snapstart=_resolve(function["SnapStart"]["ApplyOn"], parameters) == "PublishedVersions",
    )


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
    from app.aws.gateway_template import TEMPLATE_PATH, load_template

    overrides = dict(argument.split("=", 1) for argument in argv)
    limits = limits_from_template(load_template(TEMPLATE_PATH), overrides)
    print(markdown_table(hourly_ceiling(limits)))
    print(
        f"\nGateways admit {limits.admitted_concurrency} at once at most; ReservedConcurrency "
        f"is {limits.reserved_concurrency}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
