"""Routes for the published promises: read the service standards, revise them, close the desk."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.di import Provide
from litestar.params import PathParameter

from api.auth import authenticated, current_actor
from api.problems import problem_docs
from api.read_your_writes import LAST_POSITION
from api.schemas import Body
from application.desk import ServiceDesk
from application.service_levels import add_closure, revise_standards
from domain.actors import Actor
from domain.errors import InvalidValue
from domain.standards import ServiceStandard, TargetKind, TimeBasis, basis_of

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class StandardBody(Body, kw_only=True):
    code: Code
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
    target: Literal["acknowledge", "interim_response", "respond", "resolve", "answer_wait",
                    "serve_wait"]
    seconds: Annotated[int, msgspec.Meta(ge=1, le=10 * 365 * 86_400)]
    channel: Literal["telephone", "missed_call", "voicemail", "email", "social_media",
                     "web_form", "written", "in_person", "virtual_meeting"] | None = None
    department: Code | None = None
    service_code: Code | None = None
    complaint: bool | None = None
    # None: the kind's own (calendar for a wait, which is real elapsed time; else business).
    basis: Literal["business", "calendar"] | None = None
    pausable: bool = True
    at_risk_share: Annotated[float, msgspec.Meta(gt=0, lt=1)] = 0.25
    # Seeded where the strategy sets no figure, for the Town to confirm (revise with false).
    draft: bool = False


class StandardsRevision(Body, kw_only=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    standards: Annotated[list[StandardBody], msgspec.Meta(min_length=1, max_length=500)]


class StandardsView(msgspec.Struct):
    version: int
    current_version: int
    standards: list[StandardBody]


class ClosureBody(Body, kw_only=True):
    day: date
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    from_time: time | None = None
    until_time: time | None = None


class ClosureView(msgspec.Struct):
    day: date
    reason: str
    from_time: time | None
    until_time: time | None
    recorded_at: datetime


def _standards_view(desk: ServiceDesk, version: int | None) -> StandardsView:
    book = desk.standards()
    number = version or book.current_version
    return StandardsView(version=number, current_version=book.current_version,
                         standards=[msgspec.convert(s.as_data(), StandardBody)
                                    for s in book.in_force(number)])


class ServiceLevelController(Controller):
    path = "/api/v1"
    tags = ["service standards"]
    guards = [authenticated]
    dependencies = {"actor": Provide(current_actor, sync_to_thread=False)}

    @get("/standards", operation_id="standards_current",
         responses=problem_docs(401), sync_to_thread=True,
         summary="The service standards in force now")
    def current(self, request: Request[Any, Any, Any], actor: Actor,
                desk: ServiceDesk) -> StandardsView:
        return _standards_view(desk, None)

    @get("/standards/versions/{version:int}", operation_id="standards_version",
         responses=problem_docs(400, 401, 404),
         sync_to_thread=True, summary="One published version of the service standards")
    def version(self, request: Request[Any, Any, Any], actor: Actor,
                desk: ServiceDesk,
                version: Annotated[int, PathParameter(ge=1, le=LAST_POSITION)]) -> StandardsView:
        return _standards_view(desk, version)

    @put("/admin/standards", operation_id="standards_revise",
         responses=problem_docs(400, 401, 403, 413, 422), sync_to_thread=True,
         summary="Publish a new version of the standards (administrators)",
         description="Cases received from now on follow the new version; earlier cases keep "
                     "theirs.")
    def revise(self, request: Request[Any, Any, Any], actor: Actor,
               desk: ServiceDesk,
               data: StandardsRevision) -> StandardsView:
        standards = [ServiceStandard(
            code=s.code, title=s.title, target=TargetKind(s.target), seconds=s.seconds,
            channel=s.channel, department=s.department, service_code=s.service_code,
            complaint=s.complaint,
            basis=TimeBasis(s.basis) if s.basis else basis_of(TargetKind(s.target)),
            pausable=s.pausable, at_risk_share=s.at_risk_share, draft=s.draft)
            for s in data.standards]
        for standard in standards:
            if standard.department and desk.find_department(standard.department) is None:
                raise InvalidValue(f"no department {standard.department!r}", "department")
            if standard.service_code and desk.find_service(standard.service_code) is None:
                raise InvalidValue(f"no service {standard.service_code!r}", "service_code")
        version = revise_standards(desk, actor, standards, data.reason)
        return _standards_view(desk, version)

    @get("/admin/calendar/closures", operation_id="closures_list",
         responses=problem_docs(401), sync_to_thread=True,
         summary="Every closure added to the business calendar")
    def closures(self, request: Request[Any, Any, Any], actor: Actor,
                 desk: ServiceDesk) -> list[ClosureView]:
        return [ClosureView(day=c.day, reason=c.reason, from_time=c.from_time,
                            until_time=c.until_time, recorded_at=c.recorded_at.astimezone(UTC))
                for c in desk.calendar_book().closures]

    @post("/admin/calendar/closures", operation_id="closures_add",
         responses=problem_docs(400, 401, 403, 413, 422), sync_to_thread=True,
          status_code=201, summary="Close the desk for a day or part of one (administrators)")
    def add(self, request: Request[Any, Any, Any], actor: Actor,
            desk: ServiceDesk,
            data: ClosureBody) -> Response[ClosureView]:
        closure = add_closure(desk, actor, day=data.day, from_time=data.from_time,
                              until_time=data.until_time, reason=data.reason)
        # A closure has no address of its own: the list it joins is where it is read.
        return Response(ClosureView(day=closure.day, reason=closure.reason,
                                    from_time=closure.from_time, until_time=closure.until_time,
                                    recorded_at=closure.recorded_at.astimezone(UTC)),
                        status_code=201, headers={"Location": "/api/v1/admin/calendar/closures"})
