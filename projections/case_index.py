"""The case index: one row per case, behind `GET /api/v1/cases` (filters, keyset pages).

Rows change only by single write statements (an UPDATE computes counters and conditional
status in SQL), so a projection transaction never reads before it writes. `updated_at` is
the recording time of the case's latest event (monotonic per case and identical on replay);
`received_at` is when the desk received the contact, which a letter may backdate.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from application.queries import CASE_INDEX_NAME, DEFAULT_PAGE, MAX_PAGE, CaseSummary
from domain.cases import Case
from domain.errors import InvalidValue
from domain.values import Channel, Classification, EscalationLevel, Status, parse_enum
from projections.runner import PostgresView, ProjectionSpec, SQLiteView, View

NAME = CASE_INDEX_NAME
COLUMNS = ("id", "reference", "status", "channel", "department", "service_code", "purpose",
           "subject", "assignee", "classification", "escalation_level", "received_at",
           "updated_at", "version", "transfers")
COMPLAINT = Classification.COMPLAINT.value
# The case's event classes (Events.Received, ...) are made by @event at import time, so a type
# checker cannot see them on `Case`; this alias says so once.
Events: Any = Case


class Sql(str):
    """A column's new value as an SQL expression over the row, not a parameter."""


def changes_of(event: Any) -> dict[str, Any]:
    """What a case event (other than Received) changes in the case's row."""
    match event:
        case Events.Assigned():
            return {"assignee": event.assignee}
        case Events.Transferred():
            return {"department": event.to_department, "assignee": None,
                    "transfers": Sql("transfers + 1")}
        case Events.WaitingOnCustomer():
            return {"status": Status.WAITING_ON_CUSTOMER.value}
        case Events.CustomerResponded() | Events.Reopened():
            return {"status": Status.OPEN.value}
        case Events.Resolved():
            return {"status": Status.RESOLVED.value}
        case Events.Closed():
            return {"status": Status.CLOSED.value}
        case Events.Classified():
            complaint = event.classification == COMPLAINT
            return {"classification": event.classification,
                    "escalation_level": EscalationLevel.FRONT_LINE.value if complaint else None}
        case Events.ComplaintEscalated():
            return {"escalation_level": event.to_level,
                    "status": Sql(f"CASE WHEN status = '{Status.RESOLVED.value}' "
                                  f"THEN '{Status.OPEN.value}' ELSE status END")}
    return {}


class CaseIndexProjection(Projection["CaseIndexView"]):
    name = NAME
    # Every event, not only the case's: its position must reach whatever position a command
    # reported (a receipt or reference book event may be the last one a command saved).
    topics = ()

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.track(tracking)

    @process_event.register(Events.Received)
    def _received(self, event: Any, tracking: Tracking) -> None:
        self.view.insert_case(tracking, {
            "id": event.originator_id, "reference": event.reference,
            "status": Status.OPEN.value, "channel": event.channel,
            "department": event.department, "service_code": event.service_code,
            "purpose": event.purpose, "subject": event.subject, "assignee": None,
            "classification": None, "escalation_level": None,
            "received_at": event.occurred_at, "updated_at": event.timestamp,
            "version": event.originator_version, "transfers": 0})

    @process_event.register(Events.Event)
    def _changed(self, event: Any, tracking: Tracking) -> None:
        self.view.update_case(tracking, event.originator_id, {
            **changes_of(event), "updated_at": event.timestamp,
            "version": event.originator_version})


class CaseIndexView(View):
    """The case index's tables, writes and query, on either database."""

    name = NAME

    def view_statements(self) -> list[str]:
        table = self.table(NAME)
        return [
            f"CREATE TABLE IF NOT EXISTS {table} (id {self.uuid_type} PRIMARY KEY, "
            "reference TEXT NOT NULL, status TEXT NOT NULL, channel TEXT NOT NULL, "
            "department TEXT NOT NULL, service_code TEXT, purpose TEXT NOT NULL, "
            "subject TEXT NOT NULL, assignee TEXT, classification TEXT, "
            f"escalation_level TEXT, received_at {self.time_type} NOT NULL, "
            f"updated_at {self.time_type} NOT NULL, version BIGINT NOT NULL, "
            "transfers INTEGER NOT NULL DEFAULT 0)",
            f"CREATE INDEX IF NOT EXISTS {self.table(NAME + '_newest')} ON {table} "
            "(received_at DESC, id DESC)",
            f"CREATE INDEX IF NOT EXISTS {self.table(NAME + '_by_department')} ON {table} "
            "(department, received_at DESC, id DESC)",
        ]

    def _db(self, column: str, value: Any) -> Any:
        if value is None:
            return None
        if column == "id":
            return self.id_in(value)
        if column in {"received_at", "updated_at"}:
            return self.time_in(value)
        return value

    def track(self, tracking: Tracking) -> None:
        with self.writing(tracking):
            pass

    def insert_case(self, tracking: Tracking, row: dict[str, Any]) -> None:
        marks = ", ".join(self.placeholder for _ in COLUMNS)
        with self.writing(tracking) as cursor:
            cursor.execute(f"INSERT INTO {self.table(NAME)} ({', '.join(COLUMNS)}) "
                           f"VALUES ({marks})", [self._db(c, row[c]) for c in COLUMNS])

    def update_case(self, tracking: Tracking, case_id: UUID, values: dict[str, Any]) -> None:
        assignments, parameters = [], []
        for column, value in values.items():
            assert column in COLUMNS
            if isinstance(value, Sql):
                assignments.append(f"{column} = {value}")
            else:
                assignments.append(f"{column} = {self.placeholder}")
                parameters.append(self._db(column, value))
        with self.writing(tracking) as cursor:
            cursor.execute(f"UPDATE {self.table(NAME)} SET {', '.join(assignments)} "
                           f"WHERE id = {self.placeholder}",
                           [*parameters, self.id_in(case_id)])

    def list_cases(self, visible_departments: frozenset[str] | None, *,
                   department: str | None = None, status: str | None = None,
                   channel: str | None = None, assignee: str | None = None,
                   complaint: bool | None = None, after: str | None = None,
                   limit: int = DEFAULT_PAGE) -> tuple[list[CaseSummary], str | None]:
        """See `application.queries.CaseIndexQuery.list_cases`."""
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidValue(f"limit must be between 1 and {MAX_PAGE}", "limit")
        mark = self.placeholder
        where: list[str] = []
        parameters: list[Any] = []
        if visible_departments is not None:
            if not visible_departments:
                return [], None
            where.append(f"department IN ({', '.join(mark for _ in visible_departments)})")
            parameters += sorted(visible_departments)
        if status is not None:
            parse_enum(Status, status, "status")
        if channel is not None:
            parse_enum(Channel, channel, "channel")
        for column, value in (("department", department), ("status", status),
                              ("channel", channel), ("assignee", assignee)):
            if value is not None:
                where.append(f"{column} = {mark}")
                parameters.append(value)
        if complaint is not None:
            where.append(f"COALESCE(classification, '') {'=' if complaint else '<>'} {mark}")
            parameters.append(COMPLAINT)
        if after is not None:
            received_at, case_id = decode_cursor(after)
            where.append(f"(received_at, id) < ({mark}, {mark})")
            parameters += [self.time_in(received_at), self.id_in(case_id)]
        with self.reading() as cursor:  # names resolve to the live generation inside
            cursor.execute(f"SELECT {', '.join(COLUMNS)} FROM {self.table(NAME)} "
                           + (f"WHERE {' AND '.join(where)} " if where else "")
                           + f"ORDER BY received_at DESC, id DESC LIMIT {mark}",
                           [*parameters, limit + 1])
            rows = [self._summary(row) for row in cursor.fetchall()]
        if len(rows) <= limit:
            return rows, None
        rows = rows[:limit]
        return rows, encode_cursor(rows[-1].received_at, rows[-1].id)

    def _summary(self, row: Any) -> CaseSummary:
        values = {column: row[column] for column in COLUMNS}
        values["id"] = self.id_out(values["id"])
        values["received_at"] = self.time_out(values["received_at"])
        values["updated_at"] = self.time_out(values["updated_at"])
        return CaseSummary(**values)


def encode_cursor(received_at: datetime, case_id: UUID) -> str:
    key = json.dumps([received_at.isoformat(timespec="microseconds"), str(case_id)])
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    """The sort key a cursor carries. Raises InvalidValue (field `after`) for any other text."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        received_at, case_id = json.loads(text)
        moment = datetime.fromisoformat(received_at)
        if moment.tzinfo is None:
            raise ValueError("naive time")
        return moment, UUID(case_id)
    except (ValueError, TypeError, AttributeError, binascii.Error):
        raise InvalidValue("after is not a cursor this list handed out", "after") from None


class SQLiteCaseIndexView(CaseIndexView, SQLiteView):
    pass


class PostgresCaseIndexView(CaseIndexView, PostgresView):
    pass


CASE_INDEX = ProjectionSpec(projection=CaseIndexProjection, sqlite_view=SQLiteCaseIndexView,
                            postgres_view=PostgresCaseIndexView)
