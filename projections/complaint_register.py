"""The complaint register: every complaint with its escalation path, owners, dates and debrief.

Two tables. `complaint_register` has a row per case, flagged `complaint` while the case is
classified as one: the register must know a case's reference, department and dates before it
is classified, and a complaint reclassified as feedback (only possible before escalating)
leaves it; partial indexes cover only complaints. `complaint_register_escalations` has a row
per escalation, numbered by the case's version. Rows change only by single write statements.
No resolution text is kept: the outcome is the case's status.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from application.complaint_register import (
    COMPLAINT_REGISTER_NAME,
    OUTCOMES,
    ComplaintEntry,
    Debrief,
    EscalationStep,
)
from application.queries import DEFAULT_PAGE
from domain.cases import Case
from domain.errors import InvalidValue
from domain.values import Classification, EscalationLevel, Status, parse_enum
from engine import PostgresView, ProjectionSpec, SQLiteView, View
from projections.case_status import status_values
from projections.keyset import decode_cursor, encode_cursor
from projections.sla_board import check_limit

NAME = COMPLAINT_REGISTER_NAME
STEPS = f"{NAME}_escalations"
COLUMNS = ("id", "reference", "department", "received_at", "status", "assignee", "complaint",
           "classified_at", "level", "resolved_at", "closed_at", "debrief_cause",
           "debrief_actions", "debrief_edi_findings", "debrief_accessibility_findings",
           "debriefed_at", "version")
STEP_COLUMNS = ("case_id", "step", "from_level", "to_level", "reason", "owner", "at")
Events: Any = Case  # the event classes are made at import time; see projections.case_index
OPEN, RESOLVED = Status.OPEN.value, Status.RESOLVED.value


# What reopening undoes in a row (`domain.case_status`).
REOPENED = {"resolved_at": None, "closed_at": None}


def changes_of(event: Any) -> dict[str, Any]:
    """What a case event (other than Received) changes in its row; its status as
    `domain.case_status` says."""
    values = status_values(type(event).__name__, reopened=REOPENED)
    match event:
        case Events.Classified():
            complaint = event.classification == Classification.COMPLAINT.value
            values.update(complaint=complaint,
                          classified_at=event.occurred_at if complaint else None,
                          level=EscalationLevel.FRONT_LINE.value if complaint else None)
        case Events.Assigned():
            values["assignee"] = event.assignee
        case Events.Transferred():
            values.update(department=event.to_department, assignee=None)
        case Events.Resolved():
            values["resolved_at"] = event.occurred_at
        case Events.Closed():
            values["closed_at"] = event.occurred_at
        case Events.ComplaintEscalated():
            values["level"] = event.to_level
        case Events.ComplaintDebriefed():
            values.update(debrief_cause=event.cause, debrief_actions=event.actions,
                          debrief_edi_findings=event.edi_findings,
                          debrief_accessibility_findings=event.accessibility_findings,
                          debriefed_at=event.occurred_at)
    return values


class ComplaintRegisterProjection(Projection["ComplaintRegisterView"]):
    name = NAME
    topics = ()  # every event, so the position reaches whatever a command reported

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.update(tracking, None, {})

    @process_event.register(Events.Received)
    def _received(self, event: Any, tracking: Tracking) -> None:
        self.view.insert_case(tracking, {
            "id": event.originator_id, "reference": event.reference,
            "department": event.department, "received_at": event.occurred_at,
            "status": OPEN, "assignee": None, "complaint": False, "classified_at": None,
            "level": None, "resolved_at": None, "closed_at": None, "debrief_cause": None,
            "debrief_actions": None, "debrief_edi_findings": None,
            "debrief_accessibility_findings": None, "debriefed_at": None,
            "version": event.originator_version})

    @process_event.register(Events.ComplaintEscalated)
    def _escalated(self, event: Any, tracking: Tracking) -> None:
        self.view.update(tracking, event.originator_id, {
            **changes_of(event),
            "version": event.originator_version}, step={
            "case_id": event.originator_id, "step": event.originator_version,
            "from_level": event.from_level, "to_level": event.to_level,
            "reason": event.reason, "owner": event.owner, "at": event.occurred_at})

    @process_event.register(Events.Event)
    def _changed(self, event: Any, tracking: Tracking) -> None:
        self.view.update(tracking, event.originator_id,
                         {**changes_of(event), "version": event.originator_version})


class ComplaintRegisterView(View):
    """The register's tables, writes and query, on either database."""

    name = NAME
    TIME_COLUMNS = frozenset({"received_at", "classified_at", "resolved_at", "closed_at",
                              "debriefed_at", "at"})

    def view_statements(self) -> list[str]:
        table, steps, t = self.table(NAME), self.table(STEPS), self.time_type
        return [
            f"CREATE TABLE IF NOT EXISTS {table} (id {self.uuid_type} PRIMARY KEY, "
            f"reference TEXT NOT NULL, department TEXT NOT NULL, received_at {t} NOT NULL, "
            "status TEXT NOT NULL, assignee TEXT, complaint BOOLEAN NOT NULL, "
            f"classified_at {t}, level TEXT, resolved_at {t}, closed_at {t}, "
            "debrief_cause TEXT, debrief_actions TEXT, debrief_edi_findings TEXT, "
            f"debrief_accessibility_findings TEXT, debriefed_at {t}, version BIGINT NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {steps} (case_id {self.uuid_type} NOT NULL, "
            "step BIGINT NOT NULL, from_level TEXT NOT NULL, to_level TEXT NOT NULL, "
            f"reason TEXT NOT NULL, owner TEXT NOT NULL, at {t} NOT NULL, "
            "PRIMARY KEY (case_id, step))",
            f"CREATE INDEX IF NOT EXISTS {self.table(f'{NAME}_by_received')} ON {table} "
            "(received_at, id) WHERE complaint",
            f"CREATE INDEX IF NOT EXISTS {self.table(f'{NAME}_by_department')} ON {table} "
            "(department, received_at, id) WHERE complaint",
        ]

    def insert_case(self, tracking: Tracking, row: dict[str, Any]) -> None:
        with self.writing(tracking) as cursor:
            self.insert_row(cursor, NAME, COLUMNS, row)

    def update(self, tracking: Tracking, case_id: UUID | None, values: dict[str, Any],
               step: dict[str, Any] | None = None) -> None:
        """Change a case's row (`case_id` None: not a case's event, track only)."""
        with self.writing(tracking) as cursor:
            if case_id is None or not values:
                return
            assert set(values) <= set(COLUMNS)
            self.update_row(cursor, NAME, case_id, values)
            if step is not None:
                self.insert_row(cursor, STEPS, STEP_COLUMNS, step)

    def complaints(self, visible_departments: frozenset[str] | None, *,
                   department: str | None = None, level: str | None = None,
                   status: str | None = None, outcome: str | None = None,
                   received_from: datetime | None = None,
                   received_before: datetime | None = None, after: str | None = None,
                   limit: int = DEFAULT_PAGE) -> tuple[list[ComplaintEntry], str | None]:
        """See `application.complaint_register.ComplaintRegisterQuery.complaints`."""
        check_limit(limit)
        if level is not None:
            parse_enum(EscalationLevel, level, "level")
        if status is not None:
            parse_enum(Status, status, "status")
        if outcome is not None and outcome not in OUTCOMES:
            raise InvalidValue(f"outcome must be one of: {', '.join(OUTCOMES)}; got "
                               f"{outcome!r}", "outcome")
        mark = self.placeholder
        where, parameters = ["complaint"], []
        if visible_departments is not None:
            if not visible_departments:
                return [], None
            where.append(f"department IN ({', '.join(mark for _ in visible_departments)})")
            parameters += sorted(visible_departments)
        statuses = None if outcome is None else (
            [OPEN, Status.WAITING_ON_CUSTOMER.value] if outcome == "open" else [outcome])
        for column, values in (("department", [department] if department else None),
                               ("level", [level] if level else None),
                               ("status", [status] if status else None),
                               ("status", statuses)):
            if values is not None:
                where.append(f"{column} IN ({', '.join(mark for _ in values)})")
                parameters += values
        for operator, bound in ((">=", received_from), ("<", received_before)):
            if bound is not None:
                where.append(f"received_at {operator} {mark}")
                parameters.append(self.time_in(bound))
        if after is not None:
            received_at, case_id = decode_cursor(after, datetime, UUID)
            where.append(f"(received_at, id) > ({mark}, {mark})")
            parameters += [self.time_in(received_at), self.id_in(case_id)]
        with self.reading() as cursor:
            cursor.execute(f"SELECT {', '.join(COLUMNS)} FROM {self.table(NAME)} WHERE "
                           f"{' AND '.join(where)} ORDER BY received_at, id LIMIT {mark}",
                           [*parameters, limit + 1])
            rows = cursor.fetchall()
            more, rows = len(rows) > limit, rows[:limit]
            steps = self._steps_of(cursor, [row["id"] for row in rows])
        entries = [self._entry(row, steps.get(self.id_out(row["id"]), [])) for row in rows]
        if not more:
            return entries, None
        return entries, encode_cursor(entries[-1].received_at, entries[-1].id)

    def _steps_of(self, cursor: Any, keys: list[Any]) -> dict[UUID, list[EscalationStep]]:
        found: dict[UUID, list[EscalationStep]] = {}
        if not keys:
            return found
        cursor.execute(f"SELECT {', '.join(STEP_COLUMNS)} FROM {self.table(STEPS)} WHERE "
                       f"case_id IN ({', '.join(self.placeholder for _ in keys)}) "
                       "ORDER BY case_id, step", keys)
        for row in cursor.fetchall():
            found.setdefault(self.id_out(row["case_id"]), []).append(EscalationStep(
                from_level=row["from_level"], to_level=row["to_level"], reason=row["reason"],
                owner=row["owner"], at=self.time_out(row["at"])))
        return found

    def _entry(self, row: Any, steps: list[EscalationStep]) -> ComplaintEntry:
        def moment(column: str) -> datetime | None:
            return None if row[column] is None else self.time_out(row[column])

        debrief = None if row["debriefed_at"] is None else Debrief(
            cause=row["debrief_cause"], actions=row["debrief_actions"],
            edi_findings=row["debrief_edi_findings"],
            accessibility_findings=row["debrief_accessibility_findings"],
            at=self.time_out(row["debriefed_at"]))
        classified_at = moment("classified_at")
        assert classified_at is not None
        return ComplaintEntry(
            id=self.id_out(row["id"]), reference=row["reference"],
            department=row["department"], received_at=self.time_out(row["received_at"]),
            classified_at=classified_at, level=row["level"], escalations=tuple(steps),
            assignee=row["assignee"], status=row["status"], resolved_at=moment("resolved_at"),
            closed_at=moment("closed_at"), debrief=debrief)


class SQLiteComplaintRegisterView(ComplaintRegisterView, SQLiteView):
    pass


class PostgresComplaintRegisterView(ComplaintRegisterView, PostgresView):
    pass


COMPLAINT_REGISTER = ProjectionSpec(projection=ComplaintRegisterProjection,
                                    sqlite_view=SQLiteComplaintRegisterView,
                                    postgres_view=PostgresComplaintRegisterView)
