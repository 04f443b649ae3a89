"""Accessibility accommodation requests, one row per request on any case, for the list of open
ones (`GET /api/v1/accommodations`).

Rows hold the state the domain decided (`domain.accommodations.state_of`, applied to the
case's own record of the request as each event leaves it), so SQL only filters and sorts. A
transfer moves a case's rows to its new department. Rows change only by single writes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from application.accommodations import ACCOMMODATIONS_NAME, STATE_FILTERS, AccommodationEntry
from application.queries import DEFAULT_PAGE
from domain.accommodations import AccommodationState, state_of
from domain.cases import Case
from domain.errors import InvalidValue
from engine import PostgresView, ProjectionSpec, SQLiteView, View
from projections.keyset import decode_cursor, encode_cursor
from projections.sla_board import check_limit

NAME = ACCOMMODATIONS_NAME
CASES = f"{NAME}_cases"  # each case's reference and department, known before any request
COLUMNS = ("case_id", "number", "reference", "department", "need", "state", "requested_at",
           "not_made_at", "alternative", "provided_at")
Events: Any = Case  # the event classes are made at import time; see projections.case_index
OPEN_STATES = tuple(s.value for s in AccommodationState if s.is_open)


class AccommodationsProjection(Projection["AccommodationsView"]):
    name = NAME
    topics = ()  # every event, so the position reaches whatever a command reported

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.track(tracking)

    @process_event.register(Events.Received)
    def _received(self, event: Any, tracking: Tracking) -> None:
        self.view.case_received(tracking, event.originator_id, event.reference,
                                event.department)

    @process_event.register(Events.Transferred)
    def _transferred(self, event: Any, tracking: Tracking) -> None:
        self.view.case_moved(tracking, event.originator_id, event.to_department)

    @process_event.register(Events.AccommodationRequested)
    def _requested(self, event: Any, tracking: Tracking) -> None:
        request = {"number": event.number, "need": event.need,
                   "requested_at": event.occurred_at, "provided_at": None, "not_made_at": None}
        self.view.requested(tracking, event.originator_id, request, state_of(request).value)

    @process_event.register(Events.AccommodationNotMade)
    def _not_made(self, event: Any, tracking: Tracking) -> None:
        state = state_of({"not_made_at": event.occurred_at}).value
        self.view.changed(tracking, event.originator_id, event.number, {
            "state": state, "not_made_at": event.occurred_at,
            "alternative": event.alternative})

    @process_event.register(Events.AccommodationProvided)
    def _provided(self, event: Any, tracking: Tracking) -> None:
        state = state_of({"provided_at": event.occurred_at}).value
        self.view.changed(tracking, event.originator_id, event.number, {
            "state": state, "provided_at": event.occurred_at})


class AccommodationsView(View):
    """The read model's tables, writes and query, on either database."""

    name = NAME
    TIME_COLUMNS = frozenset({"requested_at", "not_made_at", "provided_at"})

    def view_statements(self) -> list[str]:
        table, cases = self.table(NAME), self.table(CASES)
        t, uuid = self.time_type, self.uuid_type
        return [
            f"CREATE TABLE IF NOT EXISTS {cases} (id {uuid} PRIMARY KEY, "
            "reference TEXT NOT NULL, department TEXT NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {table} (case_id {uuid} NOT NULL, "
            "number BIGINT NOT NULL, reference TEXT NOT NULL, department TEXT NOT NULL, "
            f"need TEXT NOT NULL, state TEXT NOT NULL, requested_at {t} NOT NULL, "
            f"not_made_at {t}, alternative TEXT, provided_at {t}, "
            "PRIMARY KEY (case_id, number))",
            f"CREATE INDEX IF NOT EXISTS {self.table(f'{NAME}_by_state')} ON {table} "
            "(state, requested_at, case_id, number)",
        ]

    def track(self, tracking: Tracking) -> None:
        with self.writing(tracking):
            pass

    def case_received(self, tracking: Tracking, case_id: UUID, reference: str,
                      department: str) -> None:
        with self.writing(tracking) as cursor:
            self.insert_row(cursor, CASES, ("id", "reference", "department"),
                            {"id": case_id, "reference": reference, "department": department})

    def case_moved(self, tracking: Tracking, case_id: UUID, department: str) -> None:
        mark = self.placeholder
        with self.writing(tracking) as cursor:
            self.update_row(cursor, CASES, case_id, {"department": department})
            cursor.execute(f"UPDATE {self.table(NAME)} SET department = {mark} "
                           f"WHERE case_id = {mark}", [department, self.id_in(case_id)])

    def requested(self, tracking: Tracking, case_id: UUID, request: dict[str, Any],
                  state: str) -> None:
        mark = self.placeholder
        with self.writing(tracking) as cursor:
            cursor.execute(
                f"INSERT INTO {self.table(NAME)} ({', '.join(COLUMNS)}) SELECT "
                f"id, {mark}, reference, department, {mark}, {mark}, {mark}, NULL, NULL, NULL "
                f"FROM {self.table(CASES)} WHERE id = {mark}",
                [request["number"], request["need"], state,
                 self.time_in(request["requested_at"]), self.id_in(case_id)])

    def changed(self, tracking: Tracking, case_id: UUID, number: int,
                values: dict[str, Any]) -> None:
        mark = self.placeholder
        with self.writing(tracking) as cursor:
            cursor.execute(
                f"UPDATE {self.table(NAME)} SET "
                + ", ".join(f"{column} = {mark}" for column in values)
                + f" WHERE case_id = {mark} AND number = {mark}",
                [*(self.to_db(c, v) for c, v in values.items()), self.id_in(case_id), number])

    def accommodations(self, visible_departments: frozenset[str] | None, *,
                       department: str | None = None, state: str = "open",
                       after: str | None = None, limit: int = DEFAULT_PAGE,
                       ) -> tuple[list[AccommodationEntry], str | None]:
        """See `application.accommodations.AccommodationQuery.accommodations`."""
        check_limit(limit)
        if state not in STATE_FILTERS:
            raise InvalidValue(f"state must be one of: {', '.join(STATE_FILTERS)}; got "
                               f"{state!r}", "state")
        mark = self.placeholder
        states = list(OPEN_STATES) if state == "open" else [state]
        where = [f"state IN ({', '.join(mark for _ in states)})"]
        parameters: list[Any] = [*states]
        if visible_departments is not None:
            if not visible_departments:
                return [], None
            where.append(f"department IN ({', '.join(mark for _ in visible_departments)})")
            parameters += sorted(visible_departments)
        if department is not None:
            where.append(f"department = {mark}")
            parameters.append(department)
        if after is not None:
            requested_at, case_id, number_text = decode_cursor(after, datetime, UUID, str)
            if not number_text.isdigit():
                raise InvalidValue("after is not a cursor this list handed out", "after")
            number = int(number_text)
            where.append(f"(requested_at, case_id, number) > ({mark}, {mark}, {mark})")
            parameters += [self.time_in(requested_at), self.id_in(case_id), number]
        with self.reading() as cursor:
            cursor.execute(f"SELECT {', '.join(COLUMNS)} FROM {self.table(NAME)} WHERE "
                           f"{' AND '.join(where)} ORDER BY requested_at, case_id, number "
                           f"LIMIT {mark}", [*parameters, limit + 1])
            rows = cursor.fetchall()
        more, rows = len(rows) > limit, rows[:limit]
        entries = [self._entry(row) for row in rows]
        if not more:
            return entries, None
        last = entries[-1]
        return entries, encode_cursor(last.requested_at, last.case_id, str(last.number))

    def _entry(self, row: Any) -> AccommodationEntry:
        def moment(column: str) -> datetime | None:
            return None if row[column] is None else self.time_out(row[column])

        return AccommodationEntry(
            case_id=self.id_out(row["case_id"]), reference=row["reference"],
            department=row["department"], number=int(row["number"]), need=row["need"],
            state=row["state"], requested_at=self.time_out(row["requested_at"]),
            not_made_at=moment("not_made_at"), alternative=row["alternative"],
            provided_at=moment("provided_at"))


class SQLiteAccommodationsView(AccommodationsView, SQLiteView):
    pass


class PostgresAccommodationsView(AccommodationsView, PostgresView):
    pass


ACCOMMODATIONS = ProjectionSpec(projection=AccommodationsProjection,
                                sqlite_view=SQLiteAccommodationsView,
                                postgres_view=PostgresAccommodationsView)
