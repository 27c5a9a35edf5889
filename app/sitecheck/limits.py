"""The caps on what one site check unpacks, and why each is where it is.

- MAX_ENTRY_BYTES, 4 MiB: the largest single input /compress accepts (app/config.py), so every
  file of a site stays within the sizes whose working memory the engine's estimates were
  measured at (app/compression/registry.py), and brotli 11 on it (about 5 s on one vCPU) fits
  the shared 25 s budget with room for the rest.
- MAX_TOTAL_BYTES, 32 MiB unpacked: the plan measures about 6 MB of text a second on two
  workers (bench/bench_sitecheck.py); 32 MiB is what 25 s can still mostly plan, and what is
  held in memory at once (the files, their previous release and the kept variants, under
  100 MB) sits well inside the 256 MB memory budget beside two workers.
- MAX_ENTRIES, 10,000: a file costs about a millisecond of framing and measuring even when
  empty (bench/bench_sitecheck.py, 1,000 tiny files), so 10,000 leave most of the budget for
  real work; the cap stops an archive of 100,000 empty entries after 10,001 headers.
- MAX_PATH_CHARS, 1,024: longer than any real site's path, short of PATH_MAX (4,096).

A compressed upload of 4 MiB can unpack to far more: each cap is counted while reading, never
taken from an archive's headers.
"""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1024 * 1024

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
