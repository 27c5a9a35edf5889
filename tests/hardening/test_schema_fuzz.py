"""schemathesis against the app's own OpenAPI schema, in-process over ASGI.

For every operation the schema declares, generated requests (valid ones and ones that break
the schema) never get a 5xx, and every response matches what the schema says about it.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from corpora import python_source
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from app import app
from app.compression.registry import CODECS

schema = schemathesis.openapi.from_asgi("/openapi.json", app)

# Per operation; the whole file runs in about 10 s on 2 cores.
EXAMPLES_PER_OPERATION = 100
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_error_and_every_response_matches_the_schema(
    case: schemathesis.Case[Any],
) -> None:
    case.call_and_validate(checks=CHECKS)


# Generated data rarely hits the happy paths of the upload routes; these do, deterministically.
@pytest.mark.parametrize("codec", list(CODECS))
def test_each_download_matches_the_schema(codec: str) -> None:
    operation = schema["/compress/{codec}"]["POST"]
    case = operation.Case(
        path_parameters={"codec": codec},
        body={"file": python_source(8192)},  # type: ignore[dict-item]  # schemathesis types a body as JSON; a form's bytes values go as files
        media_type="multipart/form-data",
    )
    assert case.call_and_validate(checks=CHECKS).status_code == 200


@pytest.mark.parametrize(
    ("body", "media_type"),
    [
        ({"file": b"\x00\x01 binary"}, "multipart/form-data"),
        ({"text": "pasted text " * 50}, "multipart/form-data"),
        (b"raw bytes", "application/octet-stream"),
        ({"file": b"a", "text": "b"}, "multipart/form-data"),
        ({}, "multipart/form-data"),
    ],
)
def test_each_kind_of_report_request_matches_the_schema(
    body: dict[str, bytes | str] | bytes, media_type: str
) -> None:
    case = schema["/compress"]["POST"].Case(
        query={"codecs": "gzip:1,zstd:1"},
        body=body,  # type: ignore[arg-type]  # schemathesis types a body as JSON; a form's bytes values go as files
        media_type=media_type,
    )
    case.call_and_validate(checks=CHECKS)
