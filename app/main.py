"""Assembles the FastAPI app: routers, middleware and error handlers, in this one place."""

from __future__ import annotations

from app.config import settings
from app.memory import return_big_buffers_to_the_os
from app.web.cors import CORSMiddleware
from app.web.deferred_routers import App, DeferredRouters
from app.web.problems import UnhandledErrorMiddleware, install_problem_handlers
from app.web.request_log import RequestLogMiddleware, configure_logging
from app.web.routes import site

# The API's routers, by module: included on the first request that reaches the router, so a cold
# start that serves a page imports none of them (app/web/deferred_routers.py). A new router goes
# here, not into an import at the top of this file.
API_ROUTERS = (
    "app.web.routes.diagnostics",
    "app.web.routes.compress",
    "app.web.routes.docs",
    "app.web.routes.sitecheck",
)


def create_app() -> App:
    """Build the app. Everything costly happens here, once per container, not per request;
    the API's routers once, at the first request that needs them."""
    configure_logging(settings.log_level)
    return_big_buffers_to_the_os()  # keeps memory flat under uploads: app/memory.py
    app = App(
        deferred_routers=API_ROUTERS,
        title="CompressTest & TinySite",
        summary="How well and how fast a file compresses, and the biggest smallest website.",
        version="0.1.0",
        # Replaced by app/web/routes/docs.py: FastAPI's pages load Swagger UI and ReDoc from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    install_problem_handlers(app)
    # A 404 is an HTML page for browsers, problem+json for everyone else.
    app.add_exception_handler(404, site.not_found)
    # add_middleware wraps: the last one added is the outermost. Order, outside in:
    # request log (sees every request, preflights too) -> CORS (headers on every answer,
    # the 500 included) -> the guard that turns stray exceptions into the 500 problem ->
    # TinySite's pages, answered ahead of the router (measured in bench/bench_site.py) ->
    # the API's routers, included as the first request passes.
    app.add_middleware(DeferredRouters, owner=app)
    app.add_middleware(site.TinySite)
    app.add_middleware(UnhandledErrorMiddleware)
    app.add_middleware(CORSMiddleware, allow_origin=settings.cors_allow_origin)
    app.add_middleware(RequestLogMiddleware)
    if settings.routes_at_import:  # SnapStart or provisioned concurrency: no request waits
        app.include_deferred()
    return app


app = create_app()
