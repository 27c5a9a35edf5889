"""Lambda invocations to the ASGI app and back: Mangum, configured deliberately.

- the mount prefix: Mangum hands the app a REST API's path without the stage and `root_path`
  "" (its issues #142 and #318), so nothing the app builds from the prefix could be right under
  /v1/. MountedFromEvent puts the prefix that app/aws/mount.py reads from the event into the scope
  the ASGI way: `root_path` the prefix, `path` the whole typed path.
- lifespan "off": Mangum's "auto" runs the ASGI startup and shutdown around *every*
  invocation (bench/bench_handler.py measures the cost); all per-container work here
  happens at import instead.
- binary rule: a body with a Content-Encoding, or whose type is not text, leaves base64-encoded.
  Mangum alone would send a compressed body that happens to be valid UTF-8 as text.
- events that are not HTTP (warm-up pings, S3/SQS records, `{}`) get a small reply and a log
  line instead of Mangum's RuntimeError.
- an HTTP event no gateway would send (invalid base64, `isBase64Encoded: "true"`, a body or
  headers of the wrong type, no method) gets a 400 problem+json result with the CORS headers,
  never an exception: Mangum would raise, or worse, guess (its decoder drops invalid base64
  characters, and the string "false" is truthy).
- Lambda@Edge events (CloudFront's viewer/origin request and response triggers) are declined
  with a 501 problem in Lambda@Edge's own result shape, so that CloudFront shows it to the
  viewer instead of failing on a result it cannot read. Serving them is not worth a third
  result format, for a deployment this project does not make (template.yaml puts API Gateway
  in front; CloudFront can sit in front of that stage with no function at the edge):
  * Mangum answers them with `isBase64Encoded`, a field CloudFront ignores: it reads
    `bodyEncoding`, and takes a body without it as text, so every compressed or binary body
    would reach the viewer as base64 characters (CloudFront Developer Guide, "Generating HTTP
    responses in request triggers");
  * CloudFront passes a request body only with its "include body" option and cuts it at 40 KB
    (viewer request) or 1 MB (origin request), marking it `inputTruncated`: /compress would
    benchmark the first megabyte of a 4 MiB upload.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from http import HTTPStatus
from typing import Any

from mangum import Mangum
from mangum.types import ASGI, LambdaContext, Receive, Scope, Send

from app.aws.mount import mount_point
from app.config import settings
from app.web.cors import cors_response_headers
from app.web.problems import PROBLEM_MEDIA_TYPE, Problem, problem_response

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


# The CloudFront triggers a Lambda@Edge function can have (config.eventType).
CLOUDFRONT_EVENT_TYPES = ("viewer-request", "origin-request", "origin-response", "viewer-response")

# RFC 9110 §9.1: a method is a token (§5.6.2).
METHOD_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


class MalformedEvent(ValueError):
    """An HTTP event that breaks the shape AWS documents; answered 400, never served."""


def is_lambda_at_edge_event(event: object) -> bool:
    """True for an event from a CloudFront trigger: a record at Records[0] with a `cf` member."""
    records = event.get("Records") if isinstance(event, dict) else None
    return (
        isinstance(records, list)
        and bool(records)
        and isinstance(records[0], dict)
        and "cf" in records[0]
    )


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


def _checked_http_event(event: dict[str, Any]) -> dict[str, Any]:
    """A copy of `event` that Mangum reads exactly as AWS means it; raises MalformedEvent.

    A base64 body is decoded here, strictly (binascii's strict mode: measured faster than
    Mangum's lenient b64decode, 21 ms against 27 ms for 4 MiB), and handed on as bytes.
    """
    checked = dict(event)
    is_base64 = checked.get("isBase64Encoded")
    if is_base64 is not None and not isinstance(is_base64, bool):
        raise MalformedEvent(f"isBase64Encoded must be a JSON boolean, not {is_base64!r}.")
    body = checked.get("body")
    if body is not None and not isinstance(body, str):
        raise MalformedEvent(f"body must be a string or null, not {type(body).__name__}.")
    if is_base64 and body:
        try:
            checked["body"] = binascii.a2b_base64(body, strict_mode=True)
        except ValueError as error:
            raise MalformedEvent(
                f"isBase64Encoded is true but the body is not base64 ({error})."
            ) from None
        checked["isBase64Encoded"] = False
    for key in ("headers", "multiValueHeaders"):
        if key in checked and checked[key] is None:
            del checked[key]
    headers = checked.get("headers", {})
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise MalformedEvent("headers must map header names to strings.")
    multi_value_headers = checked.get("multiValueHeaders", {})
    if not isinstance(multi_value_headers, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(i, str) for i in v)
        for k, v in multi_value_headers.items()
    ):
        raise MalformedEvent("multiValueHeaders must map header names to lists of strings.")
    if "headers" not in checked and "multiValueHeaders" not in checked:
        checked["headers"] = {}
    http = checked["requestContext"].get("http") if checked.get("version") == "2.0" else None
    method = http.get("method") if isinstance(http, dict) else checked.get("httpMethod")
    if not isinstance(method, str) or not METHOD_TOKEN.fullmatch(method):
        raise MalformedEvent(f"The HTTP method must be a token, not {method!r}.")
    return checked


def _problem_headers() -> dict[str, str]:
    """The headers of a problem the adapter answers itself: the app's CORS headers included."""
    return {"content-type": PROBLEM_MEDIA_TYPE, **cors_response_headers(settings.cors_allow_origin)}


def _problem_body(problem: Problem) -> str:
    return bytes(problem_response(problem).body).decode()


def _malformed_event_result(
    event: dict[str, Any], context: LambdaContext, detail: str
) -> dict[str, Any]:
    """The 400 problem as a Lambda result, headers in the form the event's shape expects."""
    request_id = getattr(context, "aws_request_id", None)
    logger.info(json.dumps({"event": "malformed-http", "requestId": request_id, "detail": detail}))
    problem = Problem(
        400, detail, type="/problems/malformed-event", title="Malformed Lambda HTTP event"
    )
    headers = _problem_headers()
    result: dict[str, Any] = {
        "statusCode": problem.status,
        "body": _problem_body(problem),
        "isBase64Encoded": False,
    }
    # ALB with multi-value headers on reads only multiValueHeaders (Mangum's rule too).
    if "multiValueHeaders" in event and event.get("version") != "2.0":
        result["multiValueHeaders"] = {name: [value] for name, value in headers.items()}
    else:
        result["headers"] = headers
    return result


def _lambda_at_edge_declined_result(event: dict[str, Any]) -> dict[str, Any]:
    """The 501 problem as a CloudFront generated response (status a string, header lists).

    The body is JSON text, so `bodyEncoding` is "text"; its few hundred bytes fit the smallest
    generated-response quota (40 KB, viewer request).
    """
    cf = event["Records"][0]["cf"]
    config = cf.get("config") if isinstance(cf, dict) else None
    event_type = config.get("eventType") if isinstance(config, dict) else None
    if event_type not in CLOUDFRONT_EVENT_TYPES:  # named in the detail only when it is known
        event_type = None
    logger.info(json.dumps({"event": "lambda-at-edge-declined", "eventType": event_type}))
    problem = Problem(
        501,
        f"This function serves API Gateway, ALB and Function URL events, not CloudFront's "
        f"{event_type or 'Lambda@Edge'} events: put the API Gateway stage behind CloudFront as "
        "its origin instead of this function at the edge.",
        type="/problems/unsupported-event",
        title="Lambda@Edge is not supported",
    )
    return {
        "status": str(problem.status),
        "statusDescription": HTTPStatus(problem.status).phrase,
        "headers": {
            name: [{"key": name, "value": value}] for name, value in _problem_headers().items()
        },
        "body": _problem_body(problem),
        "bodyEncoding": "text",
    }


class MountedFromEvent:
    """ASGI: Mangum's scope, with the mount point of the event that made it (app/aws/mount.py).

    For /v1/api on a REST API's stage v1, the app sees root_path "/v1" and path "/v1/api";
    for an event with no prefix to find (HTTP API $default, ALB, function URLs) the scope is
    passed on unchanged.
    """

    def __init__(self, app: ASGI) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        event = scope.get("aws.event")
        mount = mount_point(event) if isinstance(event, dict) else None
        if mount is not None:
            scope = {**scope, "root_path": mount.prefix, "path": mount.prefix + mount.route}
        await self.app(scope, receive, send)


class LambdaAdapter:
    """The Lambda handler: `adapter(event, context)` returns the Lambda result dict."""

    def __init__(self, app: ASGI) -> None:
        self.mangum = Mangum(
            MountedFromEvent(app), lifespan="off", text_mime_types=TEXT_MEDIA_TYPES
        )

    def is_http_event(self, event: object, context: LambdaContext) -> bool:
        """True for the event shapes served: API Gateway REST (1.0) and HTTP (2.0), ALB, URL.

        False for Lambda@Edge events, which Mangum would take (see the module's docstring).
        """
        if not isinstance(event, dict) or is_lambda_at_edge_event(event):
            return False
        try:
            self.mangum.infer(event, context)
        except (RuntimeError, TypeError, KeyError, AttributeError, IndexError):
            return False
        return True

    def __call__(self, event: Any, context: LambdaContext) -> dict[str, Any]:
        if is_lambda_at_edge_event(event):
            return _lambda_at_edge_declined_result(event)
        if not self.is_http_event(event, context):
            kind = describe_non_http_event(event)
            logger.info(json.dumps({"event": "non-http", "kind": kind}))
            return {"ok": True, "handled": kind}
        try:
            checked = _checked_http_event(event)
            # The app's own errors never get here (Mangum's HTTPCycle turns them into a 500):
            # what escapes is Mangum failing to read a field the event lacks or mistypes.
            result = self.mangum(checked, context)
        except MalformedEvent as error:
            return _malformed_event_result(event, context, str(error))
        except (KeyError, TypeError, AttributeError, ValueError) as error:
            detail = f"The event lacks or mistypes a field: {type(error).__name__}: {error}."
            return _malformed_event_result(event, context, detail)
        return _base64_if_content_encoded(result)
