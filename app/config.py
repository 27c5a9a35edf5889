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

# The memory the benchmark's jobs running at once may expect to need together
# (app/engine/benchmark.py, job_memory). 256 MB lets any two of the default jobs run side by side on
# a maximal upload (the heaviest pair, zstd 22 and xz 6, expects 129 MB), which the time target
# needs: brotli 11 alone takes most of the request, so the other heavy jobs must run beside it.
DEFAULT_MEMORY_BUDGET_MB = 256.0
# On Lambda, what the function's memory size leaves after the runtime, the app, a maximal event
# and the request's copies of the input: measured 71 MiB (bench/bench_compress.py), rounded up.
LAMBDA_MEMORY_RESERVE_MB = 100.0
# The floor on Lambda's smallest sizes: the light jobs (12 MB each on 4 MiB) still run.
MIN_MEMORY_BUDGET_MB = 24.0


@dataclass(frozen=True)
class Settings:
    """The service's knobs; every one has a default that works locally and on Lambda."""

    cors_allow_origin: str = "*"
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    budget_seconds: float = DEFAULT_BUDGET_SECONDS
    log_level: str = "INFO"
    memory_budget_mb: float = DEFAULT_MEMORY_BUDGET_MB
    # Include the API's routers at import rather than on the first request that needs them
    # (app/web/deferred_routers.py): when Lambda initializes ahead of any request, for a
    # SnapStart snapshot or provisioned concurrency, the import is off the request path.
    routes_at_import: bool = False


# Lambda's AWS_LAMBDA_INITIALIZATION_TYPE values for an init that no request waits for
# (the other is "on-demand").
AHEAD_OF_REQUESTS = ("snap-start", "provisioned-concurrency")


def default_memory_budget_mb(environ: Mapping[str, str]) -> float:
    """DEFAULT_MEMORY_BUDGET_MB, or on Lambda what its memory size leaves beside the app."""
    lambda_memory = environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "").strip()
    if not lambda_memory.isdigit():
        return DEFAULT_MEMORY_BUDGET_MB
    return max(MIN_MEMORY_BUDGET_MB, int(lambda_memory) - LAMBDA_MEMORY_RESERVE_MB)


def load_settings(environ: Mapping[str, str] = os.environ) -> Settings:
    """Build Settings from `environ`; raises ValueError naming the variable that is malformed."""
    defaults = Settings()

    def number(name: str, default: float, kind: type[float]) -> float:
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
        memory_budget_mb=number("MEMORY_BUDGET_MB", default_memory_budget_mb(environ), float),
        routes_at_import=environ.get("AWS_LAMBDA_INITIALIZATION_TYPE", "") in AHEAD_OF_REQUESTS,
    )


settings = load_settings()
