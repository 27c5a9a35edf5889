"""`python -m app FILE`: the same engine from a shell, table or JSON, progress on stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from corpora import python_source

from app.algorithms import CODECS

PROJECT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=PROJECT,
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def source_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "sample.py"
    path.write_bytes(python_source(30_000))
    return path


def test_table_is_aligned_and_sorted_by_size(source_file: Path) -> None:
    done = run_cli(str(source_file), "--codecs", "gzip:1,brotli:9,zstd:1-3,bz2:9")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("sample.py: 30,000 bytes, sha256 ")
    header_at = next(i for i, line in enumerate(lines) if line.startswith("codec "))
    rows = lines[header_at + 1 : header_at + 7]
    data = source_file.read_bytes()
    jobs = [("gzip", 1), ("brotli", 9), ("zstd", 1), ("zstd", 2), ("zstd", 3), ("bz2", 9)]
    expected = sorted(
        (len(CODECS[name].compress(data, level)), name, level) for name, level in jobs
    )
    assert [
        (int(r.split()[2].replace(",", "")), r.split()[0], int(r.split()[1])) for r in rows
    ] == expected
    # Aligned: every row's size column ends where the header's does.
    size_end = lines[header_at].index("size") + len("size")
    assert all(row[size_end - 1].isdigit() and row[size_end] == " " for row in rows)
    assert all(row.rstrip().endswith("yes") for row in rows)
    # The runs column: compress/decompress runs, each at least one.
    runs = [row.split()[-2].split("/") for row in rows]
    assert all(int(c) >= 1 and int(d) >= 1 for c, d in runs)
    assert "fastest run" in done.stdout
    assert "1 job at a time" in done.stdout


def test_progress_bar_goes_to_stderr(source_file: Path) -> None:
    done = run_cli(str(source_file), "--codecs", "gzip:1-4")
    assert done.returncode == 0
    assert "[" + "#" * 30 + "] 4/4 jobs" in done.stderr
    assert "1/4 jobs" in done.stderr
    assert "jobs" not in done.stdout


def test_json_matches_the_api_schema(source_file: Path) -> None:
    done = run_cli(str(source_file), "--codecs", "xz:0,deflate-raw:9", "--json")
    assert done.returncode == 0
    report = json.loads(done.stdout)
    assert list(report) == ["input", "results", "skipped", "elapsed_ms", "budget_ms", "workers"]
    assert report["input"]["filename"] == "sample.py"
    assert report["workers"] == 1
    # 30 kB: each phase repeated, xz 0 and deflate-raw 9 taking well under 20 ms of CPU a run.
    assert all(r["repeats"] > 1 for r in report["results"])
    assert [r["size"] for r in report["results"]] == sorted(
        len(CODECS[name].compress(source_file.read_bytes(), level))
        for name, level in [("xz", 0), ("deflate-raw", 9)]
    )


def test_stdin_and_an_empty_input() -> None:
    done = run_cli("-", "--codecs", "gzip:6", "--json", stdin=b"")
    assert done.returncode == 0
    report = json.loads(done.stdout)
    assert report["input"] == {
        "filename": None,
        "size": 0,
        "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    }
    assert report["results"][0]["saving"] is None


def test_a_tiny_budget_lists_the_skipped(source_file: Path) -> None:
    done = run_cli(str(source_file), "--codecs", "gzip:1,brotli:11", "--budget", "0")
    assert done.returncode == 0
    assert "skipped:" in done.stdout
    assert "brotli 11: " in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--codecs", "lz4"], "Unknown codec 'lz4'"),
        (["--codecs", "zstd:23"], "1-22"),
    ],
)
def test_bad_codecs_exit_2_naming_the_valid(
    source_file: Path, args: list[str], message: str
) -> None:
    done = run_cli(str(source_file), *args)
    assert done.returncode == 2
    assert message in done.stderr


def test_a_missing_file_exits_2() -> None:
    done = run_cli("/nonexistent/file.bin")
    assert done.returncode == 2
    assert "cannot read /nonexistent/file.bin" in done.stderr
