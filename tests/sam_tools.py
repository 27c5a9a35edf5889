"""The SAM CLI and the Lambda runtime's Python, found and run the same way by tests and benchmarks.

aws-sam-cli lives in its own virtualenv, .venv-sam (made by `./dev test`): its translator pins
pydantic and click to versions other than the app's, so it cannot share .venv. cfn-lint comes
with it (`sam validate --lint` runs it).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = PROJECT_ROOT / "template.yaml"
SAM_VENV_BIN = PROJECT_ROOT / ".venv-sam" / "bin"
ARTIFACT_RUNNER = Path(__file__).resolve().parent / "artifact_runner.py"
FUNCTION_ID = "CompressTestFunction"
LAMBDA_PYTHON = "python3.13"


def sam_tool(name: str) -> Path:
    """The path of `sam` or `cfn-lint` in .venv-sam; AssertionError saying how to get it."""
    tool = SAM_VENV_BIN / name
    assert tool.exists(), f"{tool} is missing: run ./dev test (or ./dev sam) once to install it"
    return tool


def lambda_python() -> Path:
    """A Python 3.13 executable: $LAMBDA_PYTHON, else python3.13 on PATH, else pyenv's."""
    candidates = [os.environ.get("LAMBDA_PYTHON"), shutil.which(LAMBDA_PYTHON)]
    candidates += sorted(str(p) for p in Path.home().glob(".pyenv/versions/3.13*/bin/python3.13"))
    for candidate in filter(None, candidates):
        probe = subprocess.run(
            [candidate, "-c", "import sys; print(sys.version_info[:2] == (3, 13))"],
            capture_output=True,
            text=True,
        )
        if probe.stdout.strip() == "True":
            return Path(candidate)
    raise AssertionError("no Python 3.13 found (set LAMBDA_PYTHON to one)")


def sam_environment() -> dict[str, str]:
    """The environment for the SAM CLI: no telemetry, a region, python3.13 first on PATH."""
    env = dict(os.environ)
    env["SAM_CLI_TELEMETRY"] = "0"
    env.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    env["PATH"] = f"{lambda_python().parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def host_architecture() -> str:
    """This machine's architecture as Lambda names it (arm64 or x86_64)."""
    machine = platform.machine().lower()
    return "arm64" if machine in ("aarch64", "arm64") else "x86_64"


def sam_build(build_dir: Path, architecture: str | None = None) -> Path:
    """Run `sam build` of template.yaml into `build_dir`; return the function's artifact folder."""
    architecture = architecture or host_architecture()
    subprocess.run(
        [
            str(sam_tool("sam")),
            "build",
            "--template-file",
            str(TEMPLATE),
            "--build-dir",
            str(build_dir),
            "--parameter-overrides",
            f"Architecture={architecture}",
        ],
        cwd=PROJECT_ROOT,
        env=sam_environment(),
        check=True,
        capture_output=True,
    )
    return build_dir / FUNCTION_ID


def copy_without_bytecode(artifact: Path, destination: Path) -> Path:
    """A copy of `artifact` with no .pyc: what SAM's default Python build would ship."""
    shutil.copytree(artifact, destination, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return destination


def run_artifact(
    artifact: Path, events: list[dict[str, Any]], env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Serve `events` in a fresh Python 3.13 that sees only `artifact` and the standard library.

    `-I -S`: no site-packages, no PYTHON* variables, not even the script's own folder on
    sys.path. `-B`: no .pyc written, as on Lambda's read-only /var/task.
    Returns artifact_runner.py's report: results, timings and what was imported from where.
    """
    completed = subprocess.run(
        [str(lambda_python()), "-I", "-S", "-B", str(ARTIFACT_RUNNER), str(artifact)],
        input=json.dumps(events),
        capture_output=True,
        text=True,
        env={"LOG_LEVEL": "WARNING", "PATH": os.environ.get("PATH", ""), **(env or {})},
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    report: dict[str, Any] = json.loads(completed.stdout.splitlines()[-1])
    return report
