"""Routes for the goals per metric: read the goals in force or any version, set a new version."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get, put
from litestar.di import NamedDependency, Provide
from litestar.params import PathParameter

from api.auth import authenticated, current_actor
from api.problems import problem_docs
from api.read_your_writes import LAST_POSITION
from api.schemas import Body, Code
from application.desk import ServiceDesk
from application.goals import metric_goals, set_goals
from domain.actors import Actor
from domain.errors import NotFound
from domain.goals import GOAL_METRICS, Direction, MetricGoal

MetricName = Literal["share_met", "first_contact_rate", "warm_share", "informed_share",
                     "transfers_per_case", "csat_average", "nps", "ces_average",
                     "median_hours_to_acknowledge", "median_hours_to_resolve"]
assert set(MetricName.__args__) == set(GOAL_METRICS)  # type: ignore[attr-defined]


class GoalBody(Body, kw_only=True):
    metric: MetricName
    # A JSON number (80, 4.5), kept as the decimal it was written as; its range is the
    # metric's (domain.goals.GOAL_METRICS), checked there. Bounded here so the published
    # schema says what the server accepts.
    value: Annotated[float, msgspec.Meta(ge=-1_000_000, le=1_000_000)]
    # Left out: the metric's natural direction (at least for shares and scores, at most for
    # times and transfers per case).
    direction: Literal["at_least", "at_most"] | None = None
    department: Code | None = None  # left out: the Town's goal, for every scorecard


def as_written(number: float) -> Decimal:
    """The decimal a JSON number was written as: 90 stays 90, 4.5 stays 4.5 (not a binary
    fraction's expansion)."""
    return Decimal(int(number)) if number.is_integer() else Decimal(repr(number))


class GoalsRevision(Body, kw_only=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    goals: Annotated[list[GoalBody], msgspec.Meta(max_length=500)]


class GoalView(msgspec.Struct):
    metric: str
    value: Decimal
    direction: str
    department: str | None


class GoalsView(msgspec.Struct):
    version: int
    current_version: int
    goals: list[GoalView]


def _view(desk: ServiceDesk, version: int | None) -> GoalsView:
    book = metric_goals(desk)
    if book is None:
        raise NotFound("no goals have been set yet")
    number = version or book.current_version
    return GoalsView(version=number, current_version=book.current_version,
                     goals=[GoalView(g.metric, g.value, g.direction.value, g.department)
                            for g in book.in_force(number)])


class GoalController(Controller):
    path = "/api/v1"
    tags = ["goals"]
    guards = [authenticated]
    dependencies = {"actor": Provide(current_actor, sync_to_thread=False)}

    @get("/goals", operation_id="goals_current", responses=problem_docs(401, 404),
         sync_to_thread=True, summary="The goals per metric in force now (404 before any)")
    def current(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor],
                desk: NamedDependency[ServiceDesk]) -> GoalsView:
        return _view(desk, None)

    @get("/goals/versions/{version:int}", operation_id="goals_version",
         responses=problem_docs(400, 401, 404), sync_to_thread=True,
         summary="One version of the goals per metric")
    def version(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor],
                desk: NamedDependency[ServiceDesk],
                version: Annotated[int, PathParameter(ge=1, le=LAST_POSITION)]) -> GoalsView:
        return _view(desk, version)

    @put("/admin/goals", operation_id="goals_set",
         responses=problem_docs(400, 401, 403, 409, 413, 422), sync_to_thread=True,
         summary="Set a new version of the goals per metric (administrators)",
         description="The whole set: one goal per metric for the Town and per department. "
                     "Scorecards published from now on are judged against it; every version "
                     "stays readable.")
    def revise(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor],
               desk: NamedDependency[ServiceDesk],
               data: GoalsRevision) -> GoalsView:
        goals = [MetricGoal(
            metric=g.metric, value=as_written(g.value),
            direction=Direction(g.direction) if g.direction
            else GOAL_METRICS[g.metric].direction,
            department=g.department) for g in data.goals]
        version = set_goals(desk, actor, goals, data.reason)
        return _view(desk, version)
