"""Configuration from environment variables, read once at import, in this one module."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

# Lambda's synchronous invocation payload limit is 6 MiB for the whole event JSON. A binary body
# arrives base64-encoded (4/3 larger), wrapped in multipart framing and the event's own headers
# and request context. 4 MiB of file becomes 5,592,408 bytes of base64, which leaves ~680 KiB for
# framing and envelope: the largest round number that always fits.
DEFAULT_MAX_UPLOAD_BYTES = 4 * 1024 * 1024

# API Gateway gives up at 29 s; the benchmark must answer well before that.
DEFAULT_BUDGET_SECONDS = 25.0


@dataclass(frozen=True)
class Settings:
    """The service's knobs; every one has a default that works locally and on Lambda."""

    cors_allow_origin: str = "*"
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    budget_seconds: float = DEFAULT_BUDGET_SECONDS
    log_level: str = "INFO"


def load_settings(environ: Mapping[str, str] = os.environ) -> Settings:
    """Build Settings from `environ`; raises ValueError naming the variable that is malformed."""
    defaults = Settings()

    def number(name: str, default: float, kind: type) -> float:
        raw = environ.get(name, "").strip()
        if not raw:
            return default
        try:
            value = kind(raw)
        except ValueError:
            raise ValueError(f"{name} must be a {kind.__name__}, got {raw!r}") from None
        if value <= 0:
            raise ValueError(f"{name} must be positive, got {raw!r}")
        return value

    return Settings(
        cors_allow_origin=environ.get("CORS_ALLOW_ORIGIN", "").strip()
        or defaults.cors_allow_origin,
        max_upload_bytes=int(number("MAX_UPLOAD_BYTES", defaults.max_upload_bytes, int)),
        budget_seconds=number("BUDGET_SECONDS", defaults.budget_seconds, float),
        log_level=environ.get("LOG_LEVEL", "").strip().upper() or defaults.log_level,
    )


settings = load_settings()
