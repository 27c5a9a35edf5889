"""TinySite: the biggest smallest website, precompressed at import and content-negotiated.

`PAGES` maps each path to its page in every content coding; `NOT_FOUND_PAGE` is the HTML 404
(`not_found_page(depth)` the same for a path that many levels deeper, its links climbing back);
`ASSETS` maps the site's script to its bytes in the same codings; `DICTIONARY` is the site's
compression dictionary (RFC 9842) as a resource, the pages' dcz bodies made with it.
No web framework here: app/routes/site.py serves these bytes.
"""

from app.website.precompressed import (
    ASSETS,
    DICTIONARY,
    NOT_FOUND_PAGE,
    PAGES,
    Page,
    Representation,
    not_found_page,
)

__all__ = [
    "ASSETS",
    "DICTIONARY",
    "NOT_FOUND_PAGE",
    "PAGES",
    "Page",
    "Representation",
    "not_found_page",
]
