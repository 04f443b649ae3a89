"""Cases a new one may duplicate: every case's service, subject and status, and the place an
Open311 request gave, for `application.duplicates`.

Two tables: `duplicate_candidates`, a row per case (whether it is still open is the domain's
status rule, `projections.case_status`), and `duplicate_candidates_places`, a row per Open311
request with a latitude and longitude (a separate table, as the request's record and its case
are two aggregates whose events may come in either order). SQL only narrows: open cases of a
service inside a bounding box (by index), or open cases among given ids; the distance and the
subjects' likeness are judged by the domain (`domain.duplicates`), in Python, alike on both
databases. The subject is held in clear, as in the case index (see the README's privacy
section).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from application.duplicates import DUPLICATES_NAME, Candidate
from domain.case_status import is_active, status_after
from domain.cases import Case
from domain.duplicates import BoundingBox
from domain.open311 import ServiceRequestRecord
from engine import PostgresView, ProjectionSpec, SQLiteView, View
from projections.case_status import status_values

NAME = DUPLICATES_NAME
PLACES = f"{NAME}_places"
COLUMNS = ("id", "reference", "department", "service_code", "subject", "status", "active",
           "received_at")
Events: Any = Case  # the event classes are made at import time; see projections.case_index
Records: Any = ServiceRequestRecord
CHUNK = 500  # ids per `IN (...)` list


class DuplicateCandidatesProjection(Projection["DuplicateCandidatesView"]):
    name = NAME
    topics = ()  # every event, so the position reaches whatever a command reported

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.track(tracking)

    @process_event.register(Events.Received)
    def _received(self, event: Any, tracking: Tracking) -> None:
        status = status_after("", "Received")
        self.view.insert_case(tracking, {
            "id": event.originator_id, "reference": event.reference,
            "department": event.department, "service_code": event.service_code,
            "subject": event.subject, "status": status, "active": is_active(status),
            "received_at": event.occurred_at})

    @process_event.register(Events.Event)
    def _changed(self, event: Any, tracking: Tracking) -> None:
        values = status_values(type(event).__name__, active="active")
        if isinstance(event, Events.Transferred):
            values["department"] = event.to_department
        self.view.update_case(tracking, event.originator_id, values)

    @process_event.register(Records.Submitted)
    def _submitted(self, event: Any, tracking: Tracking) -> None:
        if event.lat is None or event.long is None:
            self.view.track(tracking)
            return
        self.view.place(tracking, Case.create_id(event.reference), event.lat, event.long)


class DuplicateCandidatesView(View):
    """The read model's tables, writes and queries, on either database."""

    name = NAME
    TIME_COLUMNS = frozenset({"received_at"})

    def view_statements(self) -> list[str]:
        cases, places = self.table(NAME), self.table(PLACES)
        return [
            f"CREATE TABLE IF NOT EXISTS {cases} (id {self.uuid_type} PRIMARY KEY, "
            "reference TEXT NOT NULL, department TEXT NOT NULL, service_code TEXT, "
            "subject TEXT NOT NULL, status TEXT NOT NULL, active BOOLEAN NOT NULL, "
            f"received_at {self.time_type} NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {places} (case_id {self.uuid_type} PRIMARY KEY, "
            "latitude DOUBLE PRECISION NOT NULL, longitude DOUBLE PRECISION NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS {self.table(f'{PLACES}_by_latitude')} "
            f"ON {places} (latitude, longitude)",
            f"CREATE INDEX IF NOT EXISTS {self.table(f'{NAME}_open_by_service')} "
            f"ON {cases} (service_code, id) WHERE active",
        ]

    def track(self, tracking: Tracking) -> None:
        with self.writing(tracking):
            pass

    def insert_case(self, tracking: Tracking, row: dict[str, Any]) -> None:
        with self.writing(tracking) as cursor:
            self.insert_row(cursor, NAME, COLUMNS, row)

    def update_case(self, tracking: Tracking, case_id: UUID, values: dict[str, Any]) -> None:
        with self.writing(tracking) as cursor:
            if values:
                self.update_row(cursor, NAME, case_id, values)

    def place(self, tracking: Tracking, case_id: UUID, lat: float, long: float) -> None:
        mark = self.placeholder
        with self.writing(tracking) as cursor:
            cursor.execute(f"INSERT INTO {self.table(PLACES)} (case_id, latitude, longitude) "
                           f"VALUES ({mark}, {mark}, {mark}) ON CONFLICT (case_id) DO UPDATE "
                           "SET latitude = excluded.latitude, longitude = excluded.longitude",
                           [self.id_in(case_id), lat, long])

    # -- queries (see application.duplicates.CandidateQuery) ---------------------------------

    def _select(self, cursor: Any) -> str:
        return (f"SELECT c.id, c.reference, c.department, c.service_code, c.subject, "
                f"c.status, c.received_at, p.latitude, p.longitude FROM {self.table(NAME)} c "
                f"LEFT JOIN {self.table(PLACES)} p ON p.case_id = c.id WHERE c.active")

    def nearby(self, service_code: str, box: BoundingBox) -> list[Candidate]:
        mark = self.placeholder
        with self.reading() as cursor:
            cursor.execute(f"{self._select(cursor)} AND c.service_code = {mark} "
                           f"AND p.latitude BETWEEN {mark} AND {mark} "
                           f"AND p.longitude BETWEEN {mark} AND {mark} ORDER BY c.id",
                           [service_code, box.south, box.north, box.west, box.east])
            return [self._candidate(row) for row in cursor.fetchall()]

    def among(self, case_ids: list[UUID]) -> list[Candidate]:
        found: list[Candidate] = []
        with self.reading() as cursor:
            for start in range(0, len(case_ids), CHUNK):
                chunk = case_ids[start:start + CHUNK]
                cursor.execute(f"{self._select(cursor)} AND c.id IN "
                               f"({', '.join(self.placeholder for _ in chunk)}) ORDER BY c.id",
                               [self.id_in(case_id) for case_id in chunk])
                found += [self._candidate(row) for row in cursor.fetchall()]
        return found

    def _candidate(self, row: Any) -> Candidate:
        lat, long = row["latitude"], row["longitude"]
        return Candidate(
            case_id=self.id_out(row["id"]), reference=row["reference"],
            department=row["department"], service_code=row["service_code"],
            subject=row["subject"], status=row["status"],
            received_at=self.time_out(row["received_at"]),
            lat=None if lat is None else float(lat), long=None if long is None else float(long))


class SQLiteDuplicateCandidatesView(DuplicateCandidatesView, SQLiteView):
    pass


class PostgresDuplicateCandidatesView(DuplicateCandidatesView, PostgresView):
    pass


DUPLICATE_CANDIDATES = ProjectionSpec(projection=DuplicateCandidatesProjection,
                                      sqlite_view=SQLiteDuplicateCandidatesView,
                                      postgres_view=PostgresDuplicateCandidatesView)
