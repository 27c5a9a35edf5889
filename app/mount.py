"""Where the app is mounted in the URL the client typed, read from an API Gateway event.

Pure: an event dict in, a MountPoint out; no web framework. app/lambda_adapter.py puts the
result into the ASGI scope the ASGI way (`root_path` is the prefix, `path` the whole path), so
FastAPI's /openapi.json names the right server and every route sees the path it was written for.

What AWS sends (the REST API's payload 1.0, and the HTTP API's 2.0):

| door                              | typed    | `path` (2.0: rawPath) | requestContext.path |
|-----------------------------------|----------|-----------------------|---------------------|
| REST API, default URL, stage v1   | /v1/api  | /api                  | /v1/api             |
| REST, custom domain, no base path | /api     | /api                  | /api                |
| REST, custom domain, base path ct | /ct/api  | /ct/api               | /ct/api             |
| HTTP API, `$default` stage        | /api     | /api                  | -                   |
| HTTP API, named stage dev         | /dev/api | /dev/api              | -                   |

(The custom-domain rows are from events posted in aws-powertools/powertools-lambda-python#579
and CodeGenieApp/serverless-express#216: the base path stays in `path` there, the stage does
not appear.) So `requestContext.path` is always what the client typed, and the route the app
must see is told by `resource` and `pathParameters`: `/{proxy+}` with proxy `api` spans one
segment. The prefix is what the typed path has in front of those segments. Counting segments,
not comparing strings, keeps this independent of how each field percent-decodes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class MountPoint:
    """The typed path split in two: `prefix` (no trailing slash, "" at the root) + `route`.

    `route` is "" when the client typed the prefix without its trailing slash ("/v1"): no page
    lives there, since relative links on it would resolve against the parent (app/routes/site.py
    redirects it to the slash form).
    """

    prefix: str
    route: str


def _segments(path: str) -> list[str]:
    """The segments of a path, trailing slash ignored: "/v1/api/" -> ["v1", "api"]; "/" -> []."""
    trimmed = path[1:] if path.startswith("/") else path
    trimmed = trimmed[:-1] if trimmed.endswith("/") else trimmed
    return trimmed.split("/") if trimmed else []


def _route_segment_count(resource: str, path_parameters: Mapping[str, Any]) -> int | None:
    """How many path segments the matched resource spans; None when the event cannot tell.

    Each segment of the resource template is one segment of the path, but a greedy `{name+}`
    spans as many as its value holds.
    """
    count = 0
    for segment in _segments(resource):
        if segment.startswith("{") and segment.endswith("+}"):
            value = path_parameters.get(segment[1:-2])
            if not isinstance(value, str):
                return None
            count += len(_segments(value))
        else:
            count += 1
    return count


def _drop_segments(path: str, count: int) -> str:
    """`path` without its first `count` segments: ("/ct/api", 1) -> "/api"; ("/ct", 1) -> "/"."""
    for _ in range(count):
        path = path[path.find("/", 1) :] if path.find("/", 1) > 0 else "/"
    return path


def _split(typed: str, served: str, route_segments: int) -> MountPoint | None:
    """The prefix of `typed` in front of its last `route_segments` segments, and the route: the
    same segments of `served` (Mangum's path, in the encoding it has always given the app).
    None when either path has fewer segments than the route."""
    typed_segments, served_segments = _segments(typed), _segments(served)
    prefix_length = len(typed_segments) - route_segments
    served_extra = len(served_segments) - route_segments
    if prefix_length < 0 or served_extra < 0:
        return None
    prefix = "".join(f"/{segment}" for segment in typed_segments[:prefix_length])
    if route_segments == 0 and not typed.endswith("/"):
        return MountPoint(prefix, "")  # the prefix typed without its slash
    return MountPoint(prefix, _drop_segments(served, served_extra))


def rest_api_mount_point(event: Mapping[str, Any]) -> MountPoint | None:
    """The mount point of a REST API (payload 1.0) event; None when it lacks the fields."""
    context = event.get("requestContext")
    if not isinstance(context, Mapping):
        return None
    typed, served, resource = context.get("path"), event.get("path"), event.get("resource")
    if not (isinstance(typed, str) and isinstance(served, str) and isinstance(resource, str)):
        return None
    if not typed.startswith("/") or not served.startswith("/"):
        return None
    route_segments = _route_segment_count(resource, event.get("pathParameters") or {})
    return None if route_segments is None else _split(typed, served, route_segments)


def http_api_mount_point(event: Mapping[str, Any]) -> MountPoint | None:
    """The mount point of an HTTP API (payload 2.0) event: a named stage's segment, if any.

    `$default` is served at the root (rawPath is what was typed); a named stage's segment leads
    rawPath, as it leads the URL. None for other 2.0 events (function URLs have no stage).
    """
    context = event.get("requestContext")
    typed = event.get("rawPath")
    if not isinstance(context, Mapping) or not isinstance(typed, str):
        return None
    stage = context.get("stage")
    if not isinstance(stage, str) or not stage or stage == "$default":
        return None
    prefix = f"/{stage}"
    if typed == prefix:
        return MountPoint(prefix, "")
    if typed.startswith(prefix + "/"):
        return MountPoint(prefix, typed[len(prefix) :])
    return None


def mount_point(event: Mapping[str, Any]) -> MountPoint | None:
    """Where an API Gateway event's request is mounted; None for events with no prefix to find
    (ALB, function URLs, the HTTP API's `$default` stage): serve their path as it is."""
    if event.get("version") == "2.0":
        return http_api_mount_point(event)
    if "resource" in event:
        return rest_api_mount_point(event)
    return None
