"""The SLA board: per department, live targets pending, at risk and breached now, and which.

It reads the `queues` projection's tables (one projection, see `projections.queues`): the case
rows, for open cases and their department, and `queues_targets`, one row per target with the
instants the domain fixed for it. A target is live while its case is open (or waiting on the
customer), it is not met, and it is not a wait-time promise (decided when measured). A paused
target keeps the state it had when its clock stopped.

States are `domain.targets.state_at` in SQL (`TargetRows.state_condition`): counted and listed
by comparing stored instants with `now`. Only the page listed is read into Python, where each
entry's remaining time is measured on its desk's calendar for display.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from application.queries import DEFAULT_PAGE, MAX_PAGE
from application.work_queues import QUEUES_NAME, BoardCount, BoardEntry, SlaBoard
from domain.closures import DeskCalendars
from domain.errors import InvalidValue
from domain.targets import TargetState, status
from projections.keyset import decode_cursor, encode_cursor
from projections.target_rows import TargetRows, live

CASES, TARGETS = QUEUES_NAME, f"{QUEUES_NAME}_targets"  # the queues projection's tables


def check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidValue(f"limit must be between 1 and {MAX_PAGE}", "limit")


class SlaBoardView(TargetRows):
    """The board's query over the queues' tables; mixed into the queues view."""

    CASES, TARGETS = CASES, TARGETS

    def sla_board(self, visible_departments: frozenset[str] | None, *, now: datetime,
                  calendars: DeskCalendars, department: str | None = None,
                  after: str | None = None, limit: int = DEFAULT_PAGE) -> SlaBoard:
        """See `application.work_queues.SlaBoardQuery.sla_board`."""
        check_limit(limit)
        start = None if after is None else decode_cursor(after, datetime, UUID, str)
        mark = self.placeholder
        where, parameters = ["q.in_queue", live("t")], []
        if department is not None:
            where.append(f"q.department = {mark}")
            parameters.append(department)
        if visible_departments is not None:
            if not visible_departments:
                return SlaBoard((), [], None)
            where.append(f"q.department IN ({', '.join(mark for _ in visible_departments)})")
            parameters += sorted(visible_departments)
        scope = " AND ".join(where)
        breached, breached_values = self.state_condition(TargetState.BREACHED, now)
        at_risk, at_risk_values = self.state_condition(TargetState.AT_RISK, now)
        with self.reading() as cursor:  # names resolve to the live generation inside
            source = (f"{self.table(TARGETS)} t JOIN {self.table(CASES)} q "
                      "ON q.id = t.case_id")
            cursor.execute(f"SELECT q.department AS department, COUNT(*) AS n, "
                           f"SUM(CASE WHEN {breached} THEN 1 ELSE 0 END) AS breached, "
                           f"SUM(CASE WHEN {at_risk} THEN 1 ELSE 0 END) AS at_risk "
                           f"FROM {source} WHERE {scope} GROUP BY q.department",
                           [*breached_values, *at_risk_values, *parameters])
            totals = {row["department"]: (int(row["n"]), int(row["breached"] or 0),
                                          int(row["at_risk"] or 0))
                      for row in cursor.fetchall()}
            cursor.execute(
                f"SELECT q.reference AS reference, q.department AS department, "
                f"q.assignee AS assignee, t.* FROM {source} WHERE {scope} "
                f"AND ({breached} OR {at_risk})"
                + ("" if start is None else
                   f" AND (t.due_at, t.case_id, t.target) > ({mark}, {mark}, {mark})")
                + f" ORDER BY t.due_at, t.case_id, t.target LIMIT {mark}",
                [*parameters, *breached_values, *at_risk_values,
                 *([] if start is None else [
                     self.time_in(start[0]), self.id_in(start[1]), start[2]]), limit + 1])
            entries = [self._board_entry(row, now, calendars) for row in cursor.fetchall()]
        if department is not None:
            totals.setdefault(department, (0, 0, 0))
        counts = tuple(BoardCount(department=name, at_risk=risky, breached=late,
                                  pending=total - late - risky)
                       for name, (total, late, risky) in sorted(totals.items()))
        if len(entries) <= limit:
            return SlaBoard(counts, entries, None)
        page = entries[:limit]
        return SlaBoard(counts, page, encode_cursor(*_board_key(page[-1])))

    def _board_entry(self, row: Any, now: datetime, calendars: DeskCalendars) -> BoardEntry:
        target = self.target_of(row)
        return BoardEntry(case_id=self.id_out(row["case_id"]), reference=row["reference"],
                          department=row["department"], assignee=row["assignee"],
                          basis=target.basis, target=status(target, now, calendars.of(target.desk)))


def _board_key(entry: BoardEntry) -> tuple[datetime, UUID, str]:
    return entry.target.due_at, entry.case_id, entry.target.name
