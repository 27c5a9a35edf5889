"""The CompressTest report as an HTML page: what a browser gets when it posts the form without JS.

Pure: a Report in, a str out, in the site's layout. Every string that came from the request
(the file name) or through the engine (a skip reason may quote an exception) is escaped with
html.escape, attribute values quoted, so no input can add markup. Nothing from the request is
ever put in a URL but the codec name and level, which are percent-encoded and then escaped.

Downloads: the server keeps nothing between requests (Lambda has no state to keep it in), and a
page cannot re-send a file the user chose on the previous page. So the table sits inside one
form that asks for the same input again, and each row's button posts it, with `formaction`, to
`compress/{codec}?level=N`, which answers with the compressed file. A report with a dictionary
asks for it again too, for the dcz rows. With JavaScript, the home page keeps the chosen files
in memory instead and no second choice is needed (assets/app.js). Every URL is relative to the
page's own, /compress, so it resolves under any mount prefix (app/aws/mount.py), like the site's.
"""

from __future__ import annotations

import html
from urllib.parse import quote

from app.compression.dictionary_codec import DCZ
from app.engine.benchmark import InputSummary, Report
from app.engine.job_timing import JobResult, Phase, phase_ties
from app.tinysite.precompressed import PAGES_DIR

LAYOUT_PATH = PAGES_DIR / "layout.html"
# The answer to a POST does not advertise the site's compression dictionary (RFC 9842): it is
# never fetched again, and every page that leads here already linked to the dictionary.
DICTIONARY_LINK = "<link rel=compression-dictionary href={{root}}{{dictionary_href}}>\n"
NO_VALUE = "—"

COLUMNS = (
    "codec",
    "level",
    "size",
    "ratio",
    "saving",
    "compress MB/s",
    "decompress MB/s",
    "verified",
    "download",
)


def _split_layout(layout: str) -> tuple[str, str, str]:
    """The layout around its {{title}} and {{main}}: (before title, between, after main)."""
    before_title, title_mark, rest = layout.partition("{{title}}")
    between, main_mark, after_main = rest.partition("{{main}}")
    if not title_mark or not main_mark or "{{" in before_title + between + after_main:
        raise ValueError(f"{LAYOUT_PATH} must hold {{{{title}}}} then {{{{main}}}}, once each")
    return before_title, between, after_main


# Split once; filling by concatenation means a title can never be mistaken for a placeholder.
# The page answers at /compress, beside the site's pages, so its links need no `../` ({{root}}).
_BEFORE_TITLE, _BETWEEN, _AFTER_MAIN = _split_layout(
    LAYOUT_PATH.read_text(encoding="utf-8").replace(DICTIONARY_LINK, "").replace("{{root}}", "")
)


def in_layout(title: str, main: str) -> str:
    """A whole page: `title` (plain text, escaped here) and `main` (HTML) in the site's layout."""
    return _BEFORE_TITLE + html.escape(title) + _BETWEEN + main + _AFTER_MAIN


def escaped(value: object) -> str:
    """str(value) safe as element text and inside a double- or single-quoted attribute."""
    return html.escape(str(value), quote=True)


def speed_text(megabytes_per_second: float) -> str:
    """Three significant figures at most: '1,234', '56.7', '8.90', '0.12'."""
    if megabytes_per_second >= 100:
        return f"{megabytes_per_second:,.0f}"
    if megabytes_per_second >= 10:
        return f"{megabytes_per_second:.1f}"
    return f"{megabytes_per_second:.2f}"


def saving_text(saving: float | None) -> str:
    return NO_VALUE if saving is None else f"{saving:.1f} %"


def download_url(codec: str, level: int) -> str:
    """Where one row's compressed file comes from (POST the same input there), relative to the
    results page at /compress."""
    return f"compress/{quote(codec, safe='')}?level={int(level)}"


TIE = "≈"


def speed_cell(result: JobResult, above: JobResult | None, phase: Phase) -> str:
    """A speed's cell text, marked ≈ (class tie) when it equals that of the row `above` within
    the noise of their runs (app/engine/job_timing.py's rule, app.js's `tied`)."""
    mbps = result.compress_mbps if phase == "compress" else result.decompress_mbps
    if above is None or not phase_ties(result, above, phase):
        return speed_text(mbps)
    return (
        f'<span class=tie title="as fast as the row above within the noise of their runs">'
        f"{TIE} {speed_text(mbps)}</span>"
    )


def _row(result: JobResult, above: JobResult | None) -> str:
    cells = (
        escaped(result.codec),
        str(int(result.level)),
        f"{result.size:,}",
        f"{result.ratio:.2f}",
        saving_text(result.saving),
        speed_cell(result, above, "compress"),
        speed_cell(result, above, "decompress"),
        "yes" if result.verified else "<b>NO</b>",
        f'<button formaction="{escaped(download_url(result.codec, result.level))}">'
        "download</button>",
    )
    return "<tr><td>" + "<td>".join(cells)


def _input_again(filename: str | None) -> str:
    """The field that takes the same input once more, for the download buttons to post."""
    if filename is None:
        return (
            "<p><label>The server keeps nothing: to download, paste the same text again:<br>"
            "<textarea name=text rows=4 required></textarea></label>"
        )
    return (
        "<p><label>The server keeps nothing: to download, choose "
        f"<b>{escaped(filename)}</b> again: <input type=file name=file required></label>"
    )


def _dictionary_again(dictionary: InputSummary) -> str:
    """The field that takes the dictionary once more; only the dcz rows need it (not required)."""
    if dictionary.filename is None:
        return (
            "<p><label>For a dcz row, paste the same dictionary text again too:<br>"
            "<textarea name=dictionary rows=4></textarea></label>"
        )
    return (
        f"<p><label>For a dcz row, choose the dictionary <b>{escaped(dictionary.filename)}</b> "
        "again too: <input type=file name=dictionary></label>"
    )


def results_table(report: Report, dictionary: InputSummary | None = None) -> str:
    """The results, smallest first, in a form whose row buttons download each one."""
    if not report.results:
        return "<p>No job finished, so there is nothing to compare."
    rows = sorted(report.results, key=lambda r: (r.size, r.codec, r.level))
    first = rows[0]
    has_dcz = dictionary is not None and any(r.codec == DCZ for r in rows)
    return "\n".join(
        [
            "<form method=post enctype=multipart/form-data "
            f'action="{escaped(download_url(first.codec, first.level))}">',
            _input_again(report.input.filename),
            *([_dictionary_again(dictionary)] if dictionary is not None and has_dcz else []),
            "<div class=scroll><table id=results>",
            "<tr><th>" + "<th>".join(COLUMNS),
            *(_row(result, above) for result, above in zip(rows, [None, *rows], strict=False)),
            "</table></div>",
            f"<p>{TIE}: as fast as the row above within the noise of their own runs (each one's "
            "fastest run no slower than the other's median run).",
            "</form>",
        ]
    )


def skipped_list(report: Report) -> str:
    if not report.skipped:
        return ""
    items = (
        f"<li>{escaped(job.codec)} {int(job.level)}: {escaped(job.reason)}"
        for job in report.skipped
    )
    return "\n".join(["<h2>Skipped</h2>", "<ul id=skipped>", *items, "</ul>"])


def dictionary_text(dictionary: InputSummary | None) -> str:
    """What the dcz rows were compressed against, or nothing without a dictionary."""
    if dictionary is None:
        return ""
    name = "your text" if dictionary.filename is None else dictionary.filename
    return (
        f"<p>dcz rows: against the dictionary <q id=dictionary-name>{escaped(name)}</q>, "
        f"{dictionary.size:,} bytes, SHA-256 <code id=dictionary-sha256>"
        f"{escaped(dictionary.sha256)}</code>; their sizes include dcz's 40-byte header."
    )


def results_page(report: Report, dictionary: InputSummary | None = None) -> str:
    """The whole HTML page for `report`: the input, the dictionary if any, the table by size,
    the skipped jobs."""
    source = report.input
    name = "your text" if source.filename is None else source.filename
    summary = (
        f"<p>{source.size:,} bytes, SHA-256 <code id=sha256>{escaped(source.sha256)}</code>. "
        f"{len(report.results)} jobs in {report.elapsed_ms / 1000:.2f} s "
        f"(the budget: {report.budget_ms / 1000:g} s). "
        "Ratio is original ÷ compressed; MB/s are of the original, 10<sup>6</sup> bytes a second."
    )
    main = "\n".join(
        part
        for part in (
            f"<h1>How small <q id=filename>{escaped(name)}</q> gets</h1>",
            summary,
            dictionary_text(dictionary),
            results_table(report, dictionary),
            skipped_list(report),
            "<p><a href=./>Try another</a>",
        )
        if part
    )
    return in_layout(f"{name} · CompressTest results", main)
