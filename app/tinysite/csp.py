"""The Content-Security-Policy of the site's pages: only the site itself, nothing inline but styles
whose exact text the policy names by hash.

Pure: HTML text in, a header value out. Computed once, at import, from the pages as they ship.
"""

from __future__ import annotations

import base64
import hashlib
import re

# The text of each <style> element, as CSP hashes it (CSP3 §8.4: the element's text content,
# UTF-8 encoded). The site's pages write plain <style>, never with attributes.
_STYLE_ELEMENT = re.compile(r"<style>(.*?)</style>", re.DOTALL | re.IGNORECASE)


def inline_styles(page_html: str) -> list[str]:
    """The text of every <style> element of `page_html`, in order."""
    return _STYLE_ELEMENT.findall(page_html)


def source_hash(text: str) -> str:
    """The CSP hash-source of an inline style or script: 'sha256-<base64>' (CSP3 §2.3.1)."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy(styles: list[str]) -> str:
    """A policy allowing only this origin's script, fetches and forms, and exactly `styles` inline.

    Guarantees: no inline script, no eval, no other origin for anything; style attributes are
    refused (only the listed <style> texts apply); images only from this origin or data: URLs
    (the favicon is `data:,`); the page cannot be framed and no <base> can redirect its links.
    """
    style_sources = " ".join(dict.fromkeys(source_hash(style) for style in styles)) or "'none'"
    return (
        "default-src 'none'; script-src 'self'; "
        f"style-src {style_sources}; "
        "connect-src 'self'; img-src 'self' data:; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    )
