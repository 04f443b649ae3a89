"""A case's SLA targets as table rows, for the read models that list cases by what is due.

The queues (and so the SLA board) and the case index keep one row per target of every case,
holding the instants the domain fixed for it (`domain.targets`: due, at risk from, paused,
met, recorded missed), and on the case's own row the soonest due time among its live,
running targets (`due_key`, NEVER when nothing is due) and that target's name. Events change
the rows exactly as the `Case` aggregate changes its targets (planned, rescheduled, measured,
paused, met, breached), by single write statements, so no projection transaction reads before
it writes.

When a target settles (planned settled, met, recorded missed) its row also stores the
domain's verdict, `domain.targets.settled_state` (`verdict`: met, met_late, breached,
not_measured; NULL while open), computed in Python from the row the write returned; a target
withdrawn by a merge loses its row (it counts neither way). A target's state at a moment is
`domain.targets.state_at`; `state_condition` is that rule in SQL: settled states filter on
`verdict`, and only an open target's state (pending, at risk, breached by its due time
passing) compares the stored instants with "now". A test holds the two to the same answers.
So every list filters and counts states in SQL, by index, with no calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID

from domain.cases import WAIT_TARGETS, Case
from domain.targets import MET_BY, Target, TargetState
from domain.values import Direction
from engine import View

NEVER = datetime(9999, 1, 1, tzinfo=UTC)  # the due key of a case with nothing due: last
TARGET_COLUMNS = ("case_id", "target", "standard_code", "standard_version", "title",
                  "started_at", "due_at", "seconds", "basis", "pausable", "at_risk_share",
                  "paused_seconds", "paused_at", "met_at", "breached_at", "desk", "at_risk_from",
                  "not_measured", "verdict")
TARGET_TIMES = frozenset({"started_at", "due_at", "paused_at", "met_at", "breached_at",
                          "at_risk_from"})
Events: Any = Case  # the event classes are made at import time; see projections.case_index
_WAITS = ", ".join(f"'{name}'" for name in sorted(WAIT_TARGETS))


def live(alias: str = "") -> str:
    """SQL: the target (of table alias `alias`) is neither met nor a wait-time promise."""
    prefix = f"{alias}." if alias else ""
    return f"{prefix}met_at IS NULL AND {prefix}target NOT IN ({_WAITS})"


@dataclass(frozen=True)
class TargetChange:
    """What one case event does to the case's targets."""

    targets: tuple[Target, ...] | None = None  # these replace the targets of the same names
    replace_all: bool = False  # ... or every target of the case
    paused_at: datetime | None = None
    met: frozenset[str] = frozenset()
    at: datetime | None = None  # when the targets in `met` were met
    breached: str | None = None
    breached_at: datetime | None = None
    withdrawn: frozenset[str] = frozenset()  # merged away: neither met nor breached, gone

    def __bool__(self) -> bool:
        return bool(self.targets is not None or self.paused_at or self.met or self.breached
                    or self.withdrawn)


def _met(fact: str, at: datetime) -> TargetChange:
    return TargetChange(met=frozenset(kind.value for kind in MET_BY[fact]), at=at)


def target_change_of(event: Any) -> TargetChange:
    """What a case event changes in its targets; mirrors the `Case` aggregate."""
    match event:
        case Events.TargetsSet():
            return TargetChange(targets=tuple(map(Target.from_data, event.targets)),
                                replace_all=True)
        case Events.TargetsRescheduled():
            return TargetChange(targets=tuple(map(Target.from_data, event.targets)))
        case Events.WaitMeasured():
            return TargetChange(targets=(Target.from_data(event.target),))
        case Events.WaitingOnCustomer():
            return TargetChange(paused_at=event.occurred_at)
        case Events.DeadlineMissed():
            return TargetChange(breached=event.target, breached_at=event.due_at)
        case Events.Acknowledged() | Events.InterimResponseSent():
            return _met(type(event).__name__, event.occurred_at)
        case Events.InteractionLogged() if event.direction == Direction.OUTBOUND.value:
            return _met("OutboundContact", event.occurred_at)
        case Events.Resolved():
            return _met("Resolved", event.occurred_at)
        case Events.MergedInto():
            return TargetChange(withdrawn=frozenset(event.withdrawn_targets))
    return TargetChange()


class TargetRows(View):
    """A view with a table of targets (`TARGETS`) beside its table of cases (`CASES`), whose
    rows carry `due_key` and `next_target`."""

    CASES: ClassVar[str]
    TARGETS: ClassVar[str]

    def target_statements(self) -> list[str]:
        """The CREATE statements of the targets table, its indexes, and its windows: per
        target name, the longest wall-clock time from `at_risk_from` to `due_at` any target has
        had, which bounds the range of due times an at-risk target can have (`at_risk`)."""
        targets, t = self.table(self.TARGETS), self.time_type
        return [
            f"CREATE TABLE IF NOT EXISTS {self.table(f'{self.TARGETS}_windows')} ("
            "target TEXT PRIMARY KEY, longest_seconds DOUBLE PRECISION NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {targets} (case_id {self.uuid_type} NOT NULL, "
            "target TEXT NOT NULL, standard_code TEXT NOT NULL, "
            f"standard_version INTEGER NOT NULL, title TEXT NOT NULL, started_at {t} NOT NULL, "
            f"due_at {t} NOT NULL, seconds BIGINT NOT NULL, basis TEXT NOT NULL, "
            "pausable BOOLEAN NOT NULL, at_risk_share DOUBLE PRECISION NOT NULL, "
            f"paused_seconds BIGINT NOT NULL, paused_at {t}, met_at {t}, breached_at {t}, "
            f"desk TEXT, at_risk_from {t} NOT NULL, "
            "not_measured BOOLEAN NOT NULL DEFAULT FALSE, verdict TEXT, "
            "PRIMARY KEY (case_id, target))",
            f"CREATE INDEX IF NOT EXISTS {self.table(f'{self.TARGETS}_open_by_due')} "
            f"ON {targets} (due_at) WHERE met_at IS NULL",
            f"CREATE INDEX IF NOT EXISTS {self.table(f'{self.TARGETS}_paused')} "
            f"ON {targets} (case_id) WHERE paused_at IS NOT NULL AND met_at IS NULL",
        ]

    def change_targets(self, cursor: Any, case_id: UUID, change: TargetChange) -> None:
        """Apply `change` to the case's target rows, then refresh its due key."""
        if not change:
            return
        table, mark, key = self.table(self.TARGETS), self.placeholder, self.id_in(case_id)
        if change.targets is not None:
            if change.replace_all:
                cursor.execute(f"DELETE FROM {table} WHERE case_id = {mark}", [key])
            for target in change.targets:
                if not change.replace_all:
                    cursor.execute(f"DELETE FROM {table} WHERE case_id = {mark} AND target = "
                                   f"{mark}", [key, target.name])
                self.insert_row(cursor, self.TARGETS, TARGET_COLUMNS,
                                {**target.as_data(), "case_id": case_id, "target": target.name,
                                 "verdict": target.verdict})
                assert target.at_risk_from is not None  # Target.from_data fills it in
                window = (target.due_at - target.at_risk_from).total_seconds()
                cursor.execute(f"INSERT INTO {self.table(f'{self.TARGETS}_windows')} AS w "
                               f"VALUES ({mark}, {mark}) ON CONFLICT (target) DO UPDATE SET "
                               "longest_seconds = CASE WHEN excluded.longest_seconds > "
                               "w.longest_seconds THEN excluded.longest_seconds "
                               "ELSE w.longest_seconds END", [target.name, window])
        if change.paused_at is not None:  # `domain.targets.pause`, row by row
            cursor.execute(f"UPDATE {table} SET paused_at = {mark} WHERE case_id = {mark} "
                           "AND pausable AND met_at IS NULL AND breached_at IS NULL "
                           f"AND paused_at IS NULL AND due_at >= {mark}",
                           [self.time_in(change.paused_at), key,
                            self.time_in(change.paused_at)])
        if change.met and change.at is not None:
            names = sorted(change.met)
            cursor.execute(f"UPDATE {table} SET met_at = {mark} WHERE case_id = {mark} AND "
                           f"met_at IS NULL AND target IN ({', '.join(mark for _ in names)}) "
                           f"RETURNING {', '.join(TARGET_COLUMNS)}",
                           [self.time_in(change.at), key, *names])
            self._settle(cursor, key, cursor.fetchall())
        if change.withdrawn:
            names = sorted(change.withdrawn)
            cursor.execute(f"DELETE FROM {table} WHERE case_id = {mark} AND target IN "
                           f"({', '.join(mark for _ in names)})", [key, *names])
        if change.breached is not None and change.breached_at is not None:
            cursor.execute(f"UPDATE {table} SET breached_at = {mark} WHERE case_id = {mark} "
                           f"AND target = {mark} RETURNING {', '.join(TARGET_COLUMNS)}",
                           [self.time_in(change.breached_at), key, change.breached])
            self._settle(cursor, key, cursor.fetchall())
        self._refresh_due_key(cursor, key)

    def _settle(self, cursor: Any, key: Any, rows: list[Any]) -> None:
        """Store the domain's verdict (`settled_state`) on each target row just written."""
        table, mark = self.table(self.TARGETS), self.placeholder
        for row in rows:
            cursor.execute(f"UPDATE {table} SET verdict = {mark} WHERE case_id = {mark} "
                           f"AND target = {mark}", [self.target_of(row).verdict, key,
                                                    row["target"]])

    def _refresh_due_key(self, cursor: Any, key: Any) -> None:
        targets, mark = self.table(self.TARGETS), self.placeholder
        due = f"FROM {targets} WHERE case_id = {mark} AND {live()} AND paused_at IS NULL"
        cursor.execute(f"UPDATE {self.table(self.CASES)} SET "
                       f"due_key = COALESCE((SELECT MIN(due_at) {due}), {mark}), "
                       f"next_target = (SELECT target {due} ORDER BY due_at, target LIMIT 1) "
                       f"WHERE id = {mark}", [key, self.time_in(NEVER), key, key])

    def target_of(self, row: Any) -> Target:
        def moment(column: str) -> datetime | None:
            value = row[column]
            return None if value is None else self.time_out(value)

        started, due = moment("started_at"), moment("due_at")
        assert started is not None and due is not None
        return Target(
            name=row["target"], standard_code=row["standard_code"],
            standard_version=int(row["standard_version"]), title=row["title"],
            started_at=started, due_at=due, seconds=int(row["seconds"]), basis=row["basis"],
            pausable=bool(row["pausable"]), at_risk_share=float(row["at_risk_share"]),
            paused_seconds=int(row["paused_seconds"]), paused_at=moment("paused_at"),
            met_at=moment("met_at"), breached_at=moment("breached_at"), desk=row["desk"],
            at_risk_from=moment("at_risk_from"), not_measured=bool(row["not_measured"]))

    def targets_of(self, cursor: Any, keys: list[Any]) -> dict[UUID, list[Target]]:
        """The targets of the cases of ids `keys` (as the database holds them)."""
        found: dict[UUID, list[Target]] = {}
        if not keys:
            return found
        cursor.execute(f"SELECT {', '.join(TARGET_COLUMNS)} FROM {self.table(self.TARGETS)} "
                       f"WHERE case_id IN ({', '.join(self.placeholder for _ in keys)})", keys)
        for row in cursor.fetchall():
            found.setdefault(self.id_out(row["case_id"]), []).append(self.target_of(row))
        return found

    def state_condition(self, state: TargetState, now: datetime,
                        alias: str = "t") -> tuple[str, list[Any]]:
        """SQL over the target rows of alias `alias` for targets in `state` at `now`, and its
        parameters: `domain.targets.state_at`, comparing the stored instants with `now`."""
        t, mark, at = f"{alias}.", self.placeholder, self.time_in(now)
        # A settled target's state is the verdict the domain stored (`settled_state`).
        if state in (TargetState.MET, TargetState.MET_LATE, TargetState.NOT_MEASURED):
            return f"({t}verdict = {mark})", [state.value]
        # An open one's clock stopped where it was paused, or runs until now (`clock_stop`).
        until = f"COALESCE({t}paused_at, {mark})"
        open_ = f"{t}verdict IS NULL"
        match state:
            case TargetState.BREACHED:
                return (f"({t}verdict = {mark} OR ({open_} AND {until} > {t}due_at))",
                        [state.value, at])
            case TargetState.AT_RISK:
                return (f"({open_} AND {until} <= {t}due_at "
                        f"AND {until} > {t}at_risk_from)", [at, at])
            case _:
                return (f"({open_} AND {until} <= {t}due_at "
                        f"AND {until} <= {t}at_risk_from)", [at, at])

    def at_risk(self, cursor: Any, now: datetime, target: str | None = None,
                columns: str = "t.case_id") -> tuple[str, list[Any]]:
        """SQL selecting `columns` of the live targets (named `target`, if given) at risk at
        `now`, and its parameters, by index: running ones due from now to now plus the longest
        at-risk window any target has had (a range of the open-by-due index), and paused
        ones (the paused index)."""
        mark, table = self.placeholder, self.table(self.TARGETS)
        named, names = (f" AND t.target = {mark}", [target]) if target else ("", [])
        cursor.execute(f"SELECT MAX(longest_seconds) AS longest "
                       f"FROM {self.table(f'{self.TARGETS}_windows')}")
        longest = cursor.fetchone()["longest"]
        at = self.time_in(now)
        paused = (f"SELECT {columns} FROM {table} t WHERE t.met_at IS NULL "
                  "AND t.breached_at IS NULL AND t.paused_at IS NOT NULL "
                  f"AND t.paused_at <= t.due_at AND t.paused_at > t.at_risk_from "
                  f"AND NOT t.not_measured AND {live('t')}{named}")
        if longest is None:
            return paused, names
        until = self.time_in(now + timedelta(seconds=float(longest) + 1))
        running = (f"SELECT {columns} FROM {table} t WHERE t.met_at IS NULL "
                   "AND t.breached_at IS NULL AND t.paused_at IS NULL "
                   f"AND t.due_at >= {mark} AND t.due_at < {mark} AND t.at_risk_from < {mark} "
                   f"AND NOT t.not_measured AND {live('t')}{named}")
        return f"{running} UNION ALL {paused}", [at, until, at, *names, *names]
