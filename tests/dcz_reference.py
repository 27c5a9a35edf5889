"""dcz written independently of app/, as a server that keeps its dictionary loaded writes it.

RFC 9842 §5: the 8 bytes 5E 2A 4D 18 20 00 00 00, the dictionary's SHA-256, then one zstd
frame compressed with the dictionary as raw content, here loaded once for the level
(ZSTD_CDict), which is what app/compression/dictionary_codec.py times. The tests hold the
benchmark's dcz bytes to this; app/dictionary_transport.dcz_compress, which loads the dictionary per
call, may differ from it by a few bytes in the frame.
"""

from __future__ import annotations

import hashlib

import zstandard


def prepared_dcz(data: bytes, dictionary: bytes, level: int) -> bytes:
    tables = zstandard.ZstdCompressionDict(dictionary, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
    tables.precompute_compress(level=level)
    frame = zstandard.ZstdCompressor(level=level, dict_data=tables).compress(data)
    return bytes.fromhex("5e2a4d1820000000") + hashlib.sha256(dictionary).digest() + frame
