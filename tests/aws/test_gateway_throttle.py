"""app/aws/gateway_throttle.py: token buckets, API Gateway's matching, limits from the template."""

from __future__ import annotations

from typing import Any

import pytest
from sam_tools import TEMPLATE

from app.aws.gateway_template import load_template
from app.aws.gateway_throttle import (
    RestMethod,
    Throttle,
    TokenBucket,
    escaped_resource_path,
    http_route_throttles,
    match_http_route,
    match_rest_method,
    resolved,
    rest_method_throttles,
    template_parameters,
)

UPLOAD = Throttle(rate=1, burst=5)
PAGE = Throttle(rate=10, burst=40)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(TEMPLATE)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_admits_its_burst_then_one_request_per_token_it_gets_back() -> None:
    clock = FakeClock()
    bucket = TokenBucket(Throttle(rate=2, burst=3), clock)
    assert [bucket.take() for _ in range(4)] == [None, None, None, 1.0]
    clock.now += 0.5  # one token back at 2 a second
    assert [bucket.take(), bucket.take()] == [None, 1.0]
    clock.now += 60  # never more than the burst
    assert [bucket.take() for _ in range(4)] == [None, None, None, 1.0]


def test_a_slow_bucket_says_how_long_until_its_next_token() -> None:
    clock = FakeClock()
    bucket = TokenBucket(Throttle(rate=0.25, burst=1), clock)
    assert bucket.take() is None
    assert bucket.take() == 4.0
    clock.now += 3
    assert bucket.take() == 1.0


def test_resource_paths_are_escaped_as_method_settings_write_them() -> None:
    assert escaped_resource_path("/") == "/"
    assert escaped_resource_path("/compress") == "/~1compress"
    assert escaped_resource_path("/compress/{codec}") == "/~1compress~1{codec}"
    assert escaped_resource_path("/a~b") == "/~1a~0b"


def test_overrides_and_subs_resolve_as_cloudformation_would(template: dict[str, Any]) -> None:
    parameters = template_parameters(template, {"CorsAllowOrigin": "https://example.org"})
    assert resolved({"Ref": "CorsAllowOrigin"}, parameters) == "https://example.org"
    assert resolved({"Fn::Sub": "'${CorsAllowOrigin}'"}, parameters) == "'https://example.org'"
    assert resolved({"Fn::Sub": "${AWS::Region}"}, parameters) == "${AWS::Region}"
    with pytest.raises(ValueError, match="NoSuchParameter"):
        template_parameters(template, {"NoSuchParameter": "1"})


METHODS = {
    RestMethod("/", "ANY"): PAGE,
    RestMethod("/{proxy+}", "ANY"): PAGE,
    RestMethod("/compress", "ANY"): UPLOAD,
    RestMethod("/compress/{codec}", "ANY"): UPLOAD,
    RestMethod("/only-get", "GET"): PAGE,
}


@pytest.mark.parametrize(
    ("method", "path", "resource"),
    [
        ("GET", "/", "/"),
        ("POST", "/compress", "/compress"),
        ("OPTIONS", "/compress", "/compress"),
        ("POST", "/compress/zstd", "/compress/{codec}"),
        ("POST", "/compress/zstd/more", "/{proxy+}"),
        ("GET", "/api", "/{proxy+}"),
        ("GET", "/docs/swagger-ui.css", "/{proxy+}"),
        ("GET", "/only-get", "/only-get"),
    ],
)
def test_a_rest_path_goes_to_its_most_specific_resource(
    method: str, path: str, resource: str
) -> None:
    matched = match_rest_method(METHODS, method, path)
    assert matched is not None
    assert matched.resource == resource


def test_a_resource_without_the_method_is_missing_not_the_proxy() -> None:
    """API Gateway does not fall back to {proxy+} from a resource that matched."""
    assert match_rest_method(METHODS, "POST", "/only-get") is None
    assert match_rest_method({RestMethod("/compress", "POST"): UPLOAD}, "GET", "/api") is None


ROUTES = {"$default": PAGE, "POST /compress": UPLOAD, "POST /compress/{codec}": UPLOAD}


@pytest.mark.parametrize(
    ("method", "path", "route"),
    [
        ("POST", "/compress", "POST /compress"),
        ("GET", "/compress", "$default"),
        ("OPTIONS", "/compress", "$default"),
        ("POST", "/compress/br", "POST /compress/{codec}"),
        ("POST", "/echo", "$default"),
        ("GET", "/", "$default"),
    ],
)
def test_an_http_api_request_goes_to_its_route_or_default(
    method: str, path: str, route: str
) -> None:
    assert match_http_route(ROUTES, method, path) == route


def test_the_rest_api_limits_come_from_the_stage_method_settings(
    template: dict[str, Any],
) -> None:
    methods = rest_method_throttles(template, template_parameters(template))
    pages = {m.resource for m, t in methods.items() if t == PAGE}
    uploads = {m.resource for m, t in methods.items() if t == UPLOAD}
    assert {"/", "/{proxy+}"} <= pages
    assert {"/compress", "/compress/{codec}", "/echo"} <= uploads
    overridden = rest_method_throttles(
        template, template_parameters(template, {"RestApiUploadBurstLimit": "7"})
    )
    assert overridden[RestMethod("/compress", "ANY")] == Throttle(1, 7)
    assert overridden[RestMethod("/", "ANY")] == PAGE


def test_the_http_api_limits_come_from_its_route_settings(template: dict[str, Any]) -> None:
    routes = http_route_throttles(template, template_parameters(template))
    assert routes["$default"] == PAGE
    assert {"POST /compress", "POST /compress/{codec}", "POST /echo"} <= {
        key for key, throttle in routes.items() if throttle == UPLOAD
    }
    overridden = http_route_throttles(
        template, template_parameters(template, {"HttpApiPageRateLimit": "3"})
    )
    assert overridden["$default"] == Throttle(3, 40)
