"""The API's interactive docs (/docs): Swagger UI served from this origin, nothing from another.

Pure: bytes and header values, no web framework (app/web/routes/docs.py serves them).

Swagger UI's files come from the `fastapi-offline` package, which ships the swagger-ui-dist
build (5.32 in 1.7.7) as plain files; its FastAPI subclass is not used. FastAPI's own /docs
loads the same files from a CDN, another origin, which fails offline and breaks the policy
below. The page, its start script and the spec are all addressed relative to /docs, so they
resolve under any mount prefix (app/aws/mount.py); /openapi.json names that prefix as its server.

Cold start: the files (1.7 MB) are not read at import. Each is read, and compressed in the one
coding a client asks for, on the first request for it in a container (br at quality 5: 65 ms
for the 1.5 MB bundle against 3.2 s at 11, for 12 % more bytes; measured here), then kept.
"""

from __future__ import annotations

import hashlib
import html
import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from app.compression.registry import CODECS
from app.tinysite.negotiation import IDENTITY

DOCS_PATH = "/docs"
# The codecs and levels of each HTTP content coding: fast enough to pay once per container on a
# request (quality 5 of brotli, 3 of zstd, 6 of zlib), far smaller than identity.
CODING_LEVELS: Mapping[str, tuple[str, int]] = {
    "br": ("brotli", 5),
    "zstd": ("zstd", 3),
    "gzip": ("gzip", 6),
    "deflate": ("deflate", 6),
}
# The negotiation's tie-break (app/tinysite/negotiation.py prefers the smaller body): the
# order of the sizes measured on the bundle, without compressing it to learn them.
PREFERENCE: Mapping[str, int] = {"br": 1, "zstd": 2, "gzip": 3, "deflate": 4, IDENTITY: 5}
# Only this origin: the script files, the stylesheet, the spec and "Try it out" requests.
# Swagger UI sets styles through the DOM (CSSOM), which style-src does not govern; its icons
# are data: URLs. Checked in Chromium (tests/browser/test_browser_doors.py): no violation.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# The files change only with the package (a deploy): a day of freshness, then the ETag.
CACHE_CONTROL = "public, max-age=86400"


def docs_page(title: str) -> bytes:
    """The /docs page: Swagger UI's files and the start script, addressed relative to it."""
    return f"""<!doctype html>
<html lang=en>
<meta charset=utf-8>
<meta name=viewport content="width=device-width,initial-scale=1">
<link rel=icon href="data:,">
<title>{html.escape(title)} · API docs</title>
<link rel=stylesheet href=docs/swagger-ui.css>
<div id=swagger-ui></div>
<script src=docs/swagger-ui-bundle.js></script>
<script src=docs/start.js></script>
""".encode()


# Not inline: the policy allows no inline script. `openapi.json` is relative to the page, so
# under /v1/docs it is /v1/openapi.json. validatorUrl null: else a badge asks validator.swagger.io.
START_SCRIPT = b"""\
"use strict";
window.ui = SwaggerUIBundle({
  url: "openapi.json",
  dom_id: "#swagger-ui",
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  deepLinking: true,
  validatorUrl: null,
});
"""


@dataclass(frozen=True)
class AssetFile:
    """One file of the docs: where it is read from (or its bytes) and its media type."""

    media_type: str
    source: Path | None = None
    content: bytes | None = None

    def identity(self) -> bytes:
        if self.content is not None:
            return self.content
        assert self.source is not None
        return self.source.read_bytes()


@dataclass(frozen=True)
class EncodedAsset:
    """One asset in one content coding, ready to send."""

    coding: str
    body: bytes
    etag: str
    media_type: str


def swagger_ui_dir() -> Path:
    """The folder of fastapi-offline's Swagger UI files, found without importing the package
    (its __init__ would import FastAPI's StaticFiles and more, for nothing)."""
    spec = importlib.util.find_spec("fastapi_offline")
    if spec is None or spec.origin is None:
        raise RuntimeError("the fastapi-offline package (Swagger UI's files) is not installed")
    return Path(spec.origin).parent / "static"


@cache
def asset_files() -> dict[str, AssetFile]:
    """The files under /docs/, by name."""
    swagger_ui = swagger_ui_dir()
    return {
        "swagger-ui-bundle.js": AssetFile(
            "text/javascript; charset=utf-8", swagger_ui / "swagger-ui-bundle.js"
        ),
        "swagger-ui.css": AssetFile("text/css; charset=utf-8", swagger_ui / "swagger-ui.css"),
        "start.js": AssetFile("text/javascript; charset=utf-8", content=START_SCRIPT),
    }


def _etag(coding: str, body: bytes) -> str:
    return f'"{coding}-{hashlib.sha256(body).hexdigest()[:20]}"'


class AssetCache:
    """Each asset in each coding, made on first use and kept for the container's life.

    Guarantees: encoded(name, coding) returns the same bytes every time in a process, and reads
    and compresses an asset at most once per coding: the routes that call it run on the one
    event-loop thread, so two calls never overlap.
    """

    def __init__(self) -> None:
        self._encoded: dict[tuple[str, str], EncodedAsset] = {}

    def encoded(self, name: str, coding: str) -> EncodedAsset:
        """`name` in `coding`; raises KeyError for an unknown asset or coding."""
        key = (name, coding)
        found = self._encoded.get(key)
        if found is not None:
            return found
        asset = asset_files()[name]
        if coding != IDENTITY and coding not in CODING_LEVELS:
            raise KeyError(coding)
        body = asset.identity()
        if coding != IDENTITY:
            codec, level = CODING_LEVELS[coding]
            body = CODECS[codec].compress(body, level)
        found = EncodedAsset(coding, body, _etag(coding, body), asset.media_type)
        self._encoded[key] = found
        return found


ASSETS = AssetCache()
