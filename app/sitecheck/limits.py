"""The caps on what one site check unpacks, and why each is where it is.

- MAX_ENTRY_BYTES, 4 MiB: the largest single input /compress accepts (app/config.py), so every
  file of a site stays within the sizes whose working memory the engine's estimates were
  measured at (app/compression/registry.py), and brotli 11 on it (about 5 s on one vCPU) fits
  the shared 25 s budget with room for the rest.
- MAX_TOTAL_BYTES, 32 MiB unpacked: the plan needs about 2 CPU-seconds a MB of text
  (bench/bench_sitecheck.py), so 25 s on two workers plan about 25 MB; past that, files are
  cut and listed rather than the site refused, up to this cap. Held in memory with its
  variants: at the caps the parent peaked at 115 MiB and the largest child at 132 MiB
  (bench/bench_sitecheck_memory.py), well inside the function's 3,538 MB.
- MAX_ENTRIES, 10,000: a file costs about 2.7 ms of CPU in forks and framing beyond its
  measuring (1,000 tiny files, bench/bench_sitecheck.py), so 10,000 cost 27 CPU-seconds, about
  half of what 25 s on two workers give; the cap stops an archive of 100,000 empty entries
  after 10,001 headers.
- MAX_PATH_CHARS, 1,024: longer than any real site's path, short of PATH_MAX (4,096).

A compressed upload of 4 MiB can unpack to far more: each cap is counted while reading, never
taken from an archive's headers.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.compression.codec import MiB

MAX_ENTRY_BYTES = 4 * MiB
MAX_TOTAL_BYTES = 32 * MiB
MAX_ENTRIES = 10_000
MAX_PATH_CHARS = 1024


@dataclass(frozen=True)
class SiteLimits:
    """The caps one reading of a site applies; the defaults are the service's."""

    max_entry_bytes: int = MAX_ENTRY_BYTES
    max_total_bytes: int = MAX_TOTAL_BYTES
    max_entries: int = MAX_ENTRIES
    max_path_chars: int = MAX_PATH_CHARS
