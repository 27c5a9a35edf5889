"""Each file's media type: from its extension, sniffed from its first bytes when it has none.

Also which types a typical server compresses on the fly: nginx with `gzip on` compresses
`text/html` only (its gzip_types default); the configuration Debian's and Ubuntu's nginx
packages ship lists, commented out beside `gzip_comp_level 6`, the types in
NGINX_TYPICAL_GZIP_TYPES. That list plus text/html, at level 6, is the "typical server
default" every saving here is compared with.
"""

from __future__ import annotations

import posixpath

OCTET_STREAM = "application/octet-stream"

# The extensions of the web, to the types browsers and servers use (IANA; nginx's mime.types).
# A table, not the `mimetypes` module, which reads the host's /etc/mime.types: the same file
# must get the same type on a laptop and on Lambda.
BY_EXTENSION: dict[str, str] = {
    ".html": "text/html",
    ".htm": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".cjs": "text/javascript",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".xml": "application/xml",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".svg": "image/svg+xml",
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".csv": "text/csv",
    ".ics": "text/calendar",
    ".wasm": "application/wasm",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/vnd.microsoft.icon",
    ".bmp": "image/bmp",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".eot": "application/vnd.ms-fontobject",
    ".pdf": "application/pdf",
    ".zip": "application/zip",
    ".gz": "application/gzip",
    ".br": "application/octet-stream",
    ".zst": "application/zstd",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".py": "text/x-python",
}

# (magic prefix, type) for files without an extension; text is recognised after these.
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"wOF2", "font/woff2"),
    (b"wOFF", "font/woff"),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
    (b"\x28\xb5\x2f\xfd", "application/zstd"),
    (b"\x00asm", "application/wasm"),
)

# Debian's /etc/nginx/nginx.conf (package nginx-common): "# gzip_types text/plain text/css
# application/json application/javascript text/xml application/xml application/xml+rss
# text/javascript;". nginx always adds text/html.
NGINX_TYPICAL_GZIP_TYPES = frozenset(
    {
        "text/html",
        "text/plain",
        "text/css",
        "application/json",
        "application/javascript",
        "text/xml",
        "application/xml",
        "application/xml+rss",
        "text/javascript",
    }
)
NGINX_TYPICAL_GZIP_LEVEL = 6
# nginx's gzip_min_length default: shorter responses are sent as they are.
NGINX_GZIP_MIN_LENGTH = 20


def _sniff(head: bytes) -> str:
    for magic, media_type in SIGNATURES:
        if head.startswith(magic):
            return media_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html")):
        return "text/html"
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in text):
        return "image/svg+xml"
    if text.startswith(b"<?xml"):
        return "application/xml"
    if text.startswith((b"{", b"[")):
        return "application/json"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut by the end of the sniffed head is still text.
        if error.start < len(head) - 3 or b"\x00" in head:
            return OCTET_STREAM
    return "text/plain" if b"\x00" not in head else OCTET_STREAM


def media_type(path: str, data: bytes) -> str:
    """The type of the file at `path`: by its extension, else sniffed from its first 512 bytes."""
    extension = posixpath.splitext(path.rsplit("/", 1)[-1])[1].lower()
    known = BY_EXTENSION.get(extension)
    if known is not None:
        return known
    return _sniff(data[:512]) if data else OCTET_STREAM


def compressed_by_typical_server(media: str) -> bool:
    """True when nginx with Debian's suggested gzip_types compresses this type."""
    return media in NGINX_TYPICAL_GZIP_TYPES
