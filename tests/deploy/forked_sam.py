"""Run several SAM command lines, each in a process of its own forked from one interpreter that
imported the tool once: what running each as `sam ...` would do, less the second of imports
that every such process repeats.

Run by .venv-sam's Python (tests/deploy/conftest.py):

    python tests/deploy/forked_sam.py < RUNS.json

RUNS.json is a list of {"tool": "sam" | "sam_translate", "args": [...], "cwd": "..."}; printed
on stdout is a list of {"returncode", "stdout", "stderr"}, one for each run, in order.

"sam" is what .venv-sam/bin/sam runs (samcli.cli.main.cli, reading sys.argv), "sam_translate"
is tests/sam_translate.py's main. The parent only imports them; each run is a child forked from
it, so no run sees what another left behind. A child gets its own argv, working directory,
stdout and stderr (files), exits as the interpreter would on the tool's SystemExit, and runs
the atexit functions first, as a process started for the run would.
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parents[1]
# What a tool imports before its work: loaded once, in the parent.
PRELOADS = {
    "sam": (
        "samcli.cli.main",
        "samcli.commands.validate.validate",
        "samtranslator.translator.managed_policy_translator",
        "cfnlint.api",
        "cfnlint.runner",
    ),
    "sam_translate": (
        "sam_translate",
        "samtranslator.yaml_helper",
        "samtranslator.translator.transform",
    ),
}

Entry = Callable[[list[str]], object]


def entry_point(tool: str) -> Entry:
    """The tool's entry, as its script calls it: argv in, its exit status (or SystemExit) out."""
    for module in PRELOADS[tool]:
        importlib.import_module(module)
    if tool == "sam":
        cli: Callable[[], object] = importlib.import_module("samcli.cli.main").cli
        script = str(Path(sys.executable).parent / "sam")

        def sam(args: list[str]) -> object:
            sys.argv = [script, *args]
            return cli()

        return sam
    main: Entry = importlib.import_module("sam_translate").main
    script = str(TESTS / "sam_translate.py")

    def sam_translate(args: list[str]) -> object:
        sys.argv = [script, *args]
        return main(sys.argv[1:])

    return sam_translate


def exit_status(code: object) -> int:
    """The status the interpreter exits with on SystemExit(code)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def child(entry: Entry, args: list[str], cwd: str) -> int:
    try:
        os.chdir(cwd)
        raise SystemExit(entry(args))  # as the script's sys.exit(...)
    except SystemExit as raised:
        status = exit_status(raised.code)
    except BaseException:
        traceback.print_exc()
        status = 1
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    return status


def forked(entry: Entry, args: list[str], cwd: str) -> dict[str, Any]:
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the parent's loop
            status = 1
            try:
                os.dup2(stdout.fileno(), 1)
                os.dup2(stderr.fileno(), 2)
                status = child(entry, args, cwd)
            finally:
                os._exit(status)
        _, wait_status = os.waitpid(pid, 0)
        stdout.seek(0)
        stderr.seek(0)
        return {
            "returncode": os.waitstatus_to_exitcode(wait_status),
            "stdout": stdout.read().decode(errors="replace"),
            "stderr": stderr.read().decode(errors="replace"),
        }


def main() -> int:
    sys.path.insert(0, str(TESTS))  # sam_translate.py
    runs: list[dict[str, Any]] = json.load(sys.stdin)
    entries: dict[str, Entry] = {}
    results = []
    for run in runs:
        tool = run["tool"]
        if tool not in entries:
            entries[tool] = entry_point(tool)
        results.append(forked(entries[tool], list(run["args"]), run["cwd"]))
    json.dump(results, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
