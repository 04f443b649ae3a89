"""Backoff for failed firings, each deadline on its own: 5 s, 10 s, 20 s ... at most 5 minutes.

A firing fails when the desk cannot be asked (the database went away) or cannot answer (a case
that no longer loads). Each deadline then waits its own backoff, so the others still fire on
time, and one that always fails costs a try every few minutes, not every few seconds.

Not thread-safe: the scheduler guards it with its lock.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from infrastructure.deadline_index import Key, PendingDeadline

RETRY_SECONDS = 5.0  # the wait after a first failure; it doubles with each failure in a row
RETRY_MAX_SECONDS = 300.0
_MAX_DOUBLINGS = 16  # enough to reach the cap; keeps 2 ** n small for a deadline failing for days


def retry_delay(failures: int, first: float = RETRY_SECONDS,
                most: float = RETRY_MAX_SECONDS) -> timedelta:
    """The wait before the next try after `failures` failures in a row (at least one): `first`
    seconds, doubling with each failure, at most `most`."""
    seconds = first * 2 ** min(max(failures - 1, 0), _MAX_DOUBLINGS)
    return timedelta(seconds=min(seconds, most))


class Retries:
    """How many times in a row the firing of each (case, target) at its due time has failed."""

    def __init__(self) -> None:
        self._failed: dict[Key, tuple[datetime, int]] = {}

    def __len__(self) -> int:
        return len(self._failed)

    def failures(self, deadline: PendingDeadline) -> int:
        due_at, failures = self._failed.get((deadline.case_id, deadline.target), (None, 0))
        return failures if due_at == deadline.due_at else 0

    def failed(self, deadline: PendingDeadline) -> int:
        """Count one more failure (the first, if the target failed before at another due
        time); returns how many in a row."""
        failures = self.failures(deadline) + 1
        self._failed[(deadline.case_id, deadline.target)] = (deadline.due_at, failures)
        return failures

    def succeeded(self, deadline: PendingDeadline) -> None:
        """The deadline was judged: its next failure, if any, is a first one again."""
        if self.failures(deadline):
            del self._failed[(deadline.case_id, deadline.target)]

    def forget(self, case_id: UUID, target: str, unless_due: datetime | None = None) -> None:
        """Drop the target's count, unless it is for `unless_due` (the deadline still
        watched): a deadline met or moved will not be tried again."""
        counted = self._failed.get((case_id, target))
        if counted is not None and counted[0] != unless_due:
            del self._failed[(case_id, target)]
