"""Properties of the dcz codec and of the time-to-deliver arithmetic, over generated inputs.

dcz (app/algorithms.py, dcz_codec): whatever the input, dictionary and level, the stream is
dictionary_transport's bytes exactly (header, the dictionary's SHA-256, one zstd frame), it
decodes to the input with the same dictionary only, and the codec survives pickling.
"""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.algorithms import CODECS, DCZ, dcz_codec, parse_codec_spec
from app.benchmark import InputSummary, JobResult, Report
from app.delivery import UNCOMPRESSED, deliveries, fastest_at, pareto_front, transfer_ms
from app.dictionary_transport import (
    DCZ_HEADER_BYTES,
    DCZ_MAGIC,
    DictionaryMismatchError,
    dcz_compress,
    dictionary_hash,
)

# Few distinct bytes, so inputs share runs with their dictionaries and zstd finds matches.
related_bytes = st.binary(max_size=3000) | st.text("ab\n{}", max_size=3000).map(str.encode)
# Levels 20-22 take zstd's largest tables: slower per example, still exercised.
levels = st.integers(CODECS["zstd"].min_level, CODECS["zstd"].max_level)


@settings(max_examples=150, deadline=None)
@given(data=related_bytes, dictionary=related_bytes, level=levels)
def test_dcz_round_trips_with_its_dictionary(data: bytes, dictionary: bytes, level: int) -> None:
    codec = dcz_codec(dictionary)
    body = codec.compress(data, level)
    assert body == dcz_compress(data, dictionary, level)
    assert body[:DCZ_HEADER_BYTES] == DCZ_MAGIC + dictionary_hash(dictionary)
    assert codec.decompress(body) == data


@settings(max_examples=100, deadline=None)
@given(data=related_bytes, dictionary=related_bytes, other=related_bytes, level=levels)
def test_dcz_refuses_another_dictionary(
    data: bytes, dictionary: bytes, other: bytes, level: int
) -> None:
    body = dcz_codec(dictionary).compress(data, level)
    if other == dictionary:
        assert dcz_codec(other).decompress(body) == data
    else:
        with pytest.raises(DictionaryMismatchError):
            dcz_codec(other).decompress(body)


@settings(max_examples=50, deadline=None)
@given(data=related_bytes, dictionary=related_bytes, level=levels)
def test_a_dcz_codec_pickles_with_its_dictionary(
    data: bytes, dictionary: bytes, level: int
) -> None:
    # An engine that runs jobs in another process may pickle the Codec it was given.
    codec = pickle.loads(pickle.dumps(dcz_codec(dictionary)))
    assert codec.decompress(dcz_codec(dictionary).compress(data, level)) == data
    assert codec.compress(data, level) == dcz_compress(data, dictionary, level)


@settings(max_examples=50, deadline=None)
@given(dictionary=related_bytes, spec_levels=st.lists(levels, min_size=1, max_size=4))
def test_a_spec_binds_every_dcz_job_to_the_dictionary(
    dictionary: bytes, spec_levels: list[int]
) -> None:
    spec = ",".join(f"{DCZ}:{level}" for level in spec_levels)
    jobs = parse_codec_spec(spec, dictionary)
    assert [level for _, level in jobs] == list(dict.fromkeys(spec_levels))
    for codec, level in jobs:
        assert codec.compress(b"abc", level) == dcz_compress(b"abc", dictionary, level)


@pytest.mark.parametrize("level", [1, 3, 19, 22])
def test_dcz_memory_estimate_grows_at_least_by_the_dictionary(level: int) -> None:
    sizes = [0, 1024, 1 << 20, 4 << 20]
    estimates = [dcz_codec(b"x" * size).compress_memory(level, 1 << 20) for size in sizes]
    for i in range(1, len(sizes)):
        assert estimates[i] - estimates[i - 1] >= sizes[i] - sizes[i - 1]
    # Above zstd's own estimate for the same parameters (twice it, per the measurement).
    assert estimates[0] > CODECS["zstd"].compress_memory(level, 1 << 20)


# --- time to deliver ---------------------------------------------------------------------------

results = st.builds(
    JobResult,
    codec=st.sampled_from(["gzip", "zstd", "dcz"]),
    level=st.integers(1, 22),
    size=st.integers(1, 10**7),
    ratio=st.floats(0.1, 1000),
    saving=st.none(),
    compress_ms=st.floats(0, 10**4),
    compress_cpu_ms=st.just(0.0),
    compress_mbps=st.floats(0, 10**4),
    decompress_ms=st.floats(0, 10**4),
    decompress_mbps=st.just(0.0),
    verified=st.booleans(),
)


def dominates(a: JobResult, b: JobResult) -> bool:
    better_or_equal = a.ratio >= b.ratio and a.compress_mbps >= b.compress_mbps
    return better_or_equal and (a.ratio > b.ratio or a.compress_mbps > b.compress_mbps)


@given(st.lists(results, max_size=30))
def test_the_pareto_front_is_exactly_the_undominated_verified(rows: list[JobResult]) -> None:
    front = pareto_front(rows)
    verified = [r for r in rows if r.verified]
    assert all(r.verified for r in front)
    for r in verified:
        assert (r in front) == (not any(dominates(o, r) for o in verified))
    speeds = [r.compress_mbps for r in front]
    assert speeds == sorted(speeds, reverse=True)


@given(st.lists(results, max_size=30), st.integers(1, 10**7), st.floats(0.01, 10**5))
def test_the_fastest_is_the_minimum_of_the_formula(
    rows: list[JobResult], input_size: int, link_mbit: float
) -> None:
    report = Report(InputSummary(None, input_size, ""), results=rows)
    candidates = deliveries(report)
    assert candidates[0].codec == UNCOMPRESSED
    assert len(candidates) == 1 + sum(r.verified for r in rows)
    best = fastest_at(candidates, link_mbit)
    for r in (r for r in rows if r.verified):
        transfer = transfer_ms(r.size, link_mbit)
        assert best.precompressed_ms <= transfer + r.decompress_ms
        assert best.on_the_fly_ms <= r.compress_ms + transfer + r.decompress_ms
    assert best.precompressed_ms <= input_size * 8 / (link_mbit * 1e6) * 1000
