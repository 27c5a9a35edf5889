"""The Lambda side: turning API Gateway's events into ASGI requests and back, and doors on
loopback that do what API Gateway does.

Holds the Mangum adapter with the binary rule and the malformed, non-HTTP and Lambda@Edge
events (`lambda_adapter`), where the app is mounted in the URL the client typed (`mount`), and
the local doors: the template's settings (`gateway_template`), the gateways' throttling per
method and route (`gateway_throttle`) and the REST API's own answers as its gateway responses
shape them (`gateway_responses`), the loopback server they share (`local_server`), the REST API
under its stage (`local_rest_api`) and the HTTP API at the root (`local_http_api`).

May import: `app.web` (its problems and CORS headers, for the adapter's own answers),
`app.config`, Mangum and the standard library. Imported only by the entry points that put the
app behind a gateway: handler.py and app/local.py (pyproject.toml's contracts).
"""
