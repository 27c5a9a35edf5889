"""template.yaml as the local doors read it: the function, its limits and the APIs in front of it.

Read with PyYAML (the `dev` extra), short-form intrinsics (!Ref, !Sub, ...) turned into their
long form, so the local doors take their settings from the file `sam deploy` deploys instead of
writing them a second time. A development tool: nothing the Lambda function runs imports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "template.yaml"


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """template.yaml as a dict; short-form intrinsics become their long form ({"Ref": ...})."""
    import yaml

    class CloudFormationLoader(yaml.SafeLoader):
        """SafeLoader taught the short intrinsic tags: !Ref, !Sub, !GetAtt, ..."""

    def intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if suffix == "GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            assert isinstance(node, yaml.MappingNode)  # YAML's third and last kind of node
            value = loader.construct_mapping(node, deep=True)
        return {"Ref" if suffix == "Ref" else f"Fn::{suffix}": value}

    CloudFormationLoader.add_multi_constructor("!", intrinsic)
    template: dict[str, Any] = yaml.load(path.read_text(), Loader=CloudFormationLoader)
    return template


@dataclass(frozen=True)
class RestApiSettings:
    """What the local path takes from the template: one function behind one REST API."""

    function_id: str
    timeout_seconds: float
    memory_mb: int
    stage: str
    binary_media_types: tuple[str, ...]


def parameter_default(template: Mapping[str, Any], value: Any) -> Any:
    """`value`, or for {"Ref": NAME} of a template parameter, that parameter's default."""
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return template["Parameters"][value["Ref"]]["Default"]
    return value


def read_rest_api_settings(template: Mapping[str, Any]) -> RestApiSettings:
    """The function that serves the REST API, its Timeout and memory, the stage, binary types.

    Raises ValueError when the template has no AWS::Serverless::Api with a function behind it.
    """
    resources = template["Resources"]
    globals_ = template.get("Globals", {}).get("Function", {})
    apis = {k: v for k, v in resources.items() if v["Type"] == "AWS::Serverless::Api"}
    for function_id, resource in resources.items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        properties = {**globals_, **resource.get("Properties", {})}
        for event in properties.get("Events", {}).values():
            api_id = event.get("Properties", {}).get("RestApiId", {}).get("Ref")
            if event["Type"] == "Api" and api_id in apis:
                api = apis[api_id]["Properties"]
                return RestApiSettings(
                    function_id=function_id,
                    timeout_seconds=float(properties.get("Timeout", 3)),
                    memory_mb=int(parameter_default(template, properties.get("MemorySize", 128))),
                    stage=str(api["StageName"]),
                    binary_media_types=tuple(
                        media_type.replace("~1", "/").replace("~0", "~")
                        for media_type in api.get("BinaryMediaTypes", ())
                    ),
                )
    raise ValueError("the template has no AWS::Serverless::Function behind an Api event")
