"""`create_app(settings)`: the Litestar application with every route, error handler and task."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from api.admin import AdminController
from api.allowed_methods import allow_header_middleware
from api.api_reference import reference_assets, reference_page
from api.audit import AuditController
from api.case_list import case_list
from api.cases import CaseController, command_router, receive_case
from api.catalogue import CatalogueController
from api.customers import CustomerController
from api.health import health, ready
from api.metrics import Metrics, metrics
from api.open311 import open311_router
from api.open311.routing_errors import with_open311_routing_errors
from api.openapi_contract import state_what_is_enforced
from api.privacy import PrivacyController
from api.problems import EXCEPTION_HANDLERS
from api.public_notes import publish_public_note
from api.public_status import public_request_status, status_lookup, status_page_route
from api.read_models import ReadModelController
from api.read_your_writes import lag_header_middleware
from api.reports import accountability_report
from api.request_log import request_id_middleware
from api.scorecards import scorecard
from api.security_headers import schema_page_policy, security_headers
from api.service_levels import ServiceLevelController
from api.strict_body import decode_strictly
from application.desk import ServiceDesk, utc_now
from infrastructure.bootstrap import Services, compose
from infrastructure.settings import Settings
from infrastructure.signing_keys import verification_key
from projections.case_index import CASE_INDEX
from projections.complaint_register import COMPLAINT_REGISTER
from projections.pending_deadlines import PENDING_DEADLINES
from projections.queues import QUEUES
from projections.scorecard import SCORECARD


def create_app(settings: Settings | None = None, *, desk: ServiceDesk | None = None,
               clock: Callable[[], datetime] = utc_now) -> Litestar:
    settings = settings or Settings.from_environment()
    # NoSigningKey, not an API that could check no token (and would answer every one 500)
    verification_key(settings)
    services = compose(settings, clock=clock, desk=desk)
    render_plugins = [reference_page()]
    openapi = OpenAPIConfig(
        title="civicdesk",
        version="1.0.0",
        description="Event-sourced, audit-first municipal service desk.",
        path="/schema",
        render_plugins=render_plugins,
        components=Components(security_schemes={
            "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")}),
        security=[{"bearer": []}],
    )
    collected = Metrics()
    app = Litestar(
        route_handlers=[health, ready, metrics, receive_case, CaseController, command_router,
                        case_list, CustomerController, PrivacyController,
                        ServiceLevelController, CatalogueController, AdminController,
                        AuditController, publish_public_note, open311_router,
                        public_request_status, status_page_route, status_lookup,
                        accountability_report, ReadModelController, scorecard,
                        reference_assets()],
        before_request=decode_strictly,
        middleware=[request_id_middleware, allow_header_middleware, collected.middleware,
                    lag_header_middleware],
        before_send=[security_headers(schema_page_policy(render_plugins))],
        # Off unless origins are configured: the desk's own clients are not browsers on other
        # sites, and a browser app of the Town's must be named to be let in.
        cors_config=(CORSConfig(allow_origins=list(settings.cors_origins),
                                allow_headers=["Authorization", "Content-Type",
                                               "Idempotency-Key", "X-Request-Id"],
                                expose_headers=["X-Civicdesk-Position", "Idempotent-Replayed",
                                                "X-Request-Id", "Retry-After", "X-Civicdesk-Lag"])
                     if settings.cors_origins else None),
        exception_handlers=with_open311_routing_errors(EXCEPTION_HANDLERS),  # type: ignore[arg-type]
        openapi_config=openapi,
        request_max_body_size=settings.max_body_bytes,
        on_startup=[services.start],
        on_shutdown=[services.close],
        dependencies=dependencies(services),
    )
    state_what_is_enforced(app)
    app.state.metrics = collected.bind(app.state)
    # Read by the routes not yet given their services by dependency injection.
    app.state.pending_deadlines = services.view(PENDING_DEADLINES)
    app.state.settings = settings
    app.state.desk = services.desk
    app.state.access_log = services.access_log
    app.state.read_positions = services.projections
    app.state.scheduler = services.scheduler
    app.state.case_index = services.view(CASE_INDEX)
    app.state.queues = app.state.sla_board = services.view(QUEUES)
    app.state.complaint_register = services.view(COMPLAINT_REGISTER)
    app.state.scorecards = services.view(SCORECARD)
    app.state.checkpointer = services.checkpointer
    return app


def create_worker_app() -> Litestar:
    """The app of one `civicdesk serve --workers N` process, configured by the environment
    (uvicorn starts each worker afresh, so it logs as `serve` does)."""
    from api.request_log import configure_logging

    settings = Settings.from_environment()
    app = create_app(settings)
    configure_logging(settings.log_level)  # after the app, which sets up logging its own way
    return app


def dependencies(services: Services) -> dict[str, Provide]:
    """What a route may name as a parameter to be given it (Litestar's dependency injection):
    the composed services, each the same object for every request."""
    def provide(value: Any) -> Provide:
        return Provide(lambda: value, use_cache=True, sync_to_thread=False)

    return {"desk": provide(services.desk), "access_log": provide(services.access_log),
            "settings": provide(services.settings)}
