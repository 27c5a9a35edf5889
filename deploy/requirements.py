"""Write deploy/requirements.txt from pyproject.toml's [project].dependencies.

pyproject.toml is the one source of truth for what the Lambda artifact ships; the build
(deploy/build_artifact.py) installs from requirements.txt, which this script regenerates and
tests/deploy/test_requirements.py checks for drift.

Usage: python deploy/requirements.py [--check]
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = PROJECT_ROOT / "pyproject.toml"
REQUIREMENTS = PROJECT_ROOT / "deploy" / "requirements.txt"
HEADER = (
    "# Generated from pyproject.toml's [project].dependencies by deploy/requirements.py;\n"
    "# edit pyproject.toml and run `python deploy/requirements.py` instead of this file.\n"
)


def runtime_dependencies(pyproject: Path = PYPROJECT) -> list[str]:
    """The requirement strings of [project].dependencies, in pyproject's order."""
    with pyproject.open("rb") as file:
        return list(tomllib.load(file)["project"]["dependencies"])


def requirements_text(pyproject: Path = PYPROJECT) -> str:
    """The exact content requirements.txt must have for `pyproject`."""
    return HEADER + "".join(f"{requirement}\n" for requirement in runtime_dependencies(pyproject))


def main(argv: list[str]) -> int:
    expected = requirements_text()
    if "--check" in argv:
        current = REQUIREMENTS.read_text() if REQUIREMENTS.exists() else ""
        if current != expected:
            print(f"{REQUIREMENTS} is out of date: run python deploy/requirements.py")
            return 1
        return 0
    REQUIREMENTS.write_text(expected)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
