"""Goals per published metric: what the Town aims for, as versioned data an administrator sets.

A goal names a scorecard metric, a value and whether the figure should be at least or at most
that value, for the Town (every department) or one department (which then replaces the Town's
goal for that metric on its scorecards). Every version ever set is kept, as the service
standards are; a figure is judged against the goals in force when it is published.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.actors import Actor
from domain.errors import InvalidValue, NotFound
from domain.values import parse_enum

GOALS_ID = uuid5(NAMESPACE_URL, "https://civicdesk.example/metric-goals")


class Direction(StrEnum):
    AT_LEAST = "at_least"
    AT_MOST = "at_most"


@dataclass(frozen=True)
class GoalMetric:
    """A metric a goal may be set for: its natural direction and the values it can take."""

    direction: Direction
    low: Decimal
    high: Decimal


_SHARE = (Decimal(0), Decimal(100))
# The scorecard's shares, averages and medians (README, "Metrics glossary"), by name.
GOAL_METRICS: dict[str, GoalMetric] = {
    "share_met": GoalMetric(Direction.AT_LEAST, *_SHARE),
    "first_contact_rate": GoalMetric(Direction.AT_LEAST, *_SHARE),
    "warm_share": GoalMetric(Direction.AT_LEAST, *_SHARE),
    "informed_share": GoalMetric(Direction.AT_LEAST, *_SHARE),
    "transfers_per_case": GoalMetric(Direction.AT_MOST, Decimal(0), Decimal(100)),
    "csat_average": GoalMetric(Direction.AT_LEAST, Decimal(1), Decimal(5)),
    "nps": GoalMetric(Direction.AT_LEAST, Decimal(-100), Decimal(100)),
    "ces_average": GoalMetric(Direction.AT_LEAST, Decimal(1), Decimal(7)),
    "median_hours_to_acknowledge": GoalMetric(Direction.AT_MOST, Decimal(0), Decimal(10_000)),
    "median_hours_to_resolve": GoalMetric(Direction.AT_MOST, Decimal(0), Decimal(100_000)),
}


@dataclass(frozen=True)
class MetricGoal:
    metric: str
    value: Decimal
    direction: Direction
    department: str | None = None  # None: the Town's goal, for every scorecard

    def __post_init__(self) -> None:
        if self.metric not in GOAL_METRICS:
            raise InvalidValue(f"metric must be one of: {', '.join(GOAL_METRICS)}; got "
                               f"{self.metric!r}", "metric")
        spec = GOAL_METRICS[self.metric]
        if not self.value.is_finite():
            raise InvalidValue("a goal is a finite number", "value")
        if not spec.low <= self.value <= spec.high:
            raise InvalidValue(f"a goal for {self.metric} is between {spec.low} and "
                               f"{spec.high}; got {self.value}", "value")

    def is_met_by(self, figure: Decimal) -> bool:
        if self.direction is Direction.AT_LEAST:
            return figure >= self.value
        return figure <= self.value

    def as_data(self) -> dict[str, Any]:
        return {"metric": self.metric, "value": str(self.value),
                "direction": self.direction.value, "department": self.department}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> MetricGoal:
        try:
            value = Decimal(str(data["value"]))
        except InvalidOperation:
            raise InvalidValue(f"value must be a number; got {data['value']!r}",
                               "value") from None
        if not value.is_finite():
            raise InvalidValue("value must be a finite number", "value")
        return cls(metric=str(data["metric"]), value=value,
                   direction=parse_enum(Direction, str(data["direction"]), "direction"),
                   department=data.get("department"))


def goals_for(goals: Iterable[MetricGoal], department: str | None) -> dict[str, MetricGoal]:
    """The goal per metric a scorecard of `department` (None: the Town) is judged against:
    the department's own where it set one, else the Town's."""
    chosen: dict[str, MetricGoal] = {}
    for goal in goals:
        if goal.department is None:
            chosen.setdefault(goal.metric, goal)
    for goal in goals:
        if department is not None and goal.department == department:
            chosen[goal.metric] = goal
    return {metric: chosen[metric] for metric in GOAL_METRICS if metric in chosen}


class MetricGoals(Aggregate):
    """Every version of the goals ever set; a version, once set, never changes."""

    @staticmethod
    def create_id() -> UUID:
        return GOALS_ID

    @classmethod
    def set_first(cls, goals: Iterable[MetricGoal], actor: Actor, reason: str) -> MetricGoals:
        return cls(goals=_checked(goals, reason), reason=reason, actor_id=actor.id,
                   actor_role=actor.role.value)

    @event("Set")
    def __init__(self, goals: list[dict[str, Any]], reason: str, actor_id: str,
                 actor_role: str) -> None:
        self.versions: dict[int, tuple[MetricGoal, ...]] = {
            1: tuple(MetricGoal.from_data(g) for g in goals)}

    @property
    def current_version(self) -> int:
        return max(self.versions)

    def in_force(self, version: int | None = None) -> tuple[MetricGoal, ...]:
        number = self.current_version if version is None else version
        if number not in self.versions:
            raise NotFound(f"no version {number} of the goals")
        return self.versions[number]

    def revise(self, goals: Iterable[MetricGoal], actor: Actor, reason: str) -> int:
        self._revised(version=self.current_version + 1, goals=_checked(goals, reason),
                      reason=reason, actor_id=actor.id, actor_role=actor.role.value)
        return self.current_version

    @event("Revised")
    def _revised(self, version: int, goals: list[dict[str, Any]], reason: str, actor_id: str,
                 actor_role: str) -> None:
        self.versions[version] = tuple(MetricGoal.from_data(g) for g in goals)


def _checked(goals: Iterable[MetricGoal], reason: str) -> list[dict[str, Any]]:
    if not reason.strip():
        raise InvalidValue("say why the goals are set", "reason")
    listed = list(goals)
    keys = [(g.metric, g.department) for g in listed]
    twice = sorted({f"{m} ({d or 'Town'})" for m, d in keys if keys.count((m, d)) > 1})
    if twice:
        raise InvalidValue(f"one goal per metric and department: {', '.join(twice)}",
                           "metric")
    return [g.as_data() for g in listed]
