"""Run every benchmark in bench/ (each bench_*.py has `run() -> str`) and print their tables.

Usage: .venv/bin/python bench/run_all.py [NAME ...]   e.g. `bench/run_all.py handler site`
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def main(names: list[str]) -> None:
    sys.path[:0] = [str(BENCH_DIR), str(BENCH_DIR.parent), str(BENCH_DIR.parent / "tests")]
    modules = sorted(p.stem for p in BENCH_DIR.glob("bench_*.py"))
    chosen = [m for m in modules if not names or m.removeprefix("bench_") in names]
    for name in chosen:
        print(importlib.import_module(name).run(), flush=True)
        print()


if __name__ == "__main__":
    main(sys.argv[1:])
