"""Settings come from the environment with defaults that work, and bad values are named."""

from __future__ import annotations

import dataclasses

import pytest
from fastapi.testclient import TestClient

from app import main
from app.config import DEFAULT_MAX_UPLOAD_BYTES, Settings, load_settings, settings

LAMBDA_PAYLOAD_LIMIT = 6 * 1024 * 1024


def test_defaults_work_without_any_variable() -> None:
    assert load_settings({}) == Settings()


def test_the_default_upload_fits_lambdas_payload_after_base64() -> None:
    base64_size = 4 * -(-DEFAULT_MAX_UPLOAD_BYTES // 3)
    multipart_and_event_envelope = 64 * 1024
    assert base64_size + multipart_and_event_envelope < LAMBDA_PAYLOAD_LIMIT


def test_variables_are_read() -> None:
    settings = load_settings(
        {
            "CORS_ALLOW_ORIGIN": "https://example.org",
            "MAX_UPLOAD_BYTES": "1000",
            "BUDGET_SECONDS": "2.5",
            "LOG_LEVEL": "warning",
        }
    )
    assert settings == Settings("https://example.org", 1000, 2.5, "WARNING")


@pytest.mark.parametrize(
    ("environ", "budget_mb"),
    [
        ({}, 256),
        ({"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1769"}, 1669),
        ({"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256"}, 156),
        ({"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128"}, 28),
        ({"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1769", "MEMORY_BUDGET_MB": "96"}, 96),
    ],
)
def test_the_memory_budget_follows_lambdas_memory_size_unless_set(
    environ: dict[str, str], budget_mb: float
) -> None:
    assert load_settings(environ).memory_budget_mb == budget_mb


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MAX_UPLOAD_BYTES", "lots"),
        ("MAX_UPLOAD_BYTES", "-1"),
        ("BUDGET_SECONDS", "0"),
        ("MEMORY_BUDGET_MB", "0"),
    ],
)
def test_a_malformed_number_is_named(variable: str, value: str) -> None:
    with pytest.raises(ValueError, match=variable):
        load_settings({variable: value})


def test_a_configured_origin_is_sent_and_varies(monkeypatch: pytest.MonkeyPatch) -> None:
    configured = dataclasses.replace(settings, cors_allow_origin="https://a.test")
    monkeypatch.setattr(main, "settings", configured)
    client = TestClient(main.create_app())
    response = client.get("/health")
    assert response.headers["access-control-allow-origin"] == "https://a.test"
    assert response.headers["vary"] == "Origin"
    preflight = client.options("/echo", headers={"Access-Control-Request-Method": "POST"})
    assert preflight.headers["access-control-allow-origin"] == "https://a.test"
    assert preflight.headers["vary"] == "Origin"
