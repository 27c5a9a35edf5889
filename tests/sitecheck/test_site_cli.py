"""`python -m app site PATH`: the site check from a shell, on a folder or an archive.

Most tests call the CLI in this process (the `cli` fixture, tests/cli_runs.py); the folder
table test runs the real `python -m app site`, the subcommand through the module's entry point.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path

import brotli
import pytest
import zstandard
from cli_runs import InProcessCli, python_m_app
from site_archives import sample_site, tar_bytes


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "public"
    for name, data in sample_site():
        target = root / name.removeprefix("site/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root


def test_folder_table_and_progress(folder: Path) -> None:
    """A real `python -m app site` (not `cli`): the subcommand through the module's entry point."""
    done = python_m_app("site", str(folder), timeout=120)  # a whole site's measurements
    assert done.returncode == 0, done.stderr
    assert "static plan" in done.stdout
    assert "typical server default" in done.stdout
    assert "index.html" in done.stdout
    assert "fast levels" in done.stderr  # the progress bar
    assert "[" + "#" * 30 + "]" in done.stderr


def test_archive_json_matches_the_api_shape(cli: InProcessCli, tmp_path: Path) -> None:
    archive = tmp_path / "site.tar.zst"
    archive.write_bytes(tar_bytes(sample_site(), "zst"))
    done = cli.site(str(archive), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["root"] == "site"
    assert report["totals"]["files"] == len(sample_site())
    assert {"static", "dynamic", "typical_server", "identity"} <= set(report["totals"])


def test_write_puts_verified_variants_beside_the_files(cli: InProcessCli, folder: Path) -> None:
    before = {p.relative_to(folder) for p in folder.rglob("*")}
    done = cli.site(str(folder), "--write")
    assert done.returncode == 0, done.stderr
    written = {p.relative_to(folder) for p in folder.rglob("*")} - before
    assert written
    decoders: dict[str, Callable[[bytes], bytes]] = {
        ".br": brotli.decompress,
        ".gz": gzip.decompress,
    }
    decoders[".zst"] = zstandard.ZstdDecompressor().decompress
    for relative in written:
        original = folder / relative.with_suffix("")
        body = (folder / relative).read_bytes()
        assert decoders[relative.suffix](body) == original.read_bytes()
        assert len(body) < original.stat().st_size
    names = {str(p) for p in written}
    assert "index.html.br" in names
    assert not any(n.startswith(("robots.txt", "img/photo.png")) for n in names)
    assert not list(folder.rglob(".sitecheck-*"))  # no temporary file left behind


def test_write_needs_a_folder(cli: InProcessCli, tmp_path: Path) -> None:
    archive = tmp_path / "site.zip"
    archive.write_bytes(tar_bytes(sample_site()))
    done = cli.site(str(archive), "--write")
    assert done.returncode == 2
    assert "--write needs a folder" in done.stderr


def test_refused_site_exits_with_the_problem(cli: InProcessCli, tmp_path: Path) -> None:
    archive = tmp_path / "evil.tar"
    archive.write_bytes(tar_bytes([("../escape.html", b"<p>x")]))
    done = cli.site(str(archive))
    assert done.returncode == 2
    assert "/problems/unsafe-path" in done.stderr


def test_folder_symlink_is_refused(cli: InProcessCli, folder: Path) -> None:
    (folder / "link.html").symlink_to("/etc/hostname")
    done = cli.site(str(folder))
    assert done.returncode == 2
    assert "/problems/unsupported-entry" in done.stderr


def test_plain_file_benchmark_still_works(cli: InProcessCli, tmp_path: Path) -> None:
    sample = tmp_path / "site"  # a file named like the subcommand, given as a path
    sample.write_bytes(b"hello " * 500)
    done = cli(str(sample), "--codecs", "gzip:6", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["results"][0]["codec"] == "gzip"
