"""The type checking itself: the brotli stub matches brotli, and every ignore is narrow and argued.

`./dev test` runs mypy (strict, configured in pyproject.toml) before pytest; these tests keep
the two things mypy cannot check for itself honest.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
TYPINGS = PROJECT_ROOT / "typings"
CHECKED = ["app", "handler.py", "deploy", "bench", "tests"]
TYPE_IGNORE = re.compile(r"#\s*type:\s*ignore(?P<codes>\[[^\]]*\])?(?P<rest>.*)$")


def test_the_brotli_stub_matches_the_installed_brotli() -> None:
    """mypy's stubtest imports brotli and compares every name and signature with the stub."""
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy.stubtest",
            "brotli",
            "--allowlist",
            str(TYPINGS / "stubtest-allowlist.txt"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "MYPYPATH": str(TYPINGS)},
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_the_configuration_is_strict_without_exceptions() -> None:
    mypy = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert mypy["strict"] is True
    assert mypy["files"] == CHECKED
    # A strict flag turned off, or a permissive one turned on, would undo part of `strict`.
    relaxed = {
        name
        for name, value in mypy.items()
        if (name.startswith(("disallow_", "warn_", "strict_", "check_")) and value is False)
        or (name.startswith(("ignore_", "allow_", "implicit_")) and value is True)
    }
    assert relaxed == set(), relaxed
    assert "overrides" not in mypy


def is_argued(line: str) -> bool:
    """False for a line whose `type: ignore` lacks an error code or a `# why` after it."""
    found = TYPE_IGNORE.search(line)
    return not found or bool(found["codes"] and found["rest"].strip().startswith("#"))


def python_files() -> list[Path]:
    return sorted(
        path
        for entry in CHECKED
        for path in (
            [PROJECT_ROOT / entry]
            if entry.endswith(".py")
            else (PROJECT_ROOT / entry).rglob("*.py")
        )
    )


def test_every_type_ignore_names_its_error_code_and_says_why() -> None:
    loose = []
    for path in python_files():
        if path == Path(__file__).resolve():  # its own strings spell out ignores
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if not is_argued(line):
                loose.append(f"{path.relative_to(PROJECT_ROOT)}:{number}: {line.strip()}")
    assert loose == []


def test_the_ignore_check_can_tell_a_loose_ignore() -> None:
    assert is_argued("x = f()  # type: ignore[attr-defined]  # the stub lacks it")
    assert is_argued("x = f()")
    assert not is_argued("x = f()  # type: ignore")
    assert not is_argued("x = f()  # type: ignore  # no code")
    assert not is_argued("x = f()  # type: ignore[attr-defined]")
