"""The site's pages, rendered and compressed once, at import: a request only looks bytes up.

Each page is a fragment in pages/ poured into pages/layout.html; the few facts a page states
about the service (upload limit, codec levels, the site's own sizes) are filled in here from
the code that decides them, so the pages cannot drift from it.

Every URL in a page is relative, so the same bytes work wherever the site is mounted: at the
root under uvicorn or the HTTP API, under the REST API's stage (/v1/), under a custom domain's
base path. The pages all live one level below the mount point, so `api` or `./` resolve
alike from each; the 404 page, which answers at any depth, climbs back with `../` per level
(`{{root}}` in the layout), one precompressed variant per depth (not_found_page).

The order of the build has no loop: the script; the page drafts (the dictionary link a
placeholder, the about page without its sizes); the site dictionary from the drafts
(app/tinysite/site_dictionary.py); the pages, linking to it, in every coding and in dcz with it;
last the about page, with the sizes of everything but itself.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from app.compression.registry import CODECS
from app.config import settings
from app.tinysite import site_dictionary
from app.tinysite.csp import content_security_policy, inline_styles
from app.tinysite.encoded_bodies import EncodedBodies, Encoding, read_cache
from app.tinysite.negotiation import IDENTITY
from app.tinysite.script import (
    CHARTS_FILE,
    CHARTS_PATH,
    SCRIPT_FILE,
    SCRIPT_MEDIA_TYPE,
    SCRIPT_PATH,
    SITECHECK_FILE,
    SITECHECK_PATH,
    charts_text,
    script_text,
    sitecheck_text,
    sitecheck_url,
    versioned_url,
)
from app.tinysite.site_dictionary import SiteDictionary, build_dictionary

PAGES_DIR = Path(__file__).resolve().with_name("pages")

# Content codings (RFC 9110 §8.4.1) at each library's strongest setting: the cost is paid once
# per container, the saving on every response. deflate and gzip: zopfli's stream, smaller than
# zlib 9's (app/compression/zopfli_encoder.py), or zlib 9's where zopfli is not installed.
ENCODINGS: dict[str, Encoding] = {
    "deflate": Encoding("deflate", 9, zopfli=True),  # zlib format (RFC 1950)
    "gzip": Encoding("gzip", 9, zopfli=True),  # mtime 0: the same bytes each time
    "br": Encoding("brotli", 11),
    "zstd": Encoding("zstd", 19),
}
CODINGS = (IDENTITY, *ENCODINGS)
# RFC 9842's Dictionary-Compressed Zstandard, offered only to a client holding the site's
# dictionary. (dcb is not made: app/compression/dictionary_transport.py says why.) Level 19 and 22
# gave the same bytes on every page; 19 is the level the zstd coding uses. A body made on a request
# (a deeper 404 page) uses level 3, as QUICK_ENCODINGS' zstd does.
DICTIONARY_CODING = "dcz"
DCZ_LEVEL = 19
QUICK_DCZ_LEVEL = 3
# The same codings at levels that cost a tenth of a millisecond on a page, for the bodies made
# on a request (the 404 page at a new depth): there the strongest levels took 17 ms (brotli 11)
# and 0.2 ms (zstd 19) of the 404 page, a price a client asking for ever new depths could make
# the server pay. Brotli 4, not 5: from 5 up brotli allocates its 4 MiB-window hash tables,
# fresh pages each time under app/memory.py's malloc settings (0.6-9 ms against 0.05 ms for
# 849 bytes instead of 783; measured here).
QUICK_ENCODINGS: dict[str, Encoding] = {
    "deflate": Encoding("deflate", 6),
    "gzip": Encoding("gzip", 6),
    "br": Encoding("brotli", 4),
    "zstd": Encoding("zstd", 3),
}
# Every body this import encodes, taken from the artifact's build when it shipped them
# (app/tinysite/encoded_bodies.py): the same bytes, without the 45 ms of compressing.
BODIES = EncodedBodies(read_cache())
HTTP_CODING_OF_CODEC = {"deflate": "deflate", "gzip": "gzip", "brotli": "br", "zstd": "zstd"}

MEDIA_TYPE = "text/html; charset=utf-8"
# Pages change only with a deploy. An hour of freshness, then a cheap revalidation by ETag.
CACHE_CONTROL = "public, max-age=3600"
# Only this origin: its one script, its fetches, its form; inline, only the layout's <style>,
# named by hash (app/tinysite/csp.py). The results page shares the layout, so the policy too.
CONTENT_SECURITY_POLICY = content_security_policy(
    inline_styles((PAGES_DIR / "layout.html").read_text(encoding="utf-8"))
)
Headers = tuple[tuple[bytes, bytes], ...]


@dataclass(frozen=True)
class PageSource:
    """Where a page lives and the file of its main content."""

    path: str
    filename: str
    title: str


@dataclass(frozen=True)
class Representation:
    """One page in one content coding, with its response headers ready to send.

    `headers` are those of a full response (Content-Length included, also right for HEAD);
    `not_modified_headers` those RFC 9110 §15.4.5 asks of a 304 (ETag, Vary, Cache-Control).
    """

    coding: str
    body: bytes
    etag: str
    headers: Headers
    not_modified_headers: Headers


@dataclass(frozen=True)
class Page:
    """A page in every coding of CODINGS, and in dcz when it was encoded with the dictionary.

    `body_sizes` (CODINGS only) feeds the negotiation's tie-break for every client;
    `dictionary_body_sizes` (CODINGS and dcz) for a client holding the site dictionary, and
    is None for a resource that has no dcz body.
    """

    path: str
    title: str
    html: str
    representations: Mapping[str, Representation]
    body_sizes: Mapping[str, int]
    dictionary_body_sizes: Mapping[str, int] | None = None


SOURCES = (
    PageSource("/", "home.html", "CompressTest: how small does your file get?"),
    PageSource("/api", "api.html", "The API · CompressTest"),
    PageSource("/codecs", "codecs.html", "The codecs · CompressTest"),
    PageSource("/check", "check.html", "Check a whole site · CompressTest"),
    PageSource("/about", "about.html", "TinySite, the biggest smallest website"),
)
NOT_FOUND_SOURCE = PageSource("", "not_found.html", "Not found · CompressTest")
SIZES_SOURCE_PATH = "/about"


def _read(filename: str) -> str:
    return (PAGES_DIR / filename).read_text(encoding="utf-8")


def _fill(template: str, values: Mapping[str, str]) -> str:
    """`template` with each {{name}} replaced; raises KeyError for a name without a value."""
    parts = template.split("{{")
    filled = [parts[0]]
    for part in parts[1:]:
        name, closing, rest = part.partition("}}")
        if not closing or name not in values:
            raise KeyError(f"page placeholder {{{{{name}}}}} has no value")
        filled.append(values[name] + rest)
    return "".join(filled)


def render(source: PageSource, values: Mapping[str, str], root: str = "") -> str:
    """The page's full HTML: its fragment, filled in, inside the layout.

    `root` leads every link to another page: "" for a page one level below the mount point,
    "../" for each level deeper.
    """
    main = _fill(_read(source.filename), {**values, "root": root}).strip()
    layout_values = {
        "title": html.escape(source.title),
        "main": main,
        "root": root,
        "dictionary_href": values["dictionary_href"],
    }
    return _fill(_read("layout.html"), layout_values)


def byte_size_text(size: int) -> str:
    """'4 MiB' for whole mebibytes, '1,536 KiB' for whole kibibytes, else '1,000 bytes'."""
    for unit, factor in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size % factor == 0:
            return f"{size // factor:,} {unit}"
    return f"{size:,} bytes"


def codec_table() -> str:
    """The codecs page's table, from the registry the service actually runs."""
    rows = [
        "<table>",
        "<tr><th>codec<th>levels<th>default<th>HTTP coding<th>type",
    ]
    for codec in CODECS.values():
        http_coding = HTTP_CODING_OF_CODEC.get(codec.name, "—")
        rows.append(
            f"<tr><td><a href=#{codec.name}>{codec.name}</a><td>{codec.level_range_text()}"
            f"<td>{codec.default_level}<td>{http_coding}<td>{html.escape(codec.media_type)}"
        )
    rows.append("</table>")
    return "\n".join(rows)


SIZE_COLUMNS = (*CODINGS, DICTIONARY_CODING)


def sizes_table(pages: Mapping[str, Mapping[str, int]]) -> str:
    """Bytes of each page (label -> coding -> size) per coding of SIZE_COLUMNS, a coding the
    page does not come in as "—"; the smallest of a row in bold."""
    rows = ["<table>", "<tr><th>path<th>" + "<th>".join(SIZE_COLUMNS)]
    for label, sizes in pages.items():
        smallest = min(sizes.values())
        cells = [
            "—"
            if coding not in sizes
            else f"<b>{sizes[coding]:,}</b>"
            if sizes[coding] == smallest
            else f"{sizes[coding]:,}"
            for coding in SIZE_COLUMNS
        ]
        rows.append(f"<tr><td>{label}<td>" + "<td>".join(cells))
    rows.append("</table>")
    return "\n".join(rows)


def _etag(coding: str, body: bytes) -> str:
    # Strong (RFC 9110 §8.8.3): it changes whenever a byte of this representation does.
    return f'"{coding}-{hashlib.sha256(body).hexdigest()[:20]}"'


def encode(
    source: PageSource,
    page_html: str,
    *,
    vary: str = "Accept-Encoding",
    cacheable: bool = True,
    media_type: str = MEDIA_TYPE,
    encodings: Mapping[str, Encoding] = ENCODINGS,
    encoder: EncodedBodies = BODIES,
    cache_control: str = CACHE_CONTROL,
    extra_headers: Headers = (),
    dictionary: SiteDictionary | None = None,
    dcz_level: int = DCZ_LEVEL,
) -> Page:
    """Compress `page_html` in every coding and build each representation's headers.

    With a `dictionary`, the page also comes in dcz with it (at `dcz_level`), and every
    representation says `Vary: <vary>, Available-Dictionary` (RFC 9842 §6.2), since which one
    a client gets then depends on the dictionary it holds. `cacheable=False` (the 404 page)
    sends no ETag and `Cache-Control: no-cache`: conditional requests apply to 2xx answers only
    (RFC 9110 §13.2.1). `extra_headers` go on full and 304 responses alike.
    """
    identity = page_html.encode("utf-8")
    bodies = {
        IDENTITY: identity,
        **{coding: encoder.encode(encoding, identity) for coding, encoding in encodings.items()},
    }
    if dictionary is not None:
        bodies[DICTIONARY_CODING] = encoder.encode_dcz(identity, dictionary.content, dcz_level)
        vary = f"{vary}, Available-Dictionary"
    representations = {}
    for coding, body in bodies.items():
        etag = _etag(coding, body)
        common: list[tuple[bytes, bytes]] = [
            (b"vary", vary.encode()),
            (b"cache-control", cache_control.encode() if cacheable else b"no-cache"),
        ]
        if cacheable:
            common.append((b"etag", etag.encode()))
        common.extend(extra_headers)
        headers = [
            (b"content-type", media_type.encode()),
            (b"content-length", str(len(body)).encode()),
            *([(b"content-encoding", coding.encode())] if coding != IDENTITY else []),
            *common,
            (b"x-content-type-options", b"nosniff"),
            (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
        ]
        representations[coding] = Representation(coding, body, etag, tuple(headers), tuple(common))
    sizes = {coding: len(body) for coding, body in bodies.items()}
    ordinary = {coding: size for coding, size in sizes.items() if coding != DICTIONARY_CODING}
    with_dictionary = sizes if dictionary is not None else None
    return Page(source.path, source.title, page_html, representations, ordinary, with_dictionary)


def build_assets() -> dict[str, Page]:
    """The site's scripts by path, encoded like a page: the same negotiation, ETag and caching."""
    scripts = (
        (PageSource(SCRIPT_PATH, SCRIPT_FILE.name, "app.js"), script_text()),
        (PageSource(CHARTS_PATH, CHARTS_FILE.name, "charts.js"), charts_text()),
        (PageSource(SITECHECK_PATH, SITECHECK_FILE.name, "sitecheck.js"), sitecheck_text()),
    )
    return {
        source.path: encode(source, text, media_type=SCRIPT_MEDIA_TYPE) for source, text in scripts
    }


def page_values(dictionary_href: str) -> dict[str, str]:
    """What the pages' placeholders say, from the code and settings that decide it."""
    return {
        "script_src": versioned_url(
            *(asset.html for path, asset in ASSETS.items() if path != SITECHECK_PATH)
        ),
        "sitecheck_src": sitecheck_url(ASSETS[SITECHECK_PATH].html),
        "max_upload": byte_size_text(settings.max_upload_bytes),
        "max_upload_bytes": str(settings.max_upload_bytes),
        "budget_seconds": f"{settings.budget_seconds:g}",
        "codec_table": codec_table(),
        "dictionary_href": dictionary_href,
    }


def build_site_dictionary() -> SiteDictionary:
    """The dictionary of the page drafts: the dictionary link a placeholder of the real one's
    length, the about page without its sizes.

    The 404 page first, then SOURCES, home first since it is usually read before the
    dictionary arrives; the pages read after it sit nearer the end, which zstd reaches with
    the shortest offsets.
    """
    values = {**page_values(site_dictionary.PLACEHOLDER_HREF), "sizes": ""}
    return build_dictionary(render(source, values) for source in [NOT_FOUND_SOURCE, *SOURCES])


def build_not_found(depth: int, dictionary: SiteDictionary) -> Page:
    """The 404 page for a path `depth` levels below the pages' own ("/a/b" is 1 deeper).

    Only depth 0 is built at import, at the strongest levels, and stored in the artifact's
    BODIES; a deeper one is built on the request that first asks for it, at QUICK_ENCODINGS'
    levels (dcz at QUICK_DCZ_LEVEL), and left out of what the build writes.
    """
    return encode(
        NOT_FOUND_SOURCE,
        render(NOT_FOUND_SOURCE, page_values(dictionary.href), root="../" * depth),
        vary="Accept, Accept-Encoding",
        cacheable=False,
        encodings=ENCODINGS if depth == 0 else QUICK_ENCODINGS,
        encoder=BODIES if depth == 0 else EncodedBodies(),
        dictionary=dictionary,
        dcz_level=DCZ_LEVEL if depth == 0 else QUICK_DCZ_LEVEL,
    )


def encode_dictionary(dictionary: SiteDictionary) -> Page:
    """The dictionary as a resource: every ordinary coding (browsers fetch it in br), a year
    of caching, and `Use-As-Dictionary` on each answer."""
    source = PageSource(dictionary.path, "", "site dictionary")
    return encode(
        source,
        dictionary.content.decode("utf-8"),
        media_type=site_dictionary.MEDIA_TYPE,
        cache_control=site_dictionary.CACHE_CONTROL,
        extra_headers=((b"use-as-dictionary", dictionary.use_as_dictionary.encode()),),
    )


def relative_link(path: str) -> str:
    """A page's link as the pages write it: "/api" -> "api", "/" -> "./"."""
    return path.lstrip("/") or "./"


def build_site(dictionary: SiteDictionary) -> tuple[dict[str, Page], Page, Page]:
    """Every page by path, the 404 page and `dictionary` as a resource; the about page carries
    the other bodies' sizes."""
    values = page_values(dictionary.href)
    pages = {
        source.path: encode(source, render(source, values), dictionary=dictionary)
        for source in SOURCES
        if source.path != SIZES_SOURCE_PATH
    }
    not_found = build_not_found(0, dictionary)
    dictionary_resource = encode_dictionary(dictionary)
    # The about page lists every other body. Its own row is left out on purpose: writing its
    # sizes into it changes them, and the fixed point of that loop was found to cycle (and to
    # cost a second of start-up) whenever a page or a setting changed. Its Content-Length
    # tells its size in whichever coding was sent.
    measured = {
        **{
            f"<a href={relative_link(path)}>{path}</a>": page.dictionary_body_sizes
            or page.body_sizes
            for path, page in pages.items()
        },
        "404 page": not_found.dictionary_body_sizes or not_found.body_sizes,
        **{path: asset.body_sizes for path, asset in ASSETS.items()},
        "the dictionary": dictionary_resource.body_sizes,
    }
    sizes_source = next(source for source in SOURCES if source.path == SIZES_SOURCE_PATH)
    sizes_values = {**values, "sizes": sizes_table(measured)}
    pages[SIZES_SOURCE_PATH] = encode(
        sizes_source, render(sizes_source, sizes_values), dictionary=dictionary
    )
    ordered = {source.path: pages[source.path] for source in SOURCES}
    return ordered, not_found, dictionary_resource


ASSETS = build_assets()
SITE_DICTIONARY = build_site_dictionary()
PAGES, NOT_FOUND_PAGE, DICTIONARY = build_site(SITE_DICTIONARY)


# Bounded: a client asking for ever new depths costs one quick compression per new depth
# (bench/bench_mount.py), and never more memory than 16 variants.
@lru_cache(maxsize=16)
def not_found_page(depth: int) -> Page:
    """The 404 page whose links resolve from a path `depth` levels below the pages' own."""
    return NOT_FOUND_PAGE if depth == 0 else build_not_found(depth, SITE_DICTIONARY)
