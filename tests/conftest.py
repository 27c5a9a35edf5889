"""Shared fixtures: the app over ASGI (Starlette's TestClient), the event shapes, the CLI, and
a quick timing floor for tests that do not read timings."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cli_runs import InProcessCli
from fastapi.testclient import TestClient
from lambda_events import SHAPES
from loopback_server import QUICK_TIMING_FLOOR_SECONDS

from app import app
from app.engine import job_timing

# tests/chromium.py: Debian's Chromium and a loopback uvicorn, as `browser` and `server` fixtures.
pytest_plugins = ["chromium"]


@pytest.fixture(scope="session")
def client() -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(params=SHAPES)
def shape(request: pytest.FixtureRequest) -> str:
    """Each Lambda HTTP event shape AWS sends."""
    shape: str = request.param
    return shape


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> InProcessCli:
    """`python -m app ARGS` as `cli(*ARGS)`, in this process (tests/cli_runs.py)."""
    return InProcessCli(capsys, monkeypatch)


@pytest.fixture
def quick_timing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Benchmarks in this process time each phase for QUICK_TIMING_FLOOR_SECONDS; for a module
    whose tests read what a report says, not its timing:
    `pytestmark = pytest.mark.usefixtures("quick_timing")`."""
    monkeypatch.setattr(job_timing, "MIN_PHASE_SECONDS", QUICK_TIMING_FLOOR_SECONDS)
