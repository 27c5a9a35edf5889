"""TinySite's compression dictionary (RFC 9842): the site's own pages, so each page after the
first travels as a few dozen bytes of dcz.

The dictionary is the pages' HTML as they are before the dictionary exists (drafts: the link
to the dictionary still holds PLACEHOLDER_HREF, the about page still has no sizes), joined. Its
SHA-256 names it everywhere: in its URL (a new deploy with other pages gets a new URL, so a
year of caching is safe), in its `id`, and in the `Available-Dictionary` a browser sends back.
Built with the site at import from the page sources (text only, no compression; in the Lambda
artifact its encoded bodies and the pages' dcz bodies come from the build, like every other
body). There is no loop: the final pages only point at the dictionary and never feed it.

Pure: text in, bytes and header values out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from app.compression.dictionary_transport import (
    available_dictionary_value,
    dictionary_hash,
    use_as_dictionary_value,
)

STEM = "tinysite-"
SUFFIX = ".dict"
VERSION_DIGITS = 12
# What the drafts link to: as long as the real name, so the pages' own bytes barely move.
PLACEHOLDER_HREF = f"{STEM}{'0' * VERSION_DIGITS}{SUFFIX}"
MEDIA_TYPE = "text/plain; charset=utf-8"
# The URL changes with every byte of the dictionary: cache it for a year, never revalidate.
# Chromium keeps a dictionary only while its response is fresh (RFC 9842 §2.2.1).
CACHE_CONTROL = "public, max-age=31536000, immutable"
# Relative to the dictionary's URL (URLPattern resolves it against that): every URL in its
# directory, the site's pages at the root and under an API Gateway stage prefix alike.
MATCH = "*"
# Separates the pages inside the dictionary; zstd finds matches across it either way.
PAGE_SEPARATOR = "\n"


@dataclass(frozen=True)
class SiteDictionary:
    """The dictionary's bytes and every name it goes by."""

    content: bytes

    @property
    def digest(self) -> bytes:
        """Its SHA-256: what `Available-Dictionary` carries and a dcz body starts with."""
        return dictionary_hash(self.content)

    @property
    def version(self) -> str:
        return hashlib.sha256(self.content).hexdigest()[:VERSION_DIGITS]

    @property
    def path(self) -> str:
        """Where the app serves it, at the root: `/tinysite-<version>.dict`."""
        return f"/{self.href}"

    @property
    def href(self) -> str:
        """The link to it from a page at the site's root directory: relative, so it works
        under a stage prefix too."""
        return f"{STEM}{self.version}{SUFFIX}"

    @property
    def available_dictionary(self) -> str:
        """The `Available-Dictionary` value of a client holding it."""
        return available_dictionary_value(self.digest)

    @property
    def use_as_dictionary(self) -> str:
        """Its `Use-As-Dictionary` response header value (RFC 9842 §2.1)."""
        return use_as_dictionary_value(MATCH, f"{STEM}{self.version}")


def build_dictionary(page_drafts: Iterable[str]) -> SiteDictionary:
    """The dictionary made of `page_drafts` (HTML text), in order.

    zstd reaches the end of a raw-content dictionary with the shortest offsets, so the pages
    most likely to be read after the first should come last.
    """
    return SiteDictionary(PAGE_SEPARATOR.join(page_drafts).encode("utf-8"))
