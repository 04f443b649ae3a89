"""How the service standards were kept: every target judged at as_of, by standard, channel and
month, and each breach."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from application.accountability.arithmetic import Rated, hours, local_day, percent, rated
from application.accountability.replay import Followed, Replayed
from domain.cases import WAIT_TARGETS
from domain.targets import Target, status

OUTCOMES = ("met", "met_late", "breached", "open", "not_measured")
LATE = frozenset({"met_late", "breached"})


@dataclass(frozen=True)
class Outcomes:
    applied: int
    met: int
    met_late: int
    breached: int
    open: int
    share_met: Rated  # percent of decided targets met on time
    # Wait-time promises whose wait nobody recorded: applied, outside the share.
    not_measured: int = 0


@dataclass(frozen=True)
class StandardRow:
    code: str
    title: str
    in_force: bool  # in the version of the standards in force at as_of
    outcomes: Outcomes


@dataclass(frozen=True)
class StandardDepartmentRow:
    """The standards as one department kept them: every target of the cases it owns at as_of,
    whatever standard set it (the per-standard rows are `StandardRow`)."""

    department: str
    name: str
    standards: int  # how many standards set targets on its cases
    outcomes: Outcomes


@dataclass(frozen=True)
class StandardChannelRow:
    code: str
    channel: str
    outcomes: Outcomes


@dataclass(frozen=True)
class StandardMonthRow:
    code: str
    month: str
    decided: int
    met: int
    share_met: Rated


@dataclass(frozen=True)
class BreachRow:
    reference: str
    department: str
    channel: str
    standard_code: str
    target: str
    state: str  # breached (still unmet at as_of) or met_late
    due_at: datetime
    met_at: datetime | None
    basis: str  # business or calendar: what the hours late are counted in
    seconds_late: int
    hours_late: Decimal


@dataclass(frozen=True)
class Judged:
    followed: Followed
    target: Target
    outcome: str  # one of OUTCOMES
    seconds_late: int


def decided(counts: Counter[str]) -> int:
    """Targets with an outcome: an open target that is not yet due has none."""
    return counts["met"] + counts["met_late"] + counts["breached"]


def outcomes(counts: Counter[str], minimum: int) -> Outcomes:
    share = rated(percent(counts["met"], decided(counts)), decided(counts), minimum)
    return Outcomes(applied=sum(counts[o] for o in OUTCOMES), met=counts["met"],
                    met_late=counts["met_late"], breached=counts["breached"],
                    open=counts["open"], share_met=share, not_measured=counts["not_measured"])


def judge_targets(seen: Replayed) -> list[Judged]:
    """Every target of every case, as staff would have seen it at as_of."""
    return [_judge(seen, f, t) for f in seen.followed
            for t in sorted(f.case.targets.values(), key=lambda t: t.standard_code)]


def _judge(seen: Replayed, followed: Followed, target: Target) -> Judged:
    shown = status(target, seen.as_of, seen.calendars.of(target.desk))
    outcome, late = shown.state.outcome, 0
    if outcome in LATE:
        measured = followed.waits.get(target.name) if target.name in WAIT_TARGETS else None
        late = measured - target.seconds if measured is not None else -shown.remaining_seconds
    return Judged(followed, target, outcome, max(0, late))


def standard_rows(seen: Replayed, judged: list[Judged]) -> list[StandardRow]:
    in_force = seen.standards.in_force() if seen.standards else ()
    titles = {s.code: s.title for s in in_force}
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for j in judged:
        counts[j.target.standard_code][j.outcome] += 1
        titles.setdefault(j.target.standard_code, j.target.title)
    current = {s.code for s in in_force}
    minimum = seen.request.min_sample
    return [StandardRow(code, titles[code], code in current, outcomes(counts[code], minimum))
            for code in sorted(titles)]


def by_department(seen: Replayed, judged: list[Judged]) -> list[StandardDepartmentRow]:
    """One row per department owning a case with targets, by department code."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    codes: dict[str, set[str]] = defaultdict(set)
    for j in judged:
        department = j.followed.case.department
        counts[department][j.outcome] += 1
        codes[department].add(j.target.standard_code)
    return [StandardDepartmentRow(
        department=code,
        name=seen.departments[code].name if code in seen.departments else code,
        standards=len(codes[code]), outcomes=outcomes(counts[code], seen.request.min_sample))
        for code in sorted(counts)]


def by_channel(judged: list[Judged], minimum: int) -> list[StandardChannelRow]:
    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for j in judged:
        counts[(j.target.standard_code, j.followed.case.channel)][j.outcome] += 1
    return [StandardChannelRow(code, channel, outcomes(counts[(code, channel)], minimum))
            for code, channel in sorted(counts)]


def by_month(seen: Replayed, judged: list[Judged]) -> list[StandardMonthRow]:
    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for j in judged:
        month = f"{local_day(j.followed.case.received_at):%Y-%m}"
        counts[(j.target.standard_code, month)][j.outcome] += 1
    rows = []
    for code in sorted({code for code, _ in counts}):
        for month in seen.request.period.months():
            c = counts.get((code, month), Counter())
            rows.append(StandardMonthRow(code, month, decided(c), c["met"], rated(
                percent(c["met"], decided(c)), decided(c), seen.request.min_sample)))
    return rows


def breaches(judged: list[Judged]) -> list[BreachRow]:
    return [BreachRow(
        reference=j.followed.case.reference, department=j.followed.case.department,
        channel=j.followed.case.channel, standard_code=j.target.standard_code,
        target=j.target.name, state=j.outcome, due_at=j.target.due_at.astimezone(UTC),
        met_at=j.target.met_at.astimezone(UTC) if j.target.met_at else None,
        basis=j.target.basis, seconds_late=j.seconds_late, hours_late=hours(j.seconds_late))
        for j in judged if j.outcome in LATE]
