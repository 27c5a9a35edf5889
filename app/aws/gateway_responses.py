"""What API Gateway's REST API answers itself, as template.yaml's GatewayResponses shape it.

Each answer has a response type (THROTTLED, INTEGRATION_TIMEOUT, ...). AWS picks the template's
entry for that type, else its DEFAULT_4XX or DEFAULT_5XX entry (by the type's own status), else
its built-in answer: {"message": "..."} as application/json. An entry may set the status
(StatusCode), headers (ResponseParameters.Headers, each a quoted literal: "'value'") and the
body (ResponseTemplates, a mapping template in which `$context.requestId`,
`$context.error.message`, `$context.error.messageString` (the message as a JSON string) and
the like stand for the request's values). The local REST door renders the same entries, with
the template's parameter values, so loopback answers as the deployed stage does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.aws.gateway_throttle import resolved

# Each type the doors produce: AWS's own status, message and x-amzn-ErrorType (AWS's
# "Gateway response types" table; the messages as AWS sends them, see docs/api.md). AWS writes
# some bodies with a space after the colon and some without (COMPACT).
AWS_DEFAULTS: dict[str, tuple[int, str, str]] = {
    "THROTTLED": (429, "Too Many Requests", "TooManyRequestsException"),
    "REQUEST_TOO_LARGE": (413, "Request Too Long", "BadRequestException"),
    "MISSING_AUTHENTICATION_TOKEN": (
        403,
        "Missing Authentication Token",
        "MissingAuthenticationTokenException",
    ),
    "RESOURCE_NOT_FOUND": (404, "Resource not found", "NotFoundException"),
    "INTEGRATION_TIMEOUT": (504, "Endpoint request timed out", "InternalServerErrorException"),
    "INTEGRATION_FAILURE": (502, "Internal server error", "InternalServerErrorException"),
}
COMPACT = {"THROTTLED", "MISSING_AUTHENTICATION_TOKEN"}
TEMPLATE_MEDIA_TYPE = "application/json"
_CONTEXT_VARIABLE = re.compile(r"\$context\.((?:error\.)?[A-Za-z]+)")


@dataclass(frozen=True)
class GatewayAnswer:
    """An answer of the gateway's own: status, headers, body."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


def configured_gateway_responses(template: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The GatewayResponses of the template's AWS::Serverless::Api, by response type."""
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Api":
            responses: dict[str, dict[str, Any]] = resource["Properties"].get(
                "GatewayResponses", {}
            )
            return responses
    return {}


def _literal(value: str) -> str:
    """A ResponseParameters value: a quoted literal 'text' is the text."""
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1]
    raise ValueError(f"only quoted literals are supported as gateway header values: {value!r}")


def render_template(text: str, context: Mapping[str, str]) -> str:
    """`text` with each $context.NAME (or $context.error.NAME) replaced by context[NAME]; an
    unknown variable becomes "" as in API Gateway's mapping templates."""
    return _CONTEXT_VARIABLE.sub(lambda match: context.get(match[1], ""), text)


def gateway_answer(
    responses: Mapping[str, Mapping[str, Any]],
    response_type: str,
    parameters: Mapping[str, Any],
    request_id: str,
    extra: Mapping[str, str] | None = None,
) -> GatewayAnswer:
    """The REST API's answer of `response_type` (a key of AWS_DEFAULTS) for one request.

    `parameters` are the template's parameter values (CorsAllowOrigin ...); `extra` adds
    $context values (stage, path, httpMethod).
    """
    status, message, error_type = AWS_DEFAULTS[response_type]
    entry = responses.get(response_type) or responses.get(
        "DEFAULT_4XX" if status < 500 else "DEFAULT_5XX"
    )
    if entry is None:
        separators = (",", ":") if response_type in COMPACT else (", ", ": ")
        body = json.dumps({"message": message}, separators=separators).encode()
        headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", error_type)]
        return GatewayAnswer(status, headers, body)
    context = {
        "requestId": request_id,
        "error.message": message,
        "error.messageString": json.dumps(message),
        "error.responseType": response_type,
        **(extra or {}),
    }
    headers = [("x-amzn-ErrorType", error_type)]
    for name, value in entry.get("ResponseParameters", {}).get("Headers", {}).items():
        headers.append((name, _literal(str(resolved(value, parameters)))))
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", TEMPLATE_MEDIA_TYPE))
    template = entry.get("ResponseTemplates", {}).get(TEMPLATE_MEDIA_TYPE)
    body = (
        render_template(str(resolved(template, parameters)), context).encode()
        if template is not None
        else json.dumps({"message": message}).encode()
    )
    return GatewayAnswer(int(entry.get("StatusCode", status)), headers, body)
