"""TinySite: the biggest smallest website, precompressed at import and content-negotiated.

`PAGES` maps each path to its page in every content coding; `NOT_FOUND_PAGE` is the HTML 404
(`not_found_page(depth)` the same for a path that many levels deeper, its links climbing back);
`ASSETS` maps the site's script to its bytes in the same codings; `DICTIONARY` is the site's
compression dictionary (RFC 9842) as a resource, the pages' dcz bodies made with it.
No web framework here: app/web/routes/site.py serves these bytes.

Holds the pages and their build (`precompressed`, pages/), the bodies' cache from the artifact's
build (`encoded_bodies`), content negotiation (`negotiation`, RFC 9110 §12.5.3), conditional
requests (`conditional`), the site dictionary (`site_dictionary`), the policy (`csp`) and the
browser UI's scripts as served (`script`; the files are app/web/assets/, read as data).

May import: `app.compression` and `app.config`; never the benchmark engine (`app.engine`), the
HTTP layer or the Lambda side, and nothing web (pyproject.toml's contracts).
"""

from app.tinysite.precompressed import (
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
