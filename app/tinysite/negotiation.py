"""Proactive negotiation (RFC 9110 §12): which content coding to send, and HTML or JSON.

Pure functions over header values; no web framework. Header values arrive as the client sent
them, several field lines already joined with ", " (RFC 9110 §5.3).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

IDENTITY = "identity"

# RFC 9110 §5.6.2: token = 1*tchar.
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
# RFC 9110 §12.4.2: weight = OWS ";" OWS "q=" qvalue
#                   qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
_QVALUE = r"(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)"
_WEIGHT = rf"[ \t]*;[ \t]*[qQ]=(?P<q>{_QVALUE})"
# RFC 9110 §12.5.3: Accept-Encoding = #( codings [ weight ] ); codings = content-coding /
# "identity" / "*" (content-coding is a token, and so are "identity" and "*").
_CODING_ELEMENT = re.compile(rf"(?P<coding>{_TOKEN})(?:{_WEIGHT})?")
# RFC 9110 §12.5.1: media-range = ( "*/*" / ( type "/" "*" ) / ( type "/" subtype ) ) parameters
#                   parameter = parameter-name "=" parameter-value (a token or a quoted-string)
_PARAMETER_VALUE = rf'(?:{_TOKEN}|"(?:[^"\\]|\\.)*")'
_PARAMETERS = re.compile(rf"[ \t]*;[ \t]*(?P<name>{_TOKEN})=(?P<value>{_PARAMETER_VALUE})")
_MEDIA_RANGE = re.compile(
    rf"(?P<type>{_TOKEN})/(?P<subtype>{_TOKEN})"
    rf"(?P<parameters>(?:[ \t]*;[ \t]*{_TOKEN}={_PARAMETER_VALUE})*)"
)
_Q_VALUE = re.compile(_QVALUE)

# RFC 9110 §8.4.1.3: "A recipient SHOULD consider x-gzip to be equivalent to gzip."
_CODING_ALIASES = {"x-gzip": "gzip"}


def _elements(field_value: str) -> list[str]:
    """The non-empty members of a comma-separated list (RFC 9110 §5.6.1), trimmed of OWS."""
    return [element.strip(" \t") for element in field_value.split(",") if element.strip(" \t")]


def parse_accept_encoding(field_value: str) -> dict[str, float]:
    """Map each coding the field names (lower-cased, `*` included) to its qvalue.

    Guarantees: every qvalue is in [0, 1]; a member without a weight has q=1 (RFC 9110
    §12.4.2). Members that do not match the grammar (`gzip;q=2`, `gzip;level=9`, `;;`) are
    skipped rather than failing the request: the rest of the field still says what the client
    can decode. A coding named twice keeps its lowest qvalue, so a `q=0` is never overridden.
    Never raises.
    """
    weights: dict[str, float] = {}
    for element in _elements(field_value):
        match = _CODING_ELEMENT.fullmatch(element)
        if match is None:
            continue
        coding = match["coding"].lower()
        coding = _CODING_ALIASES.get(coding, coding)
        q = float(match["q"]) if match["q"] is not None else 1.0
        weights[coding] = min(q, weights.get(coding, q))
    return weights


def choose_encoding(accept_encoding: str | None, body_sizes: Mapping[str, int]) -> str | None:
    """The coding to send, from `body_sizes` (coding -> body length; must include identity).

    Follows RFC 9110 §12.5.3:
    - no Accept-Encoding field: identity. (The RFC allows any coding then, but a client that
      sends no field may not decode any; identity is the one every client reads.)
    - an empty field: the client wants no coding; identity.
    - `*` matches every available coding the field does not name, identity included.
    - a coding with q=0 is not acceptable; identity is acceptable unless the field excludes it
      with `identity;q=0`, or with `*;q=0` and no entry of its own.
    - of the acceptable codings the highest qvalue wins; ties go to the smallest body.
      Identity that the field does not name (and no `*` covers) ranks below every named coding.

    Returns None when nothing available is acceptable: the caller answers 406.
    """
    if accept_encoding is None:
        return IDENTITY
    weights = parse_accept_encoding(accept_encoding)
    best: tuple[float, int] | None = None
    chosen: str | None = None
    for coding, size in body_sizes.items():
        q = weights.get(coding, weights.get("*"))
        if q is None:
            if coding != IDENTITY:
                continue
            q = 0.0  # identity, not named: acceptable, as the last resort
        elif q == 0:
            continue
        rank = (q, -size)
        if best is None or rank > best:
            best, chosen = rank, coding
    return chosen


def _media_range_weights(accept: str) -> list[tuple[str, str, float]]:
    """(type, subtype, q) for each well-formed media range of an Accept field, lower-cased."""
    ranges = []
    for element in _elements(accept):
        match = _MEDIA_RANGE.fullmatch(element)
        if match is None:
            continue
        q = 1.0
        weights = [
            m["value"]
            for m in _PARAMETERS.finditer(match["parameters"])
            if m["name"].lower() == "q"
        ]
        if weights:
            if not _Q_VALUE.fullmatch(weights[-1]):
                continue  # a weight outside the grammar (q=5): the range is malformed
            q = float(weights[-1])
        ranges.append((match["type"].lower(), match["subtype"].lower(), q))
    return ranges


def media_type_quality(accept: str | None, media_type: str) -> float:
    """The qvalue the Accept field gives `media_type` ("type/subtype"), per RFC 9110 §12.5.1.

    The most specific matching range decides (type/subtype over type/* over */*); media type
    parameters other than q are not compared. No Accept field accepts everything (q=1); a
    field that matches nothing gives 0. Never raises.
    """
    if accept is None:
        return 1.0
    wanted_type, _, wanted_subtype = media_type.lower().partition("/")
    best_specificity, best_q = -1, 0.0
    for range_type, range_subtype, q in _media_range_weights(accept):
        if range_type == "*" and range_subtype == "*":
            specificity = 0
        elif range_type == wanted_type and range_subtype == "*":
            specificity = 1
        elif range_type == wanted_type and range_subtype == wanted_subtype:
            specificity = 2
        else:
            continue
        if specificity > best_specificity:
            best_specificity, best_q = specificity, q
    return best_q


def prefers_html(accept: str | None, alternative: str = "application/problem+json") -> bool:
    """True when the Accept field ranks text/html strictly above `alternative`.

    Browsers ask `text/html,...,*/*;q=0.8` and get HTML; `*/*`, no field, or an API client's
    `application/json` get the alternative (on a tie the server's preference, RFC 9110 §12.1).
    """
    html = media_type_quality(accept, "text/html")
    return html > 0 and html > media_type_quality(accept, alternative)
