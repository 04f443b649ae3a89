"""Events a read model could not apply: recorded, retried, and skipped only by an operator.

A projection never halts silently. When applying an event fails, the runner raises
`EventNotApplied` (which event, which read model, why) and `ProjectionSet` records it in
`projection_failures`: one row per (read model, log position), with the event's id and topic,
the error, how often it failed and when. The read model stops (the others go on), is retried
with backoff (so a database that comes back, or a fixed version after a restart, resumes it),
and counts as failed (`/ready` 503, its routes 503, `GET /api/v1/admin/projections`) while its
position is below an unskipped failure.

The way out when the event itself is the problem: `civicdesk project --skip POSITION NAME
--reason TEXT` marks that failure skipped, by whom and why. The runner then tracks the event
without applying it (and a rebuild passes over it), so the read model goes on without that one
event; the row stays as the audit record of the skip. Only a recorded failure can be skipped.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.views import View

FAILURES = "projection_failures"
ERROR_CHARS = 500  # the error as recorded: its type and the start of its message


class EventNotApplied(Exception):
    """Read model `projection` could not apply the event at log `position`."""

    def __init__(self, projection: str, position: int, event_id: str, topic: str,
                 cause: BaseException) -> None:
        self.projection, self.position, self.event_id, self.topic = (projection, position,
                                                                     event_id, topic)
        self.cause = cause  # also its __cause__, but the runner re-raises `from None`
        self.error = describe(cause)
        super().__init__(f"read model {projection} could not apply event {position} "
                         f"({topic} {event_id}): {self.error}")


def describe(error: BaseException) -> str:
    """What went wrong, short, and storable on either database."""
    text = f"{type(error).__name__}: {error}".replace("\x00", "\\x00")
    return text[:ERROR_CHARS]


@dataclass(frozen=True)
class Failure:
    """A recorded failure of one read model at one event."""

    projection: str
    position: int
    event_id: str
    topic: str
    error: str
    attempts: int
    first_failed_at: datetime
    last_failed_at: datetime
    skipped_by: str | None = None
    skipped_at: datetime | None = None
    skip_reason: str | None = None

    def summary(self) -> str:
        return (f"read model {self.projection} failed at position {self.position} "
                f"({self.topic} {self.event_id}) {self.attempts} time(s): {self.error}")


def create_statement(view: View) -> str:
    return (f"CREATE TABLE IF NOT EXISTS {view._qualify(FAILURES)} ("
            "projection TEXT NOT NULL, notification_id BIGINT NOT NULL, event_id TEXT NOT NULL, "
            "topic TEXT NOT NULL, error TEXT NOT NULL, attempts INTEGER NOT NULL, "
            "first_failed_at TEXT NOT NULL, last_failed_at TEXT NOT NULL, skipped_by TEXT, "
            "skipped_at TEXT, skip_reason TEXT, PRIMARY KEY (projection, notification_id))")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def record(view: View, failed: EventNotApplied) -> None:
    """Record (or count again) the failure of `failed`."""
    mark, table, now = view.placeholder, view._qualify(FAILURES), _now()
    with view._begin(write=True) as cursor:
        cursor.execute(
            f"INSERT INTO {table} AS failure (projection, notification_id, event_id, topic, "
            "error, attempts, first_failed_at, last_failed_at) VALUES "
            f"({mark}, {mark}, {mark}, {mark}, {mark}, 1, {mark}, {mark}) "
            "ON CONFLICT (projection, notification_id) DO UPDATE SET error = excluded.error, "
            "attempts = failure.attempts + 1, last_failed_at = excluded.last_failed_at",
            [failed.projection, failed.position, failed.event_id, failed.topic, failed.error,
             now, now])


def _failure(row: Any) -> Failure:
    def moment(value: Any) -> datetime | None:
        return None if value is None else datetime.fromisoformat(value)

    first, last = moment(row["first_failed_at"]), moment(row["last_failed_at"])
    assert first is not None and last is not None
    return Failure(projection=row["projection"], position=int(row["notification_id"]),
                   event_id=row["event_id"], topic=row["topic"], error=row["error"],
                   attempts=int(row["attempts"]), first_failed_at=first, last_failed_at=last,
                   skipped_by=row["skipped_by"], skipped_at=moment(row["skipped_at"]),
                   skip_reason=row["skip_reason"])


def open_failure(view: View, position: int) -> Failure | None:
    """The first unskipped failure of `view`'s read model beyond `position` (where it
    stands), or None: while there is one, the read model has failed."""
    mark = view.placeholder
    with view._begin(write=False) as cursor:
        cursor.execute(f"SELECT * FROM {view._qualify(FAILURES)} WHERE projection = {mark} "
                       f"AND notification_id > {mark} AND skipped_at IS NULL "
                       "ORDER BY notification_id LIMIT 1", [view.name, position])
        row = cursor.fetchone()
    return None if row is None else _failure(row)


def history(view: View) -> list[Failure]:
    """Every failure recorded for `view`'s read model, skipped or not, in log order."""
    with view._begin(write=False) as cursor:
        cursor.execute(f"SELECT * FROM {view._qualify(FAILURES)} WHERE projection = "
                       f"{view.placeholder} ORDER BY notification_id", [view.name])
        return [_failure(row) for row in cursor.fetchall()]


def skipped_positions(view: View) -> set[int]:
    """The positions an operator told `view`'s read model to pass over."""
    with view._begin(write=False) as cursor:
        cursor.execute(f"SELECT notification_id FROM {view._qualify(FAILURES)} WHERE "
                       f"projection = {view.placeholder} AND skipped_at IS NOT NULL",
                       [view.name])
        return {int(row["notification_id"]) for row in cursor.fetchall()}


def skip(view: View, position: int, reason: str, by: str | None = None) -> Failure | None:
    """Mark the failure of `view`'s read model at `position` skipped, by `by` (default: the
    operating-system user) for `reason`. Returns it, or None if no failure is recorded there
    (nothing is changed then)."""
    mark = view.placeholder
    with view._begin(write=True) as cursor:
        cursor.execute(f"UPDATE {view._qualify(FAILURES)} SET skipped_by = {mark}, "
                       f"skipped_at = {mark}, skip_reason = {mark} WHERE projection = {mark} "
                       f"AND notification_id = {mark}",
                       [by or getpass.getuser(), _now(), reason, view.name, position])
    return next((f for f in history(view) if f.position == position), None)
