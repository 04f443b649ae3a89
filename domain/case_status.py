"""A case's status, one rule: what each case event does to it, and what that means.

The `Case` aggregate applies it, and so does every read model that keeps a case's status
(`projections.case_status` turns a change into SQL without reading the row first). So the
rule "escalating a resolved complaint reopens it" is written here, once.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.values import Status

OPEN, WAITING = Status.OPEN.value, Status.WAITING_ON_CUSTOMER.value
RESOLVED, CLOSED = Status.RESOLVED.value, Status.CLOSED.value
# In a work queue: still being worked on, the customer's turn included.
ACTIVE = frozenset({OPEN, WAITING})


@dataclass(frozen=True)
class StatusChange:
    """An event's effect on the status: to `to`, from any status, or only from those in
    `only_from` (else it stays). `reopens` from a resolved or closed status: the resolution
    is undone (its time, its first-contact claim)."""

    to: str
    only_from: frozenset[str] | None = None

    def applies(self, current: str) -> bool:
        return self.only_from is None or current in self.only_from

    def after(self, current: str) -> str:
        return self.to if self.applies(current) else current

    def reopens(self, current: str) -> bool:
        """Whether applying it to `current` reopens the case."""
        return self.applies(current) and self.to == OPEN and current in (RESOLVED, CLOSED)

    @property
    def reopening_from(self) -> frozenset[str]:
        """The statuses this change reopens from."""
        allowed = self.only_from if self.only_from is not None else frozenset({RESOLVED,
                                                                               CLOSED})
        return frozenset({RESOLVED, CLOSED} & allowed) if self.to == OPEN else frozenset()


CHANGES: dict[str, StatusChange] = {
    "Received": StatusChange(OPEN),
    "WaitingOnCustomer": StatusChange(WAITING),
    "CustomerResponded": StatusChange(OPEN),
    "Resolved": StatusChange(RESOLVED),
    "Reopened": StatusChange(OPEN),
    "Closed": StatusChange(CLOSED),
    # Escalating a resolved complaint reopens it: the resolution did not satisfy.
    "ComplaintEscalated": StatusChange(OPEN, only_from=frozenset({RESOLVED})),
    # A duplicate merged into another case closes: the survivor carries the matter on.
    "MergedInto": StatusChange(CLOSED),
}


def change_of(event_name: str) -> StatusChange | None:
    """What the case event named `event_name` does to the status; None: nothing."""
    return CHANGES.get(event_name)


def status_after(current: str, event_name: str) -> str:
    """The status after the event named `event_name`, from `current`."""
    change = CHANGES.get(event_name)
    return current if change is None else change.after(current)


def is_active(status: str) -> bool:
    """In the work queues: open, or waiting on the customer."""
    return status in ACTIVE
