"""`create_app(settings)`: the Litestar application with every route, error handler and task."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from litestar import Litestar
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from api.cases import CaseController, command_router
from api.health import health, ready
from api.problems import EXCEPTION_HANDLERS
from application.desk import ServiceDesk, utc_now
from infrastructure.bootstrap import build_desk, seed_catalogue
from infrastructure.settings import Settings


def create_app(settings: Settings | None = None, *, desk: ServiceDesk | None = None,
               clock: Callable[[], datetime] = utc_now) -> Litestar:
    settings = settings or Settings.from_environment()
    if desk is None:
        desk = build_desk(settings, clock=clock)
        seed_catalogue(desk)
    openapi = OpenAPIConfig(
        title="civicdesk",
        version="1.0.0",
        description="Event-sourced, audit-first municipal service desk.",
        path="/schema",
        render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
        components=Components(security_schemes={
            "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")}),
        security=[{"bearer": []}],
    )
    app = Litestar(
        route_handlers=[health, ready, CaseController, command_router],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        openapi_config=openapi,
        request_max_body_size=settings.max_body_bytes,
        on_shutdown=[desk.close],
    )
    app.state.settings = settings
    app.state.desk = desk
    return app
