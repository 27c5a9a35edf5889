"""template.yaml: lint-clean for CloudFormation and SAM, and the deployment decisions it encodes."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
from sam_tools import PROJECT_ROOT, TEMPLATE, sam_environment, sam_tool

from app.config import DEFAULT_MAX_UPLOAD_BYTES, Settings, load_settings
from app.local import load_template

API_GATEWAY_TIMEOUT_SECONDS = 29


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(TEMPLATE)


@pytest.fixture(scope="module")
def function(template: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = template["Resources"]["CompressTestFunction"]["Properties"]
    return properties


def resolve(value: Any, parameters: dict[str, Any]) -> Any:
    """A value with {"Ref": parameter} replaced as CloudFormation would."""
    if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in parameters:
        return parameters[value["Ref"]]
    return value


def test_cfn_lint_is_clean() -> None:
    linted = subprocess.run(
        [str(sam_tool("cfn-lint")), str(TEMPLATE)],
        capture_output=True,
        text=True,
        env=sam_environment(),
    )
    assert (linted.returncode, linted.stdout) == (0, "")


def test_sam_validate_lint_is_clean() -> None:
    validated = subprocess.run(
        [str(sam_tool("sam")), "validate", "--lint", "--template-file", str(TEMPLATE)],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=sam_environment(),
    )
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "is a valid SAM Template" in validated.stdout + validated.stderr


def test_one_python_3_13_function_runs_handler_dot_handler(function: dict[str, Any]) -> None:
    import handler

    assert function["Runtime"] == "python3.13"
    assert function["Handler"] == "handler.handler"
    assert callable(handler.handler)
    assert function["Tracing"] == "Active"


def test_the_architecture_is_a_parameter_defaulting_to_arm64(
    template: dict[str, Any], function: dict[str, Any]
) -> None:
    parameter = template["Parameters"]["Architecture"]
    assert (parameter["Default"], sorted(parameter["AllowedValues"])) == (
        "arm64",
        ["arm64", "x86_64"],
    )
    assert function["Architectures"] == [{"Ref": "Architecture"}]
    metadata = template["Resources"]["CompressTestFunction"]["Metadata"]
    assert metadata["BuildMethod"] == "makefile"
    for architecture in parameter["AllowedValues"]:
        makefile = PROJECT_ROOT / "deploy" / architecture / "Makefile"
        assert f"--architecture {architecture} " in makefile.read_text()


def test_timeout_and_budget_fit_api_gateways_29_seconds(function: dict[str, Any]) -> None:
    budget = float(function["Environment"]["Variables"]["BUDGET_SECONDS"])
    assert budget == Settings().budget_seconds
    assert budget + 3 <= function["Timeout"] <= API_GATEWAY_TIMEOUT_SECONDS
    # One full vCPU: Lambda gives 1769 MB exactly one.
    assert function["MemorySize"] == 1769


@pytest.mark.parametrize(
    "overrides",
    [{}, {"MaxUploadBytes": 65536, "CorsAllowOrigin": "https://compress.example"}],
)
def test_parameters_reach_the_app_as_its_environment_variables(
    template: dict[str, Any], function: dict[str, Any], overrides: dict[str, Any]
) -> None:
    parameters = {name: p["Default"] for name, p in template["Parameters"].items()}
    parameters.update(overrides)
    environment = {
        name: str(resolve(value, parameters))
        for name, value in function["Environment"]["Variables"].items()
    }
    loaded = load_settings(environment)
    assert loaded.max_upload_bytes == parameters["MaxUploadBytes"]
    assert loaded.cors_allow_origin == parameters["CorsAllowOrigin"]


def test_parameter_defaults_are_the_apps_defaults(template: dict[str, Any]) -> None:
    parameters = template["Parameters"]
    assert parameters["MaxUploadBytes"]["Default"] == DEFAULT_MAX_UPLOAD_BYTES
    assert parameters["MaxUploadBytes"]["MaxValue"] == DEFAULT_MAX_UPLOAD_BYTES
    assert parameters["CorsAllowOrigin"]["Default"] == Settings().cors_allow_origin


def test_logs_go_to_an_explicit_group_with_retention(
    template: dict[str, Any], function: dict[str, Any]
) -> None:
    group_id = function["LoggingConfig"]["LogGroup"]["Ref"]
    group = template["Resources"][group_id]
    assert group["Type"] == "AWS::Logs::LogGroup"
    retention = group["Properties"]["RetentionInDays"]
    parameter = template["Parameters"][retention["Ref"]]
    assert parameter["Default"] in parameter["AllowedValues"]
    assert 0 < parameter["Default"] <= 90


def test_the_role_allows_own_logs_and_traces_only(
    template: dict[str, Any], function: dict[str, Any]
) -> None:
    role_id = function["Role"]["Fn::GetAtt"][0]
    role = template["Resources"][role_id]["Properties"]
    assert "ManagedPolicyArns" not in role
    trust = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]
    statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
    granted = {(action, str(s["Resource"])) for s in statements for action in s["Action"]}
    group_arn = str({"Fn::GetAtt": [function["LoggingConfig"]["LogGroup"]["Ref"], "Arn"]})
    assert granted == {
        ("logs:CreateLogStream", group_arn),
        ("logs:PutLogEvents", group_arn),
        ("xray:PutTraceSegments", "*"),
        ("xray:PutTelemetryRecords", "*"),
    }
    assert all(s["Effect"] == "Allow" for s in statements)


def test_the_rest_api_passes_every_body_as_binary(
    template: dict[str, Any], function: dict[str, Any]
) -> None:
    api = template["Resources"]["RestApi"]
    assert api["Type"] == "AWS::Serverless::Api"
    assert api["Properties"]["BinaryMediaTypes"] == ["*~1*"]
    routes = {
        (e["Properties"]["Path"], e["Properties"]["Method"])
        for e in function["Events"].values()
        if e["Type"] == "Api" and e["Properties"]["RestApiId"] == {"Ref": "RestApi"}
    }
    assert routes == {("/", "ANY"), ("/{proxy+}", "ANY")}


def test_the_http_api_takes_every_request(
    template: dict[str, Any], function: dict[str, Any]
) -> None:
    assert template["Resources"]["HttpApi"]["Type"] == "AWS::Serverless::HttpApi"
    events = [e for e in function["Events"].values() if e["Type"] == "HttpApi"]
    # No Path and Method: the $default route.
    assert events == [{"Type": "HttpApi", "Properties": {"ApiId": {"Ref": "HttpApi"}}}]


def test_outputs_name_both_urls(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    assert "${RestApi}.execute-api" in outputs["RestApiUrl"]["Value"]["Fn::Sub"]
    assert outputs["RestApiUrl"]["Value"]["Fn::Sub"].endswith("/v1/")
    assert "${HttpApi}.execute-api" in outputs["HttpApiUrl"]["Value"]["Fn::Sub"]
