"""Conditional GET (RFC 9110 §13.1.2): does the client already hold this representation?"""

from __future__ import annotations

import re

# RFC 9110 §8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE. etagc admits ",", so a list of
# tags cannot be split on commas; each tag is found whole instead.
_ENTITY_TAG = re.compile(r'(?:W/)?("[\x21\x23-\x7e\x80-\xff]*")')


def is_not_modified(if_none_match: str | None, etag: str) -> bool:
    """True when If-None-Match matches `etag` (a strong tag, quotes included): answer 304.

    RFC 9110 §13.1.2: `*` matches any current representation; otherwise the field matches
    when one of its tags equals `etag` under the weak comparison (§8.8.3.2), so `W/"x"`
    matches `"x"`. No field, or a field with no well-formed tag, matches nothing. Never raises.
    """
    if if_none_match is None:
        return False
    if if_none_match.strip(" \t") == "*":
        return True
    return any(match[1] == etag for match in _ENTITY_TAG.finditer(if_none_match))
