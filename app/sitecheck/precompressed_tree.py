"""The precompressed variants of a planned site, as a zip to unpack over the site's folder.

Beside each file's path go the variants the static plan keeps: `.br`, `.gz` and `.zst`, each
only where it is smaller than the file and the file is not skipped (under the size threshold,
or saving under the saving threshold). That is the layout nginx's gzip_static and
brotli_static, Caddy's `file_server { precompressed br zstd gzip }` and similar servers read.
Guarantees of `precompressed_zip`:
- every variant is decoded again here and compared with its file byte for byte before it is
  written; one that differs is left out and listed (it never happened in the tests);
- the zip holds the variants only, not the files (the client has them): with the files, a
  site's zip would pass what one Lambda response carries after base64 (6 MB) for most uploads
  of 4 MiB; even so, variants that would take the zip past `max_bytes` are left out and listed,
  brotli's first (every current browser accepts br), then gzip's, then zstd's;
- entries are stored (variants are already compressed), dated 1980-01-01 (the same input
  gives the same bytes), with mode 0644; the zip's comment summarises what it holds.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from app.compression.registry import CODECS
from app.sitecheck.candidates import VARIANT_EXTENSION
from app.sitecheck.plan import SitePlan

# What one Lambda response carries: 6 MB of JSON event, the body base64-encoded (4/3), less
# room for the headers: the same 4 MiB as the upload limit (app/config.py).
MAX_TREE_BYTES = 4 * 1024 * 1024
DECODER = {"br": CODECS["brotli"].decompress, "gzip": CODECS["gzip"].decompress}
DECODER["zstd"] = CODECS["zstd"].decompress
ORDER = ("br", "gzip", "zstd")
ZIP_ENTRY_OVERHEAD = 30 + 46 + 2  # local header, central directory record (APPNOTE 4.3.7, 4.3.12)


@dataclass(frozen=True)
class LeftOut:
    path: str
    reason: str


@dataclass(frozen=True)
class PrecompressedZip:
    body: bytes
    variants: int
    variant_bytes: int
    left_out: tuple[LeftOut, ...]


@dataclass(frozen=True)
class Variant:
    name: str  # the file's path plus .br, .gz or .zst
    coding: str
    body: bytes


def kept_variants(plan: SitePlan, files: dict[str, bytes]) -> tuple[list[Variant], list[LeftOut]]:
    """The variants the static plan keeps (plan made with keep_variants), each decoded again
    and compared with its file; brotli's first, then gzip's, then zstd's, by path."""
    left_out: list[LeftOut] = []
    planned = {f.path: f for f in plan.files}
    chosen: list[Variant] = []
    for coding in ORDER:
        for path, variants in sorted(plan.variants.items()):
            body = variants.get(coding)
            file_plan = planned.get(path)
            if body is None or file_plan is None or file_plan.skipped is not None:
                continue
            if len(body) >= file_plan.size:
                continue
            if DECODER[coding](body) != files[path]:
                left_out.append(
                    LeftOut(path + VARIANT_EXTENSION[coding], "did not decode to the file")
                )
                continue
            chosen.append(Variant(path + VARIANT_EXTENSION[coding], coding, body))
    return chosen, left_out


def precompressed_zip(
    plan: SitePlan, files: dict[str, bytes], max_bytes: int = MAX_TREE_BYTES
) -> PrecompressedZip:
    """The zip of `plan`'s kept variants of `files` (path -> bytes), at most `max_bytes`."""
    chosen, left_out = kept_variants(plan, files)
    buffer = io.BytesIO()
    written = 0
    count = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        written_bytes = 0
        for variant in chosen:
            name, body = variant.name, variant.body
            cost = len(body) + 2 * len(name.encode()) + ZIP_ENTRY_OVERHEAD
            if written + cost + 1024 > max_bytes:
                left_out.append(
                    LeftOut(
                        name,
                        f"the zip would pass {max_bytes:,} bytes, the most one response carries",
                    )
                )
                continue
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_STORED
            archive.writestr(info, body)
            written += cost
            written_bytes += len(body)
            count += 1
        archive.comment = (
            f"{count} precompressed variants for {len(plan.files)} files by the site check; "
            f"{len(left_out)} left out. Unzip over the site's folder."
        ).encode()
    return PrecompressedZip(buffer.getvalue(), count, written_bytes, tuple(left_out))
