"""dcz as a benchmark codec: zstd against one request's dictionary, in RFC 9842's framing.

Not in the registry (app/compression/registry.py's CODECS), as it needs a second input: `dcz_codec`
binds a dictionary per request. Its levels are zstd's; its stream is RFC 9842 §5's (the 8-byte
header, the dictionary's SHA-256, one zstd frame with the dictionary as raw content), so every
size counts the 40-byte header and app/dictionary_transport.dcz_decompress decodes every body.

The dictionary is prepared once, as a server that compresses against it would: its digest when
the codec is made, and per level its zstd tables (`Codec.prepare`, app/algorithms.prepare_jobs)
before anything is timed. So a dcz compress time is that of one more response against a
dictionary already loaded. No web imports.
"""

from __future__ import annotations

import threading

import zstandard

from app.compression.codec import Codec
from app.compression.dictionary_transport import DCZ_MAGIC, DictionaryMismatchError, dictionary_hash
from app.compression.registry import CODECS

# dcz (RFC 9842 §5): the name a codec spec and a report give it.
DCZ = "dcz"
DCZ_SPREAD = (1, 3, 19)  # fast, zstd's default, the strongest level the zstd tool allows plainly


class _DczCoder:
    """One dictionary, with its digest and its zstd tables per level, each made once.

    The digest: a client compares the one it stored with the header's (RFC 9842 §2.2) and
    never rehashes; hashing a 2 MiB dictionary took 0.1 to 0.5 of the time zstd takes to decode
    the 2 MiB next version, by the machine's load (bench/bench_dcz.py), time every dcz decode
    would otherwise carry. The tables: loading 2 MiB for level 19 took 480-570 ms, 130-220
    times that decode, and a server keeps them for every response; loaded per call, the
    engine's estimate for dcz 19 on 2 MiB came to 26 s for a job that took 1.6 s, and it was
    skipped. The frame is libzstd's with the tables loaded once (tests/dcz_reference.py); it
    may differ by a few bytes from dictionary_transport.dcz_compress's, which loads them per
    call (level 1 on the bench's 2 MiB: 539,289 against 539,864 bytes).
    Thread-safe: one lock per level, so levels prepare side by side. Pickles as its dictionary
    alone (the tables are per process).
    """

    def __init__(self, dictionary: bytes) -> None:
        self.dictionary = dictionary
        self.digest = dictionary_hash(dictionary)
        self._header = DCZ_MAGIC + self.digest
        self._tables: dict[int, zstandard.ZstdCompressionDict] = {}
        self._level_locks: dict[int, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    def __reduce__(self) -> tuple[type[_DczCoder], tuple[bytes]]:
        return (_DczCoder, (self.dictionary,))

    def _raw_content(self) -> zstandard.ZstdCompressionDict:
        return zstandard.ZstdCompressionDict(
            self.dictionary, dict_type=zstandard.DICT_TYPE_RAWCONTENT
        )

    def prepare(self, level: int) -> None:
        """Load the dictionary into zstd's tables for `level`, unless that was done already."""
        self._tables_for(level)

    def _tables_for(self, level: int) -> zstandard.ZstdCompressionDict:
        """The dictionary loaded into zstd's tables for `level`, made on the first call."""
        with self._locks_lock:
            lock = self._level_locks.setdefault(level, threading.Lock())
        with lock:
            tables = self._tables.get(level)
            if tables is None:
                tables = self._raw_content()
                tables.precompute_compress(level=level)
                self._tables[level] = tables
        return tables

    def compress(self, data: bytes, level: int) -> bytes:
        compressor = zstandard.ZstdCompressor(level=level, dict_data=self._tables_for(level))
        return self._header + compressor.compress(data)

    def decompress(self, body: bytes) -> bytes:
        if body[: len(self._header)] != self._header:
            raise DictionaryMismatchError("not a dcz stream made with this dictionary")
        decompressor = zstandard.ZstdDecompressor(dict_data=self._raw_content())
        return decompressor.decompress(body[len(self._header) :])

    def compress_memory(self, level: int, size: int) -> int:
        # Measured (VmHWM growth, 1 MiB of Python source against the 1 MiB before it): 67 MB at
        # level 19, where libzstd estimates 35 MB for its context; 2 MiB against 2 MiB: 100 MB
        # (19) and 133 MB (22) against 52 and 68. The dictionary is loaded into tables of its
        # own beside the context's, so twice the estimate plus the dictionary covers each.
        params = zstandard.ZstdCompressionParameters.from_level(
            level, source_size=max(size, 1), dict_size=len(self.dictionary)
        )
        return 2 * params.estimated_compression_context_size() + len(self.dictionary)


def dcz_codec(dictionary: bytes) -> Codec:
    """dcz against `dictionary`: zstd's levels, a 40-byte header counted in every size.

    The returned Codec carries the dictionary (it is made per request, never registered); it
    decompresses only what was made with the same dictionary, and it pickles.
    """
    zstd = CODECS["zstd"]
    coder = _DczCoder(dictionary)
    return Codec(
        name=DCZ,
        min_level=zstd.min_level,
        max_level=zstd.max_level,
        default_level=zstd.default_level,
        spread=DCZ_SPREAD,
        # RFC 9842 registers the content coding, not a media type for a file of it.
        media_type="application/octet-stream",
        extension=".dcz",
        compress=coder.compress,
        decompress=coder.decompress,
        description="zstd against a dictionary (RFC 9842 dcz: 40-byte header, then zstd)",
        compress_memory=coder.compress_memory,
        prepare=coder.prepare,
    )
