"""template.yaml: every upload route has the upload limits, everything else the page limits; the
REST API's own answers are problem+json; the per-client WAF limit is optional and lints clean."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from typing import Any

import pytest
from sam_tools import TEMPLATE

from app import app
from app.aws.gateway_template import load_template
from app.aws.gateway_throttle import escaped_resource_path

UPLOAD_LIMITS = {"Rate": 1, "Burst": 5}
# 10 visitors at once: 4 requests each on a first visit, then a click a second each.
PAGE_LIMITS = {"Rate": 10, "Burst": 40}
GATEWAY_RESPONSE_TYPES = {
    "THROTTLED": 429,
    "REQUEST_TOO_LARGE": 413,
    "MISSING_AUTHENTICATION_TOKEN": 404,
    "RESOURCE_NOT_FOUND": 404,
    "INTEGRATION_TIMEOUT": 504,
    "INTEGRATION_FAILURE": 502,
    "DEFAULT_4XX": None,
    "DEFAULT_5XX": None,
}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(TEMPLATE)


def _routes(routes: list[Any]) -> list[Any]:
    """Every route, those of included routers too (FastAPI keeps them as their router)."""
    found = []
    for route in routes:
        included = getattr(route, "original_router", None)
        found += _routes(included.routes) if included is not None else [route]
    return found


def post_routes() -> list[str]:
    """Every path the app serves POST on (its uploads), as API Gateway writes paths: those the
    OpenAPI schema lists, and any route left out of it."""
    schema = app.openapi()["paths"]
    paths = {path for path, operations in schema.items() if "post" in operations}
    paths |= {
        str(getattr(route, "path", ""))
        for route in _routes(app.routes)
        if "POST" in (getattr(route, "methods", None) or ())
    }
    assert "/compress" in paths
    return sorted(paths)


def events(template: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    function = template["Resources"]["CompressTestFunction"]["Properties"]
    return [e["Properties"] for e in function["Events"].values() if e["Type"] == kind]


def limit_refs(door: str, kind: str) -> dict[str, Any]:
    return {
        f"Throttling{limit}Limit": {"Ref": f"{door}{kind}{limit}Limit"}
        for limit in ("Rate", "Burst")
    }


@pytest.mark.parametrize("door", ["RestApi", "HttpApi"])
@pytest.mark.parametrize(("kind", "limits"), [("Upload", UPLOAD_LIMITS), ("Page", PAGE_LIMITS)])
def test_each_limit_is_a_parameter_with_its_default(
    template: dict[str, Any], door: str, kind: str, limits: dict[str, int]
) -> None:
    for limit, default in limits.items():
        parameter = template["Parameters"][f"{door}{kind}{limit}Limit"]
        assert (parameter["Type"], parameter["Default"], parameter["MinValue"]) == (
            "Number",
            default,
            1,
        )


@pytest.mark.parametrize("path", post_routes())
def test_every_post_route_is_a_rest_resource_with_the_upload_limits(
    template: dict[str, Any], path: str
) -> None:
    rest = [e for e in events(template, "Api") if e["Path"] == path]
    assert [e["Method"] for e in rest] == ["ANY"], f"{path} needs its own REST resource"
    settings = template["Resources"]["RestApi"]["Properties"]["MethodSettings"]
    own = [s for s in settings if s["ResourcePath"] == escaped_resource_path(path)]
    assert own == [
        {
            "ResourcePath": escaped_resource_path(path),
            "HttpMethod": "ANY",
            **limit_refs("RestApi", "Upload"),
        }
    ]


@pytest.mark.parametrize("path", post_routes())
def test_every_post_route_is_an_http_api_route_with_the_upload_limits(
    template: dict[str, Any], path: str
) -> None:
    http = [e for e in events(template, "HttpApi") if e.get("Path") == path]
    assert [e["Method"] for e in http] == ["POST"], f"{path} needs its own HTTP API route"
    route_settings = template["Resources"]["HttpApi"]["Properties"]["RouteSettings"]
    assert route_settings[f"POST {path}"] == limit_refs("HttpApi", "Upload")


def test_everything_else_has_the_page_limits(template: dict[str, Any]) -> None:
    """Pages, assets, the catch-alls: "/*" "*" on the stage, the HTTP API's default route; and
    no route has limits of its own that is not an upload route of the app."""
    rest = template["Resources"]["RestApi"]["Properties"]
    assert rest["MethodSettings"][0] == {
        "ResourcePath": "/*",
        "HttpMethod": "*",
        **limit_refs("RestApi", "Page"),
    }
    uploads = {escaped_resource_path(path) for path in post_routes()}
    assert {s["ResourcePath"] for s in rest["MethodSettings"][1:]} == uploads
    http = template["Resources"]["HttpApi"]["Properties"]
    assert http["DefaultRouteSettings"] == limit_refs("HttpApi", "Page")
    assert set(http["RouteSettings"]) == {f"POST {path}" for path in post_routes()}
    assert {(e["Path"], e["Method"]) for e in events(template, "Api")} >= {
        ("/", "ANY"),
        ("/{proxy+}", "ANY"),
    }
    assert {"ApiId": {"Ref": "HttpApi"}} in events(template, "HttpApi")  # $default


def rendered(template_text: str, parameters: dict[str, str]) -> dict[str, Any]:
    """A response template as AWS renders it: parameters substituted, $context filled in."""
    text = re.sub(r"\$\{(\w+)\}", lambda m: parameters[m[1]], template_text)
    text = text.replace("$context.error.messageString", '"Too Many Requests"')
    text = re.sub(r"\$context\.[\w.]+", "abc-123", text)
    body: dict[str, Any] = json.loads(text)
    return body


@pytest.mark.parametrize(("response_type", "status"), GATEWAY_RESPONSE_TYPES.items())
def test_each_gateway_response_is_a_problem_with_cors(
    template: dict[str, Any], response_type: str, status: int | None
) -> None:
    responses = template["Resources"]["RestApi"]["Properties"]["GatewayResponses"]
    assert set(responses) == set(GATEWAY_RESPONSE_TYPES)
    response = responses[response_type]
    assert response.get("StatusCode") == status
    headers = response["ResponseParameters"]["Headers"]
    assert headers["Access-Control-Allow-Origin"] == {"Fn::Sub": "'${CorsAllowOrigin}'"}
    assert headers["Content-Type"] == "'application/problem+json'"
    assert ("Retry-After" in headers) == (response_type == "THROTTLED")
    if response_type == "THROTTLED":
        assert headers["Retry-After"] == "'1'"
    body_template = response["ResponseTemplates"]["application/json"]
    if isinstance(body_template, dict):
        body_template = body_template["Fn::Sub"]
    body = rendered(body_template, {"MaxUploadBytes": "4194304"})
    assert body["type"].startswith("/problems/")
    assert body["title"]
    assert body["detail"]
    assert body["request_id"] == "abc-123"
    assert body.get("status") == status
    if response_type == "REQUEST_TOO_LARGE":
        assert body["limit"] == 4194304
        assert "4194304 bytes" in body["detail"]


def test_sam_puts_limits_and_responses_into_the_deployed_api(
    sam_translated: Callable[..., dict[str, Any]],
) -> None:
    """What CloudFormation gets: the stage's MethodSettings, the gateway responses in the
    API's definition (so a change deploys the stage again), the HTTP API's RouteSettings;
    the WAF resources only under the PerClientLimitOn condition."""
    resources = sam_translated()["Resources"]
    body = resources["RestApi"]["Properties"]["Body"]
    assert set(body["x-amazon-apigateway-gateway-responses"]) == set(GATEWAY_RESPONSE_TYPES)
    for path in post_routes():
        assert "x-amazon-apigateway-any-method" in body["paths"][path]
    stage = resources["RestApiv1Stage"]["Properties"]
    assert len(stage["MethodSettings"]) == 1 + len(post_routes())
    http_stage = resources["HttpApiApiGatewayDefaultStage"]["Properties"]
    assert set(http_stage["RouteSettings"]) == {f"POST {path}" for path in post_routes()}
    waf = [r for r in resources.values() if r["Type"].startswith("AWS::WAFv2::")]
    assert len(waf) == 2
    assert all(r["Condition"] == "PerClientLimitOn" for r in waf)


def test_the_per_client_limit_is_off_by_default(template: dict[str, Any]) -> None:
    parameter = template["Parameters"]["PerClientLimit"]
    assert (parameter["Default"], parameter["AllowedValues"]) == ("Off", ["Off", "On"])
    assert template["Parameters"]["PerClientRequestsPer5Minutes"]["MinValue"] == 10
    assert template["Conditions"]["PerClientLimitOn"] == {
        "Fn::Equals": [{"Ref": "PerClientLimit"}, "On"]
    }
    for name in ("RestApiPerClientLimit", "RestApiPerClientLimitAssociation"):
        assert template["Resources"][name]["Condition"] == "PerClientLimitOn"


def test_on_a_waf_rate_rule_per_ip_guards_the_rest_stage(
    sam_translated: Callable[..., dict[str, Any]],
) -> None:
    resources = sam_translated({"PerClientLimit": "On"})["Resources"]
    acl = resources["RestApiPerClientLimit"]["Properties"]
    (rule,) = acl["Rules"]
    statement = rule["Statement"]["RateBasedStatement"]
    assert statement == {
        "Limit": {"Ref": "PerClientRequestsPer5Minutes"},
        "AggregateKeyType": "IP",
        "EvaluationWindowSec": 300,
    }
    response = rule["Action"]["Block"]["CustomResponse"]
    assert response["ResponseCode"] == 429
    headers = {h["Name"]: h["Value"] for h in response["ResponseHeaders"]}
    assert headers == {
        "Retry-After": "60",
        "Access-Control-Allow-Origin": {"Ref": "CorsAllowOrigin"},
    }
    body = acl["CustomResponseBodies"][response["CustomResponseBodyKey"]]
    assert json.loads(body["Content"])["type"] == "/problems/throttled"
    association = resources["RestApiPerClientLimitAssociation"]["Properties"]
    assert association["ResourceArn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${RestApi}"
        "/stages/${RestApiv1Stage}"
    }
    assert association["WebACLArn"] == {"Fn::GetAtt": ["RestApiPerClientLimit", "Arn"]}


def test_cfn_lint_is_clean_with_the_waf_on(cfn_lint_problems: dict[str, list[str]]) -> None:
    # The variant of template.yaml whose PerClientLimit defaults to On (conftest.py): cfn-lint
    # and sam validate take no parameter values, so the default decides what they check.
    assert cfn_lint_problems["PerClientLimit=On"] == []


def test_sam_validate_lint_is_clean_with_the_waf_on(
    sam_validate_lint: dict[str, subprocess.CompletedProcess[str]],
) -> None:
    validated = sam_validate_lint["PerClientLimit=On"]
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "is a valid SAM Template" in validated.stdout + validated.stderr
