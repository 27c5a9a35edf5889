"""Builders of sites for the site check's tests: archives (benign and hostile) and form bodies.

Everything is built in memory; nothing here touches the disk.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import lzma
import tarfile
import zipfile
import zlib
from collections.abc import Iterable, Sequence

import zstandard

Member = tuple[str, bytes]


def noise(size: int) -> bytes:
    """`size` bytes that do not compress, the same on every run (SHA-256 in counter mode)."""
    blocks = (hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(size // 32 + 1))
    return b"".join(blocks)[:size]


def sample_site() -> list[Member]:
    """A small real-looking site: HTML, CSS, JS, JSON, SVG, a tiny file and a PNG-like one."""
    paragraph = "<p>TinySite measures every file of your site and plans how to serve it. "
    return [
        ("site/index.html", ("<!doctype html><title>Home</title>" + paragraph * 60).encode()),
        ("site/about.html", ("<!doctype html><title>About</title>" + paragraph * 25).encode()),
        ("site/css/site.css", b"body{margin:0;font:1rem/1.5 system-ui}\n" * 80),
        ("site/js/app.js", b"export function add(a, b) { return a + b; }\n" * 120),
        ("site/data/list.json", b'{"items": [' + b'{"id": 1, "name": "item"},' * 90 + b"{}]}"),
        (
            "site/img/logo.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg">' + b"<rect/>" * 300 + b"</svg>",
        ),
        ("site/robots.txt", b"User-agent: *\n"),
        ("site/img/photo.png", b"\x89PNG\r\n\x1a\n" + noise(3200)),
    ]


def tar_bytes(
    members: Iterable[Member | tarfile.TarInfo],
    compression: str | None = None,
    *,
    tar_format: int = tarfile.PAX_FORMAT,
) -> bytes:
    """A tar of `members` ((name, bytes) or ready TarInfo), optionally gz/xz/bz2/zst-compressed.
    Names are written as UTF-8, a lone surrogate as the raw byte it stands for."""
    buffer = io.BytesIO()
    with tarfile.open(
        fileobj=buffer, mode="w", format=tar_format, encoding="utf-8", errors="surrogateescape"
    ) as archive:
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                archive.addfile(member)
                continue
            name, data = member
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return compress_stream(buffer.getvalue(), compression)


def empty_entries_tar_gz(count: int) -> bytes:
    """A tar.gz of `count` empty regular files named e0, e1, ...: byte for byte the tar that
    tarfile writes in USTAR format, but built from one header (tarfile's own writer takes 4 s
    for 100,000 entries; this, a fifth of a second). Gzipped at level 6: its headers are
    mostly zeros, and level 9 would spend a second more for 10 % fewer bytes."""
    template = bytearray(tarfile.TarInfo("e0").tobuf(tarfile.USTAR_FORMAT))
    template[0:100] = bytes(100)
    template[148:156] = b" " * 8  # the checksum counts its own field as spaces (POSIX ustar)
    base_sum = sum(template)
    headers = []
    for index in range(count):
        name = f"e{index}".encode()
        header = bytearray(template)
        header[0 : len(name)] = name
        header[148:156] = b"%06o\0 " % (base_sum + sum(name))
        headers.append(bytes(header))
    end_of_archive = bytes(2 * tarfile.BLOCKSIZE)
    raw = b"".join(headers) + end_of_archive
    padding = -len(raw) % tarfile.RECORDSIZE
    return gzip.compress(raw + bytes(padding), compresslevel=6, mtime=0)


def zero_filled_entry_tar_gz(name: str, mebibytes: int) -> bytes:
    """A tar.gz whose one entry, `name`, declares and holds `mebibytes` MiB of zeros: a whole,
    valid gzip member (gunzip accepts its CRC and length), deflated at level 9.

    Deflating a GiB takes seconds; it need not. After a full flush the compressor's window is
    empty, so every mebibyte of zeros deflates to the same bytes: one is deflated and repeated.
    """
    header = tarfile.TarInfo(name)
    header.size = mebibytes << 20
    head = header.tobuf()
    chunk = bytes(1 << 20)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    deflated_head = deflate.compress(head) + deflate.flush(zlib.Z_FULL_FLUSH)
    deflated_chunk = deflate.compress(chunk) + deflate.flush(zlib.Z_FULL_FLUSH)
    crc = zlib.crc32(head)
    for _ in range(mebibytes):
        crc = zlib.crc32(chunk, crc)
    length = len(head) + header.size
    gzip_header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"  # RFC 1952: no name, mtime 0, -9
    trailer = crc.to_bytes(4, "little") + (length % (1 << 32)).to_bytes(4, "little")
    return gzip_header + deflated_head + deflated_chunk * mebibytes + deflate.flush() + trailer


def compress_stream(data: bytes, compression: str | None) -> bytes:
    if compression is None:
        return data
    if compression == "gz":
        return gzip.compress(data, mtime=0)
    if compression == "xz":
        return lzma.compress(data)
    if compression == "bz2":
        return bz2.compress(data)
    if compression == "zst":
        return zstandard.ZstdCompressor().compress(data)
    raise ValueError(compression)


def zip_bytes(members: Iterable[Member], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_with_info(infos: Sequence[tuple[zipfile.ZipInfo, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info, data in infos:
            archive.writestr(info, data)
    return buffer.getvalue()


def special_member(name: str, kind: bytes, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info
