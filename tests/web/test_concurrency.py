"""Eight clients upload different files at the same moment to a real uvicorn on 127.0.0.1, and
each gets the answer for its own file: nothing shared between requests leaks across them.
"""

from __future__ import annotations

import gzip
import hashlib
import random
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from corpora import already_gzipped, incompressible, python_source
from loopback_server import LoopbackServer, serve_on_loopback

CLIENTS = 8


def distinct_files() -> list[tuple[str, bytes]]:
    """Eight inputs of different kinds and sizes: text, random, compressed, empty, one byte."""
    text = python_source(600 * 1024)
    return [
        ("stdlib-a.py", text[: 200 * 1024]),
        ("stdlib-b.py", text[200 * 1024 :]),
        ("random.bin", incompressible(300 * 1024)),
        ("already.gz", already_gzipped()),
        ("empty.txt", b""),
        ("one.txt", b"x"),
        ("zeros.bin", bytes(1024 * 1024)),
        (
            "words.txt",
            " ".join(random.Random(8).choice(["tiny", "site"]) for _ in range(50_000)).encode(),
        ),
    ]


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    with serve_on_loopback() as running:
        yield running


def all_at_once(calls: list[Callable[[], object]]) -> list[object]:
    """Run the calls on their own threads, released together by a barrier."""
    barrier = threading.Barrier(len(calls))

    def released(call: Callable[[], object]) -> object:
        barrier.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(released, calls))


def test_eight_simultaneous_reports_each_describe_their_own_file(server: LoopbackServer) -> None:
    files = distinct_files()
    assert len(files) == CLIENTS
    assert len({hashlib.sha256(data).digest() for _, data in files}) == CLIENTS

    def upload(name: str, data: bytes) -> Callable[[], httpx.Response]:
        def call() -> httpx.Response:
            with httpx.Client(base_url=server.base_url, timeout=60) as client:
                return client.post(
                    "/compress",
                    params={"codecs": "gzip:1,zstd:3,brotli:4"},
                    files={"file": (name, data, "application/octet-stream")},
                )

        return call

    responses = all_at_once([upload(name, data) for name, data in files])

    for (name, data), response in zip(files, responses, strict=True):
        assert isinstance(response, httpx.Response)
        assert response.status_code == 200, response.text
        report = response.json()
        assert report["input"] == {
            "filename": name,
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        assert {(r["codec"], r["level"]) for r in report["results"]} == {
            ("gzip", 1),
            ("zstd", 3),
            ("brotli", 4),
        }
        gzip_result = next(r for r in report["results"] if r["codec"] == "gzip")
        assert gzip_result["size"] == len(gzip.compress(data, 1, mtime=0))
        assert all(r["verified"] for r in report["results"])
    assert "Traceback" not in server.stderr()


def test_eight_simultaneous_downloads_each_hold_their_own_bytes(server: LoopbackServer) -> None:
    files = distinct_files()

    def download(name: str, data: bytes) -> Callable[[], httpx.Response]:
        def call() -> httpx.Response:
            with httpx.Client(base_url=server.base_url, timeout=60) as client:
                return client.post(
                    "/compress/gzip", params={"level": 6}, files={"file": (name, data)}
                )

        return call

    responses = all_at_once([download(name, data) for name, data in files])

    for (name, data), response in zip(files, responses, strict=True):
        assert isinstance(response, httpx.Response)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/gzip"
        assert f'filename="{name}.gz"' in response.headers["content-disposition"]
        assert gzip.decompress(response.content) == data
