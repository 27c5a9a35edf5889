"""The encodings a browser can decode, and which of them each pass of the plan measures.

HTTP content codings (RFC 9110 §8.4.1): `br`, `gzip` and `zstd` for everyone, `dcz` (RFC 9842
§5) for a returning visitor holding the previous version of the same file. `deflate` is left
out: every browser that decodes it decodes gzip, whose stream it shares.

Three passes, cheapest first, so a budget cut takes the expensive refinements, never the
figures every total needs:
- FAST_LEVELS: the levels a server can afford per response (the dynamic plan's choices, and
  gzip 6, the typical server's). Each compresses at 30-400 MB/s on text here.
- STRONG_LEVELS: what precompressing once can afford: brotli 11 (and dcz 3 and 19 against the
  previous version). On the bench's site (bench/bench_sitecheck.py) an exhaustive search over
  every level of every codec found brotli 11 smallest on 304 files and brotli 10 on 6 (by a
  few bytes), zstd never: the levels in between are not worth their time.
- refinements, each with at most REFINEMENT_SECONDS (app/sitecheck/plan.py): zstd 19, which
  only improves the .zst variant, and zopfli, gzip's smallest stream
  (app/compression/zopfli_encoder.py) at 0.2 MB/s, which only improves the .gz variant for
  clients without brotli or zstd, smallest files first, where the zopfli package is installed.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass

from app.compression.codec import Codec
from app.compression.registry import CODECS
from app.compression.zopfli_encoder import ITERATIONS, zopfli_available, zopfli_body

ZOPFLI = "zopfli"


@dataclass(frozen=True)
class Candidate:
    """One way to send a file: a codec at a level, and the HTTP content coding it makes."""

    coding: str
    codec: str
    level: int

    @property
    def label(self) -> str:
        return f"{self.codec} {self.level}" if self.codec != ZOPFLI else ZOPFLI


# codec name in the registry (or "zopfli", "dcz") -> HTTP content coding
CODING_OF_CODEC = {"brotli": "br", "gzip": "gzip", ZOPFLI: "gzip", "zstd": "zstd", "dcz": "dcz"}
# The file extension a precompressed variant takes beside its file (nginx gzip_static,
# brotli_static; Caddy's precompressed; the `precompress` tools).
VARIANT_EXTENSION = {"br": ".br", "gzip": ".gz", "zstd": ".zst"}

# The fastest level of each codec (brotli 1, gzip 1, zstd 1) is left out: on this repository's
# site (bench/bench_sitecheck.py) each was beaten on bytes by a level of the list that is still
# faster than the floor, so it never was a choice, and each candidate costs every file a fork's
# worth of measuring.
FAST_LEVELS: tuple[Candidate, ...] = (
    *(Candidate("br", "brotli", level) for level in (4, 5, 6)),
    *(Candidate("gzip", "gzip", level) for level in (6, 9)),
    *(Candidate("zstd", "zstd", level) for level in (3, 6, 9, 12)),
)
STRONG_LEVELS: tuple[Candidate, ...] = (Candidate("br", "brotli", 11),)
ZSTD_STRONG = Candidate("zstd", "zstd", 19)
DCZ_LEVELS: tuple[Candidate, ...] = (Candidate("dcz", "dcz", 3), Candidate("dcz", "dcz", 19))
ZOPFLI_CANDIDATE = Candidate("gzip", ZOPFLI, ITERATIONS)

# Conservative speeds (MB/s of input, compressing and checking together) used only to group
# files into batches and to decide whether a candidate can still finish before the deadline;
# never reported. Measured here on swagger-ui.css: brotli 11 0.77, zstd 19 2.9, zopfli 0.17;
# the fast levels 28-370 MB/s (gzip 9 and zstd 12 the slowest). Roughly halved for slower CPUs.
STRONG_ADMISSION_MBPS = {"brotli": 0.4, "zstd": 1.4, "dcz": 1.4, ZOPFLI: 0.08}
FAST_ADMISSION_MBPS = 10.0

ZOPFLI_CODEC = Codec(
    name=ZOPFLI,
    min_level=ITERATIONS,
    max_level=ITERATIONS,
    default_level=ITERATIONS,
    spread=(ITERATIONS,),
    media_type="application/gzip",
    extension=".gz",
    compress=lambda data, level: zopfli_body("gzip", data, level),
    decompress=gzip.decompress,
    description=f"gzip whose deflate stream zopfli wrote ({ITERATIONS} iterations)",
    compress_memory=lambda level, size: 64 * size + (1 << 20),
)


def admission_mbps(candidate: Candidate) -> float:
    """The speed `candidate` is expected to reach at least (see STRONG_ADMISSION_MBPS)."""
    if candidate in FAST_LEVELS:
        return FAST_ADMISSION_MBPS
    return STRONG_ADMISSION_MBPS.get(candidate.codec, FAST_ADMISSION_MBPS)


def codec_for(candidate: Candidate, dcz: Codec | None) -> Codec:
    """The codec object that measures `candidate`; dcz is bound to the file's previous version."""
    if candidate.codec == ZOPFLI:
        return ZOPFLI_CODEC
    if candidate.codec == "dcz":
        assert dcz is not None
        return dcz
    return CODECS[candidate.codec]


def zopfli_installed() -> bool:
    return zopfli_available()
