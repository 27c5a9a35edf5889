"""Compression Dictionary Transport (RFC 9842): the dcz format and the dictionary's identity.

A client that holds a dictionary (a response it kept because of `Use-As-Dictionary`) names it
in `Available-Dictionary` as an RFC 8941 byte sequence, `:base64(SHA-256):`, and lists `dcz`
(and `dcb`) in `Accept-Encoding`. A dcz body (RFC 9842 §5) is the 8-byte header
`5E 2A 4D 18 20 00 00 00` (a zstd skippable frame of 32 bytes), the dictionary's 32-byte
SHA-256, then one zstd frame compressed with the dictionary as raw content.

dcb (§4: brotli with the dictionary as a raw prefix) is not made here: brotli 1.2.1,
brotlicffi 1.2.1.0 and brotli-rs 9.1.1 expose no dictionary through their public Python API
(checked 2026-12-01), and calling libbrotli's prepared-dictionary functions through ctypes
would bind the service to private symbols of a wheel's bundled library.

No web imports: TinySite, the benchmark and the CLI all build on this module.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

import zstandard

DCZ_MAGIC = bytes.fromhex("5e2a4d1820000000")
DCZ_HEADER_BYTES = len(DCZ_MAGIC) + hashlib.sha256().digest_size  # 40


class DictionaryMismatchError(ValueError):
    """A dcz stream names a dictionary other than the one offered for decoding."""


def dictionary_hash(dictionary: bytes) -> bytes:
    """The dictionary's identity on the wire: its 32-byte SHA-256 digest."""
    return hashlib.sha256(dictionary).digest()


def available_dictionary_value(dictionary_digest: bytes) -> str:
    """The `Available-Dictionary` header value for a digest: `:base64:` (RFC 8941 §3.3.5)."""
    return ":" + base64.b64encode(dictionary_digest).decode("ascii") + ":"


def parse_available_dictionary(value: str) -> bytes | None:
    """The 32-byte digest an `Available-Dictionary` value names, or None if it names none.

    Accepts exactly an RFC 8941 byte sequence, surrounding whitespace allowed, whose base64
    decodes (strictly) to 32 bytes; anything else is treated as no dictionary (RFC 9842 §2.2:
    a server that does not recognise the value ignores it).
    """
    value = value.strip(" \t")
    if len(value) < 2 or value[0] != ":" or value[-1] != ":":
        return None
    try:
        digest = base64.b64decode(value[1:-1], validate=True)
    except (binascii.Error, ValueError):
        return None
    return digest if len(digest) == hashlib.sha256().digest_size else None


def _raw_content(dictionary: bytes) -> zstandard.ZstdCompressionDict:
    return zstandard.ZstdCompressionDict(dictionary, dict_type=zstandard.DICT_TYPE_RAWCONTENT)


def dcz_compress(data: bytes, dictionary: bytes, level: int) -> bytes:
    """`data` as a dcz body: header, the dictionary's SHA-256, one zstd frame.

    The frame is zstd at `level` with `dictionary` as raw content, the content size recorded
    and no dictionary ID (raw content has none), so any RFC 9842 client can decode it with the
    same bytes. Deterministic: the same inputs give the same bytes.
    """
    compressor = zstandard.ZstdCompressor(level=level, dict_data=_raw_content(dictionary))
    return DCZ_MAGIC + dictionary_hash(dictionary) + compressor.compress(data)


def dcz_decompress(body: bytes, dictionary: bytes) -> bytes:
    """The bytes a dcz body encodes, decoded with `dictionary`.

    Raises DictionaryMismatchError if the body's header is not dcz's or names another
    dictionary, and zstandard.ZstdError if the frame is damaged.
    """
    if body[: len(DCZ_MAGIC)] != DCZ_MAGIC:
        raise DictionaryMismatchError("not a dcz stream: the 8-byte header is missing")
    if body[len(DCZ_MAGIC) : DCZ_HEADER_BYTES] != dictionary_hash(dictionary):
        raise DictionaryMismatchError("the dcz stream was made with another dictionary")
    decompressor = zstandard.ZstdDecompressor(dict_data=_raw_content(dictionary))
    return decompressor.decompress(body[DCZ_HEADER_BYTES:])


def structured_string(text: str) -> str:
    """`text` as an RFC 8941 String (§3.3.3): quoted, `\\` and `"` escaped.

    Raises ValueError for a character outside printable ASCII, which a String cannot hold.
    """
    if any(not " " <= character <= "~" for character in text):
        raise ValueError(f"{text!r} is not printable ASCII")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def use_as_dictionary_value(match: str, dictionary_id: str) -> str:
    """The `Use-As-Dictionary` value (RFC 9842 §2.1): a Dictionary of `match` and `id`.

    `match` is a URL pattern resolved against the dictionary's own URL, so a relative one
    ("*") covers the dictionary's directory under whatever prefix it is served. No
    `match-dest`: every destination. No `type`: raw, the default and the only one defined.
    """
    return f"match={structured_string(match)}, id={structured_string(dictionary_id)}"


def dictionary_compression_allowed(
    sec_fetch_site: str | None,
    sec_fetch_mode: str | None,
    origin: str | None,
    allow_origin: str,
) -> bool:
    """May this response be dictionary-compressed, by RFC 9842's server-side readability rules?

    RFC 9842 §9 (Security Considerations, "Response Readability"): a client may use a
    dictionary only where both it and the response are readable by the requesting context.
    A server sees that through Fetch metadata: `Sec-Fetch-Site: same-origin` always may; then
    by `Sec-Fetch-Mode`: none sent (not a browser), `navigate` or `same-origin` may; `cors`
    may only with an `Origin` that `allow_origin` (the Access-Control-Allow-Origin sent)
    admits, `*` or that very origin; any other mode (`no-cors`, `websocket`) may not.
    """
    if (sec_fetch_site or "").strip().lower() == "same-origin":
        return True
    mode = (sec_fetch_mode or "").strip().lower()
    if mode in ("", "navigate", "same-origin"):
        return True
    if mode == "cors":
        return origin is not None and allow_origin in ("*", origin.strip())
    return False
