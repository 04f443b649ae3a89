"""The clerk's accountability report: what the Town promised and kept, per period and department.

The report is computed from the event log itself, not from a projection, because it must be
reproducible as of any moment: `build_report` replays the events recorded (`event.timestamp`) at
or before `as_of`, which all lie at or before a fixed head position (the last of them), and names
that position and the chain link stored there. The same period, department and `as_of` therefore
give the same report, byte for byte, however much is recorded afterwards, and anyone holding an
export of the log can recompute the link to show the report matches the record. (An aggregate's
history is taken up to its first event recorded after `as_of`, should a clock ever step back.)
The catalogue (department names and rates), the standards in force and the business calendar are
replayed from the same events, so they too are as they stood at `as_of`.

Choices, and why:
- A case belongs to the period by the Toronto date it was received (a letter by its Received
  stamp), and to the department that owns it at `as_of`: the report answers for each case where
  it ended up, and its effort is costed at that department's hourly rate as it stood at `as_of`.
- A target's state is the SLA state staff would have seen at `as_of` (`domain.targets.status`,
  on the business calendar as then known): met, met late, breached, or still open.
- The share met is met on time / (met on time + met late + breached): an open target that is not
  yet due has no outcome to count.
- Hours late are business hours for business-time standards, clock hours for the others; a
  wait-time promise is as late as the measured wait exceeded it.
- First-contact resolution is the share of resolved (or closed) cases resolved at first contact.
- NPS is promoters (9-10) minus detractors (0-6), as a percentage of NPS answers.
- Nothing personal is reported: no names, contact details, subjects, descriptions, survey
  comments, escalation reasons or staff ids; references, channels and debrief findings only.
Figures are Decimals rounded half up (percentages to 0.1, averages and hours to 0.01, money to
the cent), and every list has a fixed order, so the rendered report is deterministic.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.domain import Aggregate

from domain.actors import Actor, Role
from domain.cases import WAIT_TARGETS, Case
from domain.catalogue import Department, Desk
from domain.closures import CalendarBook, DeskCalendars
from domain.errors import Forbidden, InvalidValue
from domain.standards import ServiceStandards
from domain.targets import Target, TargetState, status
from domain.values import Channel, Classification, EscalationLevel, Status

TOWN_TIME = ZoneInfo("America/Toronto")
REPORTING_ROLES = frozenset({Role.CLERK, Role.AUDITOR, Role.DIRECTOR, Role.ADMIN})
OUTCOMES = ("met", "met_late", "breached", "open")
STATE_OUTCOME = {TargetState.MET: "met", TargetState.MET_LATE: "met_late",
                 TargetState.BREACHED: "breached", TargetState.PENDING: "open",
                 TargetState.AT_RISK: "open"}
YEAR, QUARTER = re.compile(r"^(\d{4})$"), re.compile(r"^(\d{4})-Q([1-4])$")
MONTH, DAY = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"), re.compile(r"^\d{4}-\d{2}-\d{2}$")
FIRST_YEAR, LAST_YEAR = 2000, 2099
ONE, TENTH, CENT = Decimal(1), Decimal("0.1"), Decimal("0.01")


def check_may_report(actor: Actor) -> None:
    """Raises Forbidden unless the actor is a clerk, auditor, director or administrator."""
    if actor.role not in REPORTING_ROLES:
        raise Forbidden(f"the {actor.role.value} role may not produce accountability reports; "
                        "clerks, auditors, directors and administrators may")


# -- what is asked for ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    """Toronto calendar days, both ends included."""

    label: str
    first_day: date
    last_day: date

    def months(self) -> list[str]:
        months, day = [], self.first_day.replace(day=1)
        while day <= self.last_day:
            months.append(f"{day:%Y-%m}")
            day = (day + timedelta(days=32)).replace(day=1)
        return months


def _year(text: str, field: str) -> int:
    year = int(text)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidValue(f"{field}: the year must be between {FIRST_YEAR} and {LAST_YEAR}",
                           field)
    return year


def _month_end(year: int, month: int) -> date:
    return (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1))


def _day(text: str, field: str) -> date:
    if not DAY.match(text):
        raise InvalidValue(f"{field} must be a date like 2026-07-01; got {text!r}", field)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidValue(f"{field} is not a calendar date: {text!r}", field) from None
    _year(str(day.year), field)
    return day


def parse_period(period: str | None = None, first: str | None = None,
                 last: str | None = None) -> Period:
    """`2026` (a year), `2026-Q3` (a quarter), `2026-07` (a month), or `first` and `last` dates.

    Raises InvalidValue naming `period`, `from` or `to`.
    """
    if period is not None and (first is not None or last is not None):
        raise InvalidValue("give either period or from and to, not both", "period")
    if period is None:
        if first is None or last is None:
            missing = "period" if first is None and last is None else (
                "from" if first is None else "to")
            raise InvalidValue("give a period (2026, 2026-Q3 or 2026-07) or both from and to "
                               "dates", missing)
        start, end = _day(first, "from"), _day(last, "to")
        if end < start:
            raise InvalidValue("to must not be before from", "to")
        return Period(f"{start.isoformat()}..{end.isoformat()}", start, end)
    text = period.strip()
    if match := YEAR.match(text):
        year = _year(match[1], "period")
        return Period(text, date(year, 1, 1), date(year, 12, 31))
    if match := QUARTER.match(text):
        year, quarter = _year(match[1], "period"), int(match[2])
        return Period(text, date(year, 3 * quarter - 2, 1), _month_end(year, 3 * quarter))
    if match := MONTH.match(text):
        year, month = _year(match[1], "period"), int(match[2])
        return Period(text, date(year, month, 1), _month_end(year, month))
    raise InvalidValue(f"period must be a year (2026), a quarter (2026-Q3) or a month "
                       f"(2026-07); got {period!r}", "period")


def parse_moment(text: str, field: str = "as_of") -> datetime:
    """An RFC 3339 date-time with its offset, as aware UTC. Raises InvalidValue."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidValue(f"{field} must be an RFC 3339 date-time such as "
                           f"2026-10-01T09:00:00-04:00; got {text!r}", field) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidValue(f"{field} must include a time zone offset", field)
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class ReportRequest:
    period: Period
    department: str | None
    as_of: datetime  # aware; events recorded after it are not part of the report


# -- the report ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcomes:
    applied: int
    met: int
    met_late: int
    breached: int
    open: int
    share_met: Decimal | None  # percent of decided targets met on time


@dataclass(frozen=True)
class StandardRow:
    code: str
    title: str
    in_force: bool  # in the version of the standards in force at as_of
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
    share_met: Decimal | None


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
class ChannelRow:
    channel: str
    cases: int
    share: Decimal | None  # percent of the period's cases


@dataclass(frozen=True)
class DepartmentRow:
    code: str
    name: str
    cases: int
    breaches: int  # targets breached, met late or not
    transferred_cases: int  # cases transferred at least once
    effort_minutes: int
    effort_hours: Decimal
    hourly_rate: Decimal
    effort_cost: Decimal


@dataclass(frozen=True)
class EscalationStep:
    from_level: str
    to_level: str
    on: date  # Toronto date


@dataclass(frozen=True)
class Debrief:
    cause: str
    actions: str
    edi_findings: str
    accessibility_findings: str
    on: date


@dataclass(frozen=True)
class ComplaintRow:
    reference: str
    department: str
    channel: str
    received_on: date
    status: str
    level_reached: str
    escalations: list[EscalationStep]
    debrief: Debrief | None


@dataclass(frozen=True)
class LevelRow:
    level: str
    complaints: int  # complaints that reached at least this rung


@dataclass(frozen=True)
class Transfers:
    transfers: int
    warm: int
    cold: int
    warm_share: Decimal | None
    cases_transferred: int
    per_case: Decimal | None


@dataclass(frozen=True)
class FirstContact:
    resolved: int
    at_first_contact: int
    rate: Decimal | None


@dataclass(frozen=True)
class Satisfaction:
    csat_responses: int
    csat_average: Decimal | None  # 1-5
    nps_responses: int
    promoters: int
    passives: int
    detractors: int
    nps: Decimal | None  # -100 to 100
    ces_responses: int
    ces_average: Decimal | None  # 1-7


@dataclass(frozen=True)
class Effort:
    interactions: int
    minutes: int
    hours: Decimal
    cost: Decimal  # dollars


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
    standards_version: int | None
    cases: int
    standards: list[StandardRow]
    standards_by_channel: list[StandardChannelRow]
    standards_by_month: list[StandardMonthRow]
    breaches: list[BreachRow]
    channels: list[ChannelRow]
    departments: list[DepartmentRow]
    complaints: list[ComplaintRow]
    complaint_levels: list[LevelRow]
    transfers: Transfers
    first_contact: FirstContact
    satisfaction: Satisfaction
    effort: Effort
    chain: Chain


# -- arithmetic ----------------------------------------------------------------------------------

def percent(part: int, whole: int) -> Decimal | None:
    if whole == 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(TENTH, ROUND_HALF_UP)


def average(values: list[int]) -> Decimal | None:
    if not values:
        return None
    return (Decimal(sum(values)) / Decimal(len(values))).quantize(CENT, ROUND_HALF_UP)


def hours(seconds: int) -> Decimal:
    return (Decimal(seconds) / 3600).quantize(CENT, ROUND_HALF_UP)


def dollars(cents: Decimal) -> Decimal:
    return (cents.quantize(ONE, ROUND_HALF_UP) / 100).quantize(CENT)


def outcomes(counts: Counter[str]) -> Outcomes:
    decided = counts["met"] + counts["met_late"] + counts["breached"]
    return Outcomes(applied=sum(counts[o] for o in OUTCOMES), met=counts["met"],
                    met_late=counts["met_late"], breached=counts["breached"],
                    open=counts["open"], share_met=percent(counts["met"], decided))


def local_day(moment: datetime) -> date:
    return moment.astimezone(TOWN_TIME).date()


# -- replaying the log ---------------------------------------------------------------------------

@dataclass
class _Followed:
    """A case of the period as replayed, with the facts its aggregate does not keep."""

    case: Case
    waits: dict[str, int] = field(default_factory=dict)  # target name: measured seconds


@dataclass(frozen=True)
class _Judged:
    followed: _Followed
    target: Target
    outcome: str
    seconds_late: int


class ReportBuilder:
    """Feeds on (position, domain event) in log order; `finish` gives the report."""

    def __init__(self, request: ReportRequest) -> None:
        self.request = request
        self.as_of = request.as_of.astimezone(UTC)
        self.head = 0
        self.cases: dict[UUID, _Followed] = {}
        self.catalogue: dict[UUID, Aggregate] = {}
        self.cut: set[UUID] = set()

    def add(self, position: int, event: Any) -> None:
        if event.timestamp > self.as_of or event.originator_id in self.cut:
            # Recorded after as_of: not part of the record the report speaks for. An
            # aggregate's history stops there, should a clock ever step back after it.
            self.cut.add(event.originator_id)
            return
        self.head = max(self.head, position)
        kind = type(event).__qualname__
        if kind == "Case.Received":
            if self.request.period.first_day <= local_day(event.occurred_at) <= \
                    self.request.period.last_day:
                self.cases[event.originator_id] = _Followed(event.mutate(None))
        elif isinstance(event, Case.Event):
            self._follow(kind, event)
        elif isinstance(event, Department.Event | ServiceStandards.Event | CalendarBook.Event
                        | Desk.Event):
            aggregate = event.mutate(self.catalogue.get(event.originator_id))
            assert isinstance(aggregate, Aggregate)
            self.catalogue[event.originator_id] = aggregate

    def _follow(self, kind: str, event: Any) -> None:
        followed = self.cases.get(event.originator_id)
        if followed is None:
            return  # a case received outside the period
        if kind == "Case.WaitMeasured":
            followed.waits[event.target["name"]] = event.wait_seconds
        event.mutate(followed.case)

    def finish(self, link_at: Callable[[int], str]) -> AccountabilityReport:
        return _Report(self, link_at).build()


def build_report(request: ReportRequest, events: Iterable[tuple[int, Any]],
                 link_at: Callable[[int], str]) -> AccountabilityReport:
    """The report for `request` from the log's (position, event) pairs, in position order.

    `link_at(position)` gives the hex chain link stored at a position (or the genesis link for
    position 0, an empty log).
    """
    builder = ReportBuilder(request)
    for position, event in events:
        builder.add(position, event)
    return builder.finish(link_at)


class _Report:
    """The figures, from the replayed aggregates."""

    def __init__(self, builder: ReportBuilder, link_at: Callable[[int], str]) -> None:
        self.request, self.as_of = builder.request, builder.as_of
        self.head, self.link_at = builder.head, link_at
        catalogue = builder.catalogue.values()
        self.departments = {d.code: d for d in catalogue if isinstance(d, Department)}
        standards = [s for s in catalogue if isinstance(s, ServiceStandards)]
        self.standards = standards[0] if standards else None
        books = [b for b in catalogue if isinstance(b, CalendarBook)]
        # Each target is judged on the hours of its own desk, as known at as_of.
        self.calendars = DeskCalendars.of_desks(
            (d for d in catalogue if isinstance(d, Desk)),
            books[0].closures if books else ()).as_known_at(self.as_of)
        wanted = self.request.department
        self.followed = sorted((f for f in builder.cases.values()
                                if wanted is None or f.case.department == wanted),
                               key=lambda f: f.case.reference)
        self.judged = [self._judge(f, t) for f in self.followed
                       for t in sorted(f.case.targets.values(), key=lambda t: t.standard_code)]

    def _judge(self, followed: _Followed, target: Target) -> _Judged:
        seen = status(target, self.as_of, self.calendars.of(target.desk))
        outcome, late = STATE_OUTCOME[seen.state], 0
        if outcome in {"met_late", "breached"}:
            measured = followed.waits.get(target.name) if target.name in WAIT_TARGETS else None
            late = measured - target.seconds if measured is not None else -seen.remaining_seconds
        return _Judged(followed, target, outcome, max(0, late))

    def build(self) -> AccountabilityReport:
        wanted = self.request.department
        name = self.departments[wanted].name if wanted in self.departments else None
        return AccountabilityReport(
            town="Town of Cobourg", period=self.request.period, department=wanted,
            department_name=name, as_of=self.as_of,
            standards_version=self.standards.current_version if self.standards else None,
            cases=len(self.followed), standards=self._standards(),
            standards_by_channel=self._by_channel(), standards_by_month=self._by_month(),
            breaches=self._breaches(), channels=self._channels(),
            departments=self._departments(), complaints=self._complaints(),
            complaint_levels=self._levels(), transfers=self._transfers(),
            first_contact=self._first_contact(), satisfaction=self._satisfaction(),
            effort=self._effort(), chain=Chain(self.head, self.link_at(self.head)))

    # -- standards -------------------------------------------------------------------------------

    def _standards(self) -> list[StandardRow]:
        in_force = self.standards.in_force() if self.standards else ()
        titles = {s.code: s.title for s in in_force}
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for judged in self.judged:
            counts[judged.target.standard_code][judged.outcome] += 1
            titles.setdefault(judged.target.standard_code, judged.target.title)
        current = {s.code for s in in_force}
        return [StandardRow(code, titles[code], code in current, outcomes(counts[code]))
                for code in sorted(titles)]

    def _by_channel(self) -> list[StandardChannelRow]:
        counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        for judged in self.judged:
            key = (judged.target.standard_code, judged.followed.case.channel)
            counts[key][judged.outcome] += 1
        return [StandardChannelRow(code, channel, outcomes(counts[(code, channel)]))
                for code, channel in sorted(counts)]

    def _by_month(self) -> list[StandardMonthRow]:
        counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        for judged in self.judged:
            month = f"{local_day(judged.followed.case.received_at):%Y-%m}"
            counts[(judged.target.standard_code, month)][judged.outcome] += 1
        codes = sorted({code for code, _ in counts})
        rows = []
        for code in codes:
            for month in self.request.period.months():
                c = counts.get((code, month), Counter())
                decided = c["met"] + c["met_late"] + c["breached"]
                rows.append(StandardMonthRow(code, month, decided, c["met"],
                                             percent(c["met"], decided)))
        return rows

    def _breaches(self) -> list[BreachRow]:
        return [BreachRow(
            reference=j.followed.case.reference, department=j.followed.case.department,
            channel=j.followed.case.channel, standard_code=j.target.standard_code,
            target=j.target.name, state=j.outcome, due_at=j.target.due_at.astimezone(UTC),
            met_at=j.target.met_at.astimezone(UTC) if j.target.met_at else None,
            basis=j.target.basis, seconds_late=j.seconds_late, hours_late=hours(j.seconds_late))
            for j in self.judged if j.outcome in {"met_late", "breached"}]

    # -- volumes, departments, effort ------------------------------------------------------------

    def _channels(self) -> list[ChannelRow]:
        counts = Counter(f.case.channel for f in self.followed)
        return [ChannelRow(c.value, counts[c.value], percent(counts[c.value], len(self.followed)))
                for c in Channel]

    def _rate_cents(self, department: str) -> int:
        known = self.departments.get(department)
        return known.hourly_rate_cents if known else 0

    def _departments(self) -> list[DepartmentRow]:
        wanted = self.request.department
        codes = [wanted] if wanted else sorted(
            set(self.departments) | {f.case.department for f in self.followed})
        breaches = Counter(j.followed.case.department for j in self.judged
                           if j.outcome in {"met_late", "breached"})
        rows = []
        for code in codes:
            mine = [f.case for f in self.followed if f.case.department == code]
            minutes = sum(c.effort_minutes for c in mine)
            rate = self._rate_cents(code)
            known = self.departments.get(code)
            rows.append(DepartmentRow(
                code=code, name=known.name if known else code, cases=len(mine),
                breaches=breaches[code], transferred_cases=sum(1 for c in mine if c.transfers),
                effort_minutes=minutes, effort_hours=hours(minutes * 60),
                hourly_rate=dollars(Decimal(rate)),
                effort_cost=dollars(Decimal(minutes * rate) / 60)))
        return rows

    def _effort(self) -> Effort:
        cases = [f.case for f in self.followed]
        minutes = sum(c.effort_minutes for c in cases)
        cent_minutes = sum(c.effort_minutes * self._rate_cents(c.department) for c in cases)
        return Effort(interactions=sum(c.interactions for c in cases), minutes=minutes,
                      hours=hours(minutes * 60), cost=dollars(Decimal(cent_minutes) / 60))

    # -- complaints, transfers, first contact, satisfaction --------------------------------------

    def _complaints(self) -> list[ComplaintRow]:
        rows = []
        for case in (f.case for f in self.followed):
            if case.classification != Classification.COMPLAINT.value:
                continue
            debrief = case.debrief
            rows.append(ComplaintRow(
                reference=case.reference, department=case.department, channel=case.channel,
                received_on=local_day(case.received_at), status=case.status,
                level_reached=case.escalation_level or EscalationLevel.FRONT_LINE.value,
                escalations=[EscalationStep(e["from"], e["to"], local_day(e["at"]))
                             for e in case.escalations],
                debrief=None if debrief is None else Debrief(
                    cause=debrief["cause"], actions=debrief["actions"],
                    edi_findings=debrief["edi_findings"],
                    accessibility_findings=debrief["accessibility_findings"],
                    on=local_day(debrief["at"]))))
        return rows

    def _levels(self) -> list[LevelRow]:
        rungs = [EscalationLevel(f.case.escalation_level or EscalationLevel.FRONT_LINE).rung
                 for f in self.followed
                 if f.case.classification == Classification.COMPLAINT.value]
        return [LevelRow(level.value, sum(1 for r in rungs if r >= level.rung))
                for level in EscalationLevel]

    def _transfers(self) -> Transfers:
        moves = [t for f in self.followed for t in f.case.transfers]
        warm = sum(1 for t in moves if t["warm"])
        cases = len(self.followed)
        return Transfers(
            transfers=len(moves), warm=warm, cold=len(moves) - warm,
            warm_share=percent(warm, len(moves)),
            cases_transferred=sum(1 for f in self.followed if f.case.transfers),
            per_case=(Decimal(len(moves)) / cases).quantize(CENT, ROUND_HALF_UP)
            if cases else None)

    def _first_contact(self) -> FirstContact:
        resolved = [f.case for f in self.followed
                    if f.case.status in {Status.RESOLVED.value, Status.CLOSED.value}]
        first = sum(1 for c in resolved if c.resolved_at_first_contact)
        return FirstContact(resolved=len(resolved), at_first_contact=first,
                            rate=percent(first, len(resolved)))

    def _satisfaction(self) -> Satisfaction:
        answers = [s for f in self.followed for s in f.case.surveys]
        csat = [s["csat"] for s in answers if s["csat"] is not None]
        nps = [s["nps"] for s in answers if s["nps"] is not None]
        ces = [s["ces"] for s in answers if s["ces"] is not None]
        promoters = sum(1 for n in nps if n >= 9)
        detractors = sum(1 for n in nps if n <= 6)
        return Satisfaction(
            csat_responses=len(csat), csat_average=average(csat), nps_responses=len(nps),
            promoters=promoters, passives=len(nps) - promoters - detractors,
            detractors=detractors, nps=percent(promoters - detractors, len(nps)),
            ces_responses=len(ces), ces_average=average(ces))
