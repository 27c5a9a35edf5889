"""Build the Lambda artifact: handler.py, app/ and the runtime dependencies, with bytecode.

Run by `sam build` through deploy/<architecture>/Makefile, with the Python 3.13 that the
function's runtime is (the bytecode format changes with every minor version):

    python3.13 deploy/build_artifact.py --architecture arm64 ARTIFACTS_DIR

bench/bench_cold_start.py builds its hello-world baseline the same way, with its own
--requirements and --source.

Guarantees: ARTIFACTS_DIR holds exactly handler.py, app/ and the packages of
deploy/requirements.txt built for Linux on `architecture`, every .py with a cpython-313 .pyc
beside it in __pycache__, and the site's encoded bodies (app/tinysite/encoded_bodies.marshal),
its dictionary's dcz bodies among them; nothing else of the project (no tests, bench,
virtualenvs or the build-only zopfli).
"""

from __future__ import annotations

import argparse
import compileall
import importlib.metadata
import os
import py_compile
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = PROJECT_ROOT / "deploy" / "requirements.txt"
LAMBDA_PYTHON = (3, 13)
# Lambda's machine name for each architecture, as wheel platform tags spell it.
MACHINES = {"arm64": "aarch64", "x86_64": "x86_64"}
# The python3.13 runtime runs on Amazon Linux 2023 (glibc 2.34). pip does not widen a
# manylinux_2_34 tag to older glibc versions by itself, so the common ones are listed; the
# manylinux2014 tag (glibc 2.17) brings manylinux2010 and manylinux1 with it.
GLIBC_TAGS = ("manylinux_2_34", "manylinux_2_28", "manylinux2014")
APP_SOURCES = (PROJECT_ROOT / "handler.py", PROJECT_ROOT / "app")
ENCODE_SITE = PROJECT_ROOT / "deploy" / "encode_site.py"
# The libraries whose output app/tinysite/encoded_bodies.py keys by version (zlib is Python's).
SITE_ENCODERS = ("brotli", "zstandard")
# Used by the build only: zopfli writes the site's deflate and gzip bodies
# (app/compression/zopfli_encoder.py), the artifact ships the bodies and not zopfli.
BUILD_ONLY_SITE_ENCODERS = ("zopfli>=0.4.3",)


def pip_install_into(target: Path | str, *arguments: str) -> None:
    """`pip install --target target` of wheels only, quietly, with no bytecode of this Python."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-compile",
            "--only-binary=:all:",
            "--target",
            str(target),
            *arguments,
        ],
        check=True,
    )


def install_dependencies(target: Path, architecture: str, requirements: Path) -> None:
    """pip-install the requirements as Linux wheels for `architecture` into `target`."""
    machine = MACHINES[architecture]
    platforms = [arg for tag in GLIBC_TAGS for arg in ("--platform", f"{tag}_{machine}")]
    version = "".join(map(str, LAMBDA_PYTHON))
    pip_install_into(
        target,
        *platforms,
        "--implementation",
        "cp",
        "--python-version",
        version,
        "--abi",
        f"cp{version}",
        "--requirement",
        str(requirements),
    )
    # Console scripts (fastapi's CLI) carry this machine's shebang and are never run on Lambda.
    shutil.rmtree(target / "bin", ignore_errors=True)


def copy_sources(target: Path, sources: list[Path]) -> None:
    """Copy the app's files and folders without any cached bytecode of this machine's Python."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for source in sources:
        if source.is_dir():
            shutil.copytree(source, target / source.name, ignore=ignore)
        else:
            shutil.copy2(source, target / source.name)


def ship_encoded_bodies(target: Path) -> None:
    """Encode the site once here and ship the bodies, so a cold start need not compress them.

    The artifact's own brotli and zstandard may be built for another architecture, so the
    same versions are installed for this machine beside it; bodies keyed by those versions
    (app/tinysite/encoded_bodies.py) are exactly what the function would compute. zopfli, which
    the function does not have, writes the deflate and gzip bodies. Settings come from their
    defaults: a deploy with other ones misses and compresses at import (zlib for deflate and
    gzip there).
    """
    shipped = {
        dist.metadata["Name"].lower(): dist.version
        for dist in importlib.metadata.distributions(path=[str(target)])
    }
    with tempfile.TemporaryDirectory() as encoders:
        pip_install_into(
            encoders,
            "--no-deps",
            *(f"{name}=={shipped[name]}" for name in SITE_ENCODERS),
            *BUILD_ONLY_SITE_ENCODERS,
        )
        subprocess.run(
            [sys.executable, "-I", "-S", "-B", str(ENCODE_SITE), encoders, str(target / "app")],
            env={"PATH": os.environ.get("PATH", "")},
            check=True,
        )


def compile_bytecode(target: Path) -> None:
    """Compile every module, unchecked-hash style.

    /var/task is read-only and the artifact never changes once built, so the runtime need
    not compare each .pyc against its source: an unchecked-hash .pyc (PEP 552) is loaded
    without stat-ing or hashing the .py, and stays valid whatever timestamps the zip keeps.
    """
    compiled = compileall.compile_dir(
        target,
        quiet=1,
        workers=0,
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )
    if not compiled:
        raise SystemExit("compileall failed on some module of the artifact")


def build(
    artifacts_dir: Path,
    architecture: str,
    requirements: Path = REQUIREMENTS,
    sources: list[Path] | None = None,
) -> None:
    if sys.version_info[:2] != LAMBDA_PYTHON:
        raise SystemExit(
            f"run this with Python {'.'.join(map(str, LAMBDA_PYTHON))} (the function's runtime): "
            f"bytecode of {sys.version.split()[0]} would be ignored by Lambda"
        )
    artifacts_dir.mkdir(parents=True, exist_ok=True)
    if any(artifacts_dir.iterdir()):
        raise SystemExit(f"{artifacts_dir} is not empty")
    with tempfile.TemporaryDirectory() as staging:
        staged = Path(staging)
        install_dependencies(staged, architecture, requirements)
        copy_sources(staged, sources or list(APP_SOURCES))
        if (staged / "app" / "tinysite").is_dir():
            ship_encoded_bodies(staged)
        compile_bytecode(staged)
        shutil.copytree(staged, artifacts_dir, dirs_exist_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--architecture", choices=sorted(MACHINES), required=True)
    parser.add_argument("--requirements", type=Path, default=REQUIREMENTS)
    parser.add_argument(
        "--source",
        type=Path,
        action="append",
        help="a file or folder to ship (repeatable); default: handler.py and app/",
    )
    parser.add_argument("artifacts_dir", type=Path)
    arguments = parser.parse_args()
    build(
        arguments.artifacts_dir.resolve(),
        arguments.architecture,
        arguments.requirements,
        arguments.source,
    )


if __name__ == "__main__":
    main()
