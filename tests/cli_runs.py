"""`python -m app ARGS`, run two ways: `InProcessCli` calls app.__main__.main(ARGS) in the test's
own process (the `cli` fixture, tests/conftest.py), `python_m_app` starts a real interpreter.

A `python -m app` subprocess costs about a second of CPU in interpreter start and imports
alone, so most CLI tests run in process; a few keep the real interpreter, so the module's
entry point, its exit status and its output through real pipes stay tested end to end.
"""

from __future__ import annotations

import io
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.__main__ import main

PROJECT = Path(__file__).resolve().parents[1]


def python_m_app(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`python -m app ARGS` in a new interpreter, from the project's folder."""
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass(frozen=True)
class Done:
    """An in-process run's exit status and output, named as subprocess.CompletedProcess's."""

    returncode: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class InProcessCli:
    """`python -m app ARGS` as app.__main__.main(ARGS) in this process, its output captured."""

    capsys: pytest.CaptureFixture[str]
    monkeypatch: pytest.MonkeyPatch

    def __call__(self, *args: str, stdin: bytes | None = None) -> Done:
        if stdin is not None:
            # The CLI reads stdin's bytes (sys.stdin.buffer), as from a pipe.
            self.monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        self.capsys.readouterr()  # only this run's output
        try:
            returncode = main(list(args))
        except SystemExit as stop:  # argparse's errors: SystemExit(2)
            # The status the interpreter would exit with: None is 0, a message is printed, 1.
            code = stop.code
            if code is not None and not isinstance(code, int):
                print(code, file=sys.stderr)
                code = 1
            returncode = code or 0
        out, err = self.capsys.readouterr()
        return Done(returncode, out, err)

    def site(self, *args: str) -> Done:
        """`python -m app site ARGS`."""
        return self("site", *args)
