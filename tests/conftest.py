"""Shared fixtures: the app over ASGI (Starlette's TestClient) and the event shapes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from lambda_events import SHAPES

from app import app


@pytest.fixture(autouse=True)
def current_event_loop() -> None:
    """Give asyncio a current event loop again if an earlier test took it away.

    Mangum runs every invocation on asyncio's current loop. asyncio.run() closes its loop and
    leaves none current, so after a test that used it every handler call would fail with
    "There is no current event loop"; a Lambda container never calls asyncio.run().
    """
    try:
        loop = asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        loop = None
    if loop is None or loop.is_closed():
        asyncio.set_event_loop(asyncio.new_event_loop())


@pytest.fixture(scope="session")
def client() -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(params=SHAPES)
def shape(request: pytest.FixtureRequest) -> str:
    """Each Lambda HTTP event shape AWS sends."""
    return request.param
