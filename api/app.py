"""`create_app(settings)`: the Litestar application with every route, error handler and task."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from api.accommodations import AccommodationController
from api.admin import AdminController
from api.admin_outbox import OutboxController
from api.allowed_methods import allow_header_middleware
from api.api_reference import reference_assets, reference_page
from api.appointments import AppointmentController, SlotRulesController
from api.attachments import attachment_router
from api.audit import AuditController
from api.case_list import case_list
from api.cases import CaseController, command_router, receive_case
from api.catalogue import CatalogueController
from api.customers import CustomerController
from api.department_manager import name_manager
from api.dependencies import Served
from api.duplicates import DuplicateController
from api.goals import GoalController
from api.health import health, ready
from api.inbox import InboxController
from api.internal_notes import add_note, list_notes
from api.knowledge import KnowledgeController, help_page_route, public_articles
from api.metrics import metrics
from api.open311 import open311_router
from api.open311.form import FORM_ALLOWANCE
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
from api.routing import RoutingController
from api.scorecards import scorecard
from api.security_headers import schema_page_policy, security_headers
from api.service_levels import ServiceLevelController
from api.staff_directory import get_staff_entry, set_staff_entry
from api.strict_body import decode_strictly
from api.survey_page import survey_answer, survey_page
from application.desk import ServiceDesk, utc_now
from infrastructure.bootstrap import compose
from infrastructure.settings import Settings
from infrastructure.signing_keys import verification_key


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
    served = Served(services)
    app = Litestar(
        route_handlers=[health, ready, metrics, receive_case, CaseController, command_router,
                        AppointmentController, SlotRulesController,
                        case_list, CustomerController, PrivacyController,
                        ServiceLevelController, CatalogueController, AdminController,
                        OutboxController,
                        AuditController, publish_public_note,
                        open311_router(settings.attachment_max_bytes + FORM_ALLOWANCE),
                        public_request_status, status_page_route, status_lookup,
                        survey_page, survey_answer,
                        accountability_report, ReadModelController, scorecard,
                        AccommodationController, GoalController, DuplicateController,
                        attachment_router(settings.attachment_max_bytes),
                        InboxController, add_note, list_notes, name_manager,
                        set_staff_entry, get_staff_entry,
                        RoutingController, KnowledgeController, public_articles,
                        help_page_route,
                        reference_assets()],
        before_request=decode_strictly,
        middleware=[request_id_middleware, allow_header_middleware, served.metrics.middleware,
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
        dependencies=served.dependencies(),
    )
    state_what_is_enforced(app)
    served.metrics.bind(services)
    # Routes are given their services by name (api/dependencies.py); guards and middleware,
    # which Litestar gives none, and tests reach them here.
    app.state.served = served
    return app


def create_worker_app() -> Litestar:
    """The app of one `civicdesk serve --workers N` process, configured by the environment
    (uvicorn starts each worker afresh, so it logs as `serve` does)."""
    from api.request_log import configure_logging

    settings = Settings.from_environment()
    app = create_app(settings)
    configure_logging(settings.log_level)  # after the app, which sets up logging its own way
    return app

