"""zopfli's deflate stream in HTTP's two containers: standard bytes, fewer of them than zlib 9."""

from __future__ import annotations

import gzip
import zlib

import pytest

from app.compression import zopfli_encoder
from app.compression.zopfli_encoder import gzip_body, raw_deflate, zlib_body, zopfli_body
from app.tinysite.precompressed import PAGES_DIR

# Real prose, not a repeated line: on one line said 40 times zopfli only ties zlib 9.
PAGE = (PAGES_DIR / "codecs.html").read_bytes()


def test_the_zlib_container_is_rfc_1950_around_the_stream() -> None:
    body = zlib_body(raw_deflate(PAGE), PAGE)
    assert body[:2] == b"\x78\xda"
    assert (body[0] << 8 | body[1]) % 31 == 0  # RFC 1950 §2.2: FCHECK
    assert body[-4:] == zlib.adler32(PAGE).to_bytes(4, "big")
    assert zlib.decompress(body) == PAGE


def test_the_gzip_container_is_rfc_1952_around_the_stream() -> None:
    body = gzip_body(raw_deflate(PAGE), PAGE)
    assert body[:10] == bytes([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 2, 255])
    assert body[-8:-4] == zlib.crc32(PAGE).to_bytes(4, "little")
    assert body[-4:] == len(PAGE).to_bytes(4, "little")
    assert gzip.decompress(body) == PAGE


@pytest.mark.parametrize("codec", ["deflate", "gzip"])
def test_zopfli_beats_zlib_level_9(codec: str) -> None:
    zlib_9 = zlib.compress(PAGE, 9) if codec == "deflate" else gzip.compress(PAGE, 9, mtime=0)
    body = zopfli_body(codec, PAGE)
    assert len(body) < len(zlib_9)
    assert zlib.decompress(body, wbits=47) == PAGE  # 47: zlib or gzip, by header


def test_without_zopfli_it_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zopfli_encoder, "_zopfli", lambda: None)
    assert not zopfli_encoder.zopfli_available()
    with pytest.raises(RuntimeError, match="zopfli is not installed"):
        raw_deflate(PAGE)


def test_another_codec_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        zopfli_body("br", PAGE)
