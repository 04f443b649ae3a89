"""What every story of a load shares: randomness, calendars, catalogue, people, the present."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime, timedelta

from application.catalogue import list_departments, list_services
from application.desk import ServiceDesk
from domain.actors import Actor, Role
from domain.catalogue import Service
from domain.errors import NotFound
from infrastructure.demo.mix import DEPARTMENT_WEIGHT, RELATED, WALK_IN_DESKS
from infrastructure.demo.people import CSRS, team_for
from infrastructure.demo.promises import Promises


class World:
    """Everything the stories share: randomness, calendar, catalogue, people, the present."""

    def __init__(self, desk: ServiceDesk, rng: random.Random, end: datetime) -> None:
        self.desk = desk
        self.rng = rng
        self.end = end
        self.start = end - timedelta(days=365)
        self.promises = Promises(desk, end)
        self.calendar = self.promises.calendar
        calendars = self.promises.calendars
        self.central_desk = calendars.central_code
        self.walk_in_desks = {code: weight for code, weight in WALK_IN_DESKS.items()
                              if code in calendars.by_desk} or {"": 1.0}
        departments = [d.code for d in list_departments(desk)]
        self.departments = departments
        self.services = [s for s in list_services(desk) if s.department in departments]
        if not self.services:
            raise NotFound("the catalogue has no public services: seed it first")
        self.teams = {code: team_for(code) for code in departments}
        self.csrs = tuple(Actor(id=c, role=Role.CSR) for c in CSRS)

    def pick(self, weights: Mapping[str, float]) -> str:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def service_for(self, purpose: str) -> Service:
        matching = [s for s in self.services if s.purpose == purpose]
        if not matching or self.rng.random() < 0.25:
            matching = [s for s in self.services if s.purpose in (None, purpose)]
        return self.rng.choices(matching, weights=[DEPARTMENT_WEIGHT.get(s.department, 1.0)
                                                   for s in matching])[0]

    def other_department(self, current: str) -> str:
        related = [d for d in RELATED.get(current, ()) if d in self.departments]
        others = related or [d for d in self.departments if d != current]
        return self.rng.choice(others)


def hours(rng: random.Random, low: float, high: float) -> timedelta:
    """Between `low` and `high` hours, drawn evenly, to the second."""
    return timedelta(seconds=round(rng.uniform(low, high) * 3600))
