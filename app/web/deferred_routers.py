"""The API's routers, included on the first request that reaches FastAPI's router.

A cold start that serves a TinySite page needs none of them: the pages are answered ahead of
the router (app/web/routes/site.py). Including a router is what costs: FastAPI analyses every
route's parameters and models as it is added, and the first analysis imports pydantic.v1
(fastapi/_compat checks each annotation against pydantic.v1.BaseModel), about 25 ms; the
routes' own modules bring the report models and the engine, about 40 ms more
(docs/performance.md has the measurement). So `DeferredRouters` sits between TinySite and the
router and includes them, once, when the first request passes it (an API call, /docs,
/openapi.json or a 404); `App.openapi()` includes them too, for a caller that asks for the
schema without a request.

Routers are named by module ("app.web.routes.compress"), so adding one imports nothing at
start-up: list it in API_ROUTERS (app/main.py). Guarantee: every request that reaches the
router finds every router included; including is synchronous (no await), so two requests on
one event loop cannot both start it.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send


class App(FastAPI):
    """FastAPI with routers included on first use (`include_deferred`)."""

    def __init__(self, *, deferred_routers: Sequence[str], **settings: Any) -> None:
        super().__init__(**settings)
        self.deferred_routers = tuple(deferred_routers)
        self.deferred_included = False

    def include_deferred(self) -> None:
        """Import and include every router of `deferred_routers`, the first time only."""
        if self.deferred_included:
            return
        self.deferred_included = True
        for module in self.deferred_routers:
            router = importlib.import_module(module).router
            assert isinstance(router, APIRouter), module
            self.include_router(router)

    def openapi(self) -> dict[str, Any]:
        self.include_deferred()
        return super().openapi()


class DeferredRouters:
    """ASGI middleware: includes the app's deferred routers before the first HTTP request or
    websocket passes on to the router; lifespan events pass untouched."""

    def __init__(self, app: ASGIApp, owner: App) -> None:
        self.app = app
        self.owner = owner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.owner.deferred_included and scope["type"] != "lifespan":
            self.owner.include_deferred()
        await self.app(scope, receive, send)
