"""CompressTest with a dictionary: dcz jobs, the dcz download, and a problem for each bad mix.

The dictionary is the previous version of a file, the input the next one; dcz (RFC 9842 §5)
must then beat zstd at the same level, every dcz size must be dictionary_transport's bytes
exactly (the 40-byte header included), and every bad combination of inputs gets its problem.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from corpora import python_source
from dcz_reference import prepared_dcz
from fastapi.testclient import TestClient
from http_checks import MULTIPART, assert_problem, assert_still_serves, multipart_body
from lambda_events import invoke

import app.web.routes.compress as compress_route
from app.compression.dictionary_codec import DCZ_SPREAD
from app.compression.dictionary_transport import (
    DCZ_HEADER_BYTES,
    DCZ_MAGIC,
    dcz_decompress,
    dictionary_hash,
)
from app.compression.registry import CODECS
from app.config import settings

# Their reports are read for their sizes, bytes and problems, not for their timing.
pytestmark = pytest.mark.usefixtures("quick_timing")

LIMIT = settings.max_upload_bytes
PREVIOUS = python_source(40_000)
# The next version: a few lines changed near the start, some appended at the end.
CURRENT = PREVIOUS[:5_000] + b"# changed in v2\n" + PREVIOUS[5_100:] + b"\ndef added(): pass\n"


def with_dictionary(
    data: bytes = CURRENT, dictionary: bytes = PREVIOUS
) -> dict[str, tuple[str, bytes]]:
    return {"file": ("app.v2.js", data), "dictionary": ("app.v1.js", dictionary)}


def test_default_jobs_with_a_dictionary_add_dcz_at_three_levels(client: TestClient) -> None:
    response = client.post("/compress", files=with_dictionary())
    assert response.status_code == 200, response.text
    report = response.json()
    dcz = sorted(
        (r["level"], r["size"], r["verified"]) for r in report["results"] if r["codec"] == "dcz"
    )
    assert dcz == [
        (level, len(prepared_dcz(CURRENT, PREVIOUS, level)), True) for level in DCZ_SPREAD
    ]
    assert {r["codec"] for r in report["results"]} == {*CODECS, "dcz"}
    assert report["dictionary"] == {
        "filename": "app.v1.js",
        "size": len(PREVIOUS),
        "sha256": dictionary_hash(PREVIOUS).hex(),
    }
    assert report["input"]["size"] == len(CURRENT)


def test_dcz_sizes_count_the_header_and_beat_zstd_at_the_same_level(client: TestClient) -> None:
    response = client.post("/compress", params={"codecs": "dcz:3,zstd:3"}, files=with_dictionary())
    sizes = {r["codec"]: r["size"] for r in response.json()["results"]}
    frame = prepared_dcz(CURRENT, PREVIOUS, 3)[DCZ_HEADER_BYTES:]
    assert sizes["dcz"] == DCZ_HEADER_BYTES + len(frame)
    # Against the previous version, only the changes cost bytes.
    assert sizes["dcz"] * 20 < sizes["zstd"]


def test_text_and_a_text_dictionary_work_as_files_do(client: TestClient) -> None:
    response = client.post(
        "/compress",
        params={"codecs": "dcz:1"},
        data={"text": CURRENT.decode(), "dictionary": PREVIOUS.decode()},
    )
    report = response.json()
    assert [(r["codec"], r["size"]) for r in report["results"]] == [
        ("dcz", len(prepared_dcz(CURRENT, PREVIOUS, 1)))
    ]
    assert report["dictionary"]["filename"] is None


def test_without_a_dictionary_the_report_says_null(client: TestClient) -> None:
    response = client.post("/compress", params={"codecs": "gzip:1"}, files={"file": ("a", b"x")})
    assert response.json()["dictionary"] is None


def test_a_dictionary_with_codecs_that_ignore_it_is_accepted(client: TestClient) -> None:
    response = client.post("/compress", params={"codecs": "gzip:1"}, files=with_dictionary())
    assert [r["codec"] for r in response.json()["results"]] == ["gzip"]


@pytest.mark.parametrize("level", [1, 19, 22])
def test_the_dcz_download_is_the_stream_named_dcz(client: TestClient, level: int) -> None:
    response = client.post(f"/compress/dcz?level={level}", files=with_dictionary())
    assert response.status_code == 200, response.text
    assert response.content == prepared_dcz(CURRENT, PREVIOUS, level)
    assert response.content[:8] == DCZ_MAGIC
    assert dcz_decompress(response.content, PREVIOUS) == CURRENT
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"] == 'attachment; filename="app.v2.js.dcz"'


def test_the_dcz_download_defaults_to_zstds_default_level(client: TestClient) -> None:
    response = client.post("/compress/dcz", files=with_dictionary())
    assert response.content == prepared_dcz(CURRENT, PREVIOUS, CODECS["zstd"].default_level)


def test_through_lambda_the_dcz_report_and_download_match(shape: str) -> None:
    body = multipart_body(("file", "v2.js", CURRENT), ("dictionary", "v1.js", PREVIOUS))
    headers = {"Content-Type": MULTIPART}
    report = invoke(
        shape, method="POST", path="/compress", query="codecs=dcz:5", headers=headers, body=body
    )
    assert report.status == 200, report.body
    [result] = json.loads(report.body)["results"]
    assert (result["codec"], result["size"]) == ("dcz", len(prepared_dcz(CURRENT, PREVIOUS, 5)))
    download = invoke(
        shape, method="POST", path="/compress/dcz", query="level=5", headers=headers, body=body
    )
    assert download.status == 200
    assert download.is_base64_encoded
    assert dcz_decompress(download.body, PREVIOUS) == CURRENT


# --- every bad combination ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/compress", "/compress/dcz", "/compress/gzip"])
def test_a_dictionary_without_an_input_is_400(client: TestClient, path: str) -> None:
    response = client.post(path, files={"dictionary": ("v1.js", PREVIOUS)})
    body = assert_problem(response, 400, "/problems/dictionary-without-input")
    assert "'file'" in body["detail"]
    assert_still_serves(client)


def test_a_dictionary_beside_an_untouched_form_is_400(client: TestClient) -> None:
    # What a browser sends when only the dictionary was picked: an empty file part, empty text.
    body = multipart_body(("file", "", b""), ("text", None, b""), ("dictionary", "v1", PREVIOUS))
    response = client.post("/compress", content=body, headers={"Content-Type": MULTIPART})
    assert_problem(response, 400, "/problems/dictionary-without-input")


@pytest.mark.parametrize(
    ("path", "params", "request_kwargs"),
    [
        ("/compress", {"codecs": "dcz"}, {"files": {"file": ("a.js", CURRENT)}}),
        ("/compress", {"codecs": "gzip:1,dcz:3"}, {"data": {"text": "abc"}}),
        (
            "/compress",
            {"codecs": "dcz:19"},
            {"content": CURRENT, "headers": {"Content-Type": "application/octet-stream"}},
        ),
        ("/compress/dcz", {}, {"files": {"file": ("a.js", CURRENT)}}),
        ("/compress/DCZ", {"level": "3"}, {"content": b"raw bytes"}),
        # An untouched dictionary picker sends an empty part with no file name: no dictionary.
        ("/compress/dcz", {}, {"files": {"file": ("a.js", CURRENT), "dictionary": ("", b"")}}),
    ],
    ids=["file", "text", "raw-body", "download", "download-raw", "empty-picker"],
)
def test_dcz_without_a_dictionary_is_400(
    client: TestClient, path: str, params: dict[str, str], request_kwargs: dict[str, Any]
) -> None:
    response = client.post(path, params=params, **request_kwargs)
    body = assert_problem(response, 400, "/problems/dictionary-required")
    assert "'dictionary'" in body["detail"]
    assert body["title"] == "dcz needs a dictionary"


@pytest.mark.parametrize(
    ("path", "params", "range_text"),
    [
        ("/compress", {"codecs": "dcz:23"}, "dcz has no level 23; its levels are 1-22"),
        ("/compress", {"codecs": "dcz:0-3"}, "dcz has no level 0"),
        ("/compress/dcz", {"level": "0"}, "dcz has no level 0; its levels are 1-22"),
    ],
)
def test_a_dcz_level_out_of_range_is_400_with_or_without_a_dictionary(
    client: TestClient, path: str, params: dict[str, str], range_text: str
) -> None:
    for files in (with_dictionary(), {"file": ("a.js", CURRENT)}):
        response = client.post(path, params=params, files=files)
        body = assert_problem(response, 400, "/problems/bad-codec-spec")
        assert range_text in body["detail"]


def test_an_unknown_codec_names_dcz_among_the_valid(client: TestClient) -> None:
    response = client.post("/compress", params={"codecs": "lzo"}, files=with_dictionary())
    body = assert_problem(response, 400, "/problems/bad-codec-spec")
    assert "dcz 1-22 (with a dictionary)" in body["detail"]


def test_two_dictionaries_are_422(client: TestClient) -> None:
    body = multipart_body(
        ("file", "v2", CURRENT), ("dictionary", "a", b"a"), ("dictionary", "b", b"b")
    )
    response = client.post("/compress", content=body, headers={"Content-Type": MULTIPART})
    problem = assert_problem(response, 422, "/problems/ambiguous-input")
    assert problem["title"] == "More than one dictionary"


@pytest.fixture
def small_limit(monkeypatch: pytest.MonkeyPatch) -> int:
    """The routes' upload limit set to 10,000 bytes, so the form-level checks are reached."""
    limit = 10_000
    monkeypatch.setattr(
        compress_route, "settings", dataclasses.replace(settings, max_upload_bytes=limit)
    )
    return limit


@pytest.mark.parametrize("path", ["/compress", "/compress/dcz"])
def test_a_dictionary_over_the_limit_is_413_naming_it(
    client: TestClient, small_limit: int, path: str
) -> None:
    files = {"file": ("v2", b"x" * 10), "dictionary": ("v1", b"d" * (small_limit + 1))}
    body = assert_problem(client.post(path, files=files), 413, "/problems/payload-too-large")
    assert body["limit"] == small_limit
    assert body["detail"].startswith(f"The dictionary has {small_limit + 1} bytes; ")
    assert "together may have at most 10000 bytes" in body["detail"]
    assert "Lambda" in body["detail"]


@pytest.mark.parametrize("dictionary_as_text", [False, True], ids=["file", "text"])
def test_input_and_dictionary_share_the_limit(
    client: TestClient, small_limit: int, dictionary_as_text: bool
) -> None:
    # Each fits alone; together they do not.
    if dictionary_as_text:
        response = client.post("/compress", data={"text": "t" * 6_000, "dictionary": "d" * 6_000})
    else:
        response = client.post(
            "/compress", files={"file": ("v2", b"t" * 6_000), "dictionary": ("v1", b"d" * 6_000)}
        )
    body = assert_problem(response, 413, "/problems/payload-too-large")
    assert body["detail"].startswith(
        "The input (6000 bytes) and the dictionary (6000 bytes) have 12000 bytes together; "
    )
    assert body["limit"] == small_limit
    # Exactly at the limit together is accepted.
    files = {"file": ("v2", b"t" * 5_000), "dictionary": ("v1", b"d" * 5_000)}
    response = client.post("/compress", params={"codecs": "dcz:1"}, files=files)
    assert response.status_code == 200, response.text


def test_at_the_real_limit_a_body_too_big_for_both_is_413_before_it_is_read(
    client: TestClient,
) -> None:
    half = LIMIT // 2 + 40 * 1024  # each part fits; with the framing allowance the body does not
    files = {"file": ("v2", b"t" * half), "dictionary": ("v1", b"d" * half)}
    body = assert_problem(client.post("/compress", files=files), 413, "/problems/payload-too-large")
    assert body["limit"] == LIMIT
    assert_still_serves(client)


def test_a_large_dictionary_at_a_strong_level_is_run_not_skipped(client: TestClient) -> None:
    # 2 MiB against 2 MiB at level 19: loading the dictionary takes about 0.5 s. Were it loaded
    # in every call, the engine's estimate (a 64 KiB slice, scaled 32 times) would pass 25 s and
    # the job would be skipped; prepared once per level before timing, it runs.
    previous = python_source(LIMIT // 2 - 8 * 1024)
    current = previous.replace(b"def ", b"def  ", 50)
    response = client.post(
        "/compress", params={"codecs": "dcz:19"}, files=with_dictionary(current, previous)
    )
    report = response.json()
    assert report["skipped"] == []
    [result] = report["results"]
    assert (result["level"], result["size"]) == (19, len(prepared_dcz(current, previous, 19)))
    assert result["verified"] is True
