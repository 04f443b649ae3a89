"""`OPTIONS` answers with every method its path allows, as a 405 does.

Litestar builds one OPTIONS handler per route when the route is first made, and keeps it when
handlers registered later (another controller's GET beside a POST on /api/v1/cases) join the
same path: its Allow header then names only the first handlers' methods. This middleware
writes Allow from the application's map of every path's methods, on every OPTIONS answer.
"""

from __future__ import annotations

from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send


def allowed_methods(scope: Scope) -> str | None:
    """"GET, OPTIONS, POST" for the route this request was routed to, or None."""
    handler: Any = scope.get("route_handler")
    app: Any = scope.get("litestar_app")
    if handler is None or app is None:
        return None
    routes = app.route_handler_method_map
    methods = {method for path in handler.paths for method in routes.get(path, {})}
    return ", ".join(sorted(methods)) if methods else None


def allow_header_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") != "OPTIONS":
            await app(scope, receive, send)
            return
        allow = allowed_methods(scope)

        async def send_with_allow(message: Message) -> None:
            if message["type"] == "http.response.start" and allow is not None:
                headers = MutableScopeHeaders.from_message(message)
                if "allow" in headers:
                    headers["Allow"] = allow
            await send(message)

        await app(scope, receive, send_with_allow)

    return middleware
