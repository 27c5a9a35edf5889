"""The import-linter contracts in pyproject.toml hold on the code, and each one fails when broken.

Each case copies app/ and pyproject.toml into a temporary folder, adds one import that crosses a
line the contract draws, and runs lint-imports on the copy: the contract must come out broken
and the command must exit non-zero. The unbroken copy passes, so the failure is the import's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(project: Path, contract: str | None = None) -> subprocess.CompletedProcess[str]:
    """lint-imports over `project`'s app/ with its pyproject.toml (the copy, not the editable
    install: PYTHONPATH puts the copy first)."""
    command = [str(LINT_IMPORTS), "--no-cache"]
    if contract is not None:
        command += ["--contract", contract]
    return subprocess.run(
        command,
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(project)},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    shutil.copytree(PROJECT / "app", tmp_path / "app", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PROJECT / "pyproject.toml", tmp_path)
    return tmp_path


def test_the_code_keeps_every_contract() -> None:
    result = lint_imports(PROJECT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("contract", "module", "crossing_import"),
    [
        pytest.param("pure-cores", "app/engine/cpus.py", "import fastapi", id="engine-imports-web"),
        pytest.param(
            "pure-cores", "app/compression/codec.py", "import starlette", id="formats-import-web"
        ),
        pytest.param(
            "pure-cores",
            "app/sitecheck/limits.py",
            "import multipart",
            id="sitecheck-imports-web",
        ),
        pytest.param(
            "layers",
            "app/sitecheck/limits.py",
            "import app.web.problems",
            id="sitecheck-imports-http-layer",
        ),
        pytest.param(
            "tinysite-without-engine",
            "app/tinysite/csp.py",
            "import app.engine.delivery",
            id="tinysite-imports-engine",
        ),
        pytest.param(
            "lambda-side-at-the-edge",
            "app/web/cors.py",
            "import app.aws.mount",
            id="web-imports-lambda-side",
        ),
        pytest.param(
            "layers",
            "app/compression/codec.py",
            "import app.web.problems",
            id="formats-import-http-layer",
        ),
        pytest.param(
            "acyclic",
            "app/engine/cpus.py",
            "import app.engine.benchmark",
            id="cycle-inside-engine",
        ),
    ],
)
def test_a_crossing_import_breaks_its_contract(
    project_copy: Path, contract: str, module: str, crossing_import: str
) -> None:
    assert lint_imports(project_copy, contract).returncode == 0
    source = project_copy / module
    source.write_text(source.read_text() + f"\n{crossing_import}  # crosses the line\n")
    result = lint_imports(project_copy, contract)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    assert "1 broken" in result.stdout
