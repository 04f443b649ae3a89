"""The scorecard read model: per-case facts from which `application.scorecards` makes the figures.

Tables (every name from `self.table(...)` inside `reading()`/`writing()`, and index names
derived from their table's name, so each generation a rebuild makes has its own):
- `scorecard_cases`: one row per case, with its owning department now, channel, purpose, the
  Toronto day it was received (`received_day`, ISO text: what periods select on), status,
  complaint facts, effort, survey sums, and the business seconds from receipt to the first
  response and to the standing resolution;
- `scorecard_targets`: each case's SLA targets as the aggregate holds them (due, paused, met,
  breached times) and, once settled, the domain's verdict (`verdict`:
  `domain.targets.settled_state`); what pauses or meets a target is the domain's rule
  (`domain.targets.pauses`, `meets`) applied to the case's rows, not a copy of it in SQL. An
  open target is judged against the scorecard's "now" when it is read;
- `scorecard_transfers`: every transfer, with the departments on both sides;
- `scorecard_departments`: each department's name and hourly rate (Registered, Revised);
- `scorecard_services`: each service's business unit (fixed when it is registered), so a
  scorecard can be read per service or per business unit (and `assignee` on each case, per
  staff member);
- `scorecard_closures`: the calendar's closures, and `scorecard_desk_hours`: each desk's
  opening hours as it opened and every change of them since, so business time is counted on
  the calendar of the desk the case was received at (the central desk's for cases recorded
  before desks were), as the log knew it when a response or resolution was recorded
  (replays agree).

Business seconds are computed here, when the event is projected, with
`BusinessCalendar.elapsed`, and stored; a write that needs the case's received time gets it
from its own UPDATE ... RETURNING. Nothing here reads a clock, so a replay gives the same rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from application.accountability import local_day
from application.scorecards import (
    SCORECARD_NAME,
    CaseFacts,
    Scope,
    ScorecardFacts,
    SurveySums,
    TargetFacts,
    TransferFacts,
)
from domain.calendar import BusinessCalendar, Closure, HoursChange, OpeningHours
from domain.cases import Case
from domain.catalogue import Department, Desk, Service, hours_data, hours_from_data
from domain.closures import CalendarBook
from domain.surveys import GivenBy
from domain.targets import Target, meets, pauses, settled_state
from domain.values import Classification, Direction, EscalationLevel, Status
from engine import PostgresView, ProjectionSpec, Sql, SQLiteView, View
from projections.case_status import status_values

NAME = SCORECARD_NAME
# Event classes are made by @event at import time; a type checker cannot see them.
Events: Any = Case
Departments: Any = Department
Services: Any = Service
Desks: Any = Desk
Calendars: Any = CalendarBook
SURVEY_SUMS = ("csat_sum", "csat_responses", "nps_responses", "nps_promoters",
               "nps_detractors", "ces_sum", "ces_responses")
# The same sums of the customers' own answers and of the answers staff typed in, apart
# (`customer_csat_sum`, `staff_csat_sum`, ...), and whether the case was given a survey link.
SOURCE_SUMS = tuple(f"{source.value}_{column}" for source in GivenBy for column in SURVEY_SUMS)
CASE_FACTS = ("id", "department", "service_code", "channel", "purpose", "status",
              "classification", "escalation_level",
              "debriefed", "first_response_seconds", "resolved_seconds", "at_first_contact",
              "interactions", "effort_minutes", *SURVEY_SUMS, "survey_link", *SOURCE_SUMS)
COUNTERS = ("debriefed", "at_first_contact", "interactions", "effort_minutes", *SURVEY_SUMS,
            "survey_link", *SOURCE_SUMS)
# What reopening undoes in a case's row (`domain.case_status`).
REOPENED = {"resolved_at": None, "resolved_seconds": None, "at_first_contact": 0}


def status_of(event: Any) -> dict[str, Any]:
    """The case's status (and what reopening undoes) after `event`: `domain.case_status`."""
    return status_values(type(event).__name__, reopened=REOPENED)


@dataclass(frozen=True)
class TargetRow:
    """A scorecard target row, as the domain's target rules read it."""

    name: str
    due_at: datetime
    pausable: bool
    paused_at: datetime | None
    met_at: datetime | None
    breached_at: datetime | None
    not_measured: bool
    at_risk_from: datetime | None = None  # not kept: the scorecard counts at risk as open


def _verdict(target: Any) -> str | None:
    settled = settled_state(target)
    return None if settled is None else settled.value


class ScorecardProjection(Projection["ScorecardView"]):
    name = NAME
    topics = ()  # every event, so the position reaches whatever a command reported

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.track(tracking)

    @process_event.register(Events.Received)
    def _received(self, event: Any, tracking: Tracking) -> None:
        self.view.add_case(tracking, event.originator_id, department=event.department,
                           channel=event.channel, purpose=event.purpose,
                           received_at=event.occurred_at, desk=event.desk,
                           service_code=event.service_code,
                           imported=event.source_system is not None)

    @process_event.register(Events.InteractionLogged)
    def _interaction(self, event: Any, tracking: Tracking) -> None:
        outbound = event.direction == Direction.OUTBOUND.value
        self.view.interaction(tracking, event.originator_id, event.effort_minutes,
                              responded_at=event.occurred_at if outbound else None)

    @process_event.register(Events.Acknowledged)
    @process_event.register(Events.InterimResponseSent)
    def _responded(self, event: Any, tracking: Tracking) -> None:
        self.view.responded(tracking, event.originator_id, event.occurred_at,
                            type(event).__name__)

    @process_event.register(Events.Resolved)
    def _resolved(self, event: Any, tracking: Tracking) -> None:
        self.view.resolved(tracking, event.originator_id, event.occurred_at,
                           event.at_first_contact)

    @process_event.register(Events.Reopened)
    def _reopened(self, event: Any, tracking: Tracking) -> None:
        self.view.update_case(tracking, event.originator_id, status_of(event))

    @process_event.register(Events.Closed)
    def _closed(self, event: Any, tracking: Tracking) -> None:
        self.view.update_case(tracking, event.originator_id, status_of(event))

    @process_event.register(Events.MergedInto)
    def _merged(self, event: Any, tracking: Tracking) -> None:
        self.view.merged(tracking, event.originator_id, status_of(event),
                         event.withdrawn_targets)

    @process_event.register(Events.WaitingOnCustomer)
    def _waiting(self, event: Any, tracking: Tracking) -> None:
        self.view.waiting(tracking, event.originator_id, event.occurred_at)

    @process_event.register(Events.CustomerResponded)
    def _customer_responded(self, event: Any, tracking: Tracking) -> None:
        self.view.update_case(tracking, event.originator_id, status_of(event))

    @process_event.register(Events.Transferred)
    def _transferred(self, event: Any, tracking: Tracking) -> None:
        self.view.transferred(tracking, event.originator_id, event.originator_version,
                              event.from_department, event.to_department, event.warm,
                              event.customer_informed)

    @process_event.register(Events.Assigned)
    def _assigned(self, event: Any, tracking: Tracking) -> None:
        self.view.update_case(tracking, event.originator_id, {"assignee": event.assignee})

    @process_event.register(Events.Classified)
    def _classified(self, event: Any, tracking: Tracking) -> None:
        complaint = event.classification == Classification.COMPLAINT.value
        self.view.update_case(tracking, event.originator_id, {
            "classification": event.classification,
            "escalation_level": EscalationLevel.FRONT_LINE.value if complaint else None})

    @process_event.register(Events.ComplaintEscalated)
    def _escalated(self, event: Any, tracking: Tracking) -> None:
        self.view.update_case(tracking, event.originator_id, {
            "escalation_level": event.to_level, **status_of(event)})

    @process_event.register(Events.ComplaintDebriefed)
    def _debriefed(self, event: Any, tracking: Tracking) -> None:
        self.view.update_case(tracking, event.originator_id, {"debriefed": 1})

    @process_event.register(Events.SurveyAnswered)
    def _surveyed(self, event: Any, tracking: Tracking) -> None:
        # One answer per case per kind counts, the latest (domain.surveys): each kind the
        # answer gives replaces the case's earlier score of that kind, the others stay.
        # The combined figure counts the latest of either source; each source's own columns
        # count that source's latest.
        csat, nps, ces = event.csat, event.nps, event.ces
        latest: dict[str, int] = {}
        if csat is not None:
            latest.update(csat_sum=csat, csat_responses=1)
        if nps is not None:
            latest.update(nps_responses=1, nps_promoters=int(nps >= 9),
                          nps_detractors=int(nps <= 6))
        if ces is not None:
            latest.update(ces_sum=ces, ces_responses=1)
        source = {f"{event.given_by}_{column}": value for column, value in latest.items()}
        self.view.update_case(tracking, event.originator_id, {**latest, **source})

    @process_event.register(Events.SurveyLinkIssued)
    def _survey_link(self, event: Any, tracking: Tracking) -> None:
        self.view.update_case(tracking, event.originator_id, {"survey_link": 1})

    @process_event.register(Events.TargetsSet)
    def _targets_set(self, event: Any, tracking: Tracking) -> None:
        self.view.put_targets(tracking, event.originator_id,
                              [Target.from_data(t) for t in event.targets], replace_all=True)

    @process_event.register(Events.TargetsRescheduled)
    def _rescheduled(self, event: Any, tracking: Tracking) -> None:
        self.view.put_targets(tracking, event.originator_id,
                              [Target.from_data(t) for t in event.targets])

    @process_event.register(Events.WaitMeasured)
    def _wait_measured(self, event: Any, tracking: Tracking) -> None:
        self.view.put_targets(tracking, event.originator_id, [Target.from_data(event.target)])

    @process_event.register(Events.DeadlineMissed)
    def _missed(self, event: Any, tracking: Tracking) -> None:
        self.view.breached(tracking, event.originator_id, event.target, event.due_at)

    @process_event.register(Departments.Registered)
    def _department(self, event: Any, tracking: Tracking) -> None:
        self.view.add_department(tracking, event.originator_id, event.code, event.name,
                                 event.hourly_rate_cents)

    @process_event.register(Services.Registered)
    def _service(self, event: Any, tracking: Tracking) -> None:
        self.view.add_service(tracking, event.code, event.department, event.business_unit)

    @process_event.register(Departments.Revised)
    def _department_revised(self, event: Any, tracking: Tracking) -> None:
        self.view.revise_department(tracking, event.originator_id, event.name,
                                    event.hourly_rate_cents)

    @process_event.register(Desks.Opened)
    def _desk_opened(self, event: Any, tracking: Tracking) -> None:
        self.view.add_desk_hours(tracking, event.originator_id, event.originator_version,
                                 hours_from_data(event.hours), central=event.central)

    @process_event.register(Desks.HoursChanged)
    def _desk_hours(self, event: Any, tracking: Tracking) -> None:
        self.view.add_desk_hours(tracking, event.originator_id, event.originator_version,
                                 hours_from_data({"opens": event.opens, "closes": event.closes,
                                                  "weekdays": event.weekdays,
                                                  "timezone": event.timezone}),
                                 effective_from=date.fromisoformat(event.effective_from),
                                 recorded_at=event.recorded_at)

    @process_event.register(Calendars.ClosureAdded)
    def _closure(self, event: Any, tracking: Tracking) -> None:
        self.view.add_closure(tracking, event.originator_version, Closure(
            day=date.fromisoformat(event.day), recorded_at=event.recorded_at,
            reason=event.reason,
            from_time=time.fromisoformat(event.from_time) if event.from_time else None,
            until_time=time.fromisoformat(event.until_time) if event.until_time else None))


class ScorecardView(View):
    """The scorecard's tables, writes and query, on either database."""

    name = NAME
    # The business calendar last built, and what it was built from (kept while those stand,
    # so the calendar's day cache stays warm).
    _calendar: tuple[tuple[Any, ...], BusinessCalendar] | None = None

    # -- names ------------------------------------------------------------------------------

    @property
    def cases_table(self) -> str:
        return self.table(f"{NAME}_cases")

    @property
    def targets_table(self) -> str:
        return self.table(f"{NAME}_targets")

    @property
    def transfers_table(self) -> str:
        return self.table(f"{NAME}_transfers")

    @property
    def departments_table(self) -> str:
        return self.table(f"{NAME}_departments")

    @property
    def services_table(self) -> str:
        return self.table(f"{NAME}_services")

    @property
    def closures_table(self) -> str:
        return self.table(f"{NAME}_closures")

    @property
    def desk_hours_table(self) -> str:
        return self.table(f"{NAME}_desk_hours")

    @staticmethod
    def index_name(table: str, suffix: str) -> str:
        """An index name derived from its table's name as SQL spells it (last part, unquoted)."""
        bare = table.rsplit(".", 1)[-1].strip('"')
        return f"{bare}_{suffix}"

    def view_statements(self) -> list[str]:
        cases, targets, transfers = self.cases_table, self.targets_table, self.transfers_table
        uuid, moment = self.uuid_type, self.time_type
        counters = ", ".join(f"{column} BIGINT NOT NULL DEFAULT 0" for column in COUNTERS)
        return [
            f"CREATE TABLE IF NOT EXISTS {cases} (id {uuid} PRIMARY KEY, "
            "department TEXT NOT NULL, channel TEXT NOT NULL, purpose TEXT NOT NULL, "
            f"received_at {moment} NOT NULL, received_day TEXT NOT NULL, status TEXT NOT NULL, "
            "desk TEXT, service_code TEXT, assignee TEXT, "
            "classification TEXT, escalation_level TEXT, "
            f"first_response_at {moment}, first_response_seconds BIGINT, "
            f"resolved_at {moment}, resolved_seconds BIGINT, {counters}, "
            "imported INTEGER NOT NULL DEFAULT 0)",
            f"CREATE INDEX IF NOT EXISTS {self.index_name(cases, 'by_department')} "
            f"ON {cases} (department, received_day)",
            f"CREATE TABLE IF NOT EXISTS {targets} (case_id {uuid} NOT NULL, "
            "name TEXT NOT NULL, standard_code TEXT NOT NULL, due_at "
            f"{moment} NOT NULL, pausable INTEGER NOT NULL, paused_at {moment}, "
            f"met_at {moment}, breached_at {moment}, "
            "not_measured INTEGER NOT NULL DEFAULT 0, verdict TEXT, "
            "PRIMARY KEY (case_id, name))",
            f"CREATE TABLE IF NOT EXISTS {transfers} (case_id {uuid} NOT NULL, "
            "version BIGINT NOT NULL, from_department TEXT NOT NULL, "
            "to_department TEXT NOT NULL, warm INTEGER NOT NULL, "
            "customer_informed INTEGER NOT NULL, PRIMARY KEY (case_id, version))",
            f"CREATE INDEX IF NOT EXISTS {self.index_name(transfers, 'from')} "
            f"ON {transfers} (from_department)",
            f"CREATE INDEX IF NOT EXISTS {self.index_name(transfers, 'to')} "
            f"ON {transfers} (to_department)",
            f"CREATE TABLE IF NOT EXISTS {self.departments_table} (id {uuid} PRIMARY KEY, "
            "code TEXT NOT NULL, name TEXT NOT NULL, hourly_rate_cents BIGINT NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {self.services_table} (code TEXT PRIMARY KEY, "
            "department TEXT NOT NULL, business_unit TEXT NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {self.closures_table} (version BIGINT PRIMARY KEY, "
            "day TEXT NOT NULL, from_time TEXT, until_time TEXT, reason TEXT NOT NULL, "
            f"recorded_at {moment} NOT NULL)",
            # A desk's hours as it opened (effective_from NULL), then each change.
            f"CREATE TABLE IF NOT EXISTS {self.desk_hours_table} (desk_id {uuid} NOT NULL, "
            "version BIGINT NOT NULL, central INTEGER NOT NULL, effective_from TEXT, "
            f"hours TEXT NOT NULL, recorded_at {moment}, PRIMARY KEY (desk_id, version))",
        ]

    # -- writes -----------------------------------------------------------------------------

    def _time(self, moment: datetime | None) -> Any:
        return None if moment is None else self.time_in(moment)

    def _id(self, value: UUID) -> Any:
        return self.id_in(value)

    def track(self, tracking: Tracking) -> None:
        with self.writing(tracking):
            pass

    def add_case(self, tracking: Tracking, case_id: UUID, *, department: str, channel: str,
                 purpose: str, received_at: datetime, desk: str | None,
                 service_code: str | None, imported: bool = False) -> None:
        mark = self.placeholder
        with self.writing(tracking) as cursor:
            cursor.execute(
                f"INSERT INTO {self.cases_table} (id, department, channel, purpose, "
                f"received_at, received_day, status, desk, service_code, imported) "
                f"VALUES ({', '.join([mark] * 10)})",
                [self._id(case_id), department, channel, purpose, self._time(received_at),
                 local_day(received_at).isoformat(), Status.OPEN.value, desk, service_code,
                 int(imported)])

    def add_service(self, tracking: Tracking, code: str, department: str,
                    business_unit: str) -> None:
        mark = self.placeholder
        with self.writing(tracking) as cursor:
            cursor.execute(f"INSERT INTO {self.services_table} (code, department, "
                           f"business_unit) VALUES ({mark}, {mark}, {mark})",
                           [code, department, business_unit])

    def _set(self, cursor: Any, case_id: UUID, values: dict[str, Any]) -> None:
        mark = self.placeholder
        cursor.execute(
            f"UPDATE {self.cases_table} SET "
            + ", ".join(f"{column} = {value}" if isinstance(value, Sql) else
                        f"{column} = {mark}" for column, value in values.items())
            + f" WHERE id = {mark}",
            [*(self._time(v) if isinstance(v, datetime) else v for v in values.values()
               if not isinstance(v, Sql)), self._id(case_id)])

    def update_case(self, tracking: Tracking, case_id: UUID, values: dict[str, Any]) -> None:
        with self.writing(tracking) as cursor:
            self._set(cursor, case_id, values)

    def add_to_case(self, tracking: Tracking, case_id: UUID, amounts: dict[str, int]) -> None:
        mark = self.placeholder
        assert set(amounts) <= set(COUNTERS)
        with self.writing(tracking) as cursor:
            cursor.execute(
                f"UPDATE {self.cases_table} SET "
                + ", ".join(f"{column} = {column} + {mark}" for column in amounts)
                + f" WHERE id = {mark}", [*amounts.values(), self._id(case_id)])

    def interaction(self, tracking: Tracking, case_id: UUID, effort_minutes: int,
                    responded_at: datetime | None) -> None:
        mark = self.placeholder
        with self.writing(tracking) as cursor:
            cursor.execute(f"UPDATE {self.cases_table} SET interactions = interactions + 1, "
                           f"effort_minutes = effort_minutes + {mark} WHERE id = {mark}",
                           [effort_minutes, self._id(case_id)])
            if responded_at is not None:
                self._first_response(cursor, case_id, responded_at)
                self._meet(cursor, case_id, "OutboundContact", responded_at)

    def responded(self, tracking: Tracking, case_id: UUID, at: datetime, fact: str) -> None:
        with self.writing(tracking) as cursor:
            self._first_response(cursor, case_id, at)
            self._meet(cursor, case_id, fact, at)

    def resolved(self, tracking: Tracking, case_id: UUID, at: datetime,
                 at_first_contact: bool) -> None:
        mark = self.placeholder
        with self.writing(tracking) as cursor:
            cursor.execute(f"UPDATE {self.cases_table} SET status = {mark}, resolved_at = {mark}, "
                           f"at_first_contact = {mark} WHERE id = {mark} "
                           "RETURNING received_at, desk",
                           [status_values("Resolved")["status"], self._time(at),
                            int(at_first_contact), self._id(case_id)])
            [row] = cursor.fetchall()
            received_at = self.time_out(row["received_at"])
            self._set(cursor, case_id, {"resolved_seconds": self._business_seconds(
                cursor, row["desk"], received_at, at)})
            self._first_response(cursor, case_id, at)
            self._meet(cursor, case_id, "Resolved", at)

    def _first_response(self, cursor: Any, case_id: UUID, at: datetime) -> None:
        """Keeps the earliest response; its business seconds follow it."""
        mark = self.placeholder
        cursor.execute(f"UPDATE {self.cases_table} SET first_response_at = {mark} "
                       f"WHERE id = {mark} AND (first_response_at IS NULL OR "
                       f"first_response_at > {mark}) RETURNING received_at, desk",
                       [self._time(at), self._id(case_id), self._time(at)])
        for row in cursor.fetchall():
            received_at = self.time_out(row["received_at"])
            self._set(cursor, case_id, {"first_response_seconds": self._business_seconds(
                cursor, row["desk"], received_at, at)})

    def _target_rows(self, cursor: Any, case_id: UUID) -> list[TargetRow]:
        cursor.execute(f"SELECT name, due_at, pausable, paused_at, met_at, breached_at, "
                       f"not_measured FROM {self.targets_table} WHERE case_id = "
                       f"{self.placeholder} ORDER BY name", [self._id(case_id)])

        def moment(value: Any) -> datetime | None:
            return None if value is None else self.time_out(value)

        return [TargetRow(name=row["name"], due_at=self.time_out(row["due_at"]),
                          pausable=bool(row["pausable"]), paused_at=moment(row["paused_at"]),
                          met_at=moment(row["met_at"]), breached_at=moment(row["breached_at"]),
                          not_measured=bool(row["not_measured"]))
                for row in cursor.fetchall()]

    def _store(self, cursor: Any, case_id: UUID, target: TargetRow, column: str) -> None:
        """Write `target`'s `column` and the domain's verdict on it (`settled_state`)."""
        mark = self.placeholder
        cursor.execute(f"UPDATE {self.targets_table} SET {column} = {mark}, verdict = {mark} "
                       f"WHERE case_id = {mark} AND name = {mark}",
                       [self._time(getattr(target, column)), _verdict(target),
                        self._id(case_id), target.name])

    def _meet(self, cursor: Any, case_id: UUID, fact: str, at: datetime) -> None:
        """The targets `fact` meets (`domain.targets.meets`) are met at `at`."""
        for target in self._target_rows(cursor, case_id):
            if meets(fact, target.name, target.met_at):
                self._store(cursor, case_id, replace(target, met_at=at), "met_at")

    def waiting(self, tracking: Tracking, case_id: UUID, at: datetime) -> None:
        """Pauses the targets waiting on the customer pauses (`domain.targets.pauses`)."""
        with self.writing(tracking) as cursor:
            self._set(cursor, case_id, status_values("WaitingOnCustomer"))
            for target in self._target_rows(cursor, case_id):
                if pauses(target, at):
                    self._store(cursor, case_id, replace(target, paused_at=at), "paused_at")

    def transferred(self, tracking: Tracking, case_id: UUID, version: int, from_department: str,
                    to_department: str, warm: bool, customer_informed: bool) -> None:
        mark = self.placeholder
        with self.writing(tracking) as cursor:
            # A transfer leaves the case unassigned (Case._transferred).
            self._set(cursor, case_id, {"department": to_department, "assignee": None})
            cursor.execute(f"INSERT INTO {self.transfers_table} (case_id, version, "
                           "from_department, to_department, warm, customer_informed) "
                           f"VALUES ({', '.join([mark] * 6)})",
                           [self._id(case_id), version, from_department, to_department,
                            int(warm), int(customer_informed)])

    def put_targets(self, tracking: Tracking, case_id: UUID, targets: list[Target], *,
                    replace_all: bool = False) -> None:
        mark, table, key = self.placeholder, self.targets_table, self._id(case_id)
        with self.writing(tracking) as cursor:
            if replace_all:
                cursor.execute(f"DELETE FROM {table} WHERE case_id = {mark}", [key])
            for target in sorted(targets, key=lambda t: t.name):
                cursor.execute(f"DELETE FROM {table} WHERE case_id = {mark} AND name = {mark}",
                               [key, target.name])
                cursor.execute(
                    f"INSERT INTO {table} (case_id, name, standard_code, due_at, pausable, "
                    f"paused_at, met_at, breached_at, not_measured, verdict) "
                    f"VALUES ({', '.join([mark] * 10)})",
                    [key, target.name, target.standard_code, self._time(target.due_at),
                     int(target.pausable), self._time(target.paused_at),
                     self._time(target.met_at), self._time(target.breached_at),
                     int(target.not_measured), target.verdict])

    def merged(self, tracking: Tracking, case_id: UUID, values: dict[str, Any],
               withdrawn: list[str]) -> None:
        """Closed as a duplicate: its `withdrawn` targets count neither as met nor breached."""
        mark = self.placeholder
        with self.writing(tracking) as cursor:
            self._set(cursor, case_id, values)
            if withdrawn:
                cursor.execute(f"DELETE FROM {self.targets_table} WHERE case_id = {mark} AND "
                               f"name IN ({', '.join(mark for _ in withdrawn)})",
                               [self._id(case_id), *withdrawn])

    def breached(self, tracking: Tracking, case_id: UUID, target: str, due_at: datetime) -> None:
        with self.writing(tracking) as cursor:
            for row in self._target_rows(cursor, case_id):
                if row.name == target:
                    self._store(cursor, case_id, replace(row, breached_at=due_at),
                                "breached_at")

    def add_department(self, tracking: Tracking, department_id: UUID, code: str, name: str,
                       hourly_rate_cents: int) -> None:
        mark = self.placeholder
        with self.writing(tracking) as cursor:
            cursor.execute(f"INSERT INTO {self.departments_table} (id, code, name, "
                           f"hourly_rate_cents) VALUES ({mark}, {mark}, {mark}, {mark})",
                           [self._id(department_id), code, name, hourly_rate_cents])

    def revise_department(self, tracking: Tracking, department_id: UUID, name: str | None,
                          hourly_rate_cents: int | None) -> None:
        changes = {column: value for column, value in (
            ("name", name), ("hourly_rate_cents", hourly_rate_cents)) if value is not None}
        mark = self.placeholder
        with self.writing(tracking) as cursor:
            if not changes:
                return
            cursor.execute(f"UPDATE {self.departments_table} SET "
                           + ", ".join(f"{column} = {mark}" for column in changes)
                           + f" WHERE id = {mark}",
                           [*changes.values(), self._id(department_id)])

    def add_closure(self, tracking: Tracking, version: int, closure: Closure) -> None:
        mark = self.placeholder
        with self.writing(tracking) as cursor:
            cursor.execute(f"INSERT INTO {self.closures_table} (version, day, from_time, "
                           f"until_time, reason, recorded_at) VALUES ({', '.join([mark] * 6)})",
                           [version, closure.day.isoformat(),
                            closure.from_time.isoformat() if closure.from_time else None,
                            closure.until_time.isoformat() if closure.until_time else None,
                            closure.reason, self._time(closure.recorded_at)])

    def add_desk_hours(self, tracking: Tracking, desk_id: UUID, version: int,
                       hours: OpeningHours, *, central: bool = False,
                       effective_from: date | None = None,
                       recorded_at: datetime | None = None) -> None:
        """A desk's hours as it opened (no `effective_from`), or a change of them."""
        mark = self.placeholder
        with self.writing(tracking) as cursor:
            cursor.execute(f"INSERT INTO {self.desk_hours_table} (desk_id, version, central, "
                           "effective_from, hours, recorded_at) VALUES "
                           f"({', '.join([mark] * 6)})",
                           [self._id(desk_id), version, int(central),
                            effective_from.isoformat() if effective_from else None,
                            json.dumps(hours_data(hours), sort_keys=True),
                            self._time(recorded_at)])

    def _business_seconds(self, cursor: Any, desk: str | None, start: datetime,
                          end: datetime) -> int:
        """Business seconds from `start` to `end` on the calendar of `desk` (a case's desk code;
        None, or a desk not in the catalogue: the central desk's), with every closure and hours
        change projected so far (as the log knew it when the event was recorded)."""
        cursor.execute(f"SELECT day, from_time, until_time, reason, recorded_at "
                       f"FROM {self.closures_table} ORDER BY version")
        closures = tuple(Closure(
            day=date.fromisoformat(row["day"]),
            recorded_at=self.time_out(row["recorded_at"]),
            reason=row["reason"],
            from_time=time.fromisoformat(row["from_time"]) if row["from_time"] else None,
            until_time=time.fromisoformat(row["until_time"]) if row["until_time"] else None)
            for row in cursor.fetchall())
        # Every desk's rows: a handful of desks, each with its opening and a few changes.
        cursor.execute(f"SELECT desk_id, central, effective_from, hours, recorded_at "
                       f"FROM {self.desk_hours_table} ORDER BY version")
        by_desk: dict[UUID, list[Any]] = {}
        central: UUID | None = None
        for row in cursor.fetchall():
            desk_id = self.id_out(row["desk_id"])
            by_desk.setdefault(desk_id, []).append(row)
            if row["effective_from"] is None and row["central"]:
                central = desk_id
        rows = by_desk.get(Desk.create_id(desk)) if desk else None
        if rows is None:
            rows = by_desk.get(central, []) if central is not None else []
        hours = OpeningHours()
        changes: list[HoursChange] = []
        for row in rows:
            opening = hours_from_data(json.loads(row["hours"]))
            if row["effective_from"] is None:
                hours = opening
            else:
                changes.append(HoursChange(
                    effective_from=date.fromisoformat(row["effective_from"]), hours=opening,
                    recorded_at=self.time_out(row["recorded_at"])))
        key = (closures, hours, tuple(changes))
        cached = self._calendar
        if cached is None or cached[0] != key:
            cached = self._calendar = (key, BusinessCalendar(hours, closures, changes=changes))
        return round(cached[1].elapsed(start, end).total_seconds())

    # -- the query --------------------------------------------------------------------------

    def scorecard_facts(self, scope: Scope, first_day: date, last_day: date) -> ScorecardFacts:
        """See `application.scorecards.ScorecardQuery`."""
        mark = self.placeholder
        # The cases in scope, whoever owns them: the period, then the case filters.
        cases_where = [f"c.received_day BETWEEN {mark} AND {mark}"]
        cases_args: list[Any] = [first_day.isoformat(), last_day.isoformat()]
        if scope.channel is not None:
            cases_where.append(f"c.channel = {mark}")
            cases_args.append(scope.channel)
        if scope.service is not None:
            cases_where.append(f"c.service_code = {mark}")
            cases_args.append(scope.service)
        if scope.assignee is not None:
            cases_where.append(f"c.assignee = {mark}")
            cases_args.append(scope.assignee)
        if not scope.include_imported:
            cases_where.append("c.imported = 0")
        if scope.business_unit is not None:
            cases_where.append(f"c.service_code IN (SELECT code FROM {self.services_table} "
                               f"WHERE business_unit = {mark})")
            cases_args.append(scope.business_unit)
        cases_in = " AND ".join(cases_where)
        owned, owned_args = cases_in, list(cases_args)
        made_where, received_where = cases_in, cases_in
        made_args, received_args = list(cases_args), list(cases_args)
        if scope.department is not None:
            owned += f" AND c.department = {mark}"
            owned_args.append(scope.department)
            made_where += f" AND r.from_department = {mark}"
            made_args.append(scope.department)
            received_where += f" AND r.to_department = {mark}"
            received_args.append(scope.department)
        time_out = self.time_out

        def moment(value: Any) -> datetime | None:
            return None if value is None else time_out(value)

        with self.reading() as cursor:
            cursor.execute(f"SELECT MAX(notification_id) AS head "
                           f"FROM {self.tracking_table}")
            position = int(cursor.fetchone()["head"] or 0)
            cursor.execute(f"SELECT {', '.join('c.' + c for c in CASE_FACTS)}, "
                           "d.hourly_rate_cents AS rate_cents "
                           f"FROM {self.cases_table} c LEFT JOIN {self.departments_table} d "
                           f"ON d.code = c.department WHERE {owned} ORDER BY c.id", owned_args)
            cases = [self._case_facts(row) for row in cursor.fetchall()]
            cursor.execute(f"SELECT t.standard_code, t.due_at, t.paused_at, t.met_at, "
                           f"t.breached_at, t.not_measured, t.verdict "
                           f"FROM {self.targets_table} t "
                           f"JOIN {self.cases_table} c ON c.id = t.case_id WHERE {owned} "
                           "ORDER BY t.case_id, t.name", owned_args)
            targets = [TargetFacts(row["standard_code"], time_out(row["due_at"]),
                                   moment(row["paused_at"]), moment(row["met_at"]),
                                   moment(row["breached_at"]),
                                   not_measured=bool(row["not_measured"]),
                                   settled=row["verdict"])
                       for row in cursor.fetchall()]
            cursor.execute(f"SELECT r.case_id, r.warm, r.customer_informed "
                           f"FROM {self.transfers_table} r "
                           f"JOIN {self.cases_table} c ON c.id = r.case_id "
                           f"WHERE {made_where} ORDER BY r.case_id, r.version", made_args)
            made = [TransferFacts(self.id_out(row["case_id"]), bool(row["warm"]),
                                  bool(row["customer_informed"])) for row in cursor.fetchall()]
            cursor.execute(f"SELECT COUNT(*) AS n FROM {self.transfers_table} r "
                           f"JOIN {self.cases_table} c ON c.id = r.case_id "
                           f"WHERE {received_where}", received_args)
            received = int(cursor.fetchone()["n"])
            known = None
            if scope.department is not None:
                cursor.execute(f"SELECT name, hourly_rate_cents FROM {self.departments_table} "
                               f"WHERE code = {mark}", [scope.department])
                known = cursor.fetchone()
            unknown = None
            if scope.department is not None and known is None:
                unknown = "department"
            elif scope.service is not None and not self._exists(
                    cursor, "code", scope.service):
                unknown = "service"
            elif scope.business_unit is not None and not self._exists(
                    cursor, "business_unit", scope.business_unit):
                unknown = "business_unit"
        return ScorecardFacts(
            position=position,
            department_name=known["name"] if known else None,
            hourly_rate_cents=int(known["hourly_rate_cents"]) if known else None, cases=cases,
            targets=targets, transfers_made=made, transfers_received=received,
            unknown=unknown)

    def _exists(self, cursor: Any, column: str, value: str) -> bool:
        cursor.execute(f"SELECT 1 AS found FROM {self.services_table} "
                       f"WHERE {column} = {self.placeholder} LIMIT 1", [value])
        return cursor.fetchone() is not None

    def _case_facts(self, row: Any) -> CaseFacts:
        values = {column: row[column] for column in CASE_FACTS}
        values["rate_cents"] = int(row["rate_cents"] or 0)
        values["id"] = self.id_out(values["id"])
        for number in COUNTERS:
            values[number] = int(values[number])
        for flag in ("debriefed", "at_first_contact", "survey_link"):
            values[flag] = bool(values[flag])
        for source in GivenBy:
            values[f"{source.value}_scores"] = SurveySums(**{
                column: values.pop(f"{source.value}_{column}") for column in SURVEY_SUMS})
        for seconds in ("first_response_seconds", "resolved_seconds"):
            if values[seconds] is not None:
                values[seconds] = int(values[seconds])
        return CaseFacts(**values)


class SQLiteScorecardView(ScorecardView, SQLiteView):
    pass


class PostgresScorecardView(ScorecardView, PostgresView):
    pass


SCORECARD = ProjectionSpec(projection=ScorecardProjection, sqlite_view=SQLiteScorecardView,
                           postgres_view=PostgresScorecardView)
