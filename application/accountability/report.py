"""The accountability report as a whole; `build_report`, which figures it from the log, and
`report_of`, which figures it from the record as replayed (however it was read)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from application.accountability import complaints as complaint_figures
from application.accountability import experience, standards, volumes
from application.accountability import goals as goal_figures
from application.accountability.accessibility import Accommodations, accommodations
from application.accountability.complaints import ComplaintRow, LevelRow
from application.accountability.experience import FirstContact, Satisfaction, Transfers
from application.accountability.goals import GoalRow, GoalTrendRow
from application.accountability.late_entries import LateEntryRow, late_entries
from application.accountability.replay import Replayed, ReportBuilder
from application.accountability.request import Period, ReportRequest
from application.accountability.standards import (
    BreachRow,
    StandardChannelRow,
    StandardDepartmentRow,
    StandardMonthRow,
    StandardRow,
)
from application.accountability.volumes import ChannelRow, DepartmentRow, Effort

TOWN = "Town of Cobourg"


@dataclass(frozen=True)
class Chain:
    head_position: int
    head_hash: str


@dataclass(frozen=True)
class AccountabilityReport:
    town: str
    period: Period
    department: str | None
    department_name: str | None
    as_of: datetime
    min_sample: int  # fewest results a share or average is rated from
    standards_version: int | None
    cases: int
    standards: list[StandardRow]
    standards_by_channel: list[StandardChannelRow]
    standards_by_month: list[StandardMonthRow]
    breaches: list[BreachRow]
    late_entries: list[LateEntryRow]
    channels: list[ChannelRow]
    departments: list[DepartmentRow]
    complaints: list[ComplaintRow]
    complaint_levels: list[LevelRow]
    transfers_of_cases: Transfers
    first_contact: FirstContact
    satisfaction: Satisfaction
    effort: Effort
    chain: Chain
    accommodations: Accommodations | None = None  # accessibility accommodations requested
    goals_version: int | None = None  # the goals per metric in force at as_of; None: none set
    goals: list[GoalRow] = field(default_factory=list)
    goal_trend: list[GoalTrendRow] = field(default_factory=list)  # month by month
    # The signed checkpoint (a C2SP signed note) of the first tree that holds an event
    # committed after as_of: the report is then final and anchored (infrastructure
    # .commit_time); None while no such checkpoint is signed yet (the report is provisional).
    checkpoint: str | None = None
    include_imported: bool = False  # whether cases imported from another system count
    # The standards per department owning the cases (the HTML report's standards table; the
    # per-standard rows are `standards`).
    standards_by_department: list[StandardDepartmentRow] = field(default_factory=list)


def build_report(request: ReportRequest, events: Iterable[tuple[int, Any]],
                 link_at: Callable[[int], str]) -> AccountabilityReport:
    """The report for `request` from the log's (position, event) pairs, in position order.

    `link_at(position)` gives the hex chain link stored at a position (or the genesis link for
    position 0, an empty log).
    """
    builder = ReportBuilder(request)
    for position, event in events:
        builder.add(position, event)
    return report_of(builder.replayed(), link_at)


def report_of(seen: Replayed, link_at: Callable[[int], str]) -> AccountabilityReport:
    """The report's figures from the record as it stood at as_of (however it was read)."""
    request = seen.request
    judged = standards.judge_targets(seen)
    wanted = request.department
    return AccountabilityReport(
        town=TOWN, period=request.period, department=wanted,
        department_name=seen.departments[wanted].name if wanted in seen.departments else None,
        as_of=seen.as_of, min_sample=request.min_sample,
        standards_version=seen.standards.current_version if seen.standards else None,
        cases=len(seen.followed), standards=standards.standard_rows(seen, judged),
        standards_by_channel=standards.by_channel(judged, request.min_sample),
        standards_by_month=standards.by_month(seen, judged),
        breaches=standards.breaches(judged), late_entries=late_entries(seen),
        channels=volumes.channels(seen),
        departments=volumes.departments(seen, judged),
        complaints=complaint_figures.complaints(seen),
        complaint_levels=complaint_figures.levels(seen),
        transfers_of_cases=experience.transfers(seen), first_contact=experience.first_contact(seen),
        satisfaction=experience.satisfaction(seen), effort=volumes.effort(seen),
        chain=Chain(seen.head, link_at(seen.head)), accommodations=accommodations(seen),
        goals_version=seen.goals.current_version if seen.goals else None,
        goals=goal_figures.goal_rows(seen, judged), goal_trend=goal_figures.trend(seen, judged),
        include_imported=request.include_imported,
        standards_by_department=standards.by_department(seen, judged))
