"""template.yaml's variants and what the SAM tools make of them, once per test run.

test_template.py and test_route_limits.py lint template.yaml and copies of it with one
parameter's Default changed: cfn-lint and `sam validate` take no parameter values, and check a
Default against its AllowedValues and resolve Refs with it (and conditions, so the per-client
limit's WAF resources are linted only in the copy where it is On). cfn-lint lints every variant
in one run; `sam validate --lint` takes one template, so each variant gets a run of its own,
all forked from one Python that imported the SAM CLI once (forked_sam.py). SAM's translator
runs once for each set of parameter values the tests read, the same way. Each of these runs
once a test run, in whichever worker asks first (tests/run_once.py).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from run_once import once_per_run
from sam_tools import TEMPLATE, sam_environment, sam_tool

from app.aws.gateway_template import load_template

FORKED_SAM = Path(__file__).resolve().parent / "forked_sam.py"
# Each variant by name -> (parameter, its Default in template.yaml's text, the variant's).
TEMPLATE_VARIANTS: dict[str, tuple[str, str, str] | None] = {
    "template.yaml": None,
    "SnapStart=PublishedVersions": ("SnapStart", "None", "PublishedVersions"),
    "PerClientLimit=On": ("PerClientLimit", '"Off"', '"On"'),
}
# The parameter values sam_translated() is asked for (tests/deploy/test_*.py).
TRANSLATED_PARAMETERS: list[dict[str, str]] = [
    {},
    {"SnapStart": "None"},
    {"SnapStart": "PublishedVersions"},
    {"PerClientLimit": "On"},
]


@pytest.fixture(scope="session")
def template_variants(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """TEMPLATE_VARIANTS' paths: template.yaml itself, and each copy as template.yaml in a folder
    of its own."""
    text = TEMPLATE.read_text()
    variants = {}
    for name, change in TEMPLATE_VARIANTS.items():
        if change is None:
            variants[name] = TEMPLATE
            continue
        parameter, default, changed = change
        declared = f"  {parameter}:\n    Type: String\n    Default: {default}\n"
        assert text.count(declared) == 1, f"{name}: template.yaml no longer declares {declared!r}"
        copy = tmp_path_factory.mktemp(name.replace("=", "-")) / "template.yaml"
        copy.write_text(text.replace(declared, declared.replace(default, changed)))
        assert load_template(copy)["Parameters"][parameter]["Default"] == changed.strip('"')
        variants[name] = copy
    return variants


@pytest.fixture(scope="session")
def cfn_lint_problems(
    tmp_path_factory: pytest.TempPathFactory, template_variants: dict[str, Path]
) -> dict[str, list[str]]:
    """Each variant -> what one `cfn-lint` run over all of them reports for it, once a test
    run (tests/run_once.py).

    Every match names its file; what names none of them (cfn-lint failing, a match for
    another file) is a problem of every variant's.
    """
    return once_per_run(tmp_path_factory, "cfn-lint", lambda: lint(template_variants))


def lint(template_variants: dict[str, Path]) -> dict[str, list[str]]:
    linted = subprocess.run(
        [str(sam_tool("cfn-lint")), "--format", "json", *map(str, template_variants.values())],
        capture_output=True,
        text=True,
        env=sam_environment(),
    )
    by_file: dict[Path, str] = {path.resolve(): name for name, path in template_variants.items()}
    problems: dict[str, list[str]] = {name: [] for name in template_variants}
    everyones: list[str] = []
    try:
        matches: list[dict[str, Any]] = json.loads(linted.stdout)
    except json.JSONDecodeError:
        matches = []
        everyones.append(f"cfn-lint printed no JSON: {linted.stdout!r} {linted.stderr!r}")
    for match in matches:
        start = match["Location"]["Start"]
        problem = (
            f"{match['Rule']['Id']} {match['Message']} "
            f"({match['Filename']}:{start['LineNumber']}:{start['ColumnNumber']})"
        )
        name = by_file.get(Path(match["Filename"]).resolve())
        (problems[name] if name is not None else everyones).append(problem)
    if linted.returncode != 0 and not matches:
        everyones.append(f"cfn-lint exited {linted.returncode}: {linted.stderr}")
    return {name: [*found, *everyones] for name, found in problems.items()}


def forked_sam(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """forked_sam.py's results for `runs`: each run's returncode, stdout and stderr."""
    completed = subprocess.run(
        [str(sam_tool("python")), str(FORKED_SAM)],
        input=json.dumps(runs),
        capture_output=True,
        text=True,
        env=sam_environment(),
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    results: list[dict[str, Any]] = json.loads(completed.stdout)
    assert len(results) == len(runs)
    return results


def as_completed_process(
    run: dict[str, Any], result: dict[str, Any]
) -> subprocess.CompletedProcess[str]:
    """One of forked_sam's results, as the process of its own it stands for."""
    args = [run["tool"], *run["args"]]
    return subprocess.CompletedProcess(
        args, result["returncode"], result["stdout"], result["stderr"]
    )


@pytest.fixture(scope="session")
def sam_validate_lint(
    tmp_path_factory: pytest.TempPathFactory, template_variants: dict[str, Path]
) -> dict[str, subprocess.CompletedProcess[str]]:
    """Each variant -> `sam validate --lint --template-file VARIANT`, run in the variant's
    folder, once a test run."""
    runs = [
        {
            "tool": "sam",
            "args": ["validate", "--lint", "--template-file", str(path)],
            "cwd": str(path.parent),
        }
        for path in template_variants.values()
    ]
    completed = once_per_run(tmp_path_factory, "sam-validate", lambda: forked_sam(runs))
    return dict(zip(template_variants, map(as_completed_process, runs, completed), strict=True))


def _overrides(parameter_values: dict[str, str]) -> list[str]:
    return [f"{name}={value}" for name, value in parameter_values.items()]


@pytest.fixture(scope="session")
def sam_translated(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., dict[str, Any]]:
    """template.yaml as SAM's translator turns it into CloudFormation (tests/sam_translate.py)
    for given parameter values: every TRANSLATED_PARAMETERS translation made up front, once a
    test run."""
    runs = [
        {
            "tool": "sam_translate",
            "args": [str(TEMPLATE), *_overrides(parameters)],
            "cwd": os.getcwd(),
        }
        for parameters in TRANSLATED_PARAMETERS
    ]
    results = once_per_run(tmp_path_factory, "sam-translate", lambda: forked_sam(runs))
    translations = {
        tuple(_overrides(parameters)): as_completed_process(run, result)
        for parameters, run, result in zip(TRANSLATED_PARAMETERS, runs, results, strict=True)
    }

    def translated(parameter_values: dict[str, str] | None = None) -> dict[str, Any]:
        key = tuple(_overrides(parameter_values or {}))
        assert key in translations, f"add {parameter_values} to conftest.TRANSLATED_PARAMETERS"
        completed = translations[key]
        assert completed.returncode == 0, completed.stderr
        template: dict[str, Any] = json.loads(completed.stdout)
        return template

    return translated
