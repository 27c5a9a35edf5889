"""POST /site and /site/precompressed through every door: ASGI, and handler.py with the REST
and HTTP API events AWS publishes (tests/events/), at the root and under the REST stage."""

from __future__ import annotations

import gzip
import io
import zipfile
from typing import Any

import brotli
import httpx
import pytest
import zstandard
from fastapi.testclient import TestClient
from http_checks import MULTIPART, multipart_body
from lambda_events import FakeLambdaContext, invoke
from loopback_server import LoopbackServer
from site_archives import sample_site, tar_bytes, zip_bytes

GATEWAYS = ("apigw-rest-v1", "apigw-http-v2")


def site_form(*parts: tuple[str, str | None, bytes]) -> dict[str, object]:
    return {"body": multipart_body(*parts), "headers": {"Content-Type": MULTIPART}}


def originals() -> dict[str, bytes]:
    return {name.removeprefix("site/"): data for name, data in sample_site()}


def check_report(report: dict[str, Any], files: dict[str, bytes]) -> None:
    assert report["root"] == "site"
    by_path = {f["path"]: f for f in report["files"]}
    assert set(by_path) == set(files)
    for path, data in files.items():
        entry = by_path[path]
        assert entry["size"] == len(data)
        assert entry["static"]["size"] <= len(data)
    assert by_path["index.html"]["media_type"] == "text/html"
    assert by_path["index.html"]["static"]["coding"] in ("br", "zstd", "gzip")
    assert by_path["robots.txt"]["skipped"].startswith("under 1,024 bytes")
    assert "under the 5% threshold" in by_path["img/photo.png"]["skipped"]
    totals = report["totals"]
    assert totals["identity"] == sum(map(len, files.values()))
    assert totals["static"] == sum(f["static"]["size"] for f in report["files"])
    assert totals["static"] <= totals["dynamic"] <= totals["typical_server"] < totals["identity"]
    assert totals["returning"] is None
    assert sum(t["identity"] for t in report["by_media_type"]) == totals["identity"]


@pytest.mark.parametrize("compression", [None, "gz", "xz", "bz2", "zst"])
def test_every_tar_form_over_asgi(client: TestClient, compression: str | None) -> None:
    archive = tar_bytes(sample_site(), compression)
    response = client.post(
        "/site",
        content=multipart_body(("file", "s.bin", archive)),
        headers={"content-type": MULTIPART},
    )
    assert response.status_code == 200
    check_report(response.json(), originals())


def test_folder_of_loose_files_over_asgi(client: TestClient) -> None:
    parts = [("file", name, data) for name, data in sample_site()]
    response = client.post(
        "/site", content=multipart_body(*parts), headers={"content-type": MULTIPART}
    )
    assert response.status_code == 200
    check_report(response.json(), originals())


@pytest.mark.parametrize("shape", GATEWAYS)
def test_plan_through_the_lambda_handler(shape: str) -> None:
    result = invoke(
        shape,
        FakeLambdaContext(remaining_ms=29_000),
        method="POST",
        path="/site",
        **site_form(("file", "site.zip", zip_bytes(sample_site()))),
    )
    assert result.status == 200
    import json

    check_report(json.loads(result.body), originals())


@pytest.mark.parametrize("shape", GATEWAYS)
def test_previous_release_gives_the_returning_visit(shape: str) -> None:
    previous = [
        (n, d.replace(b"plans", b"plan")) if n.endswith("index.html") else (n, d)
        for n, d in sample_site()
    ]
    result = invoke(
        shape,
        FakeLambdaContext(remaining_ms=29_000),
        method="POST",
        path="/site",
        **site_form(
            ("file", "new.tar.gz", tar_bytes(sample_site(), "gz")),
            ("previous", "old.zip", zip_bytes(previous)),
        ),
    )
    assert result.status == 200
    import json

    report = json.loads(result.body)
    files = {f["path"]: f for f in report["files"]}
    assert files["css/site.css"]["unchanged"]
    assert files["css/site.css"]["returning"]["size"] == 0
    changed = files["index.html"]
    assert not changed["unchanged"]
    assert any(r["coding"] == "dcz" for r in changed["results"])
    assert changed["returning"]["coding"] == "dcz"
    assert changed["returning"]["size"] < changed["static"]["size"]
    assert report["totals"]["returning"] < report["totals"]["static"]


def _decoded(name: str, body: bytes) -> bytes:
    if name.endswith(".br"):
        return brotli.decompress(body)
    if name.endswith(".gz"):
        return gzip.decompress(body)
    assert name.endswith(".zst")
    return zstandard.ZstdDecompressor().decompress(body)


@pytest.mark.parametrize("shape", GATEWAYS)
def test_precompressed_zip_through_the_lambda_handler(shape: str) -> None:
    result = invoke(
        shape,
        FakeLambdaContext(remaining_ms=29_000),
        method="POST",
        path="/site/precompressed",
        **site_form(("file", "site.tar.xz", tar_bytes(sample_site(), "xz"))),
    )
    assert result.status == 200
    assert result.header("content-type") == "application/zip"
    assert result.is_base64_encoded
    files = originals()
    with zipfile.ZipFile(io.BytesIO(result.body)) as archive:
        names = archive.namelist()
        assert names
        for name in names:
            original_path = name.rsplit(".", 1)[0]
            body = archive.read(name)
            assert len(body) < len(files[original_path])
            assert _decoded(name, body) == files[original_path]
    stems = {name.rsplit(".", 1)[0] for name in names}
    assert "index.html" in stems
    assert "robots.txt" not in stems  # skipped: too small
    assert "img/photo.png" not in stems  # skipped: saves too little
    assert {n.rsplit(".", 1)[1] for n in names} == {"br", "gz", "zst"}


def test_html_answer_for_a_browser_form(client: TestClient) -> None:
    response = client.post(
        "/site",
        content=multipart_body(("file", "site.zip", zip_bytes(sample_site()))),
        headers={"content-type": MULTIPART, "accept": "text/html,*/*;q=0.8"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "index.html" in response.text
    assert "Static plan" in response.text
    assert "action=site/precompressed" in response.text  # relative: works under /v1/ too


def test_path_markup_is_escaped(client: TestClient) -> None:
    parts = [
        ("file", "s/<img src=x onerror=alert(1)>.html", b"<p>x" * 400),
        ("file", "s/a.css", b"a{}"),
    ]
    response = client.post(
        "/site",
        content=multipart_body(*parts),
        headers={"content-type": MULTIPART, "accept": "text/html"},
    )
    assert response.status_code == 200
    assert "<img src=x" not in response.text
    assert "&lt;img src=x onerror=alert(1)&gt;.html" in response.text


def test_options_move_the_thresholds(client: TestClient) -> None:
    response = client.post(
        "/site?min_size=0&min_saving=0&dynamic_floor=1",
        content=multipart_body(("file", "site.zip", zip_bytes(sample_site()))),
        headers={"content-type": MULTIPART},
    )
    files = {f["path"]: f for f in response.json()["files"]}
    assert files["robots.txt"]["skipped"] is None or "saves" in files["robots.txt"]["skipped"]
    assert response.json()["options"] == {
        "min_size": 0,
        "min_saving_percent": 0.0,
        "dynamic_floor_mbps": 1.0,
    }


def test_bad_option_is_a_problem(client: TestClient) -> None:
    response = client.post(
        "/site?dynamic_floor=0",
        content=multipart_body(("file", "site.zip", zip_bytes(sample_site()))),
        headers={"content-type": MULTIPART},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_raw_archive_body(client: TestClient) -> None:
    response = client.post(
        "/site",
        content=tar_bytes(sample_site(), "zst"),
        headers={"content-type": "application/octet-stream"},
    )
    assert response.status_code == 200
    check_report(response.json(), originals())


def test_plan_and_variants_over_uvicorn(server: LoopbackServer) -> None:
    """The real server: uvicorn on loopback, python-multipart parsing a streamed body."""
    body = multipart_body(("file", "site.tar.bz2", tar_bytes(sample_site(), "bz2")))
    headers = {"content-type": MULTIPART}
    with httpx.Client(base_url=server.base_url, timeout=60) as http:
        plan = http.post("/site", content=body, headers=headers)
        variants = http.post("/site/precompressed", content=body, headers=headers)
        refused = http.post(
            "/site",
            content=multipart_body(("file", "a.tar", tar_bytes([("../x", b"1")]))),
            headers=headers,
        )
    assert plan.status_code == 200
    check_report(plan.json(), originals())
    assert variants.status_code == 200
    with zipfile.ZipFile(io.BytesIO(variants.content)) as archive:
        assert "index.html.br" in archive.namelist()
    assert refused.status_code == 422
    assert refused.json()["type"] == "/problems/unsafe-path"
