"""The Lambda deadline holds: with 4 s left, a 4 MiB upload asking for brotli 11 (about 7 s of
work on this machine) gets its answer in time, brotli 11 reported under `skipped`.

4 s rather than 3: with the suite on two xdist workers, a heavy test beside this one slowed the
quick jobs enough that the engine's estimate skipped gzip 6 too under 3 s (seen once, at a load
average of 7 on 2 cores); brotli 11 still cannot fit in 4 s.
"""

from __future__ import annotations

import json
import threading
import time

import pytest
from child_processes import child_pids
from corpora import MiB, python_source
from lambda_events import SHAPES, FakeLambdaContext, build_event, read_result

import handler

BOUNDARY = "deadline-test-boundary"


def multipart_file(data: bytes, filename: str) -> bytes:
    head = (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: text/x-python\r\n\r\n"
    )
    return head.encode() + data + f"\r\n--{BOUNDARY}--\r\n".encode()


@pytest.mark.parametrize("codecs", ["brotli:11", "brotli:11,gzip:6,zstd:3"])
@pytest.mark.parametrize("shape", [SHAPES[0], SHAPES[1]])
def test_brotli_11_on_4_mib_is_skipped_and_the_answer_beats_the_deadline(
    shape: str, codecs: str
) -> None:
    data = python_source(4 * MiB)
    event = build_event(
        shape,
        method="POST",
        path="/compress",
        query=f"codecs={codecs}",
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        body=multipart_file(data, "stdlib.py"),
    )
    context = FakeLambdaContext(remaining_ms=4000)
    threads_before = set(threading.enumerate())
    children_before = child_pids()

    result = handler.handler(event, context)

    assert context.get_remaining_time_in_millis() > 0, "the answer came after the deadline"
    response = read_result(result)
    assert response.status == 200
    report = json.loads(response.body)
    assert report["input"]["size"] == len(data)
    assert [(s["codec"], s["level"]) for s in report["skipped"]] == [("brotli", 11)]
    assert report["skipped"][0]["reason"]
    assert report["budget_ms"] < 4000
    ran = {(r["codec"], r["level"]) for r in report["results"]}
    assert ("brotli", 11) not in ran
    assert ran == {
        (name, int(level)) for name, level in (c.split(":") for c in codecs.split(","))
    } - {("brotli", 11)}
    assert all(r["verified"] for r in report["results"])
    # Nothing was left compressing in the background: brotli 11 was never started, every job's
    # child process has been reaped, and the engine starts no threads.
    assert child_pids() == children_before
    deadline = time.monotonic() + 5
    for thread in set(threading.enumerate()) - threads_before:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    assert [t for t in set(threading.enumerate()) - threads_before if t.is_alive()] == []
