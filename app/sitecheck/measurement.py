"""One pass of measurements over a batch of files, as run in a forked child of the engine.

Each candidate is measured by the engine's own `measure` (app/engine/job_timing.py): the
codec's one-shot call, its output decompressed and compared byte for byte, both timed. Nothing
here re-implements timing. Guarantees of `measure_batch`:
- every size returned is that of the codec's output; `verified` says it decoded to the file;
- a file's candidates run in the order given and stop before one that cannot finish by the
  deadline (at the conservative ADMISSION_MBPS speeds); what was not run is returned as cuts;
- with `keep_bytes`, each file's smallest verified output per content coding (br, gzip, zstd)
  comes back too, so the precompressed tree needs no second compression; otherwise outputs
  are dropped as soon as they are measured.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from app.compression.codec import Codec
from app.compression.dictionary_codec import dcz_codec
from app.engine.job_timing import measure
from app.sitecheck.candidates import Candidate, admission_mbps, codec_for

# Below this, a fast candidate's time is the fastest of REPEATS single runs: one run of tens of
# microseconds is as much the timer and the scheduler as the codec, and the dynamic choice
# turns on it. Above it a run takes 0.1 ms or more and stands on its own; repeating up to
# 64 KiB tripled the fast pass's CPU time on the bench's site (2.4 s to 7 s) for that. (The
# engine's repeated timing, 20 ms a phase, would cost 0.4 s a file over the nine fast levels.)
REPEAT_BELOW_BYTES = 8 * 1024
REPEATS = 3
# Each candidate is admitted with this much time beside its expected time.
ADMISSION_MARGIN_SECONDS = 0.05


@dataclass(frozen=True)
class Measured:
    """One candidate's measured result on one file."""

    candidate: Candidate
    size: int
    compress_mbps: float
    decompress_mbps: float
    compress_cpu_ms: float
    verified: bool


@dataclass(frozen=True)
class FileWork:
    """What a child measures for one file: its index in the site, bytes, previous version."""

    index: int
    data: bytes
    previous: bytes | None
    candidates: tuple[Candidate, ...]


@dataclass
class FileMeasurements:
    index: int
    results: list[Measured] = field(default_factory=list)
    cuts: list[tuple[str, str]] = field(default_factory=list)  # (candidate label, reason)
    variants: dict[str, bytes] = field(default_factory=dict)  # coding -> smallest output


def expected_candidate_seconds(candidate: Candidate, size: int) -> float:
    return size / 1e6 / admission_mbps(candidate)


def _keeping(codec: Codec, kept: list[bytes]) -> Codec:
    """`codec` whose compress also hands its output to `kept`: measure() calls it once."""
    compress = codec.compress

    def compress_and_keep(data: bytes, level: int) -> bytes:
        output = compress(data, level)
        kept.append(output)
        return output

    return dataclasses.replace(codec, compress=compress_and_keep)


def measure_file(work: FileWork, deadline: float, keep_bytes: bool) -> FileMeasurements:
    """Measure `work.candidates` on one file, in order, while each can finish by `deadline`."""
    out = FileMeasurements(work.index)
    dcz = dcz_codec(work.previous) if work.previous is not None else None
    size = len(work.data)
    for candidate in work.candidates:
        expected = expected_candidate_seconds(candidate, size)
        left = deadline - time.monotonic()
        if expected + ADMISSION_MARGIN_SECONDS > left:
            out.cuts.append(
                (
                    candidate.label,
                    f"not run: expected about {expected:.2f} s, only {max(left, 0):.2f} s "
                    "of its time was left",
                )
            )
            continue
        codec = codec_for(candidate, dcz)
        if codec.prepare is not None:
            codec.prepare(candidate.level)  # dcz loads its dictionary before it is timed
        kept: list[bytes] = []
        runs = REPEATS if size < REPEAT_BELOW_BYTES and expected < 0.01 else 1
        best = None
        for run in range(runs):
            result = measure(
                codec if run or not keep_bytes else _keeping(codec, kept),
                candidate.level,
                work.data,
            )
            if best is None or result.compress_ms < best.compress_ms:
                best = result
        assert best is not None
        out.results.append(
            Measured(
                candidate,
                best.size,
                best.compress_mbps,
                best.decompress_mbps,
                best.compress_cpu_ms,
                best.verified,
            )
        )
        if keep_bytes and kept and best.verified and candidate.coding in ("br", "gzip", "zstd"):
            held = out.variants.get(candidate.coding)
            if held is None or len(kept[0]) < len(held):
                out.variants[candidate.coding] = kept[0]
    return out


def measure_batch(
    works: Sequence[FileWork], deadline: float, keep_bytes: bool
) -> list[FileMeasurements]:
    """measure_file for each of `works`, in order; a file reached after the deadline gets its
    candidates listed as cuts, unmeasured."""
    return [measure_file(work, deadline, keep_bytes) for work in works]
