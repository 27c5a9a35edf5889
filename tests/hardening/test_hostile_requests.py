"""Hostile requests and events, one table: each gets its exact status and problem type, and the
same process serves the home page correctly right after.

Most cases go the way production traffic does, as a Lambda event through handler.handler.
The ones an HTTP parser would stop before Lambda (a Content-Length that lies, a huge header
line, an over-long request line) go over raw sockets to a real uvicorn on 127.0.0.1.
"""

from __future__ import annotations

import base64
import json
import socket
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from lambda_events import FakeLambdaContext, LambdaResponse, build_event, read_result
from loopback_server import LoopbackServer, serve_on_loopback

import handler
from app.config import settings

# Their answers are read for statuses, problems and what the service keeps doing, not timings.
pytestmark = pytest.mark.usefixtures("quick_timing")

MALFORMED = "/problems/malformed-event"
TOO_LARGE = "/problems/payload-too-large"
BLANK = "about:blank"
MALFORMED_FORM = "/problems/malformed-form"
LIMIT = settings.max_upload_bytes


def event(shape: str = "apigw-rest-v1", **request: Any) -> dict[str, Any]:
    return build_event(shape, **request)


def edited(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """`base` with these top-level keys replaced."""
    return {**base, **changes}


def without(base: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in base.items() if k not in keys}


def with_request_context(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**base, "requestContext": {**base["requestContext"], **changes}}


def v2_http_without(key: str) -> dict[str, Any]:
    base = event("apigw-http-v2", path="/health")
    http = {k: v for k, v in base["requestContext"]["http"].items() if k != key}
    return with_request_context(base, http=http)


BOUNDARY = "hostile-7f3a9c"
FORM = f"multipart/form-data; boundary={BOUNDARY}"
NO_INPUT = "/problems/no-input"
AMBIGUOUS = "/problems/ambiguous-input"
BAD_CODECS = "/problems/bad-codec-spec"
NOT_ACCEPTABLE = "/problems/no-acceptable-encoding"


def form_part(name: str | None, data: bytes, filename: str | None = None) -> bytes:
    """One part of a multipart/form-data body (RFC 7578); name None leaves the name out."""
    disposition = "form-data"
    if name is not None:
        disposition += f'; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    head = f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n"
    return head.encode("utf-8") + data + b"\r\n"


def form(*parts: bytes) -> bytes:
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


ONE_FILE = form(form_part("file", b"hello hostile world", "hello.txt"))


def upload(
    body: bytes,
    content_type: str | None = FORM,
    *,
    path: str = "/compress",
    query: str = "codecs=gzip:1",
    shape: str = "apigw-rest-v1",
) -> dict[str, Any]:
    headers = {"Content-Type": content_type} if content_type else {}
    return event(shape, method="POST", path=path, query=query, headers=headers, body=body)


def report_of(filename: str | None, size: int) -> Callable[[LambdaResponse], None]:
    """The JSON report names this input (JSON-escaped, never as markup) and its size."""

    def check(response: LambdaResponse) -> None:
        assert response.header("content-type") == "application/json"
        report = json.loads(response.body)
        assert report["input"]["filename"] == filename
        assert report["input"]["size"] == size

    return check


def download_named(expected: str) -> Callable[[LambdaResponse], None]:
    """The download's file name is the upload's base name, stripped of anything unsafe."""

    def check(response: LambdaResponse) -> None:
        assert response.header("content-disposition") == f'attachment; filename="{expected}"'

    return check


def is_html_page(response: LambdaResponse) -> None:
    assert response.header("content-type") == "text/html; charset=utf-8"
    assert response.body.startswith(b"<!doctype html>")


def coding_is(expected: str | None) -> Callable[[LambdaResponse], None]:
    def check(response: LambdaResponse) -> None:
        assert response.header("content-encoding") == expected
        assert "Accept-Encoding" in (response.header("vary") or "")

    return check


@dataclass(frozen=True)
class LambdaCase:
    """An event, the status it must get (None: a non-HTTP reply) and the problem type."""

    name: str
    build: Callable[..., Any]  # called with no arguments; some bind loop variables as defaults
    status: int | None
    problem_type: str | None = None
    check: Callable[[LambdaResponse], None] | None = field(default=None, compare=False)


def is_html_page_without_the_script(response: LambdaResponse) -> None:
    is_html_page(response)
    assert b"<script>x" not in response.body


def body_is(expected: bytes) -> Callable[[LambdaResponse], None]:
    def check(response: LambdaResponse) -> None:
        assert response.body == expected

    return check


def no_injected_header(response: LambdaResponse) -> None:
    assert response.header("access-control-allow-headers") == "Content-Type"
    assert response.header("set-cookie") is None
    assert all("\r" not in v and "\n" not in v for _, v in response.headers)


LAMBDA_CASES = [
    # --- the body and its base64 flag ---
    LambdaCase(
        "base64 flag true, body with characters outside base64",
        lambda: edited(event(method="POST", path="/echo", body=b"x"), body="@@@@"),
        400,
        MALFORMED,
    ),
    LambdaCase(
        "base64 flag true, body with bad padding",
        lambda: edited(event(method="POST", path="/echo", body=b"x"), body="aGk"),
        400,
        MALFORMED,
    ),
    LambdaCase(
        "base64 flag true, body with a line break",
        lambda: edited(event(method="POST", path="/echo", body=b"x"), body="aGk=\naGk="),
        400,
        MALFORMED,
    ),
    LambdaCase(
        "base64 flag true, body not ASCII",
        lambda: edited(event(method="POST", path="/echo", body=b"x"), body="é"),
        400,
        MALFORMED,
    ),
    LambdaCase(
        'base64 flag as the string "true"',
        lambda: edited(event(method="POST", path="/echo", body=b"hi"), isBase64Encoded="true"),
        400,
        MALFORMED,
    ),
    LambdaCase(
        'base64 flag as the string "false" (truthy: Mangum would decode the text as base64)',
        lambda: edited(
            event(method="POST", path="/echo", body=b"abcd", base64_body=False),
            isBase64Encoded="false",
        ),
        400,
        MALFORMED,
    ),
    LambdaCase(
        "base64 flag as the number 1",
        lambda: edited(event(method="POST", path="/echo", body=b"hi"), isBase64Encoded=1),
        400,
        MALFORMED,
    ),
    LambdaCase(
        "base64 flag null, text body: read as text",
        lambda: edited(
            event(method="POST", path="/echo", body=b"plain", base64_body=False),
            isBase64Encoded=None,
        ),
        200,
        check=body_is(b"plain"),
    ),
    LambdaCase(
        "body null",
        lambda: edited(event(method="POST", path="/echo"), body=None, isBase64Encoded=True),
        200,
        check=body_is(b""),
    ),
    LambdaCase(
        "body a number",
        lambda: edited(event(method="POST", path="/echo"), body=12345),
        400,
        MALFORMED,
    ),
    LambdaCase(
        "body a JSON object",
        lambda: edited(event(method="POST", path="/echo"), body={"a": 1}),
        400,
        MALFORMED,
    ),
    LambdaCase(
        "text body with a lone surrogate (JSON allows it, UTF-8 does not)",
        lambda: edited(
            event(method="POST", path="/echo", body=b"x", base64_body=False), body="\ud800"
        ),
        400,
        MALFORMED,
    ),
    # --- headers ---
    *(
        LambdaCase(
            f"no headers map at all ({shape})",
            lambda shape=shape: without(
                event(shape, path="/health"), "headers", "multiValueHeaders"
            ),
            200,
        )
        for shape in ("apigw-rest-v1", "apigw-http-v2", "alb", "alb-multivalue", "function-url")
    ),
    LambdaCase(
        "headers null (HTTP API)",
        lambda: edited(event("apigw-http-v2", path="/health"), headers=None),
        200,
    ),
    LambdaCase(
        "only multiValueHeaders (REST API)",
        lambda: without(
            event(
                method="POST",
                path="/echo",
                headers={"Content-Type": "application/octet-stream"},
                body=b"\x00\xff",
            ),
            "headers",
        ),
        200,
        check=body_is(b"\x00\xff"),
    ),
    LambdaCase(
        "headers a list",
        lambda: edited(event(path="/health"), headers=[["host", "x"]]),
        400,
        MALFORMED,
    ),
    LambdaCase(
        "a header value that is a number",
        lambda: edited(event("apigw-http-v2", path="/health"), headers={"x-n": 1}),
        400,
        MALFORMED,
    ),
    LambdaCase(
        "multiValueHeaders with a bare string value",
        lambda: edited(event(path="/health"), multiValueHeaders={"accept": "*/*"}),
        400,
        MALFORMED,
    ),
    LambdaCase(
        "Host with two colons",
        lambda: event(path="/health", headers={"Host": "a:b:c"}),
        400,
        MALFORMED,
    ),
    LambdaCase(
        "X-Forwarded-Port not a number",
        lambda: event(path="/health", headers={"X-Forwarded-Port": "eighty"}),
        400,
        MALFORMED,
    ),
    LambdaCase(
        "a 1 MiB header value",
        lambda: event(path="/health", headers={"X-Padding": "a" * (1 << 20)}),
        200,
    ),
    LambdaCase(
        "preflight asking for headers with CR LF inside (header injection)",
        lambda: event(
            method="OPTIONS",
            path="/echo",
            headers={
                "Origin": "https://example.test",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "x-a\r\nSet-Cookie: stolen=1",
            },
        ),
        204,
        check=no_injected_header,
    ),
    # --- method and path ---
    LambdaCase("an unknown method", lambda: event(method="BREW", path="/health"), 405, BLANK),
    LambdaCase(
        "a lower-case method (methods are case-sensitive)",
        lambda: event(method="get", path="/health"),
        405,
        BLANK,
    ),
    LambdaCase(
        "method null",
        lambda: edited(event(path="/health"), httpMethod=None),
        400,
        MALFORMED,
    ),
    LambdaCase(
        "method with a space inside",
        lambda: event(method="GET /admin", path="/health"),
        400,
        MALFORMED,
    ),
    LambdaCase(
        "HTTP API event without requestContext.http.method",
        lambda: v2_http_without("method"),
        400,
        MALFORMED,
    ),
    LambdaCase(
        "HTTP API event without requestContext.http.sourceIp",
        lambda: v2_http_without("sourceIp"),
        400,
        MALFORMED,
    ),
    LambdaCase(
        "HTTP API rawQueryString a number",
        lambda: edited(event("apigw-http-v2", path="/health"), rawQueryString=5),
        400,
        MALFORMED,
    ),
    LambdaCase(
        "an over-long URL (64 KiB path)",
        lambda: event(path="/" + "a" * 65536),
        404,
        BLANK,
    ),
    LambdaCase(
        "an over-long query string on a real route",
        lambda: event(path="/health", query="q=" + "a" * 65536),
        200,
    ),
    LambdaCase(
        "a NUL in the path",
        lambda: event(path="/health\x00"),
        404,
        BLANK,
    ),
    LambdaCase(
        "a percent-encoded NUL and .. in the path (REST API passes it encoded)",
        lambda: event(path="/%2e%2e/%00/etc/passwd"),
        404,
        BLANK,
    ),
    # --- bodies over the limit (POST /echo applies the same limit as uploads) ---
    LambdaCase(
        "an echo body one byte over the limit",
        lambda: event(method="POST", path="/echo", body=b"\x00" * (LIMIT + 1)),
        413,
        TOO_LARGE,
    ),
    LambdaCase(
        "an echo body exactly at the limit",
        lambda: event(method="POST", path="/echo", body=b"\x01" * LIMIT),
        200,
    ),
    # --- uploads to /compress ---
    LambdaCase("a well-formed upload, for contrast", lambda: upload(ONE_FILE), 200),
    LambdaCase(
        "not multipart: a JSON body is taken as the raw bytes to compress",
        lambda: upload(b'{"file": "x"}', "application/json"),
        200,
        check=report_of(None, 13),
    ),
    LambdaCase("no body and no Content-Type", lambda: upload(b"", None), 400, NO_INPUT),
    LambdaCase(
        "multipart without a boundary",
        lambda: upload(ONE_FILE, "multipart/form-data"),
        400,
        MALFORMED_FORM,
    ),
    LambdaCase(
        "multipart with the wrong boundary",
        lambda: upload(ONE_FILE, "multipart/form-data; boundary=not-the-one"),
        400,
        MALFORMED_FORM,
    ),
    LambdaCase(
        "multipart truncated inside the first part",
        lambda: upload(ONE_FILE[:70]),
        400,
        NO_INPUT,
    ),
    LambdaCase(
        "multipart without its closing boundary",
        lambda: upload(form_part("file", b"hello", "a.txt")),
        400,
        NO_INPUT,
    ),
    LambdaCase(
        "a part without a name",
        lambda: upload(form(form_part(None, b"hello", "a.txt"))),
        400,
        MALFORMED_FORM,
    ),
    LambdaCase(
        "a part without Content-Disposition",
        lambda: upload(
            f"--{BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nhi\r\n--{BOUNDARY}--\r\n".encode()
        ),
        400,
        MALFORMED_FORM,
    ),
    LambdaCase(
        "two `file` parts",
        lambda: upload(form(form_part("file", b"a", "a.txt"), form_part("file", b"b", "b.txt"))),
        422,
        AMBIGUOUS,
    ),
    LambdaCase(
        "a file and text at once",
        lambda: upload(form(form_part("file", b"a", "a.txt"), form_part("text", b"b"))),
        422,
        AMBIGUOUS,
    ),
    LambdaCase(
        "a form with only other fields",
        lambda: upload(form(form_part("comment", b"hi"))),
        400,
        NO_INPUT,
    ),
    LambdaCase(
        "5,000 parts (python-multipart stops at 1,000 fields)",
        lambda: upload(form(*(form_part(f"f{i}", b"x") for i in range(5000)))),
        400,
        MALFORMED_FORM,
    ),
    LambdaCase(
        "a 100 KiB part header line",
        lambda: upload(form(form_part("file", b"hello", "a" * 102400))),
        400,
        MALFORMED_FORM,
    ),
    LambdaCase(
        "a 64 KiB request header line on an upload",
        lambda: edited(
            upload(ONE_FILE),
            headers={"Content-Type": FORM, "X-Padding": "p" * 65536},
            multiValueHeaders={"Content-Type": [FORM], "X-Padding": ["p" * 65536]},
        ),
        200,
    ),
    # --- hostile file names: reflected only JSON-escaped, never used as a path ---
    *(
        LambdaCase(
            f"file name {name!r} in the report",
            lambda name=name: upload(form(form_part("file", b"abc", name))),
            200,
            check=report_of(reported, 3),
        )
        for name, reported in [
            ("../../etc/passwd", "../../etc/passwd"),
            ("<script>alert(1)</script>.txt", "<script>alert(1)</script>.txt"),
            ('<img src=x onerror="alert(1)">', '<img src=x onerror="alert(1)">'),
            ('quote".txt', 'quote".txt'),
            ("nul\x00byte.txt", "nul\x00byte.txt"),
        ]
    ),
    *(
        LambdaCase(
            f"file name {name!r} in a download",
            lambda name=name: upload(
                form(form_part("file", b"abc", name)), path="/compress/gzip", query=""
            ),
            200,
            check=download_named(safe),
        )
        for name, safe in [
            ("../../etc/passwd", "passwd.gz"),
            ("C:\\Windows\\system32\\evil.txt", "evil.txt.gz"),
            ("..", "data.gz"),
            ("<script>alert(1)</script>.txt", "script.txt.gz"),
            ("nul\x00byte;.txt", "nulbyte.txt.gz"),
        ]
    ),
    # --- codecs= ---
    LambdaCase(
        "codecs= garbage",
        lambda: upload(ONE_FILE, query="codecs=%25%25%25garbage;;"),
        400,
        BAD_CODECS,
    ),
    LambdaCase(
        "codecs= only commas", lambda: upload(ONE_FILE, query="codecs=,,,"), 400, BAD_CODECS
    ),
    LambdaCase(
        "codecs= duplicates run once",
        lambda: upload(ONE_FILE, query="codecs=gzip:1,gzip:1,gzip:1-1"),
        200,
        check=lambda r: assert_jobs(r, [("gzip", 1)]),
    ),
    LambdaCase(
        "codecs= with 10,000 entries",
        lambda: upload(ONE_FILE, query="codecs=" + ",".join(["zstd:1-3,gzip:1"] * 5000)),
        200,
        check=lambda r: assert_jobs(r, [("zstd", 1), ("zstd", 2), ("zstd", 3), ("gzip", 1)]),
    ),
    LambdaCase(
        "codecs= level above the range",
        lambda: upload(ONE_FILE, query="codecs=gzip:10"),
        400,
        BAD_CODECS,
    ),
    LambdaCase(
        "codecs= negative level",
        lambda: upload(ONE_FILE, query="codecs=brotli:-1"),
        400,
        BAD_CODECS,
    ),
    LambdaCase(
        "codecs= level with 30 digits",
        lambda: upload(ONE_FILE, query="codecs=zstd:" + "9" * 30),
        400,
        BAD_CODECS,
    ),
    LambdaCase(
        "codecs= level not an integer",
        lambda: upload(ONE_FILE, query="codecs=xz:1.5"),
        400,
        BAD_CODECS,
    ),
    LambdaCase(
        "codecs= empty range", lambda: upload(ONE_FILE, query="codecs=zstd:19-3"), 400, BAD_CODECS
    ),
    LambdaCase(
        "download: unknown codec",
        lambda: upload(ONE_FILE, path="/compress/lzo", query=""),
        400,
        BAD_CODECS,
    ),
    LambdaCase(
        "download: level out of range",
        lambda: upload(ONE_FILE, path="/compress/bz2", query="level=0"),
        400,
        BAD_CODECS,
    ),
    LambdaCase(
        "download: level not a number",
        lambda: upload(ONE_FILE, path="/compress/gzip", query="level=max"),
        422,
        "/problems/validation",
    ),
    # --- uploads over the limit ---
    LambdaCase(
        "a file one byte over the limit",
        lambda: upload(form(form_part("file", b"\x00" * (LIMIT + 1), "big.bin"))),
        413,
        TOO_LARGE,
    ),
    LambdaCase(
        "a file exactly at the limit",
        lambda: upload(form(form_part("file", b"\x00" * LIMIT, "big.bin"))),
        200,
        check=report_of("big.bin", LIMIT),
    ),
    LambdaCase(
        "a file far over the limit (3 ×)",
        lambda: upload(form(form_part("file", b"\x00" * (3 * LIMIT), "huge.bin"))),
        413,
        TOO_LARGE,
    ),
    LambdaCase(
        "raw bytes one byte over the limit",
        lambda: upload(b"\x00" * (LIMIT + 1), "application/octet-stream"),
        413,
        TOO_LARGE,
    ),
    LambdaCase(
        "pasted text one byte over the limit",
        lambda: upload(form(form_part("text", b"t" * (LIMIT + 1)))),
        413,
        TOO_LARGE,
    ),
    # --- the site ---
    LambdaCase("GET / for contrast", lambda: event(path="/"), 200, check=is_html_page),
    *(
        LambdaCase(f"site path {path!r}", lambda path=path: event(path=path), 404, BLANK)
        for path in [
            "/../app/config.py",
            "/%2e%2e/%2e%2e/etc/passwd",
            "/about/..",
            "/about/../about",
            "/..%2fpyproject.toml",
            "/about%00",
        ]
    ),
    LambdaCase(
        "`..` in the site path, asking for HTML: the fixed 404 page, nothing reflected",
        lambda: event(path="/../<script>x</script>", headers={"Accept": "text/html"}),
        404,
        check=is_html_page_without_the_script,
    ),
    LambdaCase("POST to a page", lambda: event(method="POST", path="/about"), 405, BLANK),
    LambdaCase("an unknown method on a page", lambda: event(method="PURGE", path="/"), 405, BLANK),
    *(
        LambdaCase(
            f"Accept-Encoding {value[:40]!r}",
            lambda value=value: event(path="/", headers={"Accept-Encoding": value}),
            200,
            check=coding_is(coding),
        )
        for value, coding in [
            ("garbage", None),
            ("\x00\x7f\xff", None),
            ("gzip;q=2", None),
            ("br;q=-1", None),
            ("gzip;q=1.0001", None),
            ("gzip;q=nan, br;q=1e3", None),
            (";;;,,,", None),
            ("x-gzip;q=0.5, " + "bogus;q=0.9, " * 5000, "gzip"),
            ("gzip;q=0.5, " * 10000 + "br;q=0.4", "gzip"),
        ]
    ),
    LambdaCase(
        "Accept-Encoding that refuses every coding",
        lambda: event(path="/", headers={"Accept-Encoding": "identity;q=0, *;q=0"}),
        406,
        NOT_ACCEPTABLE,
    ),
    LambdaCase(
        "If-None-Match of 100,000 quotes",
        lambda: event(path="/", headers={"If-None-Match": '"' * 100000}),
        200,
        check=is_html_page,
    ),
    LambdaCase(
        "Accept with 10,000 parameters on a 404",
        lambda: event(path="/nowhere", headers={"Accept": "text/html;" + "a=b;" * 10000}),
        404,
        BLANK,
    ),
    # --- events that are not HTTP ---
    LambdaCase(
        "S3 notification",
        lambda: {"Records": [{"eventSource": "aws:s3", "s3": {"object": {"key": "x"}}}]},
        None,
        "records:aws:s3",
    ),
    LambdaCase(
        "SQS message",
        lambda: {"Records": [{"eventSource": "aws:sqs", "body": "{}"}]},
        None,
        "records:aws:sqs",
    ),
    LambdaCase(
        "scheduled warm-up ping",
        lambda: {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}},
        None,
        "scheduled",
    ),
    LambdaCase("empty object", lambda: {}, None, "empty"),
    LambdaCase("a list", lambda: [{"httpMethod": "GET"}], None, "list"),
    LambdaCase("a string", lambda: "GET / HTTP/1.1", None, "str"),
    LambdaCase("null", lambda: None, None, "NoneType"),
    LambdaCase("a number", lambda: 42, None, "int"),
]


def assert_jobs(response: LambdaResponse, jobs: list[tuple[str, int]]) -> None:
    report = json.loads(response.body)
    assert sorted((r["codec"], r["level"]) for r in report["results"]) == sorted(jobs)


HOME_PAGE = read_result(handler.handler(event(path="/"), FakeLambdaContext())).body


def home_page_is_served() -> None:
    """The process still serves its home page, byte for byte as before."""
    response = read_result(handler.handler(event(path="/"), FakeLambdaContext()))
    assert response.status == 200
    assert response.header("content-type") == "text/html; charset=utf-8"
    assert response.body == HOME_PAGE
    assert b"<form" in HOME_PAGE


@pytest.mark.parametrize("case", LAMBDA_CASES, ids=[c.name for c in LAMBDA_CASES])
def test_hostile_event(case: LambdaCase) -> None:
    raw = case.build()
    result = handler.handler(raw, FakeLambdaContext())
    if case.status is None:
        assert result == {"ok": True, "handled": case.problem_type}
    else:
        response = read_result(result)
        assert response.status == case.status, response.body[:300]
        assert response.header("access-control-allow-origin") == settings.cors_allow_origin
        if case.problem_type is None:
            assert response.header("content-type") != "application/problem+json"
        else:
            assert response.header("content-type") == "application/problem+json"
            problem = json.loads(response.body)
            assert problem["type"] == case.problem_type
            assert problem["status"] == case.status
            assert problem["detail"]
        if case.check is not None:
            case.check(response)
    home_page_is_served()


def test_the_malformed_event_result_has_the_shape_its_gateway_expects() -> None:
    bad = '"not base64!"'
    multi = edited(event("alb-multivalue", method="POST", path="/echo", body=b"x"), body=bad)
    single = edited(event("alb", method="POST", path="/echo", body=b"x"), body=bad)
    v2 = edited(event("apigw-http-v2", method="POST", path="/echo", body=b"x"), body=bad)
    assert "headers" not in handler.handler(multi, FakeLambdaContext())
    assert handler.handler(multi, FakeLambdaContext())["multiValueHeaders"]["content-type"] == [
        "application/problem+json"
    ]
    for raw in (single, v2):
        result = handler.handler(raw, FakeLambdaContext())
        assert "multiValueHeaders" not in result
        assert result["headers"]["content-type"] == "application/problem+json"
        assert result["isBase64Encoded"] is False


def test_a_hostile_event_is_never_changed_in_place() -> None:
    raw = event(method="POST", path="/echo", body=b"keep me")
    snapshot = json.dumps(raw, sort_keys=True)
    assert read_result(handler.handler(raw, FakeLambdaContext())).body == b"keep me"
    assert json.dumps(raw, sort_keys=True) == snapshot
    assert base64.b64decode(raw["body"]) == b"keep me"


# --- through a real uvicorn, over raw sockets -------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What came back on one connection: each response's status and body, in order."""

    responses: list[tuple[int, dict[str, str], bytes]]

    @property
    def statuses(self) -> list[int]:
        return [status for status, _, _ in self.responses]


def _dechunked(raw: bytes) -> tuple[bytes, bytes] | None:
    """The body of a chunked message (RFC 9112 §7.1) and the bytes after it; None if partial."""
    body = b""
    while True:
        size_line, found, rest = raw.partition(b"\r\n")
        if not found:
            return None
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            trailer_end = rest.find(b"\r\n")
            return (body, rest[trailer_end + 2 :]) if trailer_end >= 0 else None
        if len(rest) < size + 2:
            return None
        body, raw = body + rest[:size], rest[size + 2 :]


def parse_responses(raw: bytes, *, closed: bool) -> Answer:
    """The complete responses in the bytes of a connection (RFC 9112 §6.3 framing)."""
    responses = []
    while raw:
        head, separator, rest = raw.partition(b"\r\n\r\n")
        if not separator:
            break
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding") == "chunked":
            framed = _dechunked(rest)
            if framed is None:
                break
            body, raw = framed
        elif "content-length" in headers:
            length = int(headers["content-length"])
            if len(rest) < length:
                break
            body, raw = rest[:length], rest[length:]
        elif closed:  # framed by the end of the connection
            body, raw = rest, b""
        else:
            break
        responses.append((int(status_line.split()[1]), headers, body))
    return Answer(responses)


def exchange(
    server: LoopbackServer, data: bytes, *, responses: int, half_close: bool = True
) -> Answer:
    """Send `data` on a fresh connection; read until `responses` have come or it is closed."""
    with socket.create_connection((server.host, server.port), timeout=30) as connection:
        connection.sendall(data)
        if half_close:
            connection.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
            answer = parse_responses(received, closed=False)
            if responses and len(answer.responses) >= responses:
                return answer
    return parse_responses(received, closed=True)


@dataclass(frozen=True)
class SocketCase:
    name: str
    request: bytes
    statuses: list[int]
    problem_type: str | None = None
    check: Callable[[Answer], None] | None = field(default=None, compare=False)


def first_body_is(expected: bytes) -> Callable[[Answer], None]:
    def check(answer: Answer) -> None:
        assert answer.responses[0][2] == expected

    return check


SOCKET_CASES = [
    SocketCase(
        "Content-Length smaller than the body: only that many bytes are the body",
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello, and more",
        [200],
        check=first_body_is(b"hello"),
    ),
    SocketCase(
        "Content-Length smaller, the rest an invalid second request",
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi\x00\x01garbage\r\n\r\n",
        [200, 400],
        check=first_body_is(b"hi"),
    ),
    SocketCase(
        "Content-Length larger than the body, then the client hangs up: no answer, no trace",
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly this",
        [],
    ),
    SocketCase(
        "two Content-Length headers that disagree (request smuggling)",
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nhello",
        [400],
    ),
    SocketCase(
        "Content-Length not a number",
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: five\r\n\r\nhello",
        [400],
    ),
    SocketCase(
        "a 64 KiB header line",
        b"GET /health HTTP/1.1\r\nHost: t\r\nX-Padding: " + b"a" * 65536 + b"\r\n\r\n",
        [200],
    ),
    SocketCase(
        "an over-long URL (64 KiB request line)",
        b"GET /" + b"a" * 65536 + b" HTTP/1.1\r\nHost: t\r\n\r\n",
        [404],
        BLANK,
    ),
    SocketCase(
        "an upload one byte over the limit: 413 from Content-Length, before the body is read",
        b"POST /compress HTTP/1.1\r\nHost: t\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Length: %d\r\n\r\n" % (LIMIT + 1),
        [413],
        TOO_LARGE,
    ),
    SocketCase(
        "an upload declaring 100 × the limit, sending 1 KiB: 413 at once",
        b"POST /compress HTTP/1.1\r\nHost: t\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Length: %d\r\n\r\n" % (100 * LIMIT) + b"\x00" * 1024,
        [413],
        TOO_LARGE,
    ),
    SocketCase(
        "a chunked upload (no Content-Length) far over the limit: 413 while streaming",
        b"POST /compress HTTP/1.1\r\nHost: t\r\nContent-Type: application/octet-stream\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
        + (b"10000\r\n" + b"\x00" * 0x10000 + b"\r\n") * (2 * LIMIT // 0x10000)
        + b"0\r\n\r\n",
        [413],
        TOO_LARGE,
    ),
    SocketCase(
        "multipart with a Content-Length shorter than the form: the cut form has no input",
        b"POST /compress?codecs=gzip:1 HTTP/1.1\r\nHost: t\r\nContent-Type: "
        + FORM.encode()
        + b"\r\nContent-Length: %d\r\n\r\n" % (len(ONE_FILE) - 20)
        + ONE_FILE,
        [400],
        NO_INPUT,
    ),
    SocketCase(
        "multipart with a Content-Length longer than the form, then the client hangs up",
        b"POST /compress?codecs=gzip:1 HTTP/1.1\r\nHost: t\r\nContent-Type: "
        + FORM.encode()
        + b"\r\nContent-Length: %d\r\n\r\n" % (len(ONE_FILE) + 100)
        + ONE_FILE,
        [],
    ),
    SocketCase(
        "an echo body one byte over the limit",
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % (LIMIT + 1)
        + b"\x00" * (LIMIT + 1),
        [413],
        TOO_LARGE,
    ),
]


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    with serve_on_loopback() as running:
        yield running


def home_page_is_served_by(server: LoopbackServer) -> None:
    answer = exchange(
        server, b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", responses=1
    )
    assert answer.statuses == [200]
    assert answer.responses[0][2] == HOME_PAGE


@pytest.mark.parametrize("case", SOCKET_CASES, ids=[c.name for c in SOCKET_CASES])
def test_hostile_bytes_on_the_wire(server: LoopbackServer, case: SocketCase) -> None:
    answer = exchange(server, case.request, responses=len(case.statuses))
    assert answer.statuses == case.statuses
    if case.problem_type is not None:
        _, headers, body = answer.responses[0]
        assert headers["content-type"] == "application/problem+json"
        assert json.loads(body)["type"] == case.problem_type
    if case.check is not None:
        case.check(answer)
    home_page_is_served_by(server)
    assert "Traceback" not in server.stderr()


def test_the_table_is_big_enough() -> None:
    assert len(LAMBDA_CASES) + len(SOCKET_CASES) >= 40


def test_an_uploaded_file_name_is_never_used_as_a_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 2 MiB part is spooled to disk (python-multipart's threshold is 1 MiB): under a random
    name in the temp directory, deleted after; the client's name creates nothing anywhere."""
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    monkeypatch.chdir(tmp_path)
    marker = f"hostile-{uuid.uuid4().hex}"
    names = [f"../../../../../../tmp/{marker}", f"{spool}/{marker}", f"./{marker}", marker]
    for name in names:
        body = form(form_part("file", b"\xab" * (2 * 1024 * 1024), name))
        response = read_result(handler.handler(upload(body), FakeLambdaContext()))
        assert response.status == 200
        assert json.loads(response.body)["input"]["filename"] == name
    assert list(spool.iterdir()) == []
    assert not list(tmp_path.rglob(f"*{marker}*"))
    assert not Path("/tmp", marker).exists()
