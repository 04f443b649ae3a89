"""The inbox: every item addressed to a person or a department, and who has read which.

Items come from case facts (domain.inbox decides whom each reaches): an internal note's
mentions (`InternalNoteAdded`), a target recorded at risk (`TargetAtRisk`) and a deadline
recorded missed (`DeadlineMissed`), the alerts going to the case's assignee and its
department's manager as they stood when the fact was recorded. So the view keeps each case's
reference, owning department and assignee, and each department's manager, from their events.
A read mark is its own fact (`InboxItemRead`), so a rebuilt inbox keeps what was read.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import singledispatch
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from application.inbox import InboxItem, ReadState
from domain.cases import Case
from domain.catalogue import Department
from domain.errors import InvalidValue
from domain.inbox import (
    Addressee,
    InboxItemRead,
    ItemKind,
    alert_addressees,
    item_id,
    mention_addressees,
)
from engine import PostgresView, ProjectionSpec, SQLiteView

NAME = "inbox"


class InboxProjection(Projection["InboxView"]):
    name = NAME
    topics = ()

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.apply(tracking, [(domain_event, tracking.notification_id)])

    def process_batch(self, batch: Sequence[tuple[Any, Tracking]]) -> None:
        self.view.apply(batch[-1][1], [(event, t.notification_id) for event, t in batch
                                       if reads(event)])


@singledispatch
def reads(event: Any) -> bool:
    return False


for _kind in (Case.Received, Case.Assigned, Case.Transferred, Case.InternalNoteAdded,
              Case.TargetAtRisk, Case.DeadlineMissed, Department.ManagerNamed,
              InboxItemRead.Marked):
    reads.register(_kind)(lambda event: True)


class InboxView:
    """The view's SQL, mixed into a dialect base (`SQLiteView` or `PostgresView`)."""

    name = NAME

    def view_statements(self) -> list[str]:
        items, cases = self.table(NAME + "_items"), self.table(NAME + "_cases")
        managers, marks = self.table(NAME + "_managers"), self.table(NAME + "_reads")
        uuid, time = self.uuid_type, self.time_type
        return [
            f"CREATE TABLE IF NOT EXISTS {items} (item_id {uuid} PRIMARY KEY, "
            f"addressee TEXT NOT NULL, kind TEXT NOT NULL, case_id {uuid} NOT NULL, "
            "reference TEXT NOT NULL, department TEXT NOT NULL, target TEXT, "
            f"due_at {time}, note TEXT, by_actor TEXT NOT NULL, occurred_at {time} NOT NULL, "
            "position BIGINT NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS {self.table(NAME + '_by_addressee')} "
            f"ON {items} (addressee, position, item_id)",
            f"CREATE TABLE IF NOT EXISTS {cases} (case_id {uuid} PRIMARY KEY, "
            "reference TEXT NOT NULL, department TEXT NOT NULL, assignee TEXT)",
            f"CREATE TABLE IF NOT EXISTS {managers} (department TEXT PRIMARY KEY, "
            "manager TEXT)",
            f"CREATE TABLE IF NOT EXISTS {marks} (item_id {uuid} NOT NULL, "
            f"reader TEXT NOT NULL, read_at {time} NOT NULL, PRIMARY KEY (item_id, reader))",
        ]

    # -- following the log -------------------------------------------------------------------

    def apply(self, tracking: Tracking, events: list[tuple[Any, int]]) -> None:
        """Apply `events` (each with its log position) in order: an alert reads the assignee
        and manager the events before it left."""
        with self.writing(tracking) as cursor:
            for event, position in events:
                self._apply(cursor, event, position)

    def _apply(self, cursor: Any, event: Any, position: int) -> None:
        mark, cases = self.placeholder, self.table(NAME + "_cases")
        match event:
            case Case.Received():
                cursor.execute(f"INSERT INTO {cases} (case_id, reference, department, "
                               f"assignee) VALUES ({mark}, {mark}, {mark}, NULL) "
                               "ON CONFLICT (case_id) DO NOTHING",
                               [self.id_in(event.originator_id), event.reference,
                                event.department])
            case Case.Assigned():
                cursor.execute(f"UPDATE {cases} SET assignee = {mark} WHERE case_id = {mark}",
                               [event.assignee, self.id_in(event.originator_id)])
            case Case.Transferred():
                cursor.execute(f"UPDATE {cases} SET department = {mark}, assignee = NULL "
                               f"WHERE case_id = {mark}",
                               [event.to_department, self.id_in(event.originator_id)])
            case Department.ManagerNamed():
                cursor.execute(f"INSERT INTO {self.table(NAME + '_managers')} (department, "
                               f"manager) VALUES ({mark}, {mark}) ON CONFLICT (department) "
                               "DO UPDATE SET manager = excluded.manager",
                               [event.department, event.manager])
            case InboxItemRead.Marked():
                cursor.execute(f"INSERT INTO {self.table(NAME + '_reads')} (item_id, reader, "
                               f"read_at) VALUES ({mark}, {mark}, {mark}) "
                               "ON CONFLICT (item_id, reader) DO NOTHING",
                               [self.id_in(event.item), event.reader,
                                self.time_in(event.read_at)])
            case Case.InternalNoteAdded():
                self._items(cursor, event, position, ItemKind.MENTION, mention_addressees(
                    tuple(event.mention_people), tuple(event.mention_departments),
                    event.actor_id), note=event.note)
            case Case.TargetAtRisk() | Case.DeadlineMissed():
                kind = (ItemKind.AT_RISK if isinstance(event, Case.TargetAtRisk)
                        else ItemKind.DEADLINE_MISSED)
                self._items(cursor, event, position, kind, None, target=event.target,
                            due_at=event.due_at)

    def _case(self, cursor: Any, case_id: UUID) -> Any:
        mark = self.placeholder
        cursor.execute(f"SELECT c.reference, c.department, c.assignee, m.manager "
                       f"FROM {self.table(NAME + '_cases')} c "
                       f"LEFT JOIN {self.table(NAME + '_managers')} m "
                       f"ON m.department = c.department WHERE c.case_id = {mark}",
                       [self.id_in(case_id)])
        return cursor.fetchone()

    def _items(self, cursor: Any, event: Any, position: int, kind: ItemKind,
               addressees: list[Addressee] | None, *, note: str | None = None,
               target: str | None = None, due_at: datetime | None = None) -> None:
        case = self._case(cursor, event.originator_id)
        if case is None:
            return  # a case received before this view began: nothing to address
        if addressees is None:
            addressees = alert_addressees(case["assignee"], case["department"],
                                          case["manager"])
        mark = self.placeholder
        for addressee in addressees:
            cursor.execute(
                f"INSERT INTO {self.table(NAME + '_items')} (item_id, addressee, kind, "
                "case_id, reference, department, target, due_at, note, by_actor, "
                f"occurred_at, position) VALUES ({', '.join([mark] * 12)}) "
                "ON CONFLICT (item_id) DO NOTHING",
                [self.id_in(item_id(event.originator_id, event.originator_version,
                                    addressee)),
                 addressee.key, kind.value, self.id_in(event.originator_id),
                 case["reference"], case["department"], target,
                 None if due_at is None else self.time_in(due_at), note, event.actor_id,
                 self.time_in(event.occurred_at), position])

    # -- queries (application.inbox.InboxQuery) ----------------------------------------------

    def _row(self, row: Any) -> InboxItem:
        due, read = row["due_at"], row["read_at"]
        return InboxItem(
            id=self.id_out(row["item_id"]), addressee=row["addressee"], kind=row["kind"],
            case_id=self.id_out(row["case_id"]), reference=row["reference"],
            department=row["department"], target=row["target"],
            due_at=None if due is None else self.time_out(due), note=row["note"],
            by=row["by_actor"], occurred_at=self.time_out(row["occurred_at"]),
            read_at=None if read is None else self.time_out(read))

    def _select(self, addressees: list[Addressee], reader: str) -> tuple[str, list[Any]]:
        mark = self.placeholder
        return (f"SELECT i.*, r.read_at FROM {self.table(NAME + '_items')} i "
                f"LEFT JOIN {self.table(NAME + '_reads')} r "
                f"ON r.item_id = i.item_id AND r.reader = {mark} "
                f"WHERE i.addressee IN ({', '.join(mark for _ in addressees)})",
                [reader, *(a.key for a in addressees)])

    def items(self, addressees: list[Addressee], reader: str, *, state: ReadState,
              after: str | None, limit: int) -> tuple[list[InboxItem], str | None]:
        sql, params = self._select(addressees, reader)
        if state == ReadState.UNREAD:
            sql += " AND r.read_at IS NULL"
        elif state == ReadState.READ:
            sql += " AND r.read_at IS NOT NULL"
        if after is not None:
            position, last = _cursor(after)
            mark = self.placeholder
            sql += (f" AND (i.position < {mark} OR (i.position = {mark} "
                    f"AND i.item_id < {mark}))")
            params += [position, position, self.id_in(last)]
        sql += f" ORDER BY i.position DESC, i.item_id DESC LIMIT {int(limit) + 1}"
        with self.reading() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        found = [self._row(row) for row in rows[:limit]]
        more = len(rows) > limit
        return found, (f"{rows[limit - 1]['position']}.{found[-1].id}" if more else None)

    def item(self, item_id: UUID, addressees: list[Addressee]) -> InboxItem | None:
        sql, params = self._select(addressees, "")
        with self.reading() as cursor:
            cursor.execute(f"{sql} AND i.item_id = {self.placeholder}",
                           [*params, self.id_in(item_id)])
            row = cursor.fetchone()
        return None if row is None else self._row(row)


def _cursor(after: str) -> tuple[int, UUID]:
    """A `next_cursor`: the last item's log position and id. Raises InvalidValue."""
    position, _, last = after.partition(".")
    try:
        found = int(position), UUID(last)
    except ValueError:
        found = (-1, UUID(int=0))
    if not 0 <= found[0] < 2 ** 63:
        raise InvalidValue("after is not a cursor this list gave", "after")
    return found


class SQLiteInboxView(InboxView, SQLiteView):
    pass


class PostgresInboxView(InboxView, PostgresView):
    pass


INBOX = ProjectionSpec(projection=InboxProjection, sqlite_view=SQLiteInboxView,
                       postgres_view=PostgresInboxView)
