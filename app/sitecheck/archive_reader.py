"""Reading an uploaded archive as hostile until read: every size counted, every name checked.

Formats are recognised by their first bytes, never by the file name: zip, tar, and tar inside
gzip, xz, bzip2 or zstd. Guarantees of `read_archive`:
- sizes are counted as bytes come out of the decompressor, never taken from a header: an entry
  stops being read once it passes the per-entry cap, the archive once the total passes its cap,
  and the tar stream itself (headers and padding included) once it passes the total cap plus
  room for the headers, so a few KB can never unpack to gigabytes;
- decompression proceeds in bounded steps (at most READ_CHUNK bytes out per call), so memory
  never holds more than one chunk beyond the caps;
- entries that are not regular files or folders (symlinks, hardlinks, devices, FIFOs, sparse
  files), encrypted zip entries, unsafe or non-UTF-8 names, duplicates, an empty archive and a
  corrupt or truncated one are each refused with their own SiteCheckError;
- an archive inside the archive is a file like any other: it is never opened.
Nothing is written to disk: everything is read from and into memory.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from typing import Protocol

import zstandard

from app.sitecheck.errors import SiteCheckError
from app.sitecheck.limits import SiteLimits
from app.sitecheck.site_files import (
    Site,
    SiteCollector,
    checked_path,
    empty_site,
    non_utf8_name,
    site_too_large,
)

READ_CHUNK = 64 * 1024
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header; an empty zip's end record
GZIP_MAGIC = b"\x1f\x8b"
XZ_MAGIC = b"\xfd7zXZ\x00"
BZIP2_MAGIC = b"BZh"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
TAR_MAGIC_OFFSET = 257  # POSIX ustar (and GNU tar's "ustar  ") magic in the first header
TAR_MAGIC = b"ustar"
# zip's general-purpose flag bits (APPNOTE 4.4.4): bit 0 encrypted, bit 11 names in UTF-8.
ZIP_ENCRYPTED = 0x1
ZIP_UTF8_NAMES = 0x800
# What a tar stream holds besides its files' bytes: a 512-byte header per entry (two with a
# long name or PAX record), padding to 512 bytes, the two end blocks and 10 KiB records.
TAR_OVERHEAD_PER_ENTRY = 3 * 512


class _Reader(Protocol):
    def read(self, size: int, /) -> bytes: ...


def archive_format(data: bytes) -> str | None:
    """'zip', 'tar', 'tar.gz', 'tar.xz', 'tar.bz2' or 'tar.zst' from the first bytes, or None.

    A compressed stream counts as an archive here; whether a tar is inside shows once it is
    read (a lone compressed file is refused then).
    """
    if data.startswith(ZIP_MAGIC):
        return "zip"
    if data.startswith(GZIP_MAGIC):
        return "tar.gz"
    if data.startswith(XZ_MAGIC):
        return "tar.xz"
    if data.startswith(BZIP2_MAGIC) and data[3:4].isdigit():
        return "tar.bz2"
    if data.startswith(ZSTD_MAGIC):
        return "tar.zst"
    if data[TAR_MAGIC_OFFSET : TAR_MAGIC_OFFSET + len(TAR_MAGIC)] == TAR_MAGIC:
        return "tar"
    if data and len(data) % 512 == 0 and not data.strip(b"\x00"):
        return "tar"  # an empty tar: nothing but its end-of-archive blocks
    return None


def corrupt(kind: str, reason: str) -> SiteCheckError:
    return SiteCheckError(
        400,
        "corrupt-archive",
        "Corrupt or truncated archive",
        f"The {kind} archive cannot be read: {reason}.",
    )


def unsupported_entry(path: str, kind: str) -> SiteCheckError:
    return SiteCheckError(
        422,
        "unsupported-entry",
        "Unsupported entry",
        f"The entry {path[:200]!r} is a {kind}; a site holds regular files and folders only "
        "(links could point outside it).",
        entry_kind=kind,
    )


def read_archive(data: bytes, limits: SiteLimits, what: str = "The archive") -> Site:
    """The site inside the archive `data`; SiteCheckError for anything refused (module doc)."""
    kind = archive_format(data)
    collector = SiteCollector(limits, what)
    if kind is None:
        raise SiteCheckError(
            415,
            "unsupported-archive",
            "Not a supported archive",
            "The upload is not a zip, tar, tar.gz, tar.xz, tar.bz2 or tar.zst archive (judged "
            "by its first bytes).",
        )
    if kind == "zip":
        _read_zip(data, collector)
    else:
        _read_tar(data, kind, collector)
    return collector.site()


# ---- zip --------------------------------------------------------------------------------------


def _zip_name(info: zipfile.ZipInfo) -> str:
    """The entry's name as UTF-8: zipfile decodes names without the UTF-8 flag as cp437, which
    accepts any bytes; the raw bytes are recovered and must be valid UTF-8 themselves."""
    if info.flag_bits & ZIP_UTF8_NAMES:
        return info.filename
    raw = info.orig_filename.encode("cp437")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise non_utf8_name(raw.decode("utf-8", "surrogateescape")) from None


def _read_zip(data: bytes, collector: SiteCollector) -> None:
    limits = collector.limits
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as error:
        raise corrupt("zip", str(error) or type(error).__name__) from None
    with archive:
        infos = archive.infolist()
        # The central directory is already in memory (at most the upload's 4 MiB); its count
        # is still checked entry by entry below, before any entry is read.
        for info in infos:
            collector.count_entry()
            name = _zip_name(info)
            path = checked_path(name, limits)
            mode = info.external_attr >> 16
            if info.is_dir() or path.endswith("/"):
                collector.add_folder(path)
                continue
            if mode and stat.S_IFMT(mode) not in (0, stat.S_IFREG):
                raise unsupported_entry(path, mode_kind(mode))
            if info.flag_bits & ZIP_ENCRYPTED:
                raise SiteCheckError(
                    422,
                    "encrypted-entry",
                    "Encrypted entry",
                    f"The zip entry {path[:200]!r} is encrypted; send the site unencrypted.",
                )
            collector.add(path, _read_zip_entry(archive, info, path, collector))


def _read_zip_entry(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: str, collector: SiteCollector
) -> bytes:
    chunks: list[bytes] = []
    size = 0
    try:
        with archive.open(info) as entry:
            while chunk := entry.read(READ_CHUNK):
                size += len(chunk)
                collector.count_bytes(path, size, len(chunk))
                chunks.append(chunk)
    except NotImplementedError as error:
        raise SiteCheckError(
            422,
            "unsupported-archive",
            "Unsupported zip compression",
            f"The zip entry {path[:200]!r} uses a method this service cannot read ({error}); "
            "use stored or deflate.",
        ) from None
    except (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError, ValueError) as error:
        raise corrupt("zip", f"{path[:200]!r}: {error or type(error).__name__}") from None
    except RuntimeError as error:  # zipfile's "password required" for an encrypted entry
        raise corrupt("zip", f"{path[:200]!r}: {error}") from None
    return b"".join(chunks)


def mode_kind(mode: int) -> str:
    kinds = {
        stat.S_IFLNK: "symbolic link",
        stat.S_IFCHR: "character device",
        stat.S_IFBLK: "block device",
        stat.S_IFIFO: "FIFO",
        stat.S_IFSOCK: "socket",
        stat.S_IFDIR: "folder",
    }
    return kinds.get(stat.S_IFMT(mode), "special file")


# ---- tar --------------------------------------------------------------------------------------


class _CountingStream(io.RawIOBase):
    """A read-only stream of the tar inside `data`, refusing to go past `cap` bytes.

    The cap counts what comes out of the decompressor (each read asks it for at most
    READ_CHUNK bytes), so a header that lies about a size, or a stream of nothing but padding,
    meets it all the same.
    """

    def __init__(self, data: bytes, kind: str, cap: int, limits: SiteLimits) -> None:
        self._kind = kind
        self._cap = cap
        self._limits = limits
        self._produced = 0
        self._source = _decompressing_reader(kind, data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        wanted = min(len(buffer), READ_CHUNK)
        try:
            piece = self._source.read(wanted)
        except (zlib.error, lzma.LZMAError, OSError, EOFError, zstandard.ZstdError) as error:
            raise corrupt(self._kind, _reason(error)) from None
        self._produced += len(piece)
        if self._produced > self._cap:
            raise site_too_large(self._limits)
        buffer[: len(piece)] = piece
        return len(piece)


def _reason(error: BaseException) -> str:
    if isinstance(error, EOFError):
        return "it ends before its compressed stream does (truncated)"
    return str(error) or type(error).__name__


def _decompressing_reader(kind: str, data: bytes) -> _Reader:
    source = io.BytesIO(data)
    if kind == "tar.gz":
        return gzip.GzipFile(fileobj=source, mode="rb")
    if kind == "tar.xz":
        return lzma.LZMAFile(source)
    if kind == "tar.bz2":
        return bz2.BZ2File(source)
    if kind == "tar.zst":
        return _TruncationCheckingZstd(source)
    return source


class _TruncationCheckingZstd:
    """zstd frames read in bounded steps; a cut-off frame is an error (zstandard's own stream
    reader ends quietly on one)."""

    # One step feeds this much compressed input; a zstd block of one repeated byte is 4 bytes
    # for 128 KiB out, so one step yields at most FEED / 4 x 128 KiB (8 MiB): bounded.
    FEED = 256

    def __init__(self, source: io.BytesIO) -> None:
        self._decompressor = zstandard.ZstdDecompressor().decompressobj()
        self._source = source
        self._buffer = bytearray()
        self._position = 0

    def read(self, size: int) -> bytes:
        while len(self._buffer) - self._position < size:
            if self._decompressor.eof:
                break  # what follows a first frame is not read: tar's end blocks came already
            compressed = self._source.read(self.FEED)
            if not compressed:
                raise EOFError("truncated zstd frame")
            if self._position:
                del self._buffer[: self._position]
                self._position = 0
            self._buffer += self._decompressor.decompress(compressed)
        piece = bytes(self._buffer[self._position : self._position + size])
        self._position += len(piece)
        return piece


def _read_tar(data: bytes, kind: str, collector: SiteCollector) -> None:
    limits = collector.limits
    cap = limits.max_total_bytes + TAR_OVERHEAD_PER_ENTRY * (limits.max_entries + 1) + 20 * 512
    stream = io.BufferedReader(_CountingStream(data, kind, cap, limits), READ_CHUNK)
    try:
        head = stream.peek(TAR_MAGIC_OFFSET + len(TAR_MAGIC))[: TAR_MAGIC_OFFSET + len(TAR_MAGIC)]
    except ValueError:
        head = b""
    if kind != "tar" and head[TAR_MAGIC_OFFSET:] != TAR_MAGIC:
        if not head.strip(b"\x00"):
            raise empty_site(collector.what)
        raise SiteCheckError(
            415,
            "unsupported-archive",
            "Not a supported archive",
            f"The upload is a {kind.removeprefix('tar.')} stream, but what it holds is not a tar "
            "archive; compress a tar of the site, or send a zip.",
        )
    try:
        # Closed in the finally below; a `with` would not cover the open's own errors.
        archive = tarfile.open(  # noqa: SIM115
            fileobj=stream, mode="r|", encoding="utf-8", errors="surrogateescape"
        )
    except (tarfile.TarError, EOFError, OSError) as error:
        raise corrupt(kind, str(error) or type(error).__name__) from None
    try:
        for member in _members(archive, kind):
            collector.count_entry()
            path = checked_path(member.name, limits)
            if member.isdir():
                collector.add_folder(path)
                continue
            if not member.isreg() or member.issparse():
                raise unsupported_entry(path, _tar_kind(member))
            if path.endswith("/"):
                raise unsupported_entry(path, "file whose name ends in '/'")
            collector.add(path, _read_tar_entry(archive, member, path, kind, collector))
    finally:
        archive.close()


def _members(archive: tarfile.TarFile, kind: str) -> Iterator[tarfile.TarInfo]:
    while True:
        try:
            member = archive.next()
        except (tarfile.TarError, EOFError, OSError, UnicodeError) as error:
            raise corrupt(kind, str(error) or type(error).__name__) from None
        if member is None:
            return
        yield member


def _read_tar_entry(
    archive: tarfile.TarFile,
    member: tarfile.TarInfo,
    path: str,
    kind: str,
    collector: SiteCollector,
) -> bytes:
    entry = archive.extractfile(member)
    assert entry is not None  # a regular file always has one
    chunks: list[bytes] = []
    size = 0
    try:
        while chunk := entry.read(READ_CHUNK):
            size += len(chunk)
            collector.count_bytes(path, size, len(chunk))
            chunks.append(chunk)
    except (tarfile.TarError, EOFError, OSError) as error:
        raise corrupt(kind, f"{path[:200]!r}: {str(error) or type(error).__name__}") from None
    if size != member.size:
        raise corrupt(kind, f"{path[:200]!r} ends after {size} of its {member.size} bytes")
    return b"".join(chunks)


def _tar_kind(member: tarfile.TarInfo) -> str:
    if member.issym():
        return "symbolic link"
    if member.islnk():
        return "hard link"
    if member.ischr():
        return "character device"
    if member.isblk():
        return "block device"
    if member.isfifo():
        return "FIFO"
    if member.issparse():
        return "sparse file"
    return "special file"
