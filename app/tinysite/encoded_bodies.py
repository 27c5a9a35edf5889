"""The site's encoded bodies, computed when the artifact is built so a cold start only checks them.

precompressed.py encodes every body at import; brotli 11 and zstd 19 of the site's six bodies
took about 45 ms of a Lambda cold start (`python -X importtime`), more than the rest of the
site. deploy/build_artifact.py runs that same encoding once and ships what it produced as
CACHE_FILE, {key: body}. The key is a SHA-256 of everything that decides a body's bytes: the
codec, its level, the encoding library's version and the identity bytes. So a body is found only
for exactly the input and the encoder that wrote it; a page changed by a setting
(MAX_UPLOAD_BYTES), a source tree without the file (uvicorn, the tests) or other library
versions miss and compress at import as before. A found body is decoded and compared with the
identity bytes before it is used, so a damaged file costs time, never wrong bytes.

Two kinds of body are keyed differently:
- deflate and gzip come from zopfli (app/compression/zopfli_encoder.py), a build-time encoder the
  artifact does not ship. Their key leaves the encoder's version out: any stored body that
  decodes to the identity bytes is a right answer, and the runtime cannot know which zopfli
  wrote it. A miss is encoded with zopfli when it is installed, else with zlib at the
  encoding's level (counted in `fallbacks`): the page is served all the same.
- dcz bodies (RFC 9842) are keyed by the dictionary's SHA-256 as well.
"""

from __future__ import annotations

import hashlib
import marshal
import sys
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import brotli
import zstandard

from app.compression.dictionary_transport import dcz_compress, dcz_decompress, dictionary_hash
from app.compression.registry import CODECS, ZSTD_LIBRARY
from app.compression.zopfli_encoder import gzip_body, raw_deflate, zlib_body, zopfli_available

CACHE_FILE = Path(__file__).resolve().with_name("encoded_bodies.marshal")


@dataclass(frozen=True)
class Encoding:
    """A codec of app.algorithms at one level: what turns identity bytes into a body.

    `zopfli=True` (deflate and gzip only): the deflate stream is zopfli's, `level` the zlib
    level of the fallback when zopfli is not installed.
    """

    codec: str
    level: int
    zopfli: bool = False


def encoder_version(codec: str) -> str:
    """The versions of the code that writes `codec`'s bytes; raises KeyError for other codecs."""
    zlib_version = f"zlib {zlib.ZLIB_RUNTIME_VERSION}"
    if codec == "deflate":
        return zlib_version
    if codec == "gzip":
        # The gzip module writes the header itself (its OS byte differs between 3.11 and 3.13).
        return f"{zlib_version}; Python {sys.version_info.major}.{sys.version_info.minor} gzip"
    if codec == "brotli":
        return f"brotli {brotli.__version__}"
    if codec == "zstd":
        if sys.version_info >= (3, 14) and ZSTD_LIBRARY == "compression.zstd":
            from compression import zstd  # the standard library's binding of libzstd

            libzstd = zstd.zstd_version
        else:
            libzstd = ".".join(map(str, zstandard.ZSTD_VERSION))
        return f"{ZSTD_LIBRARY} libzstd {libzstd}"
    raise KeyError(codec)


def body_key(encoding: Encoding, identity: bytes, version: str | None = None) -> str:
    """The content address of `identity` encoded by `encoding` with the encoder `version`.

    `version` defaults to this process's encoder_version(encoding.codec).
    """
    if encoding.zopfli:
        # Any zopfli's body is right if it decodes to `identity` (checked on use), so the key
        # names no version: the runtime, without zopfli, must find what the build made.
        digest = hashlib.sha256(f"{encoding.codec}\0zopfli\0".encode())
    else:
        version = encoder_version(encoding.codec) if version is None else version
        digest = hashlib.sha256(f"{encoding.codec}\0{encoding.level}\0{version}\0".encode())
    digest.update(identity)
    return digest.hexdigest()


def dcz_key(identity: bytes, dictionary: bytes, level: int, version: str | None = None) -> str:
    """The content address of `identity` as a dcz body with `dictionary` at zstd `level`."""
    version = encoder_version("zstd") if version is None else version
    digest = hashlib.sha256(f"dcz\0{level}\0{version}\0".encode())
    digest.update(dictionary_hash(dictionary))
    digest.update(identity)
    return digest.hexdigest()


def read_cache(path: Path = CACHE_FILE) -> dict[str, bytes]:
    """The bodies stored at `path`; empty when the file is missing, unreadable or malformed."""
    try:
        stored = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if not isinstance(stored, dict):
        return {}
    return {
        key: body
        for key, body in stored.items()
        if isinstance(key, str) and isinstance(body, bytes)
    }


def write_cache(bodies: Mapping[str, bytes], path: Path = CACHE_FILE) -> None:
    """Store `bodies` ({key: body}) at `path` for read_cache."""
    path.write_bytes(marshal.dumps(dict(bodies)))


class EncodedBodies:
    """Encodes identity bytes, taking each body from `stored` when it is there and sound.

    Guarantees: encode() returns exactly what compressing now would, or a stored body for the
    same key that decodes to the identity bytes. `produced` holds every body returned, by key
    (what the build writes); `hits` and `misses` count where they came from, `fallbacks` the
    zopfli encodings made by zlib because zopfli is not installed.
    """

    def __init__(self, stored: Mapping[str, bytes] | None = None) -> None:
        self.stored = dict(stored or {})
        self.produced: dict[str, bytes] = {}
        self.hits = 0
        self.misses = 0
        self.fallbacks = 0
        # identity -> zopfli's deflate stream: deflate and gzip share one (half the 14 ms/page).
        self._deflate_streams: dict[bytes, bytes] = {}

    def encode(self, encoding: Encoding, identity: bytes) -> bytes:
        codec = CODECS[encoding.codec]
        key = body_key(encoding, identity)
        body = self.stored.get(key)
        if body is not None and _decodes_to(codec.decompress, body, identity):
            self.hits += 1
        else:
            body = self._compress(encoding, identity)
            self.misses += 1
        self.produced[key] = body
        return body

    def encode_dcz(self, identity: bytes, dictionary: bytes, level: int) -> bytes:
        """`identity` as a dcz body (RFC 9842) with `dictionary`, stored or made now."""
        key = dcz_key(identity, dictionary, level)
        body = self.stored.get(key)
        decode = lambda stored: dcz_decompress(stored, dictionary)  # noqa: E731
        if body is not None and _decodes_to(decode, body, identity):
            self.hits += 1
        else:
            body = dcz_compress(identity, dictionary, level)
            self.misses += 1
        self.produced[key] = body
        return body

    def _compress(self, encoding: Encoding, identity: bytes) -> bytes:
        if encoding.zopfli:
            if zopfli_available():
                stream = self._deflate_streams.get(identity)
                if stream is None:
                    stream = self._deflate_streams[identity] = raw_deflate(identity)
                wrap = {"deflate": zlib_body, "gzip": gzip_body}[encoding.codec]
                return wrap(stream, identity)
            self.fallbacks += 1
        return CODECS[encoding.codec].compress(identity, encoding.level)


def _decodes_to(decompress: Callable[[bytes], bytes], body: bytes, identity: bytes) -> bool:
    try:
        return decompress(body) == identity
    except Exception:  # each library raises its own error for a damaged stream
        return False
