"""SLA targets on a case: planned from the standards, met by events, paused, breached, judged.

Due times are computed, never guessed: a target's due time is its start plus its duration plus
the time it spent paused, all in its basis (business time on the calendar, or clock time).
Because business time is additive, pausing from p to r moves the due time by exactly the
business time between p and r.

A target's state (pending, at risk, met, met late, breached) is one rule, `state_at`, over
instants the domain fixes when it plans, re-plans, pauses, meets or misses the target: its due
time, the instant from which it is at risk (`at_risk_from`, computed here on the desk's
calendar), when its clock stopped, when it was met and when it was recorded missed. So judging
a state needs no calendar: read models store these instants and compare them with "now"
(`projections.target_rows.state_condition` is that rule's SQL; a test holds it to `state_at`).

Once a target is settled (met, on time or late; recorded missed; a wait nobody recorded) its
state no longer depends on "now": `settled_state` says which, and read models store that
verdict when the target settles, so met versus met late is decided here once, never by
comparing stored times in SQL. Only an unsettled target's state (pending, at risk, breached
because its due time has passed) is judged against "now", from the instants stored.
What waiting on the customer pauses (`pauses`) and what a fact meets (`meets`) are rules
here too, which the aggregate and the read models both apply.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from domain.calendar import BusinessCalendar, add_calendar_time
from domain.standards import ServiceStandard, TargetKind, TimeBasis


class TargetState(StrEnum):
    PENDING = "pending"
    AT_RISK = "at_risk"
    MET = "met"
    BREACHED = "breached"
    MET_LATE = "met_late"
    # A wait-time promise on a contact whose wait nobody recorded: neither kept nor broken,
    # and counted as such rather than left out.
    NOT_MEASURED = "not_measured"

    @property
    def outcome(self) -> str:
        """What the published figures count: met, met_late, breached, or open (pending and
        at risk alike: not yet decided)."""
        return "open" if self in (TargetState.PENDING, TargetState.AT_RISK) else self.value


# What meets a target: a case event's name and the kinds of target it meets.
MET_BY: dict[str, frozenset[TargetKind]] = {
    "Acknowledged": frozenset({TargetKind.ACKNOWLEDGE}),
    "InterimResponseSent": frozenset({TargetKind.ACKNOWLEDGE, TargetKind.INTERIM_RESPONSE}),
    "OutboundContact": frozenset({TargetKind.ACKNOWLEDGE}),
    "Resolved": frozenset({TargetKind.ACKNOWLEDGE, TargetKind.INTERIM_RESPONSE,
                           TargetKind.RESPOND, TargetKind.RESOLVE}),
}


@dataclass(frozen=True)
class Target:
    name: str
    standard_code: str
    standard_version: int
    title: str
    started_at: datetime
    due_at: datetime
    seconds: int
    basis: str
    pausable: bool
    at_risk_share: float
    paused_seconds: int = 0
    paused_at: datetime | None = None
    met_at: datetime | None = None
    breached_at: datetime | None = None
    # The desk whose opening hours its business time runs on; None (targets set before desks
    # had hours) is the central desk.
    desk: str | None = None
    # From just after this instant less than `at_risk_share` of its time is left (`at_risk_from`
    # below). None only in targets recorded before it was kept: `from_data` fills it in.
    at_risk_from: datetime | None = None
    # A wait-time promise whose wait was not recorded (yet): judged `not_measured`, never
    # watched by the scheduler; a wait recorded later replaces it.
    not_measured: bool = False

    @property
    def is_open(self) -> bool:
        """Still to be met: the scheduler watches it unless it is paused."""
        return self.met_at is None and not self.not_measured

    @property
    def verdict(self) -> str | None:
        """`settled_state`'s value (met, met_late, breached, not_measured), or None while
        open: what read models store when the target settles."""
        settled = settled_state(self)
        return None if settled is None else settled.value

    @property
    def watched_due_at(self) -> datetime | None:
        """The due time the scheduler should fire at, or None if there is nothing to fire."""
        if (self.met_at is not None or self.breached_at is not None or self.paused_at
                or self.not_measured):
            return None
        return self.due_at

    def as_data(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Target:
        target = cls(**data)
        if target.at_risk_from is None:
            # Recorded before the instant was kept, and the calendar it was planned on is not
            # at hand: its share of wall-clock time before the due time, a close approximation
            # for the rare case still open from then (the next re-plan computes it exactly).
            target = replace(target, at_risk_from=target.due_at - timedelta(
                seconds=target.at_risk_share * target.seconds))
        return target


def _shift(basis: str, calendar: BusinessCalendar, start: datetime, seconds: int) -> datetime:
    duration = timedelta(seconds=seconds)
    if basis == TimeBasis.CALENDAR.value:
        return add_calendar_time(start, duration)
    return calendar.add(start, duration)


def _measure(basis: str, calendar: BusinessCalendar, start: datetime, end: datetime) -> int:
    if end <= start:
        return 0
    if basis == TimeBasis.CALENDAR.value:
        return round((end - start).total_seconds())
    return round(calendar.elapsed(start, end).total_seconds())


def at_risk_instant(basis: str, calendar: BusinessCalendar, start: datetime, seconds: int,
                 paused_seconds: int, share: float) -> datetime:
    """The last instant at which a target started at `start` (of `seconds`, paused for
    `paused_seconds`) still has at least `share * seconds` of its time left: it is at risk
    after it. That is where `seconds + paused_seconds - share * seconds` has passed; in
    business time, if that lands on a closing time, the next opening (no time passes between)."""
    lead = timedelta(seconds=max(0.0, seconds + paused_seconds - share * seconds))
    if basis == TimeBasis.CALENDAR.value:
        return add_calendar_time(start, lead)
    return calendar.next_opening(calendar.add(start, lead))


def _timed(target: Target, calendar: BusinessCalendar) -> Target:
    """`target` with its due time and at-risk instant computed from its start, duration and
    time paused, on `calendar`."""
    total = target.seconds + target.paused_seconds
    return replace(
        target, due_at=_shift(target.basis, calendar, target.started_at, total),
        at_risk_from=at_risk_instant(target.basis, calendar, target.started_at, target.seconds,
                                  target.paused_seconds, target.at_risk_share))


def target_for(standard: ServiceStandard, version: int, start: datetime,
               calendar: BusinessCalendar, paused_seconds: int = 0,
               desk: str | None = None) -> Target:
    start = start.astimezone(UTC)
    return _timed(Target(
        name=standard.target.value, standard_code=standard.code, standard_version=version,
        title=standard.title, started_at=start, due_at=start, seconds=standard.seconds,
        basis=standard.basis.value, pausable=standard.pausable,
        at_risk_share=standard.at_risk_share, paused_seconds=paused_seconds, desk=desk),
        calendar)


def plan(standards: Iterable[ServiceStandard], version: int, *, channel: str, department: str,
         service_code: str | None, is_complaint: bool, start: datetime,
         calendar: BusinessCalendar, desk: str | None = None) -> dict[str, Target]:
    """One target per kind that applies, on `calendar`, the hours of `desk`. Where several
    standards promise the same thing, the soonest due wins: the corporate standards are a floor
    departments may only improve on. A wait-time promise is planned not measured: the wait,
    once recorded, decides it (`measured_wait`)."""
    planned: dict[str, Target] = {}
    for standard in standards:
        if not standard.applies_to(channel=channel, department=department,
                                   service_code=service_code, is_complaint=is_complaint):
            continue
        if standard.target.is_wait:
            candidate = unmeasured_wait(standard, version, start, desk=desk)
        else:
            candidate = target_for(standard, version, start, calendar, desk=desk)
        current = planned.get(candidate.name)
        if current is None or (candidate.due_at, candidate.standard_code) < (
                current.due_at, current.standard_code):
            planned[candidate.name] = candidate
    return planned


def replan(current: dict[str, Target], fresh: dict[str, Target],
           calendar: BusinessCalendar) -> dict[str, Target]:
    """After a transfer or reclassification: decided targets stay as they were; open ones follow
    the standards that now apply, keeping the time they already spent paused."""
    result = {name: t for name, t in current.items() if not t.is_open or t.breached_at}
    for name, target in fresh.items():
        if name in result:
            continue
        previous = current.get(name)
        if previous is not None and previous.paused_seconds:
            target = _timed(replace(target, paused_seconds=previous.paused_seconds), calendar)
        if previous is not None and previous.paused_at is not None:
            target = replace(target, paused_at=previous.paused_at)
        result[name] = target
    return result


def measured_wait(standard: ServiceStandard, version: int, arrived_at: datetime,
                  wait_seconds: int, desk: str | None = None) -> Target:
    """A wait-time promise is decided the moment the wait is recorded. A wait is real elapsed
    time from arrival, open or not, and the customer was answered (or served) when it ended:
    the target is met then, on time within the standard, late beyond it. No deadline was
    recorded missed (no scheduler watched it), so it is never breached-and-never-met."""
    start = arrived_at.astimezone(UTC)
    return Target(
        name=standard.target.value, standard_code=standard.code, standard_version=version,
        title=standard.title, started_at=start, due_at=start + timedelta(seconds=standard.seconds),
        seconds=standard.seconds, basis=TimeBasis.CALENDAR.value, pausable=False,
        at_risk_share=standard.at_risk_share, met_at=start + timedelta(seconds=wait_seconds),
        desk=desk,
        at_risk_from=start + timedelta(seconds=standard.seconds * (1 - standard.at_risk_share)))


def wait_as_measured(target: dict[str, Any], wait_seconds: int) -> None:
    """A wait target recorded before waits were met late (WaitMeasured version 1), in place:
    one longer than its standard was recorded breached and never met; it was met when the wait
    ended, late."""
    if target.get("met_at") is None:
        target["met_at"] = target["started_at"] + timedelta(seconds=wait_seconds)
        target["breached_at"] = None
        target["basis"] = TimeBasis.CALENDAR.value


def unmeasured_wait(standard: ServiceStandard, version: int, arrived_at: datetime,
                    desk: str | None = None) -> Target:
    """A wait-time promise on a contact whose wait is not recorded: never at risk, never due
    for the scheduler."""
    start = arrived_at.astimezone(UTC)
    return Target(
        name=standard.target.value, standard_code=standard.code, standard_version=version,
        title=standard.title, started_at=start, due_at=start + timedelta(seconds=standard.seconds),
        seconds=standard.seconds, basis=TimeBasis.CALENDAR.value, pausable=False,
        at_risk_share=standard.at_risk_share, desk=desk, not_measured=True,
        at_risk_from=start + timedelta(seconds=standard.seconds * (1 - standard.at_risk_share)))


def timed_on(target: Target, calendar: BusinessCalendar) -> Target:
    """`target` re-planned on `calendar`: its due time and at-risk instant computed afresh."""
    return _timed(target, calendar)


class PausableTimes(Protocol):
    """What decides whether waiting on the customer pauses a target (a `Target`, or a row)."""

    @property
    def pausable(self) -> bool: ...
    @property
    def due_at(self) -> datetime: ...
    @property
    def paused_at(self) -> datetime | None: ...
    @property
    def met_at(self) -> datetime | None: ...
    @property
    def breached_at(self) -> datetime | None: ...
    @property
    def not_measured(self) -> bool: ...


def pauses(target: PausableTimes, at: datetime) -> bool:
    """Whether the case waiting on the customer from `at` pauses `target`: only a pausable,
    open target, not recorded missed, not already paused and not yet overdue (an overdue
    target's time has run out: its breach stands)."""
    return (target.pausable and target.met_at is None and not target.not_measured
            and target.breached_at is None and target.paused_at is None
            and at <= target.due_at)


def pause(target: Target, at: datetime) -> Target:
    return replace(target, paused_at=at) if pauses(target, at) else target


def meets(fact: str, name: str, met_at: datetime | None) -> bool:
    """Whether the fact `fact` (a name in MET_BY) meets the target named `name`, met at
    `met_at` so far: the first fact of a kind that meets it does; later ones change nothing."""
    return met_at is None and name in {kind.value for kind in MET_BY[fact]}


def resume(target: Target, at: datetime, calendar: BusinessCalendar) -> Target:
    if target.paused_at is None or target.met_at is not None:
        return target
    paused = target.paused_seconds + _measure(target.basis, calendar, target.paused_at, at)
    return _timed(replace(target, paused_at=None, paused_seconds=paused), calendar)


class TargetTimes(Protocol):
    """The instants a target's state is judged from (a `Target`, or a read model's row)."""

    @property
    def due_at(self) -> datetime: ...
    @property
    def at_risk_from(self) -> datetime | None: ...
    @property
    def paused_at(self) -> datetime | None: ...
    @property
    def met_at(self) -> datetime | None: ...
    @property
    def breached_at(self) -> datetime | None: ...
    @property
    def not_measured(self) -> bool: ...


def clock_stop(target: TargetTimes, now: datetime) -> datetime:
    """Where the target is judged: where its clock stopped (paused, or met), else `now`."""
    return target.paused_at or target.met_at or now


def settled_state(target: TargetTimes) -> TargetState | None:
    """The state a settled target keeps whatever the time (`met`, `met_late`, `breached` when
    recorded missed and not met, `not_measured`), or None while it is open (its state then
    depends on "now": `state_at`). Read models store it when a target settles.

    A met target is judged by where its clock stopped (paused, else when it was met): a fact
    entered after the scheduler recorded the deadline missed, that happened before it, met the
    target on time (the recorded miss stays in the log, and the late entry with it:
    `overturns_recorded_miss`). A wait nobody recorded is not measured, whenever."""
    if target.not_measured:
        return TargetState.NOT_MEASURED
    if target.met_at is not None:
        late = clock_stop(target, target.met_at) > target.due_at
        return TargetState.MET_LATE if late else TargetState.MET
    if target.breached_at is not None:
        return TargetState.BREACHED
    return None


def state_at(target: TargetTimes, now: datetime) -> TargetState:
    """THE target-state rule: the state at `now`, from the target's stored instants alone.

    A settled target is in its `settled_state`. An open one is judged on the wall clock:
    after Friday 16:30 no business time passes, yet a target due then is overdue (breached)
    at 16:31. At risk is judged the same way, after `at_risk_from` (None: not tracked, so
    never at risk)."""
    settled = settled_state(target)
    if settled is not None:
        return settled
    until = clock_stop(target, now)
    if until > target.due_at:
        return TargetState.BREACHED
    if target.at_risk_from is not None and until > target.at_risk_from:
        return TargetState.AT_RISK
    return TargetState.PENDING


def overturns_recorded_miss(target: Target, fact: str, at: datetime) -> bool:
    """Whether the fact `fact` (a name in MET_BY), happening at `at`, meets `target` on time
    although the scheduler already recorded its deadline missed: a fact entered late."""
    return (target.name in {kind.value for kind in MET_BY[fact]} and target.met_at is None
            and target.breached_at is not None and at <= target.due_at)


@dataclass(frozen=True)
class TargetStatus:
    name: str
    title: str
    state: TargetState
    due_at: datetime
    met_at: datetime | None
    breached_at: datetime | None
    remaining_seconds: int
    paused: bool
    standard_code: str
    standard_version: int
    desk: str | None = None


def status(target: Target, now: datetime, calendar: BusinessCalendar) -> TargetStatus:
    """The target as staff see it at `now` (its state by `state_at`); remaining time, on its
    desk's `calendar`, is negative once overdue."""
    until = clock_stop(target, now)
    if target.not_measured:
        remaining = 0  # no clock runs on a wait nobody recorded
    elif until > target.due_at:
        remaining = -_measure(target.basis, calendar, target.due_at, until)
    else:
        remaining = _measure(target.basis, calendar, until, target.due_at)
    state = state_at(target, now)
    return TargetStatus(
        name=target.name, title=target.title, state=state, due_at=target.due_at,
        met_at=target.met_at, breached_at=target.breached_at, remaining_seconds=remaining,
        paused=target.paused_at is not None and target.met_at is None,
        standard_code=target.standard_code, standard_version=target.standard_version,
        desk=target.desk)
