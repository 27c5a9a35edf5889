"""deploy/requirements.txt is pyproject.toml's [project].dependencies, and nothing else."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from deploy.requirements import REQUIREMENTS, requirements_text, runtime_dependencies

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_requirements_txt_is_generated_from_pyproject() -> None:
    assert REQUIREMENTS.read_text() == requirements_text()


def test_every_runtime_dependency_is_listed_once() -> None:
    listed = [
        line
        for line in REQUIREMENTS.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert listed == runtime_dependencies()
    assert "fastapi>=0.115" in listed


def test_a_drifted_pyproject_is_caught(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    original = (PROJECT_ROOT / "pyproject.toml").read_text()
    pyproject.write_text(original.replace('"mangum>=0.19",', '"mangum>=0.19",\n    "orjson>=3",'))
    assert requirements_text(pyproject) != REQUIREMENTS.read_text()
    assert "orjson>=3\n" in requirements_text(pyproject)


def test_the_check_command_passes_on_the_committed_file() -> None:
    checked = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "deploy" / "requirements.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout
