"""The SLA board: per department, live targets pending, at risk and breached now, and which.

It reads the `queues` projection's tables (one projection, see `projections.queues`): the case
rows, for open cases and their department, and `queues_targets`, one row per target with the
inputs of `domain.targets.status`. A target is live while its case is open (or waiting on the
customer), it is not met, and it is not a wait-time promise (decided when measured). A paused
target keeps the state it had when its clock stopped.

At risk and breached depend on the moment and the calendar, so the query judges targets at the
caller's `now`, each on its desk's calendar (`domain.targets.status`), and SQL spares it most of
the work. A running target recorded as breached, or past its due time, is breached whatever
the calendar: SQL counts those, and only the page listed is judged (for its overdue time). A
running target is at risk when less than `at_risk_share * seconds` of its time is left, so one
due at or after `calendar.add(now, that + 1 s)` is certainly pending (the second covers
`status`'s rounding); the threshold is one per (basis, seconds, share), a handful in any
catalogue. So only paused targets and those due within their threshold are judged one by one.
"""

from __future__ import annotations

from collections import Counter
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
FLAGGED = (TargetState.AT_RISK, TargetState.BREACHED)


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
        mark, at = self.placeholder, self.time_in(now)
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
        # Running and overdue, or recorded as breached: breached, whatever the calendar says.
        overdue = f"t.paused_at IS NULL AND (t.breached_at IS NOT NULL OR t.due_at < {mark})"
        with self.reading() as cursor:  # names resolve to the live generation inside
            source = (f"{self.table(TARGETS)} t JOIN {self.table(CASES)} q "
                      "ON q.id = t.case_id")
            cursor.execute(f"SELECT q.department AS department, COUNT(*) AS n, SUM(CASE WHEN "
                           f"{overdue} THEN 1 ELSE 0 END) AS overdue FROM {source} "
                           f"WHERE {scope} GROUP BY q.department", [at, *parameters])
            totals = {row["department"]: (int(row["n"]), int(row["overdue"] or 0))
                      for row in cursor.fetchall()}
            judged = self._judged_near_due(cursor, source, f"{scope} AND NOT ({overdue})",
                                           [*parameters, at], now, calendars)
            cursor.execute(
                f"SELECT q.reference AS reference, q.department AS department, "
                f"q.assignee AS assignee, t.* FROM {source} WHERE {scope} AND {overdue}"
                + ("" if start is None else
                   f" AND (t.due_at, t.case_id, t.target) > ({mark}, {mark}, {mark})")
                + f" ORDER BY t.due_at, t.case_id, t.target LIMIT {mark}",
                [*parameters, at, *([] if start is None else [
                    self.time_in(start[0]), self.id_in(start[1]), start[2]]), limit + 1])
            late = [self._board_entry(row, now, calendars) for row in cursor.fetchall()]
        flagged = Counter((e.department, e.target.state) for e in judged)
        if department is not None:
            totals.setdefault(department, (0, 0))
        counts = tuple(BoardCount(
            department=name, at_risk=flagged[name, TargetState.AT_RISK],
            breached=late_count + flagged[name, TargetState.BREACHED],
            pending=total - late_count - flagged[name, TargetState.AT_RISK]
            - flagged[name, TargetState.BREACHED])
            for name, (total, late_count) in sorted(totals.items()))
        entries = sorted((e for e in late + judged if start is None or _board_key(e) > start),
                         key=_board_key)
        if len(entries) <= limit:
            return SlaBoard(counts, entries, None)
        page = entries[:limit]
        return SlaBoard(counts, page, encode_cursor(*_board_key(page[-1])))

    def _judged_near_due(self, cursor: Any, source: str, scope: str, parameters: list[Any],
                         now: datetime, calendars: DeskCalendars) -> list[BoardEntry]:
        """The targets in `scope` at risk or breached at `now`, judged by `status`, of those
        that may be: every paused one, and every running one due before its kind's
        `certainly_pending_from`."""
        near, near_parameters = self.may_be_at_risk(cursor, now, calendars)
        cursor.execute(f"SELECT q.reference AS reference, q.department AS department, "
                       f"q.assignee AS assignee, t.* FROM {source} WHERE {scope} "
                       f"AND {near}", [*parameters, *near_parameters])
        entries = (self._board_entry(row, now, calendars) for row in cursor.fetchall())
        return [entry for entry in entries if entry.target.state in FLAGGED]

    def _board_entry(self, row: Any, now: datetime, calendars: DeskCalendars) -> BoardEntry:
        target = self.target_of(row)
        return BoardEntry(case_id=self.id_out(row["case_id"]), reference=row["reference"],
                          department=row["department"], assignee=row["assignee"],
                          basis=target.basis, target=status(target, now, calendars.of(target.desk)))


def _board_key(entry: BoardEntry) -> tuple[datetime, UUID, str]:
    return entry.target.due_at, entry.case_id, entry.target.name
