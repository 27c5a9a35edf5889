"""Size and gateway errors as a browser user meets them: the script checks the published limit
before sending, and turns every answer of the gateways (docs/api.md) into a sentence; the form
without the script gets an HTML page for every problem, the limit stated."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from loopback_server import LoopbackServer
from playwright.sync_api import Browser, BrowserContext, Page, Route

from app.config import settings

LIMIT = settings.max_upload_bytes
LIMIT_TEXT = f"{LIMIT:,} bytes ({LIMIT / 1024 / 1024:g} MiB)"


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    opened = browser.new_context()
    yield opened
    opened.close()


@pytest.fixture
def no_js_context(browser: Browser) -> Iterator[BrowserContext]:
    opened = browser.new_context(java_script_enabled=False)
    yield opened
    opened.close()


def choose_file(page: Page, size: int) -> None:
    page.set_input_files(
        "form input[type=file][name=file]",
        {"name": "big.bin", "mimeType": "application/octet-stream", "buffer": b"\0" * size},
    )


def test_the_script_refuses_a_file_over_the_limit_and_sends_nothing(
    context: BrowserContext, server: LoopbackServer
) -> None:
    page = context.new_page()
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.goto(server.base_url + "/")
    assert page.get_attribute("form", "data-max-upload") == str(LIMIT)
    choose_file(page, LIMIT + 1)
    page.click("form button")
    page.wait_for_selector("#status .error")
    message = page.inner_text("#status .error")
    assert LIMIT_TEXT in message
    assert "Nothing was sent" in message
    assert f"{LIMIT + 1:,} bytes" in message
    assert posts == []


# What the gateways answer themselves (docs/api.md), and the sentence the page must show.
GATEWAY_ANSWERS = [
    pytest.param(
        429,
        {"Retry-After": "1", "Content-Type": "application/problem+json"},
        json.dumps(
            {
                "type": "/problems/throttled",
                "title": "Too many requests",
                "status": 429,
                "detail": "API Gateway is limiting requests to this route.",
                "request_id": "x",
            }
        ),
        "API Gateway is limiting requests to this route. Try again in 1 s.",
        id="rest-429",
    ),
    pytest.param(
        429,
        {"Content-Type": "application/json"},
        '{"message":"Too Many Requests"}',
        "The service is busy: it takes a few uploads a second from everyone together. "
        "Try again in 1 s.",
        id="http-api-429",
    ),
    pytest.param(
        413,
        {"Content-Type": "application/json"},
        '{"message":"Request Entity Too Large"}',
        f"The upload is larger than the service accepts: at most {LIMIT_TEXT}.",
        id="http-api-413",
    ),
    pytest.param(
        413,
        {"Content-Type": "text/plain; charset=utf-8"},
        "HTTP content length exceeded 10485760 bytes.",
        f"The upload is larger than the service accepts: at most {LIMIT_TEXT}.",
        id="over-10-mb-413",
    ),
    pytest.param(
        503,
        {"Content-Type": "application/json"},
        '{"message":"Service Unavailable"}',
        "The service did not answer in time (or is unavailable). Try again; a smaller file "
        "finishes sooner.",
        id="http-api-503",
    ),
    pytest.param(
        500,
        {"Content-Type": "application/json"},
        '{"message":"Internal Server Error"}',
        "The service failed on this request. Try again.",
        id="http-api-500",
    ),
]


@pytest.mark.parametrize(("status", "headers", "body", "shown"), GATEWAY_ANSWERS)
def test_the_script_puts_each_gateway_answer_in_words(
    context: BrowserContext,
    server: LoopbackServer,
    status: int,
    headers: dict[str, str],
    body: str,
    shown: str,
) -> None:
    page = context.new_page()

    def gateway(route: Route) -> None:
        route.fulfill(status=status, headers=headers, body=body)

    page.route("**/compress", gateway)
    page.goto(server.base_url + "/")
    page.fill("form textarea[name=text]", "some text to compress")
    page.click("form button")
    page.wait_for_selector("#status .error")
    assert page.inner_text("#status .error") == shown


def test_without_the_script_an_oversized_file_gets_a_page_stating_the_limit(
    no_js_context: BrowserContext, server: LoopbackServer
) -> None:
    page = no_js_context.new_page()
    page.goto(server.base_url + "/")
    choose_file(page, LIMIT + 1)
    with page.expect_response("**/compress") as answered:
        page.click("form button")
    response = answered.value
    assert response.status == 413
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert page.inner_text("h1") == "Upload too large"
    assert page.inner_text("#limit") == f"The limit is {LIMIT_TEXT}."
    page.click("text=Back to the form")
    assert page.url == server.base_url + "/"


def test_without_the_script_every_form_problem_is_a_page(
    no_js_context: BrowserContext, server: LoopbackServer
) -> None:
    page = no_js_context.new_page()
    page.goto(server.base_url + "/")
    with page.expect_response("**/compress") as answered:
        page.click("form button")  # neither a file nor text
    assert answered.value.status == 400
    assert answered.value.headers["content-type"] == "text/html; charset=utf-8"
    assert "no file in 'file'" in page.inner_text("#detail")
