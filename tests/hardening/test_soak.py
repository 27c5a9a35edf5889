"""Soak: 10,000 warm handler.handler invocations mixing every route leak nothing.

After a warm-up, resident memory grows by at most 5 MB, no temporary file is left behind
(python-multipart spools big parts to disk) and no thread started during the run survives it.
"""

from __future__ import annotations

import gc
import itertools
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from child_processes import child_pids
from lambda_events import SHAPES, FakeLambdaContext, build_event, read_result

import app.engine.job_timing
import handler
from app.config import settings

INVOCATIONS = 10_000
MAX_RSS_GROWTH_BYTES = 5 * 1024 * 1024
THREAD_EXIT_GRACE_SECONDS = 5.0
LIMIT = settings.max_upload_bytes


def resident_bytes() -> int:
    """This process's resident set size now (not the peak, which only ever grows)."""
    resident_pages = int(Path("/proc/self/statm").read_text().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


Call = Callable[[], None]


BOUNDARY = "soak-boundary"


def _form_with_file(data: bytes, name: str = "file", filename: str = "soak.bin") -> bytes:
    head = (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n\r\n'
    )
    return head.encode() + data + f"\r\n--{BOUNDARY}--\r\n".encode()


TWO_FILES = _form_with_file(b"a").removesuffix(f"--{BOUNDARY}--\r\n".encode()) + _form_with_file(
    b"b"
)


def _etag_of(path: str) -> str:
    result = handler.handler(build_event("apigw-rest-v1", path=path), FakeLambdaContext())
    etag = read_result(result).header("etag")
    assert etag
    return etag


CODECS_PAGE_ETAG = _etag_of("/codecs")


def _request(expected_status: int, shape: str, **request: Any) -> Call:
    event = build_event(shape, **request)  # built once: the handler never changes an event

    def call() -> None:
        result = handler.handler(event, FakeLambdaContext())
        assert read_result(result).status == expected_status, result

    return call


def _malformed(shape: str) -> Call:
    event = build_event(shape, method="POST", path="/echo", body=b"x")
    event["body"] = "@@ not base64 @@"

    def call() -> None:
        assert read_result(handler.handler(event, FakeLambdaContext())).status == 400

    return call


def _non_http() -> None:
    assert handler.handler({"source": "aws.events"}, FakeLambdaContext()) == {
        "ok": True,
        "handled": "scheduled",
    }


def the_mix() -> list[Call]:
    """A cycle of calls: every route and kind of answer, in every event shape.

    A small request costs ~0.5 ms, an upload of megabytes ~25 ms (5.3 MB of base64 to
    decode): the big ones are one call in ~90, which keeps the whole soak around 15 s.
    """
    cheap: list[Call] = [_non_http]
    form = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    for shape in SHAPES:
        cheap += [
            _request(200, shape, path="/"),
            _request(200, shape, path="/about", headers={"Accept-Encoding": "br, gzip"}),
            _request(200, shape, path="/api", headers={"Accept-Encoding": "deflate"}),
            _request(304, shape, path="/codecs", headers={"If-None-Match": CODECS_PAGE_ETAG}),
            _request(404, shape, path="/nowhere", headers={"Accept": "text/html"}),
            _request(406, shape, path="/", headers={"Accept-Encoding": "identity;q=0"}),
            _request(
                200,
                shape,
                method="POST",
                path="/compress",
                query="codecs=gzip:1,zstd:1,deflate:1",
                headers=form,
                body=_form_with_file(os.urandom(512) + b"text " * 200),
            ),
            _request(
                200,
                shape,
                method="POST",
                path="/compress/zstd",
                query="level=3",
                headers=form,
                body=_form_with_file(b"download me " * 100),
            ),
            _request(
                200,
                shape,
                method="POST",
                path="/compress",
                query="codecs=brotli:1",
                headers={"Content-Type": "application/octet-stream"},
                body=b"raw " * 300,
            ),
            _request(422, shape, method="POST", path="/compress", headers=form, body=TWO_FILES),
            _request(400, shape, method="POST", path="/compress", query="codecs=lzo", body=b"x"),
            _request(200, shape, path="/health"),
            _request(200, shape, method="POST", path="/echo", body=os.urandom(2048)),
            _request(204, shape, method="OPTIONS", path="/echo"),
            _request(404, shape, path="/no/such/page"),
            _request(405, shape, method="DELETE", path="/health"),
            _malformed(shape),
        ]
    big: list[Call] = []
    for shape in SHAPES:
        big += [
            _request(413, shape, method="POST", path="/echo", body=b"\0" * (LIMIT + 1)),
            _request(
                413,
                shape,
                method="POST",
                path="/compress",
                headers=form,
                body=_form_with_file(b"\0" * (LIMIT + 1)),
            ),
            # Over python-multipart's 1 MiB threshold: the part goes through a temporary file.
            _request(
                200,
                shape,
                method="POST",
                path="/compress",
                query="codecs=deflate:1",
                headers=form,
                body=_form_with_file(os.urandom(1024) * 1536),
            ),
        ]
    mix: list[Call] = []
    for costly in big:
        mix += [*cheap, costly]
    return mix


@pytest.fixture
def private_tempdir(tmp_path: Path) -> Iterator[Path]:
    """Point the tempfile module at an empty directory of our own (others share /tmp)."""
    spool = tmp_path / "spool"
    spool.mkdir()
    previous = tempfile.tempdir
    tempfile.tempdir = str(spool)
    try:
        yield spool
    finally:
        tempfile.tempdir = previous


@contextmanager
def request_log_to_devnull() -> Iterator[None]:
    """Keep the one-line-per-request log on (it is part of the path) but write it to /dev/null.

    pytest hangs its record-keeping handlers on the app's logger too, at the start of each test
    phase (so a fixture cannot do this); 10,000 records kept would read as a leak.
    """
    app_logger = logging.getLogger("app")
    previous = app_logger.handlers[:]
    with open(os.devnull, "w") as devnull:
        app_logger.handlers = [logging.StreamHandler(devnull)]
        try:
            yield
        finally:
            app_logger.handlers = previous


def test_ten_thousand_invocations_leak_no_memory_files_or_threads(
    private_tempdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Repeated timing (20 ms a phase) would make the soak's small benchmarks take 0.1 s each;
    # it is about what each request leaves behind, so each phase repeats for 0.5 ms here.
    monkeypatch.setattr(app.engine.job_timing, "MIN_PHASE_SECONDS", 0.0005)
    with request_log_to_devnull():
        soak(private_tempdir)


def soak(spool: Path) -> None:
    mix = the_mix()
    schedule = itertools.cycle(mix)
    for _ in range(len(mix)):  # warm-up: every call of the mix once
        next(schedule)()
    gc.collect()
    threads_before = set(threading.enumerate())
    rss_before = resident_bytes()

    for _ in range(INVOCATIONS):
        next(schedule)()

    # Threads of the ASGI machinery end on their own once idle; give them a moment, then none
    # may be left. Every benchmark job ran in a child process, reaped before its answer.
    deadline = time.monotonic() + THREAD_EXIT_GRACE_SECONDS
    for thread in set(threading.enumerate()) - threads_before:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    assert [t.name for t in set(threading.enumerate()) - threads_before if t.is_alive()] == []
    assert child_pids() == set()
    gc.collect()
    rss_growth = resident_bytes() - rss_before
    assert rss_growth <= MAX_RSS_GROWTH_BYTES, f"RSS grew by {rss_growth / 2**20:.1f} MiB"
    assert list(spool.iterdir()) == []
