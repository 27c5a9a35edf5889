"""app/aws/mount.py: the mount prefix read from API Gateway events, and the app served under it.

The REST API rows follow what AWS sends (tables in app/aws/mount.py): behind the default URL the
stage is in requestContext.path only; behind a custom domain's base path mapping the base path
is in `path` too, and `resource` tells how much of it is the app's.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from lambda_events import FakeLambdaContext, build_event, read_result

import handler
from app.aws.mount import MountPoint, mount_point
from app.tinysite import PAGES

BROWSER = {"Accept": "text/html", "Accept-Encoding": "br"}


@pytest.mark.parametrize(
    ("typed", "path", "resource", "expected"),
    [
        # the default URL, stage v1
        ("/v1/api", "/api", "/{proxy+}", MountPoint("/v1", "/api")),
        ("/v1/", "/", "/", MountPoint("/v1", "/")),
        ("/v1", "/", "/", MountPoint("/v1", "")),
        (
            "/v1/compress/gzip/",
            "/compress/gzip/",
            "/{proxy+}",
            MountPoint("/v1", "/compress/gzip/"),
        ),
        ("/v1/a//b", "/a//b", "/{proxy+}", MountPoint("/v1", "/a//b")),
        # a custom domain without a base path mapping
        ("/api", "/api", "/{proxy+}", MountPoint("", "/api")),
        ("/", "/", "/", MountPoint("", "/")),
        # a custom domain with base path ct (the base path in `path` too)
        ("/ct/api", "/ct/api", "/{proxy+}", MountPoint("/ct", "/api")),
        ("/ct/", "/ct/", "/", MountPoint("/ct", "/")),
        ("/ct", "/ct", "/", MountPoint("/ct", "")),
        ("/a/b/x", "/a/b/x", "/{proxy+}", MountPoint("/a/b", "/x")),
    ],
)
def test_rest_api_mount_points(typed: str, path: str, resource: str, expected: MountPoint) -> None:
    event = {
        "resource": resource,
        "path": path,
        "pathParameters": None if resource == "/" else {"proxy": expected.route.lstrip("/")},
        "requestContext": {"path": typed},
    }
    assert mount_point(event) == expected


@pytest.mark.parametrize(
    "event",
    [
        {"resource": "/{proxy+}", "path": "/api", "requestContext": {}},
        {
            "resource": "/{proxy+}",
            "path": "/api",
            "pathParameters": None,
            "requestContext": {"path": "/v1/api"},
        },
        {
            "resource": "/{proxy+}",
            "path": "/a/b",
            "pathParameters": {"proxy": "a/b"},
            "requestContext": {"path": "/b"},
        },
        {"resource": 7, "path": "/", "requestContext": {"path": "/"}},
        {"httpMethod": "GET", "path": "/api"},  # ALB
    ],
    ids=["no typed path", "no proxy value", "typed path too short", "bad resource", "alb"],
)
def test_events_that_cannot_tell_have_no_mount_point(event: dict[str, Any]) -> None:
    assert mount_point(event) is None


@pytest.mark.parametrize(
    ("raw_path", "stage", "expected"),
    [
        ("/api", "$default", None),
        ("/dev/api", "dev", MountPoint("/dev", "/api")),
        ("/dev", "dev", MountPoint("/dev", "")),
        ("/other", "dev", None),
    ],
)
def test_http_api_mount_points(raw_path: str, stage: str, expected: MountPoint | None) -> None:
    event = build_event("apigw-http-v2", path=raw_path)
    event["requestContext"]["stage"] = stage
    assert mount_point(event) == expected


def invoke(event: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    response = read_result(handler.handler(event, FakeLambdaContext()))
    return response.status, dict(response.headers), response.body


@pytest.mark.parametrize(
    ("typed", "path"),
    [("/v1/codecs", "/codecs"), ("/ct/codecs", "/ct/codecs"), ("/codecs", "/codecs")],
    ids=["default URL", "custom domain, base path", "custom domain, no base path"],
)
def test_the_page_is_served_through_every_rest_door(typed: str, path: str) -> None:
    event = build_event("apigw-rest-v1", path=path, headers=BROWSER)
    event["pathParameters"] = {"proxy": "codecs"}
    event["requestContext"]["path"] = typed
    status, _, body = invoke(event)
    assert (status, body) == (200, PAGES["/codecs"].representations["br"].body)


@pytest.mark.parametrize(
    ("typed", "path", "location"),
    [("/v1", "/", "/v1/"), ("/ct", "/ct", "/ct/")],
    ids=["default URL", "custom domain, base path"],
)
def test_the_prefix_without_its_slash_is_redirected(typed: str, path: str, location: str) -> None:
    event = build_event("apigw-rest-v1", path=path, query="a=1", headers=BROWSER)
    event["resource"] = "/"
    event["pathParameters"] = None
    event["requestContext"]["path"] = typed
    status, headers, _ = invoke(event)
    assert (status, headers["location"]) == (308, f"{location}?a=1")


def test_the_spec_names_the_stage_as_its_server() -> None:
    event = build_event("apigw-rest-v1", path="/openapi.json")
    event["requestContext"]["path"] = "/v1/openapi.json"
    status, _, body = invoke(event)
    assert status == 200
    assert json.loads(body)["servers"] == [{"url": "/v1"}]


def test_at_the_root_the_spec_names_no_server() -> None:
    status, _, body = invoke(build_event("apigw-http-v2", path="/openapi.json"))
    assert status == 200
    assert "servers" not in json.loads(body)


def test_a_named_http_api_stage_serves_below_it() -> None:
    event = build_event("apigw-http-v2", path="/dev/about", headers=BROWSER)
    event["requestContext"]["stage"] = "dev"
    status, _, body = invoke(event)
    assert (status, body) == (200, PAGES["/about"].representations["br"].body)
