"""The codec spec ('gzip:9,brotli,zstd:3-19') and the jobs it names: parsed, checked, prepared.

Errors are CodecSpecError values whose message names the valid codecs and levels. dcz needs a
second input, the dictionary, so it is not in the registry's CODECS: a spec names it, and
app/compression/dictionary_codec.py binds one per request.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from app.compression.codec import Codec
from app.compression.dictionary_codec import DCZ, dcz_codec
from app.compression.registry import CODECS


class CodecSpecError(ValueError):
    """A codec name or level that does not exist; the message names the valid ones."""


class DictionaryRequiredError(CodecSpecError):
    """dcz was asked for without a dictionary to compress against."""


def dictionary_required() -> DictionaryRequiredError:
    return DictionaryRequiredError(
        "dcz compresses against a dictionary (the previous version of the file): send it in "
        "the form field 'dictionary', beside 'file' or 'text'."
    )


def valid_codecs_text() -> str:
    """'deflate 0-9, deflate-raw 0-9, ...': what an error message offers instead."""
    names = [f"{c.name} {c.level_range_text()}" for c in CODECS.values()]
    zstd = CODECS["zstd"]
    return ", ".join([*names, f"{DCZ} {zstd.level_range_text()} (with a dictionary)"])


def get_codec(name: str, dictionary: bytes | None = None) -> Codec:
    """The codec called `name` (case-insensitive); CodecSpecError naming the valid ones if none.

    `dcz` is bound to `dictionary`; without one it raises DictionaryRequiredError.
    """
    if name.strip().lower() == DCZ:
        if dictionary is None:
            raise dictionary_required()
        return dcz_codec(dictionary)
    codec = CODECS.get(name.strip().lower())
    if codec is None:
        raise CodecSpecError(
            f"Unknown codec {name.strip()!r}; valid codecs and levels: {valid_codecs_text()}."
        )
    return codec


def check_level(codec: Codec, level: int) -> int:
    """`level` if `codec` has it; CodecSpecError naming the codec's range otherwise."""
    if level not in codec.levels:
        raise CodecSpecError(
            f"{codec.name} has no level {level}; its levels are {codec.level_range_text()}."
        )
    return level


def _parse_level(codec: Codec, text: str) -> int:
    try:
        level = int(text.strip())
    except ValueError:
        raise CodecSpecError(
            f"{text.strip()!r} is not a level of {codec.name}; "
            f"its levels are {codec.level_range_text()}."
        ) from None
    return check_level(codec, level)


def parse_codec_spec(spec: str, dictionary: bytes | None = None) -> list[tuple[Codec, int]]:
    """Jobs from a spec like 'gzip:9,brotli,zstd:3-19', in the order given, duplicates dropped.

    Each comma-separated item is a name (that codec's `spread`), name:level, or name:low-high
    (every level in between, both ends included). Raises CodecSpecError for anything unknown.
    `dcz` jobs are bound to `dictionary`. Without one, a spec naming dcz raises
    DictionaryRequiredError, but only once every item is known to be valid otherwise, so a
    caller can check a spec before the dictionary has arrived.
    """
    # Without a dictionary, an empty one stands in: it has dcz's levels, and is never run.
    dcz = dcz_codec(b"" if dictionary is None else dictionary)
    jobs: list[tuple[Codec, int]] = []
    for item in spec.split(","):
        if not item.strip():
            continue
        name, _, levels_text = item.partition(":")
        codec = dcz if name.strip().lower() == DCZ else get_codec(name)
        if not levels_text.strip():
            levels: list[int] = list(codec.spread)
        elif "-" in levels_text.strip()[1:]:
            # A '-' after the first character separates a range ('3-19'); a leading one is a
            # sign and _parse_level rejects the negative level with the codec's range.
            low_text, _, high_text = levels_text.strip().partition("-")
            low, high = _parse_level(codec, low_text), _parse_level(codec, high_text)
            if low > high:
                raise CodecSpecError(f"The range {levels_text.strip()!r} of {codec.name} is empty.")
            levels = list(range(low, high + 1))
        else:
            levels = [_parse_level(codec, levels_text)]
        jobs.extend((codec, level) for level in levels if (codec, level) not in jobs)
    if not jobs:
        raise CodecSpecError(f"No codec given; valid codecs and levels: {valid_codecs_text()}.")
    if dictionary is None and any(codec is dcz for codec, _ in jobs):
        raise dictionary_required()
    return jobs


def default_jobs(dictionary: bytes | None = None) -> list[tuple[Codec, int]]:
    """Every codec at its `default_run_levels` (its spread, or for lz4, snappy and libdeflate
    their fastest level): the benchmark when nothing is asked for.

    With a dictionary, dcz against it too, at its spread (1, 3 and 19).
    """
    jobs = [(codec, level) for codec in CODECS.values() for level in codec.default_run_levels]
    if dictionary is not None:
        dcz = dcz_codec(dictionary)
        jobs += [(dcz, level) for level in dcz.spread]
    return jobs


def prepare_jobs(jobs: Sequence[tuple[Codec, int]], deadline: float) -> None:
    """Do each job's once-per-level work (`Codec.prepare`) now, before anything is timed,
    while time.monotonic() is before `deadline`; a job left unprepared prepares when it runs.

    The benchmark estimates a job from a slice of the input and scales up: work done once per
    call would be scaled too (dcz's dictionary at level 19, 0.6 s for 2 MiB, became a 26 s
    estimate for a job that took 1.6 s) and the job skipped.
    """
    for codec, level in jobs:
        if codec.prepare is not None and time.monotonic() < deadline:
            codec.prepare(level)
