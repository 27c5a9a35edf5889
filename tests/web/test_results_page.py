"""The HTML results page (app/web/results_page.py) and the site's CSP (app/tinysite/csp.py).

Reports come from the real engine over real bytes; the page is read back with the standard
library's HTML parser, as a browser would tokenize it, so escaping is checked by structure.
"""

from __future__ import annotations

import base64
import hashlib
import html
from dataclasses import replace
from html.parser import HTMLParser

import noise_cases
import pytest
from corpora import python_source
from fastapi.testclient import TestClient
from lambda_events import invoke

from app.compression.codec_spec import parse_codec_spec
from app.compression.registry import CODECS
from app.engine.benchmark import Budget, InputSummary, Report, SkippedJob, benchmark
from app.engine.job_timing import JobResult
from app.tinysite.csp import content_security_policy, inline_styles, source_hash
from app.tinysite.precompressed import CONTENT_SECURITY_POLICY
from app.web.results_page import (
    LAYOUT_PATH,
    download_url,
    results_page,
    saving_text,
    speed_text,
)

# Their reports are read for what they say and how they are shown, not for their timing.
pytestmark = pytest.mark.usefixtures("quick_timing")

HOSTILE_NAME = "<script>alert(1)</script>.txt"
JOBS = [(CODECS["gzip"], 9), (CODECS["zstd"], 3), (CODECS["bz2"], 1), (CODECS["deflate"], 1)]


class PageReader(HTMLParser):
    """Start tags with their attributes, the text of each element by id, the table's rows."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text_by_id: dict[str, str] = {}
        self.rows: list[list[str]] = []
        self.title = ""
        self._open_ids: list[tuple[str, str]] = []
        self._in_title = False
        self._in_cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if attributes.get("id"):
            self._open_ids.append((tag, str(attributes["id"])))
            self.text_by_id.setdefault(str(attributes["id"]), "")
        if tag == "title":
            self._in_title = True
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th"):
            self.rows[-1].append("")
            self._in_cell = True

    def handle_endtag(self, tag: str) -> None:
        if self._open_ids and self._open_ids[-1][0] == tag:
            self._open_ids.pop()
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        for _, element_id in self._open_ids:
            self.text_by_id[element_id] += data
        if self._in_title:
            self.title += data
        if self._in_cell and self.rows and self.rows[-1]:
            self.rows[-1][-1] += data.strip()


def read_page(page: str) -> PageReader:
    reader = PageReader()
    reader.feed(page)
    reader.close()
    return reader


def real_report(filename: str | None = HOSTILE_NAME, size: int = 64 * 1024) -> Report:
    return benchmark(python_source(size), JOBS, Budget(60), filename=filename)


@pytest.fixture(scope="module")
def report() -> Report:
    return real_report()


def test_a_hostile_file_name_is_text_not_markup(report: Report) -> None:
    page = results_page(report)
    reader = read_page(page)
    assert "<script" not in page.lower()
    assert [tag for tag, _ in reader.tags if tag == "script"] == []
    assert reader.text_by_id["filename"] == HOSTILE_NAME
    assert HOSTILE_NAME in reader.title
    assert html.escape(HOSTILE_NAME) in page


@pytest.mark.parametrize(
    "filename",
    [
        '"><img src=x onerror=alert(1)>',
        "' onmouseover='alert(1)",
        "{{main}}{{title}}.txt",
        "</title><script>alert(1)</script>",
        "a&amp;b <!-- c",
    ],
)
def test_any_file_name_comes_back_exactly_as_text(filename: str) -> None:
    report = real_report(filename, size=4096)
    reader = read_page(results_page(report))
    assert reader.text_by_id["filename"] == filename
    assert [tag for tag, _ in reader.tags if tag in ("script", "img")] == []
    assert reader.title == f"{filename} · CompressTest results"
    # The layout is filled once: one <main>, one <title>, whatever the name holds.
    assert [tag for tag, _ in reader.tags].count("main") == 1
    assert [tag for tag, _ in reader.tags].count("title") == 1


def test_the_table_lists_every_result_by_size_with_its_download(report: Report) -> None:
    reader = read_page(results_page(report))
    heading, *rows = reader.rows
    assert heading[:3] == ["codec", "level", "size"]
    by_size = sorted(report.results, key=lambda r: r.size)
    assert [(row[0], int(row[1]), int(row[2].replace(",", ""))) for row in rows] == [
        (r.codec, r.level, r.size) for r in by_size
    ]
    assert [row[3] for row in rows] == [f"{r.ratio:.2f}" for r in by_size]
    assert all(row[7] == "yes" for row in rows)
    actions = [attrs["formaction"] for tag, attrs in reader.tags if tag == "button"]
    assert actions == [f"compress/{r.codec}?level={r.level}" for r in by_size]


def test_the_table_is_by_size_whatever_order_the_report_has(report: Report) -> None:
    shuffled = replace(report, results=list(reversed(report.results)))
    rows = read_page(results_page(shuffled)).rows[1:]
    sizes = [int(row[2].replace(",", "")) for row in rows]
    assert sizes == sorted(sizes)
    assert len(sizes) == len(JOBS)


def test_the_page_shows_the_input_size_and_sha256(report: Report) -> None:
    page = results_page(report)
    reader = read_page(page)
    assert reader.text_by_id["sha256"] == hashlib.sha256(python_source(64 * 1024)).hexdigest()
    assert f"{64 * 1024:,} bytes" in page


def test_downloads_ask_again_for_a_file_as_a_file(report: Report) -> None:
    tags = read_page(results_page(report)).tags
    form = next(attrs for tag, attrs in tags if tag == "form")
    assert form["method"] == "post"
    assert form["enctype"] == "multipart/form-data"
    inputs = [attrs for tag, attrs in tags if tag == "input"]
    assert inputs == [{"type": "file", "name": "file", "required": None}]


def test_downloads_ask_again_for_text_as_text() -> None:
    reader = read_page(results_page(real_report(None, size=4096)))
    assert reader.text_by_id["filename"] == "your text"
    textareas = [attrs for tag, attrs in reader.tags if tag == "textarea"]
    assert textareas == [{"name": "text", "rows": "4", "required": None}]
    assert [tag for tag, _ in reader.tags if tag == "input"] == []


def test_skipped_jobs_are_listed_with_their_reason_escaped(report: Report) -> None:
    reason = "failed: ValueError('<b onclick=alert(1)>x</b>')"
    with_skipped = replace(report, skipped=[SkippedJob("xz", 9, reason)])
    reader = read_page(results_page(with_skipped))
    assert reader.text_by_id["skipped"].strip() == f"xz 9: {reason}"
    assert all(tag != "b" or not attrs for tag, attrs in reader.tags)


def test_no_skipped_section_when_nothing_was_skipped(report: Report) -> None:
    assert report.skipped == []
    assert "skipped" not in read_page(results_page(report)).text_by_id


def test_a_report_without_results_says_so_and_offers_no_download(report: Report) -> None:
    nothing_ran = replace(
        report,
        results=[],
        skipped=[SkippedJob("xz", 6, "not started: the budget ran out")],
    )
    reader = read_page(results_page(nothing_ran))
    assert [tag for tag, _ in reader.tags if tag in ("form", "table", "button")] == []
    assert "xz 6: not started" in reader.text_by_id["skipped"]


def test_an_empty_input_has_no_saving_and_no_division_by_zero() -> None:
    report = benchmark(b"", JOBS[:2], Budget(60), filename="empty.txt")
    rows = read_page(results_page(report)).rows[1:]
    assert [row[4] for row in rows] == ["—", "—"]


def test_an_unverified_result_stands_out(report: Report) -> None:
    broken: JobResult = replace(report.results[0], verified=False)
    rows = read_page(results_page(replace(report, results=[broken]))).rows[1:]
    assert rows[0][7] == "NO"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1234.5, "1,234"),
        (100.0, "100"),
        (56.78, "56.8"),
        (10.0, "10.0"),
        (8.9, "8.90"),
        (0, "0.00"),
    ],
)
def test_speed_text_keeps_three_significant_figures(value: float, text: str) -> None:
    assert speed_text(value) == text


@pytest.mark.parametrize(("saving", "text"), [(None, "—"), (77.77, "77.8 %"), (-3.04, "-3.0 %")])
def test_saving_text(saving: float | None, text: str) -> None:
    assert saving_text(saving) == text


@pytest.mark.parametrize(
    ("codec", "level", "url"),
    [("gzip", 9, "compress/gzip?level=9"), ("deflate-raw", 0, "compress/deflate-raw?level=0")],
)
def test_download_url(codec: str, level: int, url: str) -> None:
    assert download_url(codec, level) == url


def test_a_codec_name_cannot_leave_its_attribute() -> None:
    assert download_url('a"/b?c', 1) == "compress/a%22%2Fb%3Fc?level=1"


# CSP


def test_source_hash_of_the_empty_string_is_the_known_sha256() -> None:
    # SHA-256 of no bytes, base64: the value CSP hashes are checked against in the spec's examples.
    assert source_hash("") == "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"


def test_the_layout_has_one_inline_style_and_the_policy_names_its_hash() -> None:
    layout = LAYOUT_PATH.read_text(encoding="utf-8")
    styles = inline_styles(layout)
    assert len(styles) == 1
    digest = base64.b64encode(hashlib.sha256(styles[0].encode()).digest()).decode()
    policy = content_security_policy(styles)
    assert f"style-src 'sha256-{digest}';" in policy


def test_the_policy_allows_nothing_from_elsewhere_and_nothing_inline_but_styles() -> None:
    policy = content_security_policy(["body{margin:0}"])
    directives = dict(
        directive.strip().split(" ", 1) for directive in policy.split(";") if directive.strip()
    )
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["form-action"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert "unsafe" not in policy
    assert "http" not in policy


def test_a_page_without_styles_allows_no_style() -> None:
    assert "style-src 'none';" in content_security_policy([])


# --- POST /compress: the page for browsers, JSON for everyone else -----------------------------

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
BOUNDARY = "----results-page-test"
FORM_CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"
FORM_BODY = (
    (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{HOSTILE_NAME}"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()
    + python_source(8192)
    + f"\r\n--{BOUNDARY}--\r\n".encode()
)


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (BROWSER_ACCEPT, "text/html; charset=utf-8"),
        ("text/html", "text/html; charset=utf-8"),
        ("TEXT/HTML, application/json;q=0.9", "text/html; charset=utf-8"),
        ("*/*", "application/json"),  # curl
        (None, "application/json"),
        ("application/json", "application/json"),
        ("application/json, text/html;q=0.9", "application/json"),
        ("text/html, application/json", "application/json"),  # a tie: the server's choice
        ("text/html;q=0, */*", "application/json"),
        ("text/*, application/json;q=0.5", "text/html; charset=utf-8"),
    ],
)
def test_compress_answers_html_only_to_a_client_that_prefers_it(
    accept: str | None, media_type: str, client: TestClient
) -> None:
    headers = {"Content-Type": FORM_CONTENT_TYPE}
    if accept is not None:
        headers["Accept"] = accept
    response = client.post("/compress?codecs=gzip:1,zstd:3", content=FORM_BODY, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert response.headers["vary"] == "Accept"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    if media_type == "application/json":
        assert response.json()["input"]["filename"] == HOSTILE_NAME
        return
    reader = read_page(response.text)
    assert reader.text_by_id["filename"] == HOSTILE_NAME
    assert [tag for tag, _ in reader.tags if tag == "script"] == []
    assert [row[:3] for row in reader.rows[1:]] == [
        [codec, str(level), f"{len(CODECS[codec].compress(python_source(8192), level)):,}"]
        for codec, level in (("zstd", 3), ("gzip", 1))
    ]


def test_through_lambda_a_browser_gets_the_page(shape: str) -> None:
    response = invoke(
        shape,
        method="POST",
        path="/compress",
        query="codecs=deflate:9",
        headers={"content-type": FORM_CONTENT_TYPE, "ACCEPT": BROWSER_ACCEPT},
        body=FORM_BODY,
    )
    assert response.status == 200
    assert response.header("content-type") == "text/html; charset=utf-8"
    assert response.header("content-security-policy") == CONTENT_SECURITY_POLICY
    reader = read_page(response.body.decode("utf-8"))
    assert reader.text_by_id["filename"] == HOSTILE_NAME
    assert reader.rows[1][:3] == [
        "deflate",
        "9",
        f"{len(CODECS['deflate'].compress(python_source(8192), 9)):,}",
    ]


# --- with a dictionary -------------------------------------------------------------------------

PREVIOUS = python_source(8192)
DICTIONARY = InputSummary(HOSTILE_NAME, len(PREVIOUS), hashlib.sha256(PREVIOUS).hexdigest())


def dcz_report(filename: str | None = "app.v2.js") -> Report:
    jobs = parse_codec_spec("dcz:1,dcz:19,gzip:6", PREVIOUS)
    return benchmark(PREVIOUS + b"# v2\n", jobs, Budget(60), filename=filename)


def test_the_dictionary_is_named_as_text_with_its_sha256() -> None:
    page = results_page(dcz_report(), DICTIONARY)
    reader = read_page(page)
    assert reader.text_by_id["dictionary-name"] == HOSTILE_NAME
    assert reader.text_by_id["dictionary-sha256"] == hashlib.sha256(PREVIOUS).hexdigest()
    assert "<script" not in page.lower()
    assert "40-byte header" in page


def test_dcz_rows_download_from_their_own_url() -> None:
    reader = read_page(results_page(dcz_report(), DICTIONARY))
    actions = [attrs["formaction"] for tag, attrs in reader.tags if tag == "button"]
    assert "compress/dcz?level=1" in actions
    assert "compress/dcz?level=19" in actions


def test_downloads_ask_again_for_the_dictionary_not_required() -> None:
    reader = read_page(results_page(dcz_report(), DICTIONARY))
    inputs = [attrs for tag, attrs in reader.tags if tag == "input"]
    # Only the dcz rows need it, and the form is shared by every row.
    assert inputs == [
        {"type": "file", "name": "file", "required": None},
        {"type": "file", "name": "dictionary"},
    ]
    page = results_page(dcz_report(), DICTIONARY)
    assert f"choose the dictionary <b>{html.escape(HOSTILE_NAME)}</b> again" in page


def test_a_text_dictionary_is_asked_for_again_as_text() -> None:
    text_dictionary = replace(DICTIONARY, filename=None)
    reader = read_page(results_page(dcz_report(None), text_dictionary))
    assert reader.text_by_id["dictionary-name"] == "your text"
    textareas = [attrs["name"] for tag, attrs in reader.tags if tag == "textarea"]
    assert textareas == ["text", "dictionary"]


def test_no_dictionary_field_without_dcz_rows() -> None:
    # A dictionary sent beside codecs that do not use it: nothing to ask for again.
    report = benchmark(PREVIOUS, [(CODECS["gzip"], 1)], Budget(60), filename="a.js")
    reader = read_page(results_page(report, DICTIONARY))
    assert [attrs["name"] for tag, attrs in reader.tags if tag == "input"] == ["file"]
    assert reader.text_by_id["dictionary-name"] == HOSTILE_NAME


def test_compress_with_a_dictionary_answers_a_browser_with_the_page(client: TestClient) -> None:
    response = client.post(
        "/compress",
        params={"codecs": "dcz:3"},
        files={"file": ("v2.js", PREVIOUS + b"x"), "dictionary": ("v1.js", PREVIOUS)},
        headers={"Accept": "text/html,*/*;q=0.8"},
    )
    assert response.headers["content-type"].startswith("text/html")
    reader = read_page(response.text)
    assert reader.text_by_id["dictionary-name"] == "v1.js"
    assert [row[0] for row in reader.rows[1:]] == ["dcz"]


def test_speeds_tied_with_the_row_above_are_marked() -> None:
    """Synthetic timings (tests/noise_cases.py): the marks fall exactly where the rule says."""
    results = [JobResult(**fields) for fields in noise_cases.RESULTS]
    synthetic = Report(InputSummary("synthetic.txt", noise_cases.INPUT_SIZE, "0" * 64), results)
    rows = read_page(results_page(synthetic)).rows[1:]
    marked = {
        (row[0], column)
        for row in rows
        for column, cell in (("compress_mbps", row[5]), ("decompress_mbps", row[6]))
        if cell.startswith("≈ ")
    }
    assert marked == noise_cases.TIED_BY_SIZE
