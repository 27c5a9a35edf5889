"""Time to deliver: how long each result takes to reach a user over a link of a given speed.

Computed from a report alone, after the benchmark (the browser does the same in
app/web/assets/charts.js, so the server does no extra work). For a result of `size`
bytes, at a link of `S` Mbit/s (10^6 bits a second):

    transfer       = size × 8 / (S × 10^6) seconds
    precompressed  = transfer + decompress        (compressed once, ahead of time)
    on the fly     = compress + transfer + decompress

with the report's measured wall times `compress_ms` and `decompress_ms`. Sending the input
uncompressed takes `input.size × 8 / (S × 10^6)`, and competes as "uncompressed". Left out on
purpose: round trips, TCP slow start and the user's CPU (decompression was timed on the
server); a result that failed its round trip never competes. No web imports.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.engine.benchmark import JobResult, Report

LINK_SPEEDS_MBIT = (1.0, 10.0, 100.0, 1000.0)
UNCOMPRESSED = "uncompressed"


@dataclass(frozen=True)
class Delivery:
    """One way to send the input: a result (codec and level) or the input as it is."""

    codec: str
    level: int | None
    size: int
    compress_ms: float
    decompress_ms: float

    @property
    def label(self) -> str:
        return self.codec if self.level is None else f"{self.codec} {self.level}"

    def precompressed_ms(self, link_mbit: float) -> float:
        return transfer_ms(self.size, link_mbit) + self.decompress_ms

    def on_the_fly_ms(self, link_mbit: float) -> float:
        return self.compress_ms + transfer_ms(self.size, link_mbit) + self.decompress_ms


def transfer_ms(size: int, link_mbit: float) -> float:
    """Milliseconds to move `size` bytes at `link_mbit` × 10^6 bits a second."""
    return size * 8 / (link_mbit * 1e6) * 1000


def deliveries(report: Report) -> list[Delivery]:
    """The input uncompressed, then every verified result, in the report's order."""
    uncompressed = Delivery(UNCOMPRESSED, None, report.input.size, 0.0, 0.0)
    return [uncompressed] + [
        Delivery(r.codec, r.level, r.size, r.compress_ms, r.decompress_ms)
        for r in report.results
        if r.verified
    ]


@dataclass(frozen=True)
class Fastest:
    """At one link speed, the quickest way to deliver, precompressed and on the fly."""

    link_mbit: float
    precompressed: Delivery
    precompressed_ms: float
    on_the_fly: Delivery
    on_the_fly_ms: float


def fastest_at(candidates: Sequence[Delivery], link_mbit: float) -> Fastest:
    """The quickest candidates at `link_mbit`; a tie goes to the earlier one (the smaller).

    `candidates` must not be empty (deliveries() always holds the uncompressed input).
    """
    precompressed = min(candidates, key=lambda d: d.precompressed_ms(link_mbit))
    on_the_fly = min(candidates, key=lambda d: d.on_the_fly_ms(link_mbit))
    return Fastest(
        link_mbit,
        precompressed,
        precompressed.precompressed_ms(link_mbit),
        on_the_fly,
        on_the_fly.on_the_fly_ms(link_mbit),
    )


def pareto_front(results: Iterable[JobResult]) -> list[JobResult]:
    """The verified results no other verified result beats on both ratio and compress speed.

    A result is off the front when another has at least its ratio and at least its speed, and
    more of one of them. Returned fastest first (so by rising ratio).
    """
    verified = [r for r in results if r.verified]
    front = [
        r
        for r in verified
        if not any(
            o.ratio >= r.ratio
            and o.compress_mbps >= r.compress_mbps
            and (o.ratio > r.ratio or o.compress_mbps > r.compress_mbps)
            for o in verified
        )
    ]
    return sorted(front, key=lambda r: (-r.compress_mbps, r.ratio))
