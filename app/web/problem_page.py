"""A problem as an HTML page, for a browser that asked for HTML: the home page's form posted
without JavaScript, or a link followed to a path that has no page.

The page states the title, the detail and, when the problem names one, the limit that was
crossed; it links back to the home page, relative to the request's path so that it works under
any prefix (the REST API's /v1/ too). It has no script, style or image: its policy allows
nothing else.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
MiB = 1024 * 1024


def home_link(path_below_prefix: str) -> str:
    """The relative URL of the home page from `path_below_prefix` ("/compress/gzip" -> "../")."""
    depth = max(0, path_below_prefix.count("/") - 1)
    return "../" * depth or "./"


def limit_text(limit: int) -> str:
    """4194304 -> "4,194,304 bytes (4 MiB)"."""
    return f"{limit:,} bytes ({limit / MiB:g} MiB)"


def problem_page(problem: Mapping[str, Any], path_below_prefix: str) -> bytes:
    """The HTML page for the problem body `problem` (RFC 9457 members) of a request to
    `path_below_prefix` (the path without the mount prefix)."""
    status = problem.get("status")
    title = str(problem.get("title") or "Error")
    heading = f"{status} {title}" if status else title
    parts = [
        "<!doctype html><html lang=en><meta charset=utf-8>",
        '<meta name=viewport content="width=device-width,initial-scale=1">',
        f"<title>{html.escape(heading)}</title>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p id=detail>{html.escape(str(problem.get('detail') or ''))}</p>",
    ]
    limit = problem.get("limit")
    if isinstance(limit, int) and not isinstance(limit, bool):
        parts.append(f"<p id=limit>The limit is {html.escape(limit_text(limit))}.</p>")
    parts.append(
        f'<p><a href="{html.escape(home_link(path_below_prefix))}">Back to the form</a></p>'
    )
    return "\n".join(parts).encode()
