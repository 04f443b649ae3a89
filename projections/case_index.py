"""The case index: one row per case, behind `GET /api/v1/cases` (filters, keyset pages).

Rows change only by single write statements (an UPDATE computes counters and conditional
status in SQL), so a projection transaction never reads before it writes. `updated_at` is
the recording time of the case's latest event (monotonic per case and identical on replay);
`received_at` is when the desk received the contact, which a letter may backdate.

The index keeps each case's SLA targets too (`case_index_targets`, see
`projections.target_rows`), so the list can be filtered by target state and ordered by what is
due next (`due_key`, the soonest due time among the case's live, running targets).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from application.queries import (
    CASE_INDEX_NAME,
    DEFAULT_PAGE,
    MAX_PAGE,
    CaseOrder,
    CaseSummary,
)
from domain.cases import Case
from domain.errors import InvalidValue
from domain.references import parse_reference
from domain.standards import TargetKind
from domain.targets import TargetState
from domain.values import Channel, Classification, EscalationLevel, Status, parse_enum
from engine import PostgresView, ProjectionSpec, SQLiteView
from projections.case_rows import changed_row, received_row
from projections.keyset import decode_cursor, encode_cursor
from projections.target_rows import (
    NEVER,
    TARGET_TIMES,
    TargetRows,
    target_change_of,
)

NAME = CASE_INDEX_NAME
TARGETS = f"{NAME}_targets"
COLUMNS = ("id", "reference", "status", "channel", "department", "service_code", "purpose",
           "subject", "assignee", "classification", "escalation_level", "received_at",
           "updated_at", "version", "transfers", "due_key", "next_target")
COMPLAINT = Classification.COMPLAINT.value
# The case's event classes (Events.Received, ...) are made by @event at import time, so a type
# checker cannot see them on `Case`; this alias says so once.
Events: Any = Case


def changes_of(event: Any) -> dict[str, Any]:
    """What a case event (other than Received) changes in the case's row: the columns shared
    with the queues (`projections.case_rows`), and the index's own."""
    values = changed_row(event)
    match event:
        case Events.Classified():
            complaint = event.classification == COMPLAINT
            values.update(classification=event.classification, escalation_level=(
                EscalationLevel.FRONT_LINE.value if complaint else None))
        case Events.ComplaintEscalated():
            values["escalation_level"] = event.to_level
    return values


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
            **received_row(event), "service_code": event.service_code,
            "purpose": event.purpose, "subject": event.subject, "classification": None,
            "escalation_level": None, "updated_at": event.timestamp})

    @process_event.register(Events.Event)
    def _changed(self, event: Any, tracking: Tracking) -> None:
        self.view.update_case(tracking, event.originator_id, {
            **changes_of(event), "updated_at": event.timestamp}, event)


class CaseIndexView(TargetRows):
    """The case index's tables, writes and query, on either database."""

    name = NAME
    CASES, TARGETS = NAME, TARGETS
    TIME_COLUMNS = frozenset({"received_at", "updated_at", "due_key", *TARGET_TIMES})

    def view_statements(self) -> list[str]:
        table = self.table(NAME)
        return [
            f"CREATE TABLE IF NOT EXISTS {table} (id {self.uuid_type} PRIMARY KEY, "
            "reference TEXT NOT NULL, status TEXT NOT NULL, channel TEXT NOT NULL, "
            "department TEXT NOT NULL, service_code TEXT, purpose TEXT NOT NULL, "
            "subject TEXT NOT NULL, assignee TEXT, classification TEXT, "
            f"escalation_level TEXT, received_at {self.time_type} NOT NULL, "
            f"updated_at {self.time_type} NOT NULL, version BIGINT NOT NULL, "
            f"transfers INTEGER NOT NULL DEFAULT 0, due_key {self.time_type} NOT NULL, "
            "next_target TEXT)",
            f"CREATE INDEX IF NOT EXISTS {self.table(NAME + '_newest')} ON {table} "
            "(received_at DESC, id DESC)",
            f"CREATE INDEX IF NOT EXISTS {self.table(NAME + '_by_department')} ON {table} "
            "(department, received_at DESC, id DESC)",
            f"CREATE INDEX IF NOT EXISTS {self.table(NAME + '_next_due')} ON {table} "
            "(due_key, id)",
            f"CREATE INDEX IF NOT EXISTS {self.table(NAME + '_next_due_by_department')} "
            f"ON {table} (department, due_key, id)",
            *self.target_statements(),
        ]

    def track(self, tracking: Tracking) -> None:
        with self.writing(tracking):
            pass

    def insert_case(self, tracking: Tracking, row: dict[str, Any]) -> None:
        with self.writing(tracking) as cursor:
            self.insert_row(cursor, NAME, COLUMNS, row)

    def update_case(self, tracking: Tracking, case_id: UUID, values: dict[str, Any],
                    event: Any = None) -> None:
        """Change the case's row, and its targets as `event` changes them."""
        assert set(values) <= set(COLUMNS)
        with self.writing(tracking) as cursor:
            self.update_row(cursor, NAME, case_id, values)
            if event is not None:
                self.change_targets(cursor, case_id, target_change_of(event))

    def list_cases(self, visible_departments: frozenset[str] | None, *,
                   department: str | None = None, status: str | None = None,
                   channel: str | None = None, assignee: str | None = None,
                   reference: str | None = None,
                   complaint: bool | None = None, target: str | None = None,
                   target_state: str | None = None, order: str = CaseOrder.RECEIVED,
                   now: datetime | None = None, after: str | None = None,
                   limit: int = DEFAULT_PAGE) -> tuple[list[CaseSummary], str | None]:
        """See `application.queries.CaseIndexQuery.list_cases`."""
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidValue(f"limit must be between 1 and {MAX_PAGE}", "limit")
        by_due = parse_enum(CaseOrder, order, "order") is CaseOrder.NEXT_DUE
        mark = self.placeholder
        where: list[str] = []
        parameters: list[Any] = []
        if visible_departments is not None:
            if not visible_departments:
                return [], None
            where.append(f"c.department IN ({', '.join(mark for _ in visible_departments)})")
            parameters += sorted(visible_departments)
        if status is not None:
            parse_enum(Status, status, "status")
        if channel is not None:
            parse_enum(Channel, channel, "channel")
        if target is not None:
            parse_enum(TargetKind, target, "target")
        for column, value in (("department", department), ("status", status),
                              ("channel", channel), ("assignee", assignee)):
            if value is not None:
                where.append(f"c.{column} = {mark}")
                parameters.append(value)
        if reference is not None:
            # The id is derived from the reference: the primary key finds it.
            where.append(f"c.id = {mark}")
            parameters.append(self.id_in(Case.create_id(parse_reference(reference))))
        if complaint is not None:
            where.append(f"COALESCE(c.classification, '') {'=' if complaint else '<>'} {mark}")
            parameters.append(COMPLAINT)
        with self.reading() as cursor:  # names resolve to the live generation inside
            if target_state is not None or target is not None:
                self._where_targets(cursor, where, parameters, target, target_state, now)
            key = ("c.due_key, c.id" if by_due else "c.received_at, c.id")
            rows = self._page(cursor, key, by_due, where, parameters,
                              self._start_after(after, by_due), limit + 1)
        if len(rows) <= limit:
            return rows, None
        rows = rows[:limit]
        last = self._key_of(rows[-1], by_due)
        return rows, encode_cursor(*(["next_due", *last] if by_due else last))

    def _start_after(self, after: str | None, by_due: bool) -> tuple[Any, ...] | None:
        if after is None:
            return None
        if not by_due:
            return decode_cursor(after, datetime, UUID)
        tag, due_key, case_id = decode_cursor(after, str, datetime, UUID)
        if tag != "next_due":
            raise InvalidValue("after is not a cursor this list handed out", "after")
        return due_key, case_id

    @staticmethod
    def _key_of(row: CaseSummary, by_due: bool) -> tuple[datetime, UUID]:
        return (row.next_due_at or NEVER, row.id) if by_due else (row.received_at, row.id)

    def _page(self, cursor: Any, key: str, by_due: bool, where: list[str],
              parameters: list[Any], start: tuple[Any, ...] | None,
              size: int) -> list[CaseSummary]:
        mark = self.placeholder
        where = list(where)
        parameters = list(parameters)
        if start is not None:
            where.append(f"({key}) {'>' if by_due else '<'} ({mark}, {mark})")
            parameters += [self.time_in(start[0]), self.id_in(start[1])]
        direction = "" if by_due else " DESC"
        cursor.execute(f"SELECT {', '.join(f'c.{column}' for column in COLUMNS)} "
                       f"FROM {self.table(NAME)} c "
                       + (f"WHERE {' AND '.join(where)} " if where else "")
                       + f"ORDER BY {key.replace(',', direction + ',')}{direction} "
                       f"LIMIT {mark}", [*parameters, size])
        return [self._summary(row) for row in cursor.fetchall()]

    def _where_targets(self, cursor: Any, where: list[str], parameters: list[Any],
                       target: str | None, target_state: str | None,
                       now: datetime | None) -> None:
        """Add to `where` the cases with a target (named `target`, if given) in
        `target_state` (if given) at `now`: the stored instants compared with `now`."""
        mark = self.placeholder
        conditions, condition_parameters = ["t.case_id = c.id"], []
        if target is not None:
            conditions.append(f"t.target = {mark}")
            condition_parameters.append(target)
        if target_state is not None:
            state = parse_enum(TargetState, target_state, "target_state")
            if now is None:
                raise ValueError("a target state is judged at a moment")
            if state is TargetState.AT_RISK:
                # Few cases are at risk: find them from their targets by index, rather than
                # testing every case in page order, most of them overdue or far off.
                candidates, values = self.at_risk(cursor, now, target)
                where.append(f"c.id IN ({candidates})")
                parameters += values
                return
            condition, values = self.state_condition(state, now)
            conditions.append(condition)
            condition_parameters += values
        where.append(f"EXISTS (SELECT 1 FROM {self.table(TARGETS)} t "
                     f"WHERE {' AND '.join(conditions)})")
        parameters += condition_parameters

    def _summary(self, row: Any) -> CaseSummary:
        values = {column: row[column] for column in COLUMNS}
        values["id"] = self.id_out(values["id"])
        values["received_at"] = self.time_out(values["received_at"])
        values["updated_at"] = self.time_out(values["updated_at"])
        due = self.time_out(values.pop("due_key"))
        values["next_due_at"] = None if due == NEVER else due
        return CaseSummary(**values)


class SQLiteCaseIndexView(CaseIndexView, SQLiteView):
    pass


class PostgresCaseIndexView(CaseIndexView, PostgresView):
    pass


CASE_INDEX = ProjectionSpec(projection=CaseIndexProjection, sqlite_view=SQLiteCaseIndexView,
                            postgres_view=PostgresCaseIndexView)
