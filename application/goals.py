"""Setting the goals per metric (administrators) and reading the versions set."""

from __future__ import annotations

from collections.abc import Iterable

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, RecordConflictError

from application.access import check_admin
from application.desk import ServiceDesk
from domain.actors import Actor
from domain.errors import InvalidValue, VersionConflict
from domain.goals import MetricGoal, MetricGoals


def metric_goals(desk: ServiceDesk) -> MetricGoals | None:
    """Every version of the goals set, or None before the first."""
    try:
        found: object = desk.repository.get(MetricGoals.create_id())
    except AggregateNotFoundError:
        return None
    assert isinstance(found, MetricGoals)
    return found


def set_goals(desk: ServiceDesk, actor: Actor, goals: Iterable[MetricGoal],
              reason: str) -> int:
    """Set a new version of the goals (the whole set); returns its number. Scorecards
    published from now on are judged against it.

    Raises Forbidden, InvalidValue (field `department`: no such department; `metric`,
    `value`, `reason`), VersionConflict (two administrators at once).
    """
    check_admin(actor)
    listed = list(goals)
    for goal in listed:
        if goal.department is not None and desk.find_department(goal.department) is None:
            raise InvalidValue(f"no department {goal.department!r}", "department")
    book = metric_goals(desk)
    if book is None:
        book = MetricGoals.set_first(listed, actor, reason)
    else:
        book.revise(listed, actor, reason)
    try:
        desk.save(book)
    except (RecordConflictError, IntegrityError):
        raise VersionConflict("the goals were changed by someone else; reload and retry"
                              ) from None
    return book.current_version
