"""Print template.yaml as AWS SAM's own translator turns it into CloudFormation (JSON on stdout).

Run by .venv-sam's Python (the app's .venv has no aws-sam-cli), through
sam_tools.sam_translate. It is the transform CloudFormation applies at deploy time, so a test
can read the resources SAM derives from the template: the version, the alias, and the API
integrations that invoke one or the other.

Usage: python tests/sam_translate.py TEMPLATE [PARAMETER=VALUE ...]

`sam build` would replace the function's local CodeUri with the artifact's S3 location; the
translator insists on an S3 URI, so a placeholder stands in for it.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

PLACEHOLDER_CODE_URI = "s3://artifacts.example/CompressTestFunction.zip"


class NoManagedPolicies:
    """The translator's managed-policy loader: the template names no managed policies."""

    def load(self) -> dict[str, str]:
        return {}


def translated(template_path: Path, parameter_values: dict[str, str]) -> dict[str, Any]:
    """The CloudFormation template SAM makes of `template_path` with `parameter_values`."""
    yaml_parse = importlib.import_module("samtranslator.yaml_helper").yaml_parse
    transform = importlib.import_module("samtranslator.translator.transform").transform
    template: dict[str, Any] = yaml_parse(template_path.read_text())
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = PLACEHOLDER_CODE_URI
    result: dict[str, Any] = transform(template, parameter_values, NoManagedPolicies())
    return result


def main(argv: list[str]) -> int:
    parameter_values = dict(argument.split("=", 1) for argument in argv[1:])
    json.dump(translated(Path(argv[0]), parameter_values), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
