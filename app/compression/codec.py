"""A compression method as the engine sees it: levels, compress, decompress, a memory estimate.

The data type the registry (app/compression/registry.py) fills and dcz
(app/compression/dictionary_codec.py) builds one of per request. No imports beyond the standard
library.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

MiB = 1024 * 1024


@dataclass(frozen=True)
class Codec:
    """One compression method. Levels run from `min_level` to `max_level` inclusive.

    `default_level` is the level used when none is asked for; `spread` are the levels a spec
    naming the codec alone runs (a fast one, the default and the strongest worth running), and
    `default_run` those of the benchmark when no codec is asked for (None: `spread`).
    """

    name: str
    min_level: int
    max_level: int
    default_level: int
    spread: tuple[int, ...]
    media_type: str
    extension: str
    compress: Callable[[bytes, int], bytes]
    decompress: Callable[[bytes], bytes]
    description: str
    # Bytes the compressor's own state touches for an input of the given size at a level:
    # (level, size) -> bytes. Used to keep jobs that run at once within a memory budget.
    compress_memory: Callable[[int, int], int]
    # Work done once per level before anything is timed, so no estimate or timing carries it
    # (dcz loads its dictionary into zstd's tables); None for the codecs that need none.
    prepare: Callable[[int], None] | None = None
    default_run: tuple[int, ...] | None = None

    @property
    def levels(self) -> range:
        return range(self.min_level, self.max_level + 1)

    @property
    def default_run_levels(self) -> tuple[int, ...]:
        """The levels this codec adds to the benchmark when no codec is asked for."""
        return self.spread if self.default_run is None else self.default_run

    def level_range_text(self) -> str:
        """'1-12', or '1' for a codec with one level (snappy)."""
        if self.min_level == self.max_level:
            return str(self.min_level)
        return f"{self.min_level}-{self.max_level}"
