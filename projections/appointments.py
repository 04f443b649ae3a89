"""Appointments per desk and day, for the desk's daily list
(`GET /api/v1/desks/{code}/appointments?day=`).

One row per booking (a case's `AppointmentBooked`, keyed by the case's version then), holding
what the case's events decided: its desk, local day, slot and state. A reschedule, cancel,
attendance or no-show changes the case's booked row; a transfer moves the case's rows to its
new department. SQL only filters and sorts.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from application.appointments import APPOINTMENTS_NAME, AppointmentEntry
from domain.cases import Case
from engine import PostgresView, ProjectionSpec, SQLiteView, View

NAME = APPOINTMENTS_NAME
CASES = f"{NAME}_cases"  # each case's reference and department, known before any booking
COLUMNS = ("case_id", "booking", "reference", "department", "desk", "day", "starts_at",
           "ends_at", "service_code", "mode", "state", "meeting_link")
Events: Any = Case  # the event classes are made at import time; see projections.case_index


class AppointmentsProjection(Projection["AppointmentsView"]):
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

    @process_event.register(Events.AppointmentBooked)
    def _booked(self, event: Any, tracking: Tracking) -> None:
        self.view.booked(tracking, event.originator_id, event.originator_version, {
            "desk": event.desk, "day": event.day, "starts_at": event.starts_at,
            "ends_at": event.ends_at, "service_code": event.service_code, "mode": event.mode,
            "meeting_link": event.meeting_link})

    @process_event.register(Events.AppointmentRescheduled)
    def _rescheduled(self, event: Any, tracking: Tracking) -> None:
        self.view.changed(tracking, event.originator_id, {
            "day": event.day, "starts_at": event.starts_at, "ends_at": event.ends_at,
            "meeting_link": event.meeting_link})

    @process_event.register(Events.AppointmentCancelled)
    def _cancelled(self, event: Any, tracking: Tracking) -> None:
        self.view.changed(tracking, event.originator_id, {"state": "cancelled"})

    @process_event.register(Events.AppointmentAttended)
    def _attended(self, event: Any, tracking: Tracking) -> None:
        self.view.changed(tracking, event.originator_id, {"state": "attended"})

    @process_event.register(Events.AppointmentNoShow)
    def _no_show(self, event: Any, tracking: Tracking) -> None:
        self.view.changed(tracking, event.originator_id, {"state": "no_show"})


class AppointmentsView(View):
    """The read model's tables, writes and query, on either database."""

    name = NAME
    TIME_COLUMNS = frozenset({"starts_at", "ends_at"})

    def view_statements(self) -> list[str]:
        table, cases = self.table(NAME), self.table(CASES)
        t, uuid = self.time_type, self.uuid_type
        return [
            f"CREATE TABLE IF NOT EXISTS {cases} (id {uuid} PRIMARY KEY, "
            "reference TEXT NOT NULL, department TEXT NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {table} (case_id {uuid} NOT NULL, "
            "booking BIGINT NOT NULL, reference TEXT NOT NULL, department TEXT NOT NULL, "
            f"desk TEXT NOT NULL, day TEXT NOT NULL, starts_at {t} NOT NULL, "
            f"ends_at {t} NOT NULL, service_code TEXT NOT NULL, mode TEXT NOT NULL, "
            "state TEXT NOT NULL, meeting_link TEXT, PRIMARY KEY (case_id, booking))",
            f"CREATE INDEX IF NOT EXISTS {self.table(f'{NAME}_by_desk_day')} ON {table} "
            "(desk, day, starts_at, reference)",
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

    def booked(self, tracking: Tracking, case_id: UUID, booking: int,
               values: dict[str, Any]) -> None:
        mark = self.placeholder
        with self.writing(tracking) as cursor:
            cursor.execute(
                f"INSERT INTO {self.table(NAME)} ({', '.join(COLUMNS)}) SELECT id, {mark}, "
                f"reference, department, {mark}, {mark}, {mark}, {mark}, {mark}, {mark}, "
                f"'booked', {mark} FROM {self.table(CASES)} WHERE id = {mark}",
                [booking, values["desk"], values["day"], self.time_in(values["starts_at"]),
                 self.time_in(values["ends_at"]), values["service_code"], values["mode"],
                 values["meeting_link"], self.id_in(case_id)])

    def changed(self, tracking: Tracking, case_id: UUID, values: dict[str, Any]) -> None:
        """Change the case's booked row: a case has at most one at a time."""
        mark = self.placeholder
        with self.writing(tracking) as cursor:
            cursor.execute(
                f"UPDATE {self.table(NAME)} SET "
                + ", ".join(f"{column} = {mark}" for column in values)
                + f" WHERE case_id = {mark} AND state = 'booked'",
                [*(self.to_db(c, v) for c, v in values.items()), self.id_in(case_id)])

    def day_list(self, visible_departments: frozenset[str] | None, *, desk: str,
                 day: date) -> list[AppointmentEntry]:
        """See `application.appointments.AppointmentQuery.day_list`."""
        mark = self.placeholder
        where, parameters = [f"desk = {mark}", f"day = {mark}"], [desk, day.isoformat()]
        if visible_departments is not None:
            if not visible_departments:
                return []
            where.append(f"department IN ({', '.join(mark for _ in visible_departments)})")
            parameters += sorted(visible_departments)
        with self.reading() as cursor:
            cursor.execute(f"SELECT {', '.join(COLUMNS)} FROM {self.table(NAME)} WHERE "
                           f"{' AND '.join(where)} ORDER BY starts_at, reference, booking",
                           parameters)
            rows = cursor.fetchall()
        return [AppointmentEntry(
            case_id=self.id_out(row["case_id"]), booking=int(row["booking"]),
            reference=row["reference"], department=row["department"], desk=row["desk"],
            day=date.fromisoformat(row["day"]), starts_at=self.time_out(row["starts_at"]),
            ends_at=self.time_out(row["ends_at"]), service_code=row["service_code"],
            mode=row["mode"], state=row["state"], meeting_link=row["meeting_link"])
            for row in rows]


class SQLiteAppointmentsView(AppointmentsView, SQLiteView):
    pass


class PostgresAppointmentsView(AppointmentsView, PostgresView):
    pass


APPOINTMENTS = ProjectionSpec(projection=AppointmentsProjection,
                              sqlite_view=SQLiteAppointmentsView,
                              postgres_view=PostgresAppointmentsView)
