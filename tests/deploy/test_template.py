"""template.yaml: lint-clean for CloudFormation and SAM, and the deployment decisions it encodes."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from typing import Any

import pytest
from sam_tools import PROJECT_ROOT, TEMPLATE

from app.aws.gateway_template import load_template
from app.config import DEFAULT_MAX_UPLOAD_BYTES, Settings, load_settings
from app.engine.cpus import LAMBDA_MB_PER_VCPU, usable_cpus
from deploy.cost_ceiling import limits_from_template

API_GATEWAY_TIMEOUT_SECONDS = 29
SNAPSTART_MODES = ["None", "PublishedVersions"]
# Lambda's limit on a version's description.
VERSION_DESCRIPTION_MAX_CHARS = 256


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


def snapstart_variant(snapstart: str) -> str:
    """The template variant (conftest.py) whose SnapStart defaults to `snapstart`: template.yaml
    itself for None, a copy for the other mode. Linting both is how both modes get checked."""
    return "template.yaml" if snapstart == "None" else f"SnapStart={snapstart}"


@pytest.mark.parametrize("snapstart", SNAPSTART_MODES)
def test_cfn_lint_is_clean(cfn_lint_problems: dict[str, list[str]], snapstart: str) -> None:
    assert cfn_lint_problems[snapstart_variant(snapstart)] == []


@pytest.mark.parametrize("snapstart", SNAPSTART_MODES)
def test_sam_validate_lint_is_clean(
    sam_validate_lint: dict[str, subprocess.CompletedProcess[str]], snapstart: str
) -> None:
    validated = sam_validate_lint[snapstart_variant(snapstart)]
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


def test_memory_size_is_a_parameter_of_whole_vcpus_and_sets_pool_and_memory_budget(
    template: dict[str, Any], function: dict[str, Any]
) -> None:
    parameter = template["Parameters"]["MemorySize"]
    assert function["MemorySize"] == {"Ref": "MemorySize"}
    # Two full vCPUs (bench/bench_lambda_sizes.py): Lambda gives 1769 MB exactly one.
    assert parameter["Default"] == 2 * LAMBDA_MB_PER_VCPU
    assert (parameter["MinValue"], parameter["MaxValue"]) == (128, 10240)
    environment = {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(parameter["Default"])}
    assert usable_cpus(environment) == min(2, len(os.sched_getaffinity(0)))
    assert load_settings(environment).memory_budget_mb == parameter["Default"] - 100


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
    # The catch-alls, and the upload routes as resources of their own
    # (tests/deploy/test_route_limits.py checks those).
    assert {("/", "ANY"), ("/{proxy+}", "ANY")} <= routes
    assert all(method == "ANY" for _, method in routes)


def test_the_http_api_takes_every_request(
    template: dict[str, Any], function: dict[str, Any]
) -> None:
    assert template["Resources"]["HttpApi"]["Type"] == "AWS::Serverless::HttpApi"
    events = [e for e in function["Events"].values() if e["Type"] == "HttpApi"]
    # No Path and Method: the $default route; the upload routes have their own (POST only,
    # tests/deploy/test_route_limits.py), every other request goes to $default.
    assert {"Type": "HttpApi", "Properties": {"ApiId": {"Ref": "HttpApi"}}} in events
    assert all(e["Properties"].get("Method", "POST") == "POST" for e in events)


def test_outputs_name_both_urls(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    assert "${RestApi}.execute-api" in outputs["RestApiUrl"]["Value"]["Fn::Sub"]
    assert outputs["RestApiUrl"]["Value"]["Fn::Sub"].endswith("/v1/")
    assert "${HttpApi}.execute-api" in outputs["HttpApiUrl"]["Value"]["Fn::Sub"]


LIMIT_DEFAULTS = {
    "RestApiUploadRateLimit": 1,
    "RestApiUploadBurstLimit": 5,
    "RestApiPageRateLimit": 10,
    "RestApiPageBurstLimit": 40,
    "HttpApiUploadRateLimit": 1,
    "HttpApiUploadBurstLimit": 5,
    "HttpApiPageRateLimit": 10,
    "HttpApiPageBurstLimit": 40,
    "ReservedConcurrency": 68,
}


@pytest.mark.parametrize(("name", "default"), LIMIT_DEFAULTS.items())
def test_each_limit_is_a_number_parameter_with_its_default(
    template: dict[str, Any], name: str, default: int
) -> None:
    parameter = template["Parameters"][name]
    assert parameter["Type"] == "Number"
    assert (parameter["Default"], parameter["MinValue"]) == (default, 1)
    assert parameter["Description"]


def test_the_rest_api_keeps_its_stage(template: dict[str, Any]) -> None:
    # app/local.py serves under this stage; renaming it would move every URL.
    # (Its throttling: tests/deploy/test_route_limits.py.)
    assert template["Resources"]["RestApi"]["Properties"]["StageName"] == "v1"


def test_the_function_is_capped_at_the_uploads_one_route_admits_through_each_door(
    template: dict[str, Any], function: dict[str, Any]
) -> None:
    assert function["ReservedConcurrentExecutions"] == {"Ref": "ReservedConcurrency"}
    limits = limits_from_template(template)
    # (5 + 1 x 29) for one upload route of each gateway (docs/deploy.md: uploads to several
    # routes at once past it meet Lambda's limit, a 5xx of the gateway's, not a bigger bill).
    assert limits.timeout_seconds == function["Timeout"] == 29
    one_route = [b for b in limits.buckets if b.upload and b.name.endswith(" /compress")]
    assert len(one_route) == 2
    assert sum(b.in_flight(29) for b in one_route) == limits.reserved_concurrency == 68


def test_snapstart_is_a_parameter_off_by_default(
    template: dict[str, Any], function: dict[str, Any]
) -> None:
    parameter = template["Parameters"]["SnapStart"]
    assert (parameter["Default"], parameter["AllowedValues"]) == ("None", SNAPSTART_MODES)
    assert function["SnapStart"] == {"ApplyOn": {"Ref": "SnapStart"}}
    assert function["Runtime"] == "python3.13"  # SnapStart needs Python 3.12 or later
    # What SnapStart cannot be combined with: provisioned concurrency, EFS, more than 512 MB
    # of /tmp, a container image.
    assert "ProvisionedConcurrencyConfig" not in function
    assert "FileSystemConfigs" not in function
    assert function.get("EphemeralStorage", {"Size": 512})["Size"] <= 512
    assert function.get("PackageType", "Zip") == "Zip"


def _parameters_read_by(value: Any) -> set[str]:
    """The parameters a property's value names: {"Ref": ...} and ${...} in Fn::Sub."""
    if isinstance(value, dict):
        found = {value["Ref"]} if set(value) == {"Ref"} else set()
        if "Fn::Sub" in value:
            found |= set(re.findall(r"\$\{([A-Za-z0-9]+)\}", str(value["Fn::Sub"])))
        return found.union(*(_parameters_read_by(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_parameters_read_by(v) for v in value))
    return set()


def test_a_changed_parameter_publishes_a_new_version(
    template: dict[str, Any], function: dict[str, Any]
) -> None:
    """The alias must follow every parameter the version's configuration is made of.

    SAM names the version after a hash that sees {"Ref": ...}, not the value, so a changed
    parameter alone would leave the APIs on the old version. The version's description names
    each such parameter's value; a changed description makes CloudFormation publish a new one.
    """
    described = set(re.findall(r"\$\{(\w+)\}", function["VersionDescription"]["Fn::Sub"]))
    configuration = {
        name: value
        for name, value in function.items()
        # Function-level settings, not part of a version; and the description itself.
        if name not in ("ReservedConcurrentExecutions", "VersionDescription")
    }
    read = _parameters_read_by(configuration) & set(template["Parameters"])
    assert read == described, (
        f"name {sorted(read - described)} in VersionDescription, or its version goes stale; "
        f"{sorted(described - read)} are not read by the function"
    )
    assert read >= {"Architecture", "MaxUploadBytes", "CorsAllowOrigin", "SnapStart"}


def test_the_version_description_fits_lambdas_limit(template: dict[str, Any]) -> None:
    parameters = template["Parameters"]
    longest = {
        "Architecture": max(parameters["Architecture"]["AllowedValues"], key=len),
        "MaxUploadBytes": str(parameters["MaxUploadBytes"]["MaxValue"]),
        "MemorySize": str(parameters["MemorySize"]["MaxValue"]),
        "CorsAllowOrigin": "x" * parameters["CorsAllowOrigin"]["MaxLength"],
        "SnapStart": max(parameters["SnapStart"]["AllowedValues"], key=len),
    }
    description = template["Resources"]["CompressTestFunction"]["Properties"]["VersionDescription"]
    longest_description = re.sub(
        r"\$\{(\w+)\}", lambda match: longest[match.group(1)], description["Fn::Sub"]
    )
    assert len(longest_description) <= VERSION_DESCRIPTION_MAX_CHARS


@pytest.mark.parametrize("snapstart", SNAPSTART_MODES)
def test_sam_points_both_apis_at_the_published_alias(
    sam_translated: Callable[..., dict[str, Any]], snapstart: str
) -> None:
    """What SAM's translator makes of the template: every way in invokes the alias."""
    resources = sam_translated({"SnapStart": snapstart})["Resources"]
    by_type: dict[str, dict[str, Any]] = {}
    for logical_id, resource in resources.items():
        by_type.setdefault(resource["Type"], {})[logical_id] = resource
    ((alias_id, alias),) = by_type["AWS::Lambda::Alias"].items()
    ((version_id, version),) = by_type["AWS::Lambda::Version"].items()
    assert alias["Properties"]["Name"] == "live"
    assert alias["Properties"]["FunctionVersion"] == {"Fn::GetAtt": [version_id, "Version"]}
    assert version["DeletionPolicy"] == "Delete"
    assert version["Properties"]["FunctionName"] == {"Ref": "CompressTestFunction"}
    function = resources["CompressTestFunction"]["Properties"]
    assert function["SnapStart"] == {"ApplyOn": {"Ref": "SnapStart"}}
    assert function["ReservedConcurrentExecutions"] == {"Ref": "ReservedConcurrency"}

    permissions = by_type["AWS::Lambda::Permission"].values()
    # The REST API's / and /{proxy+}, the HTTP API's $default, and each upload route's own
    # resource and route (five, tests/deploy/test_route_limits.py) through both.
    routes = 3 + 2 * 5
    assert len(permissions) == routes
    assert all(p["Properties"]["FunctionName"] == {"Ref": alias_id} for p in permissions)
    integrations = [
        method["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
        for api_type in ("AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api")
        for api in by_type[api_type].values()
        for path in api["Properties"]["Body"]["paths"].values()
        for method in path.values()
    ]
    assert len(integrations) == routes
    assert all(f"/functions/${{{alias_id}}}/invocations" in uri for uri in integrations)

    ((rest_stage,),) = [list(by_type["AWS::ApiGateway::Stage"].values())]
    assert rest_stage["Properties"]["MethodSettings"][0]["ThrottlingRateLimit"] == {
        "Ref": "RestApiPageRateLimit"
    }
    ((http_stage,),) = [list(by_type["AWS::ApiGatewayV2::Stage"].values())]
    assert http_stage["Properties"]["DefaultRouteSettings"] == {
        "ThrottlingRateLimit": {"Ref": "HttpApiPageRateLimit"},
        "ThrottlingBurstLimit": {"Ref": "HttpApiPageBurstLimit"},
    }
