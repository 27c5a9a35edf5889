"""Lambda invocations to the ASGI app and back: Mangum, configured deliberately.

- lifespan "off": Mangum's "auto" runs the ASGI startup and shutdown around *every*
  invocation (bench/bench_handler.py measures the cost); all per-container work here
  happens at import instead.
- binary rule: a body with a Content-Encoding, or whose type is not text, leaves base64-encoded.
  Mangum alone would send a compressed body that happens to be valid UTF-8 as text.
- events that are not HTTP (warm-up pings, S3/SQS records, `{}`) get a small reply and a log
  line instead of Mangum's RuntimeError.
"""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

from mangum import Mangum
from mangum.types import LambdaContext
from starlette.types import ASGIApp

logger = logging.getLogger("app.lambda")

# Types Mangum may send as text when the body decodes as UTF-8; everything else is base64.
# "+json" covers application/problem+json, which Mangum's defaults would base64-encode.
TEXT_MEDIA_TYPES = [
    "text/",
    "application/json",
    "+json",
    "application/javascript",
    "application/xml",
    "image/svg+xml",
]


def describe_non_http_event(event: object) -> str:
    """Name the kind of a non-HTTP event for the log: 'scheduled', 's3', 'sqs', 'empty', ..."""
    if not isinstance(event, dict):
        return type(event).__name__
    if not event:
        return "empty"
    if event.get("source") == "aws.events" or event.get("detail-type") == "Scheduled Event":
        return "scheduled"
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict):
        source = records[0].get("eventSource") or records[0].get("EventSource") or "unknown"
        return f"records:{source}"
    return "unknown"


def _base64_if_content_encoded(result: dict[str, Any]) -> dict[str, Any]:
    """Re-send as base64 a text body that carries a Content-Encoding.

    Mangum produced the text with a strict UTF-8 decode, so encoding it again gives back the
    exact bytes. ALB results spell repeated header names in mixed case, hence the lower().
    """
    if result.get("isBase64Encoded") or not result.get("body"):
        return result
    names = [*(result.get("headers") or ()), *(result.get("multiValueHeaders") or ())]
    if any(name.lower() == "content-encoding" for name in names):
        result["body"] = base64.b64encode(result["body"].encode()).decode("ascii")
        result["isBase64Encoded"] = True
    return result


class LambdaAdapter:
    """The Lambda handler: `adapter(event, context)` returns the Lambda result dict."""

    def __init__(self, app: ASGIApp) -> None:
        self.mangum = Mangum(app, lifespan="off", text_mime_types=TEXT_MEDIA_TYPES)

    def is_http_event(self, event: object, context: LambdaContext) -> bool:
        """True for every event shape Mangum can serve (API Gateway v1/v2, ALB, URL, Edge)."""
        if not isinstance(event, dict):
            return False
        try:
            self.mangum.infer(event, context)
        except (RuntimeError, TypeError, KeyError, AttributeError, IndexError):
            return False
        return True

    def __call__(self, event: Any, context: LambdaContext) -> dict[str, Any]:
        if not self.is_http_event(event, context):
            kind = describe_non_http_event(event)
            logger.info(json.dumps({"event": "non-http", "kind": kind}))
            return {"ok": True, "handled": kind}
        return _base64_if_content_encoded(self.mangum(event, context))
