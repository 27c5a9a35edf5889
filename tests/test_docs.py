"""The README and docs/ hold together: every relative link resolves, anchors included.

A newcomer follows the README's map into docs/; a link to a renamed page or heading would
strand them, so each one is checked against the files and their headings as GitHub renders
them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# [text](target) outside code spans; images too. Targets with a scheme are not relative.
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`[^`\n]*`")


def _prose(markdown: str) -> str:
    return CODE_SPAN.sub("", FENCE.sub("", markdown))


def github_anchor(heading: str) -> str:
    """The id GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = CODE_SPAN.sub(lambda match: match.group(0).strip("`"), heading).strip().lower()
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors_of(document: Path) -> set[str]:
    headings = re.findall(r"^#{1,6}\s+(.+?)\s*#*$", FENCE.sub("", document.read_text()), re.M)
    return {github_anchor(heading) for heading in headings}


def relative_links(document: Path) -> list[str]:
    return [t for t in LINK.findall(_prose(document.read_text())) if not SCHEME.match(t)]


def test_there_are_docs_and_links_to_check() -> None:
    assert len(DOCUMENTS) >= 7
    assert sum(len(relative_links(document)) for document in DOCUMENTS) >= 10


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_relative_link_resolves(document: Path) -> None:
    broken = []
    for target in relative_links(document):
        path_part, _, anchor = target.partition("#")
        resolved = (document.parent / path_part).resolve() if path_part else document
        if not resolved.exists():
            broken.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors_of(resolved):
            broken.append(f"{target}: no heading #{anchor} in {resolved.name}")
    assert not broken, f"{document.name}: " + "; ".join(broken)


def test_the_readme_maps_every_docs_page_and_stays_short() -> None:
    readme = (ROOT / "README.md").read_text()
    for page in sorted((ROOT / "docs").glob("*.md")):
        assert f"(docs/{page.name})" in readme, f"README.md does not link docs/{page.name}"
    assert len(readme.splitlines()) <= 150


def test_the_anchor_rule_matches_githubs() -> None:
    assert github_anchor("The Lambda path, locally") == "the-lambda-path-locally"
    assert github_anchor("Download: `POST /compress/{codec}?level=N`") == (
        "download-post-compresscodecleveln"
    )
    assert github_anchor("Cold start of the Lambda artifact") == "cold-start-of-the-lambda-artifact"
