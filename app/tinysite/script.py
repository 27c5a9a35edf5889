"""The site's scripts (assets/app.js and the charts.js it loads), ready to be precompressed and
served like the pages.

They live on their own paths rather than inline in the home page, so the home page keeps its
one-packet budget and the policy can say `script-src 'self'` with no inline script at all.
The home page names app.js only; app.js loads charts.js with its own query string. That query
carries a hash of both texts, so a page never runs a script, or a pair, from an older deploy.
Two files because one would not fit: each served body must fit the 14 KiB first flight.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

# CompressTest's browser UI, which the HTTP layer owns (app/web/assets/): TinySite serves the
# two files as it serves its pages, reading them as data; it imports nothing from app.web.
SCRIPT_FILE = Path(__file__).resolve().parents[1] / "web" / "assets" / "app.js"
SCRIPT_PATH = "/app.js"
CHARTS_FILE = SCRIPT_FILE.with_name("charts.js")
CHARTS_PATH = "/charts.js"
SITECHECK_FILE = SCRIPT_FILE.with_name("sitecheck.js")
SITECHECK_PATH = "/sitecheck.js"
SCRIPT_MEDIA_TYPE = "text/javascript; charset=utf-8"  # RFC 9239


def compact(source: str, name: str = SCRIPT_FILE.name) -> str:
    """`source` without indentation, blank lines and whole-line `//` comments.

    JavaScript does not care about leading whitespace, and a line break stays wherever there was
    one, so automatic semicolon insertion sees the same program. That holds only while no string
    spans lines: a line with an odd number of backticks (a template literal left open) raises
    ValueError. Measured: app.js's 9,969 bytes become 7,609 and charts.js's 15,370 become 11,510
    (brotli: 4,620 become 3,591), which keeps each identity response inside the site's 14 KiB
    first flight.
    """
    lines = [line.strip() for line in source.splitlines()]
    for number, line in enumerate(lines, start=1):
        if line.count("`") % 2:
            raise ValueError(f"{name}:{number}: a template literal spans lines")
    return "\n".join(line for line in lines if line and not line.startswith("//")) + "\n"


def script_text() -> str:
    """app.js as served."""
    return compact(SCRIPT_FILE.read_text(encoding="utf-8"))


def charts_text() -> str:
    """charts.js as served."""
    return compact(CHARTS_FILE.read_text(encoding="utf-8"), CHARTS_FILE.name)


def sitecheck_text() -> str:
    """sitecheck.js as served: the site check page's own script (the other pages never load it)."""
    return compact(SITECHECK_FILE.read_text(encoding="utf-8"), SITECHECK_FILE.name)


def sitecheck_url(text: str) -> str:
    """sitecheck.js's URL relative to the pages, versioned by a hash of its served text."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return f"{SITECHECK_PATH.lstrip('/')}?v={digest[:12]}"


def versioned_url(*texts: str) -> str:
    """app.js's URL relative to the pages, with a hash of `texts` (the served scripts): a new
    deploy's pages ask for the new scripts, and app.js passes the same version on to charts.js.
    Relative, so it resolves under any mount prefix (app/aws/mount.py)."""
    digest = hashlib.sha256("\0".join(texts).encode("utf-8")).hexdigest()
    return f"{SCRIPT_PATH.lstrip('/')}?v={digest[:12]}"
