"""The goals per metric in force at as_of beside the report's figures, and those figures month
by month of the period (the trend).

Only the metrics the report publishes under the scorecard's definition are judged: the share
of promises met on time (over every standard), first-contact resolution, CSAT, NPS and CES.
The scorecard's transfer figures count transfers a department made; the report's count
transfers of its cases (README, "Metrics glossary"), so their goals are not judged here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

from application.accountability import experience
from application.accountability.arithmetic import Rated, local_day, percent, rated
from application.accountability.replay import Replayed
from application.accountability.standards import Judged, decided
from domain.goals import goals_for

REPORTED_METRICS = ("share_met", "first_contact_rate", "csat_average", "nps", "ces_average")


@dataclass(frozen=True)
class GoalRow:
    metric: str
    goal: str  # the goal's value, as set
    direction: str  # at_least or at_most
    set_for: str | None  # the department whose goal it is; None: the Town's
    figure: Rated
    met: bool | None  # null when the figure is not rated


@dataclass(frozen=True)
class GoalTrendRow:
    metric: str
    month: str  # received in, 2026-07
    figure: Rated


def figures(seen: Replayed, judged: list[Judged]) -> dict[str, Rated]:
    """The report's goal metrics over `seen`'s cases and the targets `judged`."""
    counts = Counter(j.outcome for j in judged)
    minimum = seen.request.min_sample
    satisfaction = experience.satisfaction(seen)
    return {"share_met": rated(percent(counts["met"], decided(counts)), decided(counts),
                               minimum),
            "first_contact_rate": experience.first_contact(seen).rate,
            "csat_average": satisfaction.csat_average, "nps": satisfaction.nps,
            "ces_average": satisfaction.ces_average}


def goal_rows(seen: Replayed, judged: list[Judged]) -> list[GoalRow]:
    """Each goal in force at as_of for the report's department (or the Town's) that the
    report can judge, beside its figure."""
    if seen.goals is None:
        return []
    found = figures(seen, judged)
    chosen = goals_for(seen.goals.in_force(), seen.request.department)
    rows = []
    for metric, goal in chosen.items():
        if metric not in found:
            continue
        value = found[metric].value
        rows.append(GoalRow(metric=metric, goal=str(goal.value),
                            direction=goal.direction.value, set_for=goal.department,
                            figure=found[metric],
                            met=None if value is None else goal.is_met_by(value)))
    return rows


def trend(seen: Replayed, judged: list[Judged]) -> list[GoalTrendRow]:
    """The goal metrics for the cases received in each month of the period."""
    rows = []
    for month in seen.request.period.months():
        cases = [f for f in seen.followed if f"{local_day(f.case.received_at):%Y-%m}" == month]
        ids = {f.case.id for f in cases}
        monthly = figures(replace(seen, followed=cases),
                          [j for j in judged if j.followed.case.id in ids])
        rows += [GoalTrendRow(metric, month, monthly[metric]) for metric in REPORTED_METRICS]
    return rows
