"""When the demo's events are recorded: as if the desk had recorded each while the simulated year
ran, not when the demo was loaded. Demo only: nothing else restamps an event.

eventsourcing stamps every event it triggers with `create_timestamp()`, the system clock, when
the command runs; that stamp is the event's recorded time (`timestamp`), which as-of reports
and histories select by. A demo loaded today would put a whole year's cases on record today,
and a report as of any date in that year would find nothing. So before a told case is saved,
each of its events is stamped with the simulated clock instead: when it happened, never before
the case was entered, and never before the event before it (a case's history stays in order).
A commit time assigned when the log is appended to (under the chain's lock) is another clock
and stays real.
"""

from __future__ import annotations

from datetime import UTC, datetime

from eventsourcing.domain import Aggregate


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
