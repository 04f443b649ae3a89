"""When the demo's events are recorded: as if the desk had recorded each while the simulated year
ran, not when the demo was loaded. Demo only: nothing else restamps an event.

eventsourcing stamps every event it triggers with `create_timestamp()`, the system clock, when
the command runs; that stamp is the event's recorded time (`timestamp`), which as-of reports
and histories select by. A demo loaded today would put a whole year's cases on record today,
and a report as of any date in that year would find nothing. So before a told case is saved,
each of its events is stamped with the simulated clock instead: when it happened, never before
the case was entered, and never before the event before it (a case's history stays in order).

The commit time the log gives each event (infrastructure.commit_time), by which as-of reports
and histories now cut the log, follows the simulated clock too while the demo records its
year (`committed_as_recorded`): the loader appends the year's events in the order they were
recorded, each committed when it was recorded. The recorder still raises each commit time to
one microsecond after the previous one, under the chain's lock, and lowers it to the real
clock, so the log stays strictly monotonic and later real commits follow it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from eventsourcing.domain import Aggregate

from infrastructure.commit_time import micros


def stamp_as_recorded(case: Aggregate, entered_at: datetime) -> None:
    """Stamp each event `case` has triggered and not yet saved with its simulated recording
    time: the latest of when the case was entered, when the event happened (`occurred_at`)
    and the previous event's recording time."""
    recorded = entered_at.astimezone(UTC)
    for event in case.pending_events:
        happened = getattr(event, "occurred_at", None)
        if happened is not None:
            recorded = max(recorded, happened.astimezone(UTC))
        # Events are frozen once made; these are not saved yet, and are saved as stamped here.
        object.__setattr__(event, "timestamp", recorded)


@contextmanager
def committed_as_recorded(desk: Any, times: Iterator[datetime]) -> Iterator[None]:
    """While the block runs, each event the desk appends is committed at the next of `times`
    (its simulated recording time) rather than by the real clock. Demo only."""
    recorder = desk.recorder
    recorder.simulated_commit_times = (micros(t.astimezone(UTC)) for t in times)
    try:
        yield
    finally:
        recorder.simulated_commit_times = None
