"""The adapter's own rules, on small real ASGI apps behind the real Mangum."""

from __future__ import annotations

import zlib

import pytest
from fastapi import FastAPI
from fastapi.responses import Response
from lambda_events import FakeLambdaContext, build_event, read_result

from app.lambda_adapter import LambdaAdapter, _base64_if_content_encoded

# zlib.compress(b"a", 1): deflate output that is also valid UTF-8, which Mangum alone would
# ship as text (found by searching short inputs; most compressed bodies are not valid UTF-8).
ASCII_SAFE_DEFLATE = b"x\x01K\x04\x00\x00b\x00b"


def _encoded_body_app() -> FastAPI:
    app = FastAPI()

    @app.get("/encoded")
    async def encoded() -> Response:
        return Response(
            ASCII_SAFE_DEFLATE,
            media_type="text/html; charset=utf-8",
            headers={"Content-Encoding": "deflate"},
        )

    @app.get("/plain")
    async def plain() -> Response:
        return Response(b"<p>hi</p>", media_type="text/html; charset=utf-8")

    @app.get("/binary")
    async def binary() -> Response:
        return Response(b"ascii but binary", media_type="application/zstd")

    return app


def test_the_sample_body_really_is_valid_zlib_and_utf8() -> None:
    assert zlib.decompress(ASCII_SAFE_DEFLATE) == b"a"
    ASCII_SAFE_DEFLATE.decode("utf-8")


def test_a_content_encoded_utf8_body_still_leaves_as_base64(shape: str) -> None:
    adapter = LambdaAdapter(_encoded_body_app())
    result = adapter(build_event(shape, path="/encoded"), FakeLambdaContext())
    assert result["isBase64Encoded"] is True
    response = read_result(result)
    assert response.body == ASCII_SAFE_DEFLATE
    assert response.header("content-encoding") == "deflate"


def test_plain_text_stays_text(shape: str) -> None:
    result = LambdaAdapter(_encoded_body_app())(build_event(shape, path="/plain"), None)
    assert result["isBase64Encoded"] is False
    assert result["body"] == "<p>hi</p>"


def test_a_binary_type_leaves_as_base64_even_when_it_decodes(shape: str) -> None:
    result = LambdaAdapter(_encoded_body_app())(build_event(shape, path="/binary"), None)
    assert result["isBase64Encoded"] is True
    assert read_result(result).body == b"ascii but binary"


@pytest.mark.parametrize("name", ["content-encoding", "Content-Encoding", "CONTENT-ENCODING"])
def test_content_encoding_is_found_in_any_case(name: str) -> None:
    result = _base64_if_content_encoded(
        {"statusCode": 200, "headers": {name: "br"}, "body": "é", "isBase64Encoded": False}
    )
    assert result == {
        "statusCode": 200,
        "headers": {name: "br"},
        "body": "w6k=",
        "isBase64Encoded": True,
    }


def test_multi_value_content_encoding_counts_too() -> None:
    result = _base64_if_content_encoded(
        {"statusCode": 200, "multiValueHeaders": {"Content-Encoding": ["gzip"]}, "body": "a"}
    )
    assert result["isBase64Encoded"] is True
    assert result["body"] == "YQ=="


def test_an_empty_body_is_left_alone() -> None:
    result = {"statusCode": 304, "headers": {"content-encoding": "br"}, "body": ""}
    assert _base64_if_content_encoded(dict(result)) == result
