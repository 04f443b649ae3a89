"""What the desk handled: cases by channel and by department, and the effort they cost."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from application.accountability.arithmetic import dollars, hours, percent
from application.accountability.replay import Replayed
from application.accountability.standards import Judged
from domain.values import Channel


@dataclass(frozen=True)
class ChannelRow:
    channel: str
    cases: int
    share: Decimal | None  # percent of the period's cases


@dataclass(frozen=True)
class DepartmentRow:
    code: str
    name: str
    cases: int
    breaches: int  # targets breached: deadline passed, still unmet at as_of
    met_late: int  # targets met after their deadline (not counted in `breaches`)
    transferred_cases: int  # cases transferred at least once
    effort_minutes: int
    effort_hours: Decimal
    hourly_rate: Decimal
    effort_cost: Decimal


@dataclass(frozen=True)
class Effort:
    interactions: int
    minutes: int
    hours: Decimal
    cost: Decimal  # dollars


def channels(seen: Replayed) -> list[ChannelRow]:
    counts = Counter(f.case.channel for f in seen.followed)
    return [ChannelRow(c.value, counts[c.value], percent(counts[c.value], len(seen.followed)))
            for c in Channel]


def _rate_cents(seen: Replayed, department: str) -> int:
    known = seen.departments.get(department)
    return known.hourly_rate_cents if known else 0


def departments(seen: Replayed, judged: list[Judged]) -> list[DepartmentRow]:
    wanted = seen.request.department
    codes = [wanted] if wanted else sorted(
        set(seen.departments) | {f.case.department for f in seen.followed})
    breaches = Counter(j.followed.case.department for j in judged if j.outcome == "breached")
    late = Counter(j.followed.case.department for j in judged if j.outcome == "met_late")
    rows = []
    for code in codes:
        mine = [f.case for f in seen.followed if f.case.department == code]
        minutes = sum(c.effort_minutes for c in mine)
        rate = _rate_cents(seen, code)
        known = seen.departments.get(code)
        rows.append(DepartmentRow(
            code=code, name=known.name if known else code, cases=len(mine),
            breaches=breaches[code], met_late=late[code],
            transferred_cases=sum(1 for c in mine if c.transfers),
            effort_minutes=minutes, effort_hours=hours(minutes * 60),
            hourly_rate=dollars(Decimal(rate)),
            effort_cost=dollars(Decimal(minutes * rate) / 60)))
    return rows


def effort(seen: Replayed) -> Effort:
    cases = [f.case for f in seen.followed]
    minutes = sum(c.effort_minutes for c in cases)
    cent_minutes = sum(c.effort_minutes * _rate_cents(seen, c.department) for c in cases)
    return Effort(interactions=sum(c.interactions for c in cases), minutes=minutes,
                  hours=hours(minutes * 60), cost=dollars(Decimal(cent_minutes) / 60))
