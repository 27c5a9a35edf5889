"""`python -m app FILE`: the same engine from a shell, table or JSON, progress on stderr.

Most tests call the CLI in this process (the `cli` fixture, tests/cli_runs.py); two run the real
`python -m app`: the table, and an argument error exiting 2.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import noise_cases
import pytest
from cli_runs import InProcessCli, python_m_app
from corpora import python_source
from dcz_reference import prepared_dcz

from app.__main__ import format_delivery, format_table
from app.compression.dictionary_codec import DCZ_SPREAD
from app.compression.dictionary_transport import dictionary_hash
from app.compression.registry import CODECS
from app.engine.benchmark import InputSummary, JobResult, Report
from app.engine.delivery import deliveries, fastest_at


@pytest.fixture(scope="module")
def source_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "sample.py"
    path.write_bytes(python_source(30_000))
    return path


def test_table_is_aligned_and_sorted_by_size(source_file: Path) -> None:
    """A real `python -m app` (not `cli`): the entry point, exit 0 and the table through a pipe."""
    done = python_m_app(str(source_file), "--codecs", "gzip:1,brotli:9,zstd:1-3,bz2:9")
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


def test_progress_bar_goes_to_stderr(cli: InProcessCli, source_file: Path) -> None:
    done = cli(str(source_file), "--codecs", "gzip:1-4")
    assert done.returncode == 0
    assert "[" + "#" * 30 + "] 4/4 jobs" in done.stderr
    assert "1/4 jobs" in done.stderr
    assert "jobs" not in done.stdout


def test_json_matches_the_api_schema(cli: InProcessCli, source_file: Path) -> None:
    done = cli(str(source_file), "--codecs", "xz:0,deflate-raw:9", "--json")
    assert done.returncode == 0
    report = json.loads(done.stdout)
    assert list(report) == [
        "input",
        "dictionary",
        "results",
        "skipped",
        "elapsed_ms",
        "budget_ms",
        "workers",
    ]
    assert report["dictionary"] is None
    assert report["input"]["filename"] == "sample.py"
    assert report["workers"] == 1
    # 30 kB: each phase repeated, xz 0 and deflate-raw 9 taking well under 20 ms of CPU a run.
    assert all(r["repeats"] > 1 for r in report["results"])
    assert [r["size"] for r in report["results"]] == sorted(
        len(CODECS[name].compress(source_file.read_bytes(), level))
        for name, level in [("xz", 0), ("deflate-raw", 9)]
    )


def test_stdin_and_an_empty_input(cli: InProcessCli) -> None:
    done = cli("-", "--codecs", "gzip:6", "--json", stdin=b"")
    assert done.returncode == 0
    report = json.loads(done.stdout)
    assert report["input"] == {
        "filename": None,
        "size": 0,
        "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    }
    assert report["results"][0]["saving"] is None


def test_a_tiny_budget_lists_the_skipped(cli: InProcessCli, source_file: Path) -> None:
    done = cli(str(source_file), "--codecs", "gzip:1,brotli:11", "--budget", "0")
    assert done.returncode == 0
    assert "skipped:" in done.stdout
    assert "brotli 11: " in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--codecs", "lzo"], "Unknown codec 'lzo'"),
        (["--codecs", "zstd:23"], "1-22"),
    ],
)
def test_bad_codecs_exit_2_naming_the_valid(
    cli: InProcessCli, source_file: Path, args: list[str], message: str
) -> None:
    done = cli(str(source_file), *args)
    assert done.returncode == 2
    assert message in done.stderr


def test_a_missing_file_exits_2() -> None:
    """A real `python -m app` (not `cli`): an argument error leaves the interpreter with 2."""
    done = python_m_app("/nonexistent/file.bin")
    assert done.returncode == 2
    assert "cannot read /nonexistent/file.bin" in done.stderr


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """app.v1.py and app.v2.py: the second is the first with a line inserted."""
    folder = tmp_path_factory.mktemp("versions")
    previous = python_source(30_000)
    (folder / "app.v1.py").write_bytes(previous)
    (folder / "app.v2.py").write_bytes(previous[:9_000] + b"# v2\n" + previous[9_000:])
    return folder / "app.v1.py", folder / "app.v2.py"


def test_a_dictionary_adds_dcz_to_the_default_jobs(
    cli: InProcessCli, two_versions: tuple[Path, Path]
) -> None:
    previous, current = two_versions
    done = cli(str(current), "--dictionary", str(previous), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    dcz = sorted((r["level"], r["size"]) for r in report["results"] if r["codec"] == "dcz")
    data, dictionary = current.read_bytes(), previous.read_bytes()
    assert dcz == [(level, len(prepared_dcz(data, dictionary, level))) for level in DCZ_SPREAD]
    assert report["dictionary"] == {
        "filename": "app.v1.py",
        "size": len(dictionary),
        "sha256": dictionary_hash(dictionary).hex(),
    }
    assert len(report["results"]) == sum(len(c.default_run_levels) for c in CODECS.values()) + 3


def test_the_table_names_the_dictionary_and_dcz_rows(
    cli: InProcessCli, two_versions: tuple[Path, Path]
) -> None:
    previous, current = two_versions
    done = cli(str(current), "--dictionary", str(previous), "--codecs", "dcz:7,zstd:7")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[1].startswith("dcz against app.v1.py: 30,000 bytes, sha256 ")
    first_row = lines[lines.index(next(line for line in lines if line.startswith("codec "))) + 1]
    size = len(prepared_dcz(current.read_bytes(), previous.read_bytes(), 7))
    assert first_row.split()[:3] == ["dcz", "7", f"{size:,}"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--codecs", "dcz:3"], "dcz compresses against a dictionary"),
        (["--dictionary", "/nonexistent/v1.py"], "cannot read /nonexistent/v1.py"),
        (["--speeds", "0,10"], "link speeds must be positive"),
        (["--speeds", "fast"], "not a list of Mbit/s"),
    ],
)
def test_bad_dictionary_and_speed_arguments_exit_2(
    cli: InProcessCli, source_file: Path, args: list[str], message: str
) -> None:
    done = cli(str(source_file), *args)
    assert done.returncode == 2
    assert message in done.stderr


def delivery_section(stdout: str) -> list[list[str]]:
    lines = stdout.splitlines()
    header_at = next(i for i, line in enumerate(lines) if line.startswith("link Mbit/s"))
    # Columns are two or more spaces apart; a label such as "gzip 1" has one.
    return [re.split(r"\s{2,}", line.strip()) for line in lines[header_at + 1 :] if line.strip()]


def test_the_time_to_deliver_names_the_fastest_at_each_speed(
    cli: InProcessCli, source_file: Path
) -> None:
    done = cli(str(source_file), "--codecs", "gzip:1,xz:6", "--speeds", "0.5,8,2000")
    assert done.returncode == 0, done.stderr
    assert "precompressed = transfer + decompress; on the fly = compress + transfer" in done.stdout
    rows = delivery_section(done.stdout)
    assert [row[0] for row in rows] == ["0.5", "8", "2000"]
    # The fastest is one of the jobs or the input uncompressed, whatever the timings were.
    assert all(row[1] in ("gzip 1", "xz 6", "uncompressed") for row in rows)
    # At half a megabit the bytes dominate: 30,000 bytes take 480 ms uncompressed.
    assert rows[0][-1] == "480"


def test_format_delivery_uses_the_documented_formula() -> None:
    def result(codec: str, size: int, compress_ms: float, decompress_ms: float) -> JobResult:
        return JobResult(
            codec,
            1,
            size,
            0,
            0,
            compress_ms,
            0,
            0,
            decompress_ms,
            0,
            True,
            1,
            1,
            compress_ms,
            decompress_ms,
        )

    report = Report(
        InputSummary("x", 1_000_000, ""),
        results=[result("slow-small", 100_000, 500.0, 20.0), result("fast-big", 400_000, 2.0, 1.0)],
    )
    rows = delivery_section(format_delivery(report, (1.0, 100.0, 10_000.0)))
    # 1 Mbit/s: 100,000 B take 800 ms (+20), 400,000 B take 3,200 ms (+1).
    assert rows[0] == ["1", "slow-small 1", "820", "slow-small 1", "1,320", "8,000"]
    # 100 Mbit/s: 8 + 20 = 28 against 32 + 1 = 33 precompressed; on the fly 528 against 35.
    assert rows[1] == ["100", "slow-small 1", "28.0", "fast-big 1", "35.0", "80.0"]
    # 10 Gbit/s: uncompressed (0.8 ms) beats fast-big (0.32 + 1, + 2 on the fly).
    assert rows[2] == ["10000", "uncompressed", "0.80", "uncompressed", "0.80", "0.80"]
    best = fastest_at(deliveries(report), 100.0)
    assert (best.precompressed.codec, best.on_the_fly.codec) == ("slow-small", "fast-big")


def test_the_table_shows_each_phases_median_and_marks_ties() -> None:
    """Synthetic timings (tests/noise_cases.py): medians beside the fastest, ≈ per the rule."""
    results = [JobResult(**fields) for fields in noise_cases.RESULTS]
    table = format_table(Report(InputSummary("x", noise_cases.INPUT_SIZE, ""), results))
    lines = table.splitlines()
    header_at = next(i for i, line in enumerate(lines) if line.startswith("codec "))
    header = re.split(r"\s{2,}", lines[header_at].strip())
    assert header[5:11] == [
        "compress ms",
        "median",
        "cpu ms",
        "compress MB/s",
        "decompress ms",
        "median",
    ]
    rows = [re.split(r"\s{2,}", line.strip()) for line in lines[header_at + 1 : header_at + 5]]
    by_codec = {row[0]: row for row in rows}
    assert by_codec["lz4"][5:7] == ["1.00", "1.40"]
    marked = {
        (row[0], column)
        for row in rows
        for column, cell in (("compress_mbps", row[8]), ("decompress_mbps", row[11]))
        if cell.startswith("≈ ")
    }
    assert marked == noise_cases.TIED_BY_SIZE
