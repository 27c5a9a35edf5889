"""A problem for a client that prefers HTML is a page (app/web/problem_page.py); for any other,
problem+json, as before. Both vary by Accept."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.config import settings
from app.web.problem_page import home_link, limit_text, problem_page

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_a_form_post_without_input_gets_a_page(client: TestClient) -> None:
    response = client.post(
        "/compress", files={"other": ("x.txt", b"x")}, headers={"Accept": BROWSER_ACCEPT}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "Accept" in response.headers["vary"]
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert "<h1>" in response.text
    assert "no file in &#x27;file&#x27;" in response.text
    assert '<a href="./">' in response.text


def test_an_oversized_form_post_gets_a_page_stating_the_limit(client: TestClient) -> None:
    big = b"\0" * (settings.max_upload_bytes + 1)
    response = client.post(
        "/compress/gzip", files={"file": ("big.bin", big)}, headers={"Accept": BROWSER_ACCEPT}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert f"The limit is {limit_text(settings.max_upload_bytes)}." in response.text
    assert '<a href="../">' in response.text


def test_api_clients_still_get_problem_json(client: TestClient) -> None:
    for accept in ("*/*", "application/json", "application/problem+json", None):
        headers = {"Accept": accept} if accept else {}
        response = client.post("/compress", files={"other": ("x", b"x")}, headers=headers)
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        assert "Accept" in response.headers["vary"]
        assert response.json()["type"] == "/problems/no-input"


def test_a_wrong_method_from_a_browser_is_a_page_too(client: TestClient) -> None:
    response = client.get("/compress", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 405
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "GET is not allowed on /compress." in response.text


def test_the_page_escapes_what_it_repeats() -> None:
    page = problem_page(
        {"title": "<b>", "status": 400, "detail": "<script>alert(1)</script>"}, "/compress"
    ).decode()
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert "<title>400 &lt;b&gt;</title>" in page


def test_the_home_link_climbs_back_from_the_path() -> None:
    assert [home_link(p) for p in ("/", "/compress", "/compress/gzip", "/a/b/c")] == [
        "./",
        "./",
        "../",
        "../../",
    ]
    assert limit_text(4194304) == "4,194,304 bytes (4 MiB)"
