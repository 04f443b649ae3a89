"""Privacy routes: the retention schedule (administrators set it), the report of what retention
retired, and a customer's access request answered as one file (the privacy officer)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, put
from litestar.di import Provide

from api.access_request import access_request
from api.auth import authenticated, current_actor
from api.problems import problem_docs
from api.schemas import Body, Short
from application import retention
from application.access import check_customer_access
from application.desk import ServiceDesk
from domain.actors import Actor, Role
from domain.retention import MAX_YEARS, SEED, RecordClass
from infrastructure.access_log import AccessLog


class RetentionPeriod(msgspec.Struct):
    record_class: str
    years: int  # after the customer's last case closed
    by_law: str
    confirmed: bool  # false: a seed value, to confirm against the Town's by-law


class RetentionScheduleView(msgspec.Struct):
    periods: list[RetentionPeriod]


class RetentionBody(Body, kw_only=True):
    years: Annotated[int, msgspec.Meta(ge=1, le=MAX_YEARS)]
    by_law: Short
    confirmed: bool = False


class RetiredView(msgspec.Struct):
    customer_id: str
    retired_at: datetime
    reason: str
    cases: list[str]


class RetiredReport(msgspec.Struct):
    items: list[RetiredView]


def schedule_view(desk: ServiceDesk) -> RetentionScheduleView:
    current = retention.schedule(desk)
    periods = []
    for record_class in RecordClass:
        chosen = current.periods.get(record_class.value)
        years, by_law = SEED[record_class]
        periods.append(RetentionPeriod(
            record_class=record_class.value,
            years=int(chosen["years"]) if chosen else years,
            by_law=str(chosen["by_law"]) if chosen else by_law,
            confirmed=bool(chosen["confirmed"]) if chosen else False))
    return RetentionScheduleView(periods=periods)


class PrivacyController(Controller):
    path = "/api/v1/privacy"
    tags = ["privacy"]
    guards = [authenticated]
    dependencies = {"actor": Provide(current_actor, sync_to_thread=False)}

    @get("/retention", operation_id="privacy_retention_schedule", sync_to_thread=True,
         summary="How long customers' personal information is kept, per record class",
         responses=problem_docs(401, 403))
    def get_schedule(self, actor: Actor, desk: ServiceDesk) -> RetentionScheduleView:
        if actor.role is not Role.ADMIN:
            check_customer_access(actor)
        return schedule_view(desk)

    @put("/retention/{record_class:str}", operation_id="privacy_retention_set",
         sync_to_thread=True, summary="Set a record class's retention period (administrator)",
         responses=problem_docs(400, 401, 403, 422))
    def set_schedule(self, record_class: Literal["service_request", "complaint"],
                     data: RetentionBody, actor: Actor,
                     desk: ServiceDesk) -> RetentionScheduleView:
        retention.set_period(desk, actor, record_class, data.years, data.by_law,
                             data.confirmed)
        return schedule_view(desk)

    @get("/retired", operation_id="privacy_retired", sync_to_thread=True,
         summary="Customers whose personal information retention shredded (privacy officer)",
         responses=problem_docs(401, 403))
    def retired(self, actor: Actor, desk: ServiceDesk) -> RetiredReport:
        return RetiredReport(items=[
            RetiredView(customer_id=str(r.customer_id), retired_at=r.at.astimezone(UTC),
                        reason=r.reason, cases=r.cases)
            for r in retention.retired_report(desk, actor)])

    @get("/access-requests/{customer_id:uuid}", operation_id="privacy_access_request",
         sync_to_thread=True,
         summary="Everything held about a customer, as one file (privacy officer)",
         description="Their record and correction requests, each of their cases with every "
                     "event in readable form, and every access-log entry about them or their "
                     "cases. Itself logged. Errors: 401, 403, 404.",
         responses=problem_docs(400, 401, 403, 404))
    def access_request(self, request: Request[Any, Any, Any], customer_id: UUID,
                       actor: Actor, desk: ServiceDesk,
                       access_log: AccessLog) -> Response[bytes]:
        package = access_request(desk, access_log, actor, customer_id,
                                 route=f"{request.method} {request.url.path}")
        name = f"access-request-{customer_id}.json"
        return Response(msgspec.json.format(msgspec.json.encode(package)),
                        media_type="application/json",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
