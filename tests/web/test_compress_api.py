"""POST /compress and POST /compress/{codec}: over ASGI and through handler.py for every shape."""

from __future__ import annotations

import asyncio
import gzip
import json
import time
from collections.abc import Coroutine
from typing import Any, TypeVar
from urllib.parse import unquote

import httpx
import pytest
from corpora import MiB, already_gzipped, python_source
from fastapi.testclient import TestClient
from http_checks import BOUNDARY, MULTIPART, assert_problem, assert_still_serves, multipart_body
from lambda_events import FakeLambdaContext, invoke
from starlette.types import Message

from app import app
from app.compression.registry import CODECS
from app.config import settings
from app.web.routes.compress import content_disposition, download_filename

LIMIT = settings.max_upload_bytes
T = TypeVar("T")
TEXT = python_source(20_000)
QUICK = "gzip:1,zstd:3,brotli:4,deflate:6"


def run_in_own_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run on a private loop. Unlike asyncio.run(), this leaves the current loop, on which
    Mangum serves every later handler call in this process, in place."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.close()


# --- POST /compress over ASGI -------------------------------------------------------------


def test_a_file_field_gives_the_report_with_exact_sizes(client: TestClient) -> None:
    response = client.post(
        "/compress", params={"codecs": QUICK}, files={"file": ("lib.py", TEXT, "text/x-python")}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    report = response.json()
    assert report["input"]["filename"] == "lib.py"
    assert report["input"]["size"] == len(TEXT)
    expected = sorted(
        (len(CODECS[name].compress(TEXT, level)), name, level)
        for name, level in [("gzip", 1), ("zstd", 3), ("brotli", 4), ("deflate", 6)]
    )
    assert [(r["size"], r["codec"], r["level"]) for r in report["results"]] == expected
    assert all(r["verified"] for r in report["results"])
    assert report["results"][0]["ratio"] == pytest.approx(len(TEXT) / expected[0][0])
    assert report["budget_ms"] == settings.budget_seconds * 1000


@pytest.mark.parametrize("field", ["text", "textEntry"])
def test_pasted_text_fields(client: TestClient, field: str) -> None:
    text = "Grüße, CompressTest! " * 50
    response = client.post("/compress", params={"codecs": "gzip:6"}, data={field: text})
    assert response.status_code == 200
    report = response.json()
    assert report["input"] == {
        "filename": None,
        "size": len(text.encode()),
        "sha256": report["input"]["sha256"],
    }
    gzip_size = len(CODECS["gzip"].compress(text.encode(), 6))
    assert report["results"][0]["size"] == gzip_size


def test_the_legacy_file_field_and_a_browser_form_with_an_empty_textarea(
    client: TestClient,
) -> None:
    body = multipart_body(("fileUpload", "old.gz", already_gzipped()), ("textEntry", None, b""))
    response = client.post(
        "/compress?codecs=zstd:1", content=body, headers={"Content-Type": MULTIPART}
    )
    assert response.status_code == 200
    assert response.json()["input"]["filename"] == "old.gz"
    assert response.json()["input"]["size"] == len(already_gzipped())


def test_a_browser_form_with_text_and_no_file_chosen(client: TestClient) -> None:
    body = multipart_body(("file", "", b""), ("text", None, b"just text"))
    response = client.post(
        "/compress?codecs=gzip:1", content=body, headers={"content-type": MULTIPART}
    )
    assert response.status_code == 200
    assert response.json()["input"]["size"] == len(b"just text")


def test_a_raw_octet_stream_body(client: TestClient) -> None:
    response = client.post(
        "/compress?codecs=xz:0",
        content=TEXT,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 200
    result = response.json()["results"][0]
    assert result["size"] == len(CODECS["xz"].compress(TEXT, 0))


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"files": {"file": ("empty.txt", b"")}},
        {"content": b"", "headers": {"Content-Type": "application/octet-stream"}},
    ],
    ids=["empty-file-part", "empty-raw-body"],
)
def test_an_empty_file_gets_a_real_answer(
    client: TestClient, request_kwargs: dict[str, Any]
) -> None:
    response = client.post("/compress", **request_kwargs)
    assert response.status_code == 200
    report = json.loads(response.text)  # strict JSON: no NaN or Infinity anywhere
    assert report["input"]["size"] == 0
    assert len(report["results"]) == sum(len(c.default_run_levels) for c in CODECS.values())
    assert {r["ratio"] for r in report["results"]} == {0.0}
    assert {r["saving"] for r in report["results"]} == {None}


def test_one_byte(client: TestClient) -> None:
    response = client.post("/compress?codecs=brotli:0-11", files={"file": ("b", b"!")})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 12
    assert all(r["ratio"] < 1 and r["saving"] < 0 for r in response.json()["results"])


# --- the problems ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {},
        {"data": {"other": "field"}},
        {"data": {"text": ""}},
        {"content": b"x=1", "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
    ],
    ids=["no-body", "unknown-field", "empty-text", "urlencoded-no-text"],
)
def test_neither_file_nor_text_is_400(client: TestClient, request_kwargs: dict[str, Any]) -> None:
    body = assert_problem(client.post("/compress", **request_kwargs), 400, "/problems/no-input")
    assert "'file'" in body["detail"]
    assert_still_serves(client)


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"x", "multipart/form-data", "Missing boundary in multipart."),
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; filename="a"\r\n\r\nx\r\n'
            f"--{BOUNDARY}--\r\n".encode(),
            MULTIPART,
            'The Content-Disposition header field "name" must be provided.',
        ),
        (
            multipart_body(*((f"f{i}", None, b"x") for i in range(1001))),
            MULTIPART,
            "Too many fields. Maximum number of fields is 1000.",
        ),
        (
            "&".join(f"f{i}=x" for i in range(1001)).encode(),
            "application/x-www-form-urlencoded",
            "Too many fields. Maximum number of fields is 1000.",
        ),
    ],
    ids=["no-boundary", "part-without-name", "1001-multipart-fields", "1001-urlencoded-fields"],
)
@pytest.mark.parametrize("path", ["/compress?codecs=gzip:1", "/compress/gzip"])
def test_a_form_the_parser_rejects_is_a_malformed_form_problem_naming_why(
    client: TestClient, path: str, body: bytes, content_type: str, reason: str
) -> None:
    response = client.post(path, content=body, headers={"Content-Type": content_type})
    problem = assert_problem(response, 400, "/problems/malformed-form")
    assert problem["title"] == "Malformed form body"
    assert problem["detail"] == f"The form body cannot be parsed: {reason}"
    assert_still_serves(client)


@pytest.mark.parametrize("path", ["/compress", "/compress/{codec}"])
def test_openapi_documents_the_upload_problem_types(path: str) -> None:
    schema = TestClient(app).get("/openapi.json").json()
    documented = schema["paths"][path]["post"]["responses"]["400"]
    problem = documented["content"]["application/problem+json"]
    assert problem["schema"] == {"$ref": "#/components/schemas/Problem"}
    examples = {example["value"]["type"] for example in problem["examples"].values()}
    assert examples == {
        "/problems/malformed-form",
        "/problems/no-input",
        "/problems/dictionary-without-input",
    }
    assert "/problems/bad-codec-spec" in documented["description"]
    assert "/problems/dictionary-required" in documented["description"]


@pytest.mark.parametrize(
    "parts",
    [
        [("file", "a.txt", b"a"), ("text", None, b"b")],
        [("fileUpload", "a.txt", b"a"), ("textEntry", None, b"b")],
        [("file", "a.txt", b"a"), ("file", "b.txt", b"b")],
    ],
    ids=["file-and-text", "legacy-both", "two-files"],
)
def test_more_than_one_input_is_422(client: TestClient, parts: list[Any]) -> None:
    response = client.post(
        "/compress", content=multipart_body(*parts), headers={"Content-Type": MULTIPART}
    )
    assert_problem(response, 422, "/problems/ambiguous-input")
    assert_still_serves(client)


@pytest.mark.parametrize(
    ("path", "named"),
    [
        ("/compress?codecs=lzo", "zstd 1-22"),
        ("/compress?codecs=gzip:10", "0-9"),
        ("/compress?codecs=zstd:0-3", "1-22"),
        ("/compress/lzo", "brotli 0-11"),
        ("/compress/brotli?level=12", "0-11"),
        ("/compress/bz2?level=0", "1-9"),
    ],
)
def test_unknown_codec_or_level_is_400_naming_the_valid(
    client: TestClient, path: str, named: str
) -> None:
    response = client.post(path, files={"file": ("a.txt", b"abc")})
    body = assert_problem(response, 400, "/problems/bad-codec-spec")
    assert named in body["detail"]
    assert_still_serves(client)


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"files": {"file": ("big.bin", b"\0" * (LIMIT + 1))}},
        {"data": {"text": "a" * (LIMIT + 1)}},
        {"content": b"\0" * (LIMIT + 1), "headers": {"Content-Type": "application/octet-stream"}},
    ],
    ids=["file", "text", "raw"],
)
@pytest.mark.parametrize("path", ["/compress", "/compress/gzip"])
def test_one_byte_over_the_limit_is_413_naming_it(
    client: TestClient, path: str, request_kwargs: dict[str, Any]
) -> None:
    body = assert_problem(client.post(path, **request_kwargs), 413, "/problems/payload-too-large")
    assert body["limit"] == LIMIT
    assert str(LIMIT) in body["detail"]
    assert_still_serves(client)


def test_exactly_the_limit_is_accepted(client: TestClient) -> None:
    data = b"\0" * LIMIT
    response = client.post("/compress/zstd?level=1", files={"file": ("max.bin", data)})
    assert response.status_code == 200
    assert CODECS["zstd"].decompress(response.content) == data


def _asgi_post(
    headers: list[tuple[bytes, bytes]], chunks: list[bytes]
) -> tuple[int, dict[str, Any], int]:
    """POST /compress straight to the ASGI app; returns status, body and receive() calls."""
    sent: list[Message] = []
    calls = 0

    async def receive() -> Message:
        nonlocal calls
        calls += 1
        if calls <= len(chunks):
            return {"type": "http.request", "body": chunks[calls - 1], "more_body": True}
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/compress",
        "raw_path": b"/compress",
        "root_path": "",
        "query_string": b"codecs=gzip:1",
        "headers": headers,
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }
    run_in_own_loop(app(scope, receive, send))
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], json.loads(body), calls


def test_a_declared_length_over_the_limit_is_refused_before_reading_the_body() -> None:
    headers = [(b"content-type", b"application/octet-stream"), (b"content-length", b"99999999")]
    status, body, receive_calls = _asgi_post(headers, [b"\0" * MiB] * 100)
    assert (status, body["limit"]) == (413, LIMIT)
    assert receive_calls == 0


@pytest.mark.parametrize("content_type", ["application/octet-stream", MULTIPART])
def test_a_streamed_body_is_cut_off_once_past_the_limit(content_type: str) -> None:
    chunk = b"\0" * (256 * 1024)
    # A body of 100 MiB on offer, with no Content-Length: a file part's head, then zeros.
    opening = multipart_body(("file", "endless.bin", b""))[: -len(BOUNDARY) - 8]
    chunks = [opening if content_type == MULTIPART else b"", *[chunk] * 400]
    status, body, receive_calls = _asgi_post([(b"content-type", content_type.encode())], chunks)
    assert (status, body["type"]) == (413, "/problems/payload-too-large")
    # It stopped right after the 4 MiB (+ the form framing allowance) were passed.
    assert receive_calls <= LIMIT // len(chunk) + 2


# --- POST /compress/{codec} -------------------------------------------------------------------


@pytest.mark.parametrize("name", CODECS)
def test_download_is_the_codec_output_with_its_type_and_name(client: TestClient, name: str) -> None:
    codec = CODECS[name]
    response = client.post(f"/compress/{name}", files={"file": ("notes.txt", TEXT)})
    assert response.status_code == 200
    assert response.headers["content-type"] == codec.media_type
    assert response.headers["content-disposition"] == (
        f'attachment; filename="notes.txt{codec.extension}"'
    )
    assert response.content == codec.compress(TEXT, codec.default_level)
    assert codec.decompress(response.content) == TEXT


def test_download_at_a_chosen_level_from_text(client: TestClient) -> None:
    response = client.post("/compress/xz?level=1", data={"text": "pasted"})
    assert response.status_code == 200
    assert response.content == CODECS["xz"].compress(b"pasted", 1)
    assert response.headers["content-disposition"] == 'attachment; filename="data.xz"'


@pytest.mark.parametrize(
    ("uploaded", "ascii_name", "utf8_name"),
    [
        ("../../etc/passwd", "passwd.gz", None),
        ("C:\\Users\\me\\report.csv", "report.csv.gz", None),
        ("semi;colon:star*?.txt", "semicolonstar.txt.gz", None),
        ("..", "data.gz", None),
        ("résumé.pdf", "r_sum_.pdf.gz", "résumé.pdf.gz"),
        ("データ.json", "___.json.gz", "データ.json.gz"),
    ],
)
def test_download_names_are_sanitised(
    client: TestClient, uploaded: str, ascii_name: str, utf8_name: str | None
) -> None:
    body = multipart_body(("file", uploaded, b"data"))
    response = client.post("/compress/gzip", content=body, headers={"Content-Type": MULTIPART})
    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    assert disposition.startswith(f'attachment; filename="{ascii_name}"')
    if utf8_name is None:
        assert "filename*" not in disposition
    else:
        encoded = disposition.split("filename*=UTF-8''", 1)[1]
        assert unquote(encoded) == utf8_name


def test_quotes_and_control_characters_never_reach_the_header() -> None:
    name = download_filename('evil";\r\nSet-Cookie: x=1\x00.txt', ".gz")
    assert name == "evilSet-Cookie x=1.txt.gz"
    assert content_disposition(name) == 'attachment; filename="evilSet-Cookie x=1.txt.gz"'
    assert download_filename(None, ".br") == "data.br"


# --- through handler.py, every event shape ----------------------------------------------------


def test_report_through_every_lambda_shape(shape: str) -> None:
    body = multipart_body(("file", "lib.py", TEXT))
    response = invoke(
        shape,
        method="POST",
        path="/compress",
        query="codecs=gzip:9,zstd:19",
        headers={"CONTENT-TYPE": MULTIPART, "Content-Length": str(len(body))},
        body=body,
    )
    assert response.status == 200
    assert not response.is_base64_encoded
    report = json.loads(response.body)
    assert report["input"]["filename"] == "lib.py"
    assert {(r["codec"], r["level"], r["size"]) for r in report["results"]} == {
        ("gzip", 9, len(CODECS["gzip"].compress(TEXT, 9))),
        ("zstd", 19, len(CODECS["zstd"].compress(TEXT, 19))),
    }


@pytest.mark.parametrize("name", ["gzip", "brotli", "zstd", "deflate-raw"])
def test_download_through_every_lambda_shape_is_base64_and_byte_exact(
    shape: str, name: str
) -> None:
    data = already_gzipped() + TEXT
    body = multipart_body(("fileUpload", "mixed.bin", data))
    response = invoke(
        shape,
        method="POST",
        path=f"/compress/{name}",
        query="level=5",
        headers={"Content-Type": MULTIPART},
        body=body,
    )
    assert response.status == 200
    assert response.is_base64_encoded
    assert response.header("content-type") == CODECS[name].media_type
    assert response.body == CODECS[name].compress(data, 5)
    assert CODECS[name].decompress(response.body) == data


def test_raw_body_through_lambda_with_mixed_case_headers(shape: str) -> None:
    response = invoke(
        shape,
        method="POST",
        path="/compress/deflate",
        headers={"cOnTeNt-TyPe": "application/octet-stream"},
        body=TEXT,
    )
    assert response.status == 200
    assert CODECS["deflate"].decompress(response.body) == TEXT
    assert response.header("Content-Disposition") == 'attachment; filename="data.zlib"'


def test_problems_through_lambda(shape: str) -> None:
    none = invoke(
        shape,
        method="POST",
        path="/compress",
        headers={"Content-Type": MULTIPART},
        body=multipart_body(("text", None, b"")),
    )
    assert (none.status, json.loads(none.body)["type"]) == (400, "/problems/no-input")
    both = invoke(
        shape,
        method="POST",
        path="/compress",
        headers={"Content-Type": MULTIPART},
        body=multipart_body(("file", "a", b"a"), ("text", None, b"b")),
    )
    assert (both.status, json.loads(both.body)["type"]) == (422, "/problems/ambiguous-input")
    big = invoke(
        shape,
        method="POST",
        path="/compress",
        headers={"Content-Type": MULTIPART},
        body=multipart_body(("file", "big", b"\0" * (LIMIT + 1))),
    )
    assert (big.status, json.loads(big.body)["limit"]) == (413, LIMIT)
    assert invoke(shape, method="GET", path="/health").status == 200


def test_lambda_remaining_time_bounds_the_budget() -> None:
    body = multipart_body(("file", "big.py", python_source(MiB)))
    context = FakeLambdaContext(remaining_ms=1800)
    started = time.monotonic()
    response = invoke(
        "apigw-http-v2",
        context=context,
        method="POST",
        path="/compress",
        query="codecs=brotli:11,xz:9,zstd:22,gzip:1",
        headers={"Content-Type": MULTIPART},
        body=body,
    )
    assert time.monotonic() - started < 1.8, "the response missed the Lambda deadline"
    assert response.status == 200
    report = json.loads(response.body)
    assert report["budget_ms"] <= 1800 - 1000
    assert ("brotli", 11) in {(s["codec"], s["level"]) for s in report["skipped"]}
    assert len(report["results"]) + len(report["skipped"]) == 4


# --- the event loop and the schema -----------------------------------------------------------


def test_the_event_loop_keeps_serving_while_a_benchmark_runs() -> None:
    async def scenario() -> list[str]:
        finished: list[str] = []
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

            async def slow() -> None:
                files = {"file": ("big.py", python_source(MiB))}
                response = await client.post("/compress?codecs=brotli:11", files=files)
                assert response.status_code == 200
                finished.append("compress")

            async def health() -> None:
                await asyncio.sleep(0.3)
                assert (await client.get("/health")).status_code == 200
                finished.append("health")

            await asyncio.gather(slow(), health())
        return finished

    assert run_in_own_loop(scenario()) == ["health", "compress"]


def test_openapi_documents_the_report_and_the_ratio() -> None:
    schema = TestClient(app).get("/openapi.json").json()
    components = schema["components"]["schemas"]
    ratio = components["ResultModel"]["properties"]["ratio"]
    assert "Original size ÷ compressed size" in ratio["description"]
    assert "lzbench" in ratio["description"]
    assert set(components["CompressReport"]["properties"]) == {
        "input",
        "dictionary",
        "results",
        "skipped",
        "elapsed_ms",
        "budget_ms",
        "workers",
    }
    result = components["ResultModel"]["properties"]
    assert "fastest" in result["compress_ms"]["description"]
    assert result["repeats"] == {
        "type": "integer",
        "minimum": 1,
        "title": "Repeats",
        "description": result["repeats"]["description"],
    }
    assert "20 ms" in result["repeats"]["description"]
    assert "decompress_repeats" in components["ResultModel"]["required"]
    for median in ("compress_ms_median", "decompress_ms_median"):
        assert median in components["ResultModel"]["required"]
        assert result[median]["type"] == "number"
    assert "noise" in result["compress_ms_median"]["description"]
    operation = schema["paths"]["/compress"]["post"]
    assert "multipart/form-data" in operation["requestBody"]["content"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CompressReport"
    }


def test_lz4_snappy_and_libdeflate_through_the_api(client: TestClient) -> None:
    """The new codecs' report rows and downloads: sizes exact, medians beside the fastest."""
    response = client.post(
        "/compress",
        params={"codecs": "lz4:1,lz4:12,snappy,libdeflate:1,libdeflate:12"},
        files={"file": ("lib.py", TEXT)},
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert sorted((r["codec"], r["level"], r["size"]) for r in results) == sorted(
        (name, level, len(CODECS[name].compress(TEXT, level)))
        for name, level in [
            ("lz4", 1),
            ("lz4", 12),
            ("snappy", 1),
            ("libdeflate", 1),
            ("libdeflate", 12),
        ]
    )
    for r in results:
        assert r["verified"] is True
        assert r["compress_ms_median"] >= r["compress_ms"] > 0
        assert r["decompress_ms_median"] >= r["decompress_ms"] > 0
    for codec, level, media_type, extension in [
        ("lz4", 9, "application/octet-stream", ".lz4"),
        ("snappy", 1, "application/octet-stream", ".snappy"),
        ("libdeflate", 12, "application/gzip", ".gz"),
    ]:
        download = client.post(
            f"/compress/{codec}", params={"level": level}, files={"file": ("lib.py", TEXT)}
        )
        assert download.status_code == 200
        assert download.headers["content-type"] == media_type
        assert (
            download.headers["content-disposition"] == f'attachment; filename="lib.py{extension}"'
        )
        assert CODECS[codec].decompress(download.content) == TEXT
    assert gzip.decompress(download.content) == TEXT  # libdeflate's gzip, read by Python's
