"""Routing rules as data: an administrator's ordered, versioned rules that say where a new or
reclassified case goes (department, assignee or the department's team, priority), and the pure
function that picks the first rule a case matches."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, time
from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5
from zoneinfo import ZoneInfo

from eventsourcing.domain import Aggregate, event

from domain.actors import Actor
from domain.calendar import BusinessCalendar
from domain.errors import InvalidValue
from domain.values import Channel, Classification, parse_enum

ROUTING_NAMESPACE = uuid5(NAMESPACE_URL, "https://civicdesk.example/routing")
MAX_RULES = 200
UNCLASSIFIED = "unclassified"  # a classification condition for a case not yet classified


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


# The order a queue sorted by priority shows cases in: urgent first; a case no rule gave a
# priority counts as normal (it is the ordinary case, not a lesser one).
PRIORITY_ORDER = (Priority.URGENT, Priority.HIGH, Priority.NORMAL, Priority.LOW)


def priority_rank(priority: str | None) -> int:
    """A case's place in a queue sorted by priority (0 first): see `PRIORITY_ORDER`."""
    return PRIORITY_ORDER.index(Priority(priority or Priority.NORMAL))


class OpenHours(StrEnum):
    """Whether the case arrived while its desk was open, on the desk's business calendar."""

    OPEN = "open"
    CLOSED = "closed"


def _check_code(value: str, where: str) -> None:
    if not value or len(value) > 64 or not all(c.isalnum() or c in "-_" for c in value):
        raise InvalidValue("must be 1-64 letters, digits, '-' or '_'", where)


@dataclass(frozen=True)
class Conditions:
    """What a case must be for a rule to match: every condition given holds (a list: any of
    its values). None of them given matches every case (a catch-all last rule)."""

    services: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    desks: tuple[str, ...] = ()
    # Any of these words or phrases in the subject or description, ignoring case.
    keywords: tuple[str, ...] = ()
    classifications: tuple[str, ...] = ()  # complaint, feedback, or "unclassified"
    hours: str | None = None  # "open" / "closed": on the desk's business calendar
    # A window of the desk's local wall-clock time, from inclusive to until exclusive; it may
    # wrap past midnight (22:00 to 06:00).
    local_from: time | None = None
    local_until: time | None = None

    def check(self, where: str) -> None:
        for value in self.services:
            _check_code(value, f"{where}.services")
        for value in self.desks:
            _check_code(value, f"{where}.desks")
        for value in self.channels:
            parse_enum(Channel, value, f"{where}.channels")
        for value in self.classifications:
            if value != UNCLASSIFIED:
                parse_enum(Classification, value, f"{where}.classifications")
        for value in self.keywords:
            if not value.strip():
                raise InvalidValue("a keyword must not be blank", f"{where}.keywords")
        if self.hours is not None:
            parse_enum(OpenHours, self.hours, f"{where}.hours")
        if (self.local_from is None) != (self.local_until is None):
            missing = "local_until" if self.local_until is None else "local_from"
            raise InvalidValue("a time-of-day window needs both local_from and local_until",
                               f"{where}.{missing}")
        if self.local_from is not None and self.local_from == self.local_until:
            raise InvalidValue("local_until must differ from local_from",
                               f"{where}.local_until")

    def holds_for(self, facts: CaseFacts) -> bool:
        if self.services and facts.service_code not in self.services:
            return False
        if self.channels and facts.channel not in self.channels:
            return False
        if self.desks and facts.desk not in self.desks:
            return False
        if self.classifications and (facts.classification or UNCLASSIFIED) \
                not in self.classifications:
            return False
        if self.keywords:
            text = f"{facts.subject}\n{facts.description}".casefold()
            if not any(word.strip().casefold() in text for word in self.keywords):
                return False
        if self.hours is not None and \
                facts.calendar.is_open(facts.received_at) != (self.hours == OpenHours.OPEN):
            return False
        if self.local_from is not None and self.local_until is not None:
            return in_window(facts.local_time, self.local_from, self.local_until)
        return True


def in_window(moment: time, start: time, end: time) -> bool:
    """Whether a wall-clock time is in [start, end), a window that may wrap past midnight."""
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


@dataclass(frozen=True)
class Actions:
    """What a matching rule decides. `team`: assign within the department's team (the member
    with the least open work, skipping anyone away), where `assignee` names one person."""

    department: str | None = None
    assignee: str | None = None
    team: bool = False
    priority: str | None = None

    def check(self, where: str) -> None:
        if self.department is not None:
            _check_code(self.department, f"{where}.department")
        if self.assignee is not None and not self.assignee.strip():
            raise InvalidValue("assignee must not be blank", f"{where}.assignee")
        if self.assignee is not None and self.team:
            raise InvalidValue("name an assignee or assign within the team, not both",
                               f"{where}.team")
        if self.priority is not None:
            parse_enum(Priority, self.priority, f"{where}.priority")
        if self.department is None and self.assignee is None and not self.team \
                and self.priority is None:
            raise InvalidValue("a rule must decide something: department, assignee, team or "
                               "priority", where)


@dataclass(frozen=True)
class RoutingRule:
    """One rule as published: its id (the administrator's code), its version (raised each
    time its conditions or actions change), what it matches and what it decides."""

    id: str
    conditions: Conditions = field(default_factory=Conditions)
    actions: Actions = field(default_factory=Actions)
    description: str = ""
    version: int = 1

    def same_as(self, other: RoutingRule) -> bool:
        """Whether the two decide alike (the version aside)."""
        return (self.conditions, self.actions, self.description) == \
            (other.conditions, other.actions, other.description)


@dataclass(frozen=True)
class CaseFacts:
    """What the rules look at: the case as received (or reclassified), and its desk's
    business calendar, on which `received_at` is judged open or closed and local."""

    channel: str
    service_code: str | None
    desk: str | None
    subject: str
    description: str
    classification: str | None
    received_at: datetime
    calendar: BusinessCalendar

    @property
    def local_time(self) -> time:
        day = self.received_at.astimezone(ZoneInfo(self.calendar.hours.timezone)).date()
        zone = ZoneInfo(self.calendar.hours_on(day).timezone)
        return self.received_at.astimezone(zone).time().replace(tzinfo=None)


def first_match(rules: Iterable[RoutingRule], facts: CaseFacts) -> RoutingRule | None:
    """The first rule, in the published order, whose conditions the case meets."""
    return next((rule for rule in rules if rule.conditions.holds_for(facts)), None)


@dataclass(frozen=True)
class RoutingDecision:
    """What the first matching rule decided for one case, ready to record on it."""

    rule_id: str
    rule_version: int
    rules_version: int
    department: str
    assignee: str | None = None
    # How the assignee was chosen: "rule" (named by it), "least_open_work" (within the team),
    # or None (nobody: no rule assignee, or the whole team away).
    assigned_by: str | None = None
    skipped_away: tuple[str, ...] = ()
    priority: str | None = None


def least_open_work(members: Sequence[str], away: Iterable[str],
                    open_cases: Mapping[str, int]) -> tuple[str | None, tuple[str, ...]]:
    """The team member to assign (fewest open cases; a tie goes to the earlier member in the
    team's order), or None when everyone is away; and the members skipped as away."""
    absent = set(away)
    skipped = tuple(m for m in members if m in absent)
    present = [m for m in members if m not in absent]
    if not present:
        return None, skipped
    order = {member: index for index, member in enumerate(present)}
    return min(present, key=lambda m: (open_cases.get(m, 0), order[m])), skipped


def rule_data(rule: RoutingRule) -> dict[str, Any]:
    """A rule as an event stores it (times as ISO text)."""
    data = asdict(rule)
    for name in ("local_from", "local_until"):
        moment = data["conditions"][name]
        data["conditions"][name] = None if moment is None else moment.isoformat()
    for name in ("services", "channels", "desks", "keywords", "classifications"):
        data["conditions"][name] = list(data["conditions"][name])
    return data


def rule_from_data(data: Mapping[str, Any]) -> RoutingRule:
    c = dict(data["conditions"])
    for name in ("local_from", "local_until"):
        c[name] = None if c[name] is None else time.fromisoformat(c[name])
    for name in ("services", "channels", "desks", "keywords", "classifications"):
        c[name] = tuple(c[name])
    return RoutingRule(id=data["id"], conditions=Conditions(**c),
                       actions=Actions(**data["actions"]), description=data["description"],
                       version=data["version"])


class RoutingRules(Aggregate):
    """The desk's one ordered list of routing rules. Each publication replaces the list
    whole (order is part of the meaning); its version is this aggregate's version, and each
    rule keeps its own version, raised only when that rule changed."""

    @staticmethod
    def create_id() -> UUID:
        return uuid5(ROUTING_NAMESPACE, "routing-rules")

    @classmethod
    def start(cls) -> RoutingRules:
        return cls()

    @event("Started")
    def __init__(self) -> None:
        self.rules: tuple[RoutingRule, ...] = ()
        self.last_versions: dict[str, int] = {}  # every rule id ever published

    def publish(self, rules: Sequence[RoutingRule], *, reason: str, actor: Actor) -> None:
        """Replace the rules (their given versions ignored: each is numbered here). Raises
        InvalidValue naming the field at fault: `rules[2].conditions.channels`."""
        if len(rules) > MAX_RULES:
            raise InvalidValue(f"at most {MAX_RULES} rules", "rules")
        seen: set[str] = set()
        for index, rule in enumerate(rules):
            where = f"rules[{index}]"
            _check_code(rule.id, f"{where}.id")
            if rule.id in seen:
                raise InvalidValue(f"rule id {rule.id!r} is used twice", f"{where}.id")
            seen.add(rule.id)
            rule.conditions.check(f"{where}.conditions")
            rule.actions.check(f"{where}.actions")
        current = {rule.id: rule for rule in self.rules}
        numbered = []
        for rule in rules:
            before = current.get(rule.id)
            version = before.version if before is not None and before.same_as(rule) \
                else self.last_versions.get(rule.id, 0) + 1
            numbered.append(rule_data(RoutingRule(
                id=rule.id, conditions=rule.conditions, actions=rule.actions,
                description=rule.description, version=version)))
        self._published(rules=numbered, reason=reason, actor_id=actor.id,
                        actor_role=actor.role.value)

    @event("Published")
    def _published(self, rules: list[dict[str, Any]], reason: str, actor_id: str,
                   actor_role: str) -> None:
        self.rules = tuple(rule_from_data(data) for data in rules)
        for rule in self.rules:
            self.last_versions[rule.id] = rule.version
