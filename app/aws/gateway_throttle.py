"""API Gateway's throttling as template.yaml configures it: a token bucket per method or route.

A REST stage throttles each method (resource and HTTP method) with its own bucket; its
MethodSettings give the limits, the most specific entry winning: the method's own
(`/~1compress` `ANY`), then `/*` `*` for every other. An HTTP API throttles each route with its
own bucket: RouteSettings by route key (`POST /compress`), else DefaultRouteSettings, the
`$default` route included. The local doors (app/aws/local_rest_api.py, local_http_api.py) read
the limits here, with the template's parameter defaults or the overrides given as
`sam deploy --parameter-overrides` takes them, so loopback throttles as AWS would.

API Gateway's matching, as the doors need it: a REST path goes to the resource whose literal
segments match most, then a `{param}` segment, then a greedy `{proxy+}`; an HTTP API request to
the route whose method and path match, else `$default`.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

HTTP_DEFAULT_ROUTE = "$default"
ANY_METHOD = "ANY"


def template_parameters(
    template: Mapping[str, Any], overrides: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Each parameter's value: its Default, or the override (as `--parameter-overrides`).

    Raises ValueError for an override that names no parameter of the template.
    """
    declared = template.get("Parameters", {})
    unknown = set(overrides or {}) - set(declared)
    if unknown:
        raise ValueError(f"the template has no parameter {', '.join(sorted(unknown))}")
    values = {name: parameter.get("Default") for name, parameter in declared.items()}
    values.update(overrides or {})
    return values


_SUB_VARIABLE = re.compile(r"\$\{([A-Za-z0-9_.:]+)\}")


def resolved(value: Any, parameters: Mapping[str, Any]) -> Any:
    """`value` with {"Ref": P} and {"Fn::Sub": "...${P}..."} of parameters replaced by their
    values, as CloudFormation would; other values as they are."""
    if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in parameters:
        return parameters[value["Ref"]]
    if isinstance(value, dict) and set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):

        def substitute(match: re.Match[str]) -> str:
            name = match[1]
            return str(parameters[name]) if name in parameters else match[0]

        return _SUB_VARIABLE.sub(substitute, value["Fn::Sub"])
    return value


@dataclass(frozen=True)
class Throttle:
    """A token bucket's settings: `rate` tokens a second, at most `burst` held."""

    rate: float
    burst: int

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], parameters: Mapping[str, Any]) -> Throttle:
        return cls(
            rate=float(resolved(settings["ThrottlingRateLimit"], parameters)),
            burst=int(resolved(settings["ThrottlingBurstLimit"], parameters)),
        )


@dataclass
class TokenBucket:
    """The token bucket algorithm API Gateway throttles with: full at first, `rate` tokens a
    second back up to `burst`, a request takes one. Safe to share between threads."""

    throttle: Throttle
    clock: Callable[[], float] = time.monotonic
    _tokens: float = field(init=False)
    _updated: float = field(init=False)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._tokens = float(self.throttle.burst)
        self._updated = self.clock()

    def take(self) -> float | None:
        """None when the request is admitted (a token taken); else the seconds until a token
        is back, rounded up to a whole second as a Retry-After would say it."""
        with self._lock:
            now = self.clock()
            elapsed = max(0.0, now - self._updated)
            self._tokens = min(
                float(self.throttle.burst), self._tokens + elapsed * self.throttle.rate
            )
            self._updated = now
            if self._tokens >= 1:
                self._tokens -= 1
                return None
            return float(max(1, math.ceil((1 - self._tokens) / self.throttle.rate)))


def _function_events(
    template: Mapping[str, Any], event_type: str, api_key: str, api_id: str
) -> list[dict[str, Any]]:
    """The Properties of every `event_type` event of the template's functions on API `api_id`."""
    found = []
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for event in resource.get("Properties", {}).get("Events", {}).values():
            properties = event.get("Properties", {})
            if event["Type"] == event_type and properties.get(api_key, {}).get("Ref") == api_id:
                found.append(properties)
    return found


def _the_api(template: Mapping[str, Any], resource_type: str) -> tuple[str, dict[str, Any]]:
    apis = [(k, v) for k, v in template["Resources"].items() if v["Type"] == resource_type]
    if len(apis) != 1:
        raise ValueError(f"the template has {len(apis)} {resource_type}, the local door serves one")
    logical_id, api = apis[0]
    return logical_id, api.get("Properties", {})


def escaped_resource_path(path: str) -> str:
    """A resource path as MethodSettings' ResourcePath writes it: "/compress/{codec}" ->
    "/~1compress~1{codec}" (RFC 6901's escapes: "~" as "~0", "/" as "~1"); "/" stays "/"."""
    if path == "/":
        return "/"
    return "/" + path.replace("~", "~0").replace("/", "~1")


@dataclass(frozen=True)
class RestMethod:
    """One method of the REST API: its resource path ("/compress/{codec}") and HTTP method."""

    resource: str
    method: str


def rest_methods(template: Mapping[str, Any]) -> dict[RestMethod, Throttle]:
    """Every method the template's function events give the REST API, with its throttle from
    the stage's MethodSettings (the method's own entry, else its resource's "*", else "/*"
    "*"), for the parameter values in `template["Parameters"]` defaults."""
    return rest_method_throttles(template, template_parameters(template))


def rest_method_throttles(
    template: Mapping[str, Any], parameters: Mapping[str, Any]
) -> dict[RestMethod, Throttle]:
    """As rest_methods, for the given parameter values. A method no entry covers is absent
    (API Gateway then applies only the account's limits)."""
    api_id, api = _the_api(template, "AWS::Serverless::Api")
    settings = {
        (entry["ResourcePath"], str(entry["HttpMethod"]).upper()): Throttle.from_settings(
            entry, parameters
        )
        for entry in api.get("MethodSettings", [])
        if "ThrottlingRateLimit" in entry and "ThrottlingBurstLimit" in entry
    }
    methods: dict[RestMethod, Throttle] = {}
    for event in _function_events(template, "Api", "RestApiId", api_id):
        method = RestMethod(event["Path"], str(event["Method"]).upper())
        path = escaped_resource_path(method.resource)
        for key in ((path, method.method), (path, "*"), ("/*", "*")):
            if key in settings:
                methods[method] = settings[key]
                break
    return methods


def _segments(path: str) -> list[str]:
    return [segment for segment in path.split("/") if segment]


def _resource_match(resource: str, path: str) -> tuple[int, ...] | None:
    """How specifically `resource` matches `path` (larger is more specific), or None.

    Per segment: a literal scores 2, a {param} 1; a greedy {proxy+} takes one or more segments
    and scores 0 for them. "/" matches only "/".
    """
    pattern, actual = _segments(resource), _segments(path)
    score: list[int] = []
    for index, segment in enumerate(pattern):
        if segment.startswith("{") and segment.endswith("+}"):
            return (*score, 0) if len(actual) > index else None
        if index >= len(actual):
            return None
        if segment.startswith("{") and segment.endswith("}"):
            score.append(1)
        elif segment == actual[index]:
            score.append(2)
        else:
            return None
    return tuple(score) if len(actual) == len(pattern) else None


def path_parameters(resource: str, path: str) -> dict[str, str] | None:
    """What API Gateway puts in `pathParameters` for `path` served by `resource`: each
    {name} segment's value, a greedy {name+} the rest of the path; None when there are none."""
    parameters: dict[str, str] = {}
    segments = [s for s in path.split("/") if s]
    for index, segment in enumerate(s for s in resource.split("/") if s):
        if segment.startswith("{") and segment.endswith("+}"):
            # The rest of the path as typed, a trailing slash included.
            parameters[segment[1:-2]] = path.lstrip("/").split("/", index)[-1]
            break
        if segment.startswith("{") and segment.endswith("}"):
            parameters[segment[1:-1]] = segments[index]
    return parameters or None


def match_rest_method(
    methods: Mapping[RestMethod, Any], http_method: str, path: str
) -> RestMethod | None:
    """The method of the REST API that serves `http_method` `path` (below the stage): the most
    specific resource that matches, then its own method or ANY. None when that resource has
    neither (API Gateway's "Missing Authentication Token") or no resource matches."""
    resources = {method.resource for method in methods}
    ranked = [
        (score, resource)
        for resource in resources
        if (score := _resource_match(resource, path)) is not None
    ]
    if not ranked:
        return None
    resource = max(ranked)[1]
    for candidate in (RestMethod(resource, http_method.upper()), RestMethod(resource, ANY_METHOD)):
        if candidate in methods:
            return candidate
    return None


def http_route_throttles(
    template: Mapping[str, Any], parameters: Mapping[str, Any]
) -> dict[str, Throttle]:
    """Every route key of the template's HTTP API ("POST /compress", "$default") with its
    throttle: its RouteSettings entry, else the stage's DefaultRouteSettings."""
    api_id, api = _the_api(template, "AWS::Serverless::HttpApi")
    default = api.get("DefaultRouteSettings", {})
    per_route = api.get("RouteSettings", {})
    routes: dict[str, Throttle] = {}
    for event in _function_events(template, "HttpApi", "ApiId", api_id):
        if "Path" in event:
            key = f"{str(event.get('Method', ANY_METHOD)).upper()} {event['Path']}"
        else:
            key = HTTP_DEFAULT_ROUTE
        settings = per_route.get(key, default)
        if "ThrottlingRateLimit" in settings and "ThrottlingBurstLimit" in settings:
            routes[key] = Throttle.from_settings(settings, parameters)
    return routes


def match_http_route(route_keys: Mapping[str, Any], http_method: str, path: str) -> str | None:
    """The route key an HTTP API request goes to: the most specific route whose path matches
    and whose method is the request's or ANY; else `$default` (None when there is none)."""
    ranked = []
    for key in route_keys:
        if key == HTTP_DEFAULT_ROUTE:
            continue
        method, _, resource = key.partition(" ")
        if method not in (http_method.upper(), ANY_METHOD):
            continue
        score = _resource_match(resource, path)
        if score is not None:
            ranked.append((score, method != ANY_METHOD, key))
    if ranked:
        return max(ranked)[2]
    return HTTP_DEFAULT_ROUTE if HTTP_DEFAULT_ROUTE in route_keys else None


class Throttles:
    """One token bucket per method or route key, made on first use from its Throttle."""

    def __init__(
        self, throttles: Mapping[Any, Throttle], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._buckets = {key: TokenBucket(throttle, clock) for key, throttle in throttles.items()}

    def take(self, key: Any) -> float | None:
        """None when `key`'s bucket admits the request (or `key` has no throttle); else the
        seconds to wait (see TokenBucket.take)."""
        bucket = self._buckets.get(key)
        return None if bucket is None else bucket.take()
