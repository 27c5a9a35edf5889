"""The Lambda path on loopback: HTTP in, an API Gateway event through handler.handler, HTTP out.

    python -m app.local --port 3000              the REST API, under its stage: /v1/
    python -m app.local --port 3000 --http-api   the HTTP API, at the root
    python -m app.local --parameter-overrides RestApiUploadBurstLimit=50 ...

Both throttle per method or route, and the REST API answers with its gateway responses, as
template.yaml configures them for its parameter defaults or the overrides given (the values
`sam deploy --parameter-overrides` would take).

The doors live in app/aws/ (local_rest_api.py, local_http_api.py, on local_server.py), their
settings read from template.yaml (gateway_template.py). A development tool: it reads the
template with PyYAML (the `dev` extra). It travels with app/ into the Lambda artifact, but
nothing there imports it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from app.aws.gateway_template import TEMPLATE_PATH, load_template, read_rest_api_settings
from app.aws.local_http_api import (
    invoke_through_http_api,
    read_http_api_settings,
    read_http_api_throttles,
)
from app.aws.local_rest_api import invoke_through_rest_api, read_rest_gateway
from app.aws.local_server import SerialInvoker, make_server, serve_until_interrupted


def parameter_override(text: str) -> tuple[str, str]:
    """NAME=VALUE, as `sam deploy --parameter-overrides` takes it."""
    name, equals, value = text.partition("=")
    if not equals or not name:
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VALUE")
    return name, value


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Serve handler.handler as the template's REST API (or HTTP API) would."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--template", type=Path, default=TEMPLATE_PATH)
    parser.add_argument(
        "--http-api",
        action="store_true",
        help="be the HTTP API (payload 2.0, at the root) instead of the REST API (under /STAGE/)",
    )
    parser.add_argument(
        "--parameter-overrides",
        nargs="*",
        type=parameter_override,
        default=[],
        metavar="NAME=VALUE",
        help="template parameters other than their defaults, as sam deploy takes them",
    )
    arguments = parser.parse_args(argv)
    template = load_template(arguments.template)
    overrides = dict(arguments.parameter_overrides)
    from handler import handler as lambda_handler

    invoker = SerialInvoker()
    handler = invoker.wrap(lambda_handler)

    if arguments.http_api:
        http_api = read_http_api_settings(template)
        routes = read_http_api_throttles(template, overrides)
        server = make_server(
            arguments.host,
            arguments.port,
            lambda request: invoke_through_http_api(handler, request, http_api, routes),
        )
        door = "an HTTP API (payload 2.0)"
        url = f"http://{arguments.host}:{server.server_port}/"
        details = f"Timeout {http_api.timeout_seconds:g} s"
        function_id = http_api.function_id
    else:
        settings = read_rest_api_settings(template)
        gateway = read_rest_gateway(template, overrides)
        server = make_server(
            arguments.host,
            arguments.port,
            lambda request: invoke_through_rest_api(handler, request, settings, gateway),
        )
        door = "a REST API (payload 1.0)"
        url = f"http://{arguments.host}:{server.server_port}/{settings.stage}/"
        binary = ", ".join(settings.binary_media_types) or "none"
        details = f"Timeout {settings.timeout_seconds:g} s, binary media types: {binary}"
        function_id = settings.function_id
    banner = f"Serving handler.handler as {function_id} behind {door} on {url} ({details})"
    print(banner, flush=True)
    serve_until_interrupted(server, invoker)


if __name__ == "__main__":
    main()
