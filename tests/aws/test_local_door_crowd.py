"""`python -m app.local` under a crowd, with the template's default limits: like the gateway,
every connection gets an answer (200 or the configured 429), never a reset; uploads past
their burst are throttled while pages still load."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from loopback_server import LocalGateway, serve_local_gateway

CONNECTIONS = 50
ORIGIN = "https://ui.example"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


@pytest.fixture(params=["rest", "http"])
def door(request: pytest.FixtureRequest) -> Iterator[LocalGateway]:
    """A door of its own for each test: its buckets full, as after a quiet minute."""
    with serve_local_gateway(
        http_api=request.param == "http", parameter_overrides={"CorsAllowOrigin": ORIGIN}
    ) as running:
        yield running


def send(door: LocalGateway, method: str, relative: str, body: bytes | None = None) -> Answer:
    url = urlsplit(door.base_url)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=60)
    try:
        headers = {"Content-Type": "application/octet-stream"} if body is not None else {}
        connection.request(method, url.path + relative, body=body, headers=headers)
        response = connection.getresponse()
        return Answer(response.status, dict(response.getheaders()), response.read())
    finally:
        connection.close()


def at_once(
    door: LocalGateway, method: str, relative: str, body: bytes | None = None
) -> list[Answer | BaseException]:
    """CONNECTIONS requests released together; each one's answer, or what it raised."""
    start = threading.Barrier(CONNECTIONS)
    answers: list[Answer | BaseException] = [RuntimeError("no answer")] * CONNECTIONS

    def one(index: int) -> None:
        start.wait()
        try:
            answers[index] = send(door, method, relative, body)
        except BaseException as error:  # a reset, a refused connection: recorded, then failed
            answers[index] = error

    threads = [threading.Thread(target=one, args=(i,)) for i in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def is_rest(door: LocalGateway) -> bool:
    return urlsplit(door.base_url).path.startswith("/v1")


def assert_throttled(door: LocalGateway, answer: Answer) -> None:
    """The 429 as each door's template configures it (docs/api.md)."""
    assert answer.status == 429
    if is_rest(door):
        assert answer.headers["Content-Type"] == "application/problem+json"
        assert answer.headers["Access-Control-Allow-Origin"] == ORIGIN
        assert answer.headers["Retry-After"] == "1"
        assert json.loads(answer.body)["type"] == "/problems/throttled"
    else:
        assert json.loads(answer.body) == {"message": "Too Many Requests"}


def test_an_upload_burst_is_throttled_while_pages_still_load(door: LocalGateway) -> None:
    uploads = [send(door, "POST", "compress/gzip", b"abc" * 1000) for _ in range(12)]
    statuses = [a.status for a in uploads]
    assert 200 in statuses, statuses
    assert 429 in statuses, statuses
    assert_throttled(door, next(a for a in uploads if a.status == 429))
    for page in ("", "api", "codecs", "about"):
        assert send(door, "GET", page).status == 200


def test_fifty_uploads_at_once_get_answers_never_resets(door: LocalGateway) -> None:
    answers = at_once(door, "POST", "echo", b"x" * 100_000)
    failures = [a for a in answers if not isinstance(a, Answer)]
    assert not failures, failures[:3]
    statuses = sorted(a.status for a in answers if isinstance(a, Answer))
    # The burst (5) and whatever the 1/s rate gives back while they run; the rest throttled.
    assert 5 <= statuses.count(200) <= 10, statuses
    assert set(statuses) == {200, 429}
    for answer in answers:
        assert isinstance(answer, Answer)
        if answer.status == 429:
            assert_throttled(door, answer)
        else:
            assert answer.body == b"x" * 100_000


def test_fifty_page_views_at_once_get_answers_never_resets(door: LocalGateway) -> None:
    answers = at_once(door, "GET", "about")
    failures = [a for a in answers if not isinstance(a, Answer)]
    assert not failures, failures[:3]
    statuses = [a.status for a in answers if isinstance(a, Answer)]
    assert statuses.count(200) >= 40, statuses  # the page burst
    for answer in answers:
        assert isinstance(answer, Answer)
        if answer.status != 200:
            assert_throttled(door, answer)
