"""Operators' routes: how far each projection has read, and who runs the scheduler."""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import Controller, get
from litestar.di import Provide

from api.auth import authenticated, current_actor
from api.problems import problem_docs
from application.access import check_operator
from application.desk import ServiceDesk
from domain.actors import Actor
from engine.failures import Failure
from engine.runner import ProjectionSet
from infrastructure.scheduler import SchedulerService


class FailureView(msgspec.Struct):
    """An event a read model could not apply (and, if skipped, who skipped it and why)."""

    position: int
    event_id: str  # the aggregate's id @ its version
    topic: str
    error: str
    attempts: int
    first_failed_at: datetime
    last_failed_at: datetime
    skipped_by: str | None = None
    skipped_at: datetime | None = None
    skip_reason: str | None = None


def failure_view(failure: Failure) -> FailureView:
    return FailureView(**{field: getattr(failure, field)
                          for field in FailureView.__struct_fields__})


class ProjectionStatus(msgspec.Struct):
    name: str
    position: int
    lag: int
    running: bool
    error: str | None
    generation: int = 0  # which generation of its tables is live (a rebuild adds one)
    # running (here), catching_up (here: replaying a backlog first), rebuilding (here),
    # standby (another process holds it; PostgreSQL), elsewhere (this process runs no read
    # models), stopped or failed
    role: str = "running"
    ready: bool = True  # its tables are this version's, so it answers queries
    failure: FailureView | None = None  # the event it failed on and has not got past
    skipped: list[FailureView] = []  # events an operator let it pass over


class ProjectionsReport(msgspec.Struct):
    head: int
    projections: list[ProjectionStatus]


class SchedulerStatus(msgspec.Struct):
    role: str
    scheduled: int
    next_due: datetime | None
    recorded: int
    position: int | None
    running_here: bool


class AdminController(Controller):
    path = "/api/v1/admin"
    tags = ["operations"]
    guards = [authenticated]
    dependencies = {"actor": Provide(current_actor, sync_to_thread=False)}

    @get("/projections", operation_id="admin_projections", sync_to_thread=True,
         responses=problem_docs(401, 403),
         summary="Each projection's position in the log and its lag")
    def projections(self, actor: Actor, desk: ServiceDesk,
                    projections: ProjectionSet) -> ProjectionsReport:
        check_operator(actor)
        positions = projections
        return ProjectionsReport(
            head=desk.log_position(),
            projections=[ProjectionStatus(name=p.name, position=p.position, lag=p.lag,
                                          running=p.running, error=p.error,
                                          generation=p.generation, role=p.role,
                                          ready=p.ready,
                                          failure=failure_view(p.failure) if p.failure else None,
                                          skipped=[failure_view(f)
                                                   for f in positions.skipped(p.name)])
                         for p in positions.positions()])

    @get("/scheduler", operation_id="admin_scheduler", sync_to_thread=True,
         responses=problem_docs(401, 403),
         summary="Whether this process leads the deadline scheduler, and what it holds")
    def scheduler(self, actor: Actor, scheduler: SchedulerService | None) -> SchedulerStatus:
        check_operator(actor)
        service = scheduler
        if service is None:
            return SchedulerStatus(role="off", scheduled=0, next_due=None, recorded=0,
                                   position=None, running_here=False)
        return SchedulerStatus(**service.status(), running_here=True)
