"""Commit time: where the log stood at a moment T, and whether that can still change.

Every event carries a commit time (infrastructure.recorders), strictly increasing in log
order and taken under the chain's lock, which is held until the event's transaction commits.
So "the log as of T" is a prefix of the log: every position up to the last event committed
at or before T. It is final as soon as the log holds an event committed after T: that event
took the lock after every earlier one had committed, so no commit at or before T can appear
later (a writer whose clock still reads before T is given a commit time after the last one).
Until then (no event since T), a report as of T is provisional; a checkpoint signed over an
event committed after T anchors it for good (checkpoints carry their last commit time).

Events appended before commit times began have none: a moment before the first commit time
falls among them, and is cut by their recorded time as it was before (`by_recorded_time`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from eventsourcing.application import Application

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def micros(moment: datetime) -> int:
    return (moment - EPOCH) // MICROSECOND


def moment_of(value: int) -> datetime:
    return EPOCH + value * MICROSECOND


@dataclass(frozen=True)
class Cut:
    """The log as of a moment: every position up to `position`."""

    position: int
    final: bool  # an event committed after the moment is in the log: the cut cannot change
    by_recorded_time: bool = False  # up to `position` lie events without a commit time:
    # cut those by their recorded time as well
    after: int | None = None  # the position of the first event committed after the moment


def cut_at(desk: Application[Any], moment: datetime) -> Cut:
    from infrastructure.merkle_store import TreeTables

    tree = TreeTables(desk)
    at = micros(moment.astimezone(UTC))
    with tree.datastore.transaction(commit=False) as cursor:
        cursor.execute(tree.sql(f"SELECT notification_id FROM {tree.chain} WHERE "
                                "committed_at <= %s ORDER BY committed_at DESC LIMIT 1"), (at,))
        before = cursor.fetchone()
        cursor.execute(tree.sql(f"SELECT notification_id FROM {tree.chain} WHERE "
                                "committed_at > %s ORDER BY committed_at LIMIT 1"), (at,))
        after = cursor.fetchone()
        later = None if after is None else int(after["notification_id"])
        if before is not None:
            return Cut(int(before["notification_id"]), later is not None, after=later)
        if later is not None:  # before the first commit time: among the untimed events
            return Cut(later - 1, True, by_recorded_time=True, after=later)
        cursor.execute(f"SELECT MAX(notification_id) AS head FROM {tree.chain}")
        head = cursor.fetchone()["head"]
    return Cut(int(head or 0), False, by_recorded_time=True)


# The commit time given to an event that has none though it follows timed events (written
# by other means than civicdesk): after every moment, so no "as of" ever shows it.
NEVER = datetime.max.replace(tzinfo=UTC)


def commit_times(desk: Application[Any], originator_id: Any) -> dict[int, datetime]:
    """The commit time of each version of an aggregate. Versions from before commit times
    are absent (cut by their recorded time); one without a commit time after the first timed
    event was not appended by civicdesk, and is NEVER."""
    recorder: Any = desk.recorder
    from infrastructure.merkle_store import TreeTables

    tree = TreeTables(desk)
    if tree.postgres:
        from infrastructure.database_roles import qualified

        table = qualified(recorder.datastore.schema, recorder.events_table_name)
        position, key = "notification_id", originator_id
    else:
        table, position = recorder.events_table_name, "rowid"
        key = originator_id.hex if hasattr(originator_id, "hex") else str(originator_id)
    with tree.datastore.transaction(commit=False) as cursor:
        cursor.execute(tree.sql(f"SELECT e.originator_version AS version, e.{position} AS "
                                f"position, c.committed_at FROM {table} AS e LEFT JOIN "
                                f"{tree.chain} AS c ON c.notification_id = e.{position} "
                                "WHERE e.originator_id = %s"), (key,))
        rows = cursor.fetchall()
        cursor.execute(f"SELECT MIN(notification_id) AS first FROM {tree.chain} "
                       "WHERE committed_at IS NOT NULL")
        first_timed = cursor.fetchone()["first"]
    times = {}
    for row in rows:
        if row["committed_at"] is not None:
            times[int(row["version"])] = moment_of(int(row["committed_at"]))
        elif first_timed is not None and int(row["position"]) > int(first_timed):
            times[int(row["version"])] = NEVER
    return times


def last_commit_time(desk: Application[Any]) -> datetime | None:
    """The commit time of the log's newest event (None: an empty log, or one from before
    commit times): a moment at which the log stood exactly as it does now."""
    from infrastructure.merkle_store import TreeTables

    tree = TreeTables(desk)
    with tree.datastore.transaction(commit=False) as cursor:
        cursor.execute(f"SELECT committed_at FROM {tree.chain} "
                       "ORDER BY notification_id DESC LIMIT 1")
        row = cursor.fetchone()
    return None if row is None or row["committed_at"] is None else moment_of(
        int(row["committed_at"]))
