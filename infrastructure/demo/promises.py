"""The service standards followed through a whole load, as the desk and its scheduler would."""

from __future__ import annotations

from datetime import datetime

from application.desk import ServiceDesk
from domain.actors import SCHEDULER, Actor
from domain.cases import Case
from domain.closures import DeskCalendars
from domain.errors import NotFound
from domain.standards import ServiceStandards


class Promises:
    """Follows the service standards through `ServiceDesk.follow_standards`, with the standards
    and the desks' calendars (as known at the end) read once for the whole load."""

    def __init__(self, desk: ServiceDesk, end: datetime) -> None:
        self.desk = desk
        try:
            self.standards: ServiceStandards | None = desk.standards()
        except NotFound:
            self.standards = None
        try:
            self.calendars = desk.calendars(end)
        except NotFound:
            self.calendars = DeskCalendars()
        self.calendar = self.calendars.central
        self.end = end

    def follow(self, case: Case, command: str, actor: Actor, at: datetime, *,
               wait_seconds: int | None = None, reopened: bool = False) -> None:
        """What the desk records on the targets after `command` ("receive" at entry)."""
        if self.standards is not None:
            self.desk.follow_standards(case, command, actor=actor, occurred_at=at,
                                       standards=self.standards, calendars=self.calendars,
                                       wait_seconds=wait_seconds, reopened=reopened)

    def record_breaches(self, case: Case, since: datetime, until: datetime) -> None:
        """What the scheduler would have recorded: each deadline that passed in [since, until).

        A deadline already behind `since` when it was planned is left to the live scheduler's
        catch-up, so that the case's events stay in order of occurrence."""
        while True:
            due = sorted((t.watched_due_at, t.name) for t in case.open_targets()
                         if t.watched_due_at is not None and since <= t.watched_due_at < until)
            if not due or not case.miss_deadline(target=due[0][1], due_at=due[0][0],
                                                 now=self.end, actor=SCHEDULER):
                return
