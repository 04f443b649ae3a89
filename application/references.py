"""Issuing case references without a shared aggregate: each case is its own claim to its number.

A case's id is derived from its reference (`Case.create_id`), so the database's uniqueness of
(aggregate id, version 1) already guarantees that a reference is recorded at most once. A
receipt takes "the year's last recorded number + 1", builds its case and saves it; a receipt
that lost the number to another process (the save conflicts on the case's id) takes the next.

Numbers are gap-free: a number is counted as issued only once its case is saved, and within a
process receipts of one year take turns (the `lane`), so no receipt is numbered past one that
may still fail. Across processes the uniqueness conflict decides, and the loser looks again.
So numbers 1..N of a year are exactly the year's cases, and every one is a `Case.Received` in
the hash-chained log.

Receipts that queue for a lane while another is being saved are saved together, in one
transaction, by whichever receipt takes the lane next (group commit): numbered consecutively,
each with its own answer and position. Nothing waits for a batch to fill: a lane takes what
is queued when it is free. Should the batch's save fail (another process took a number, two
receipts carried one idempotency key), each of its receipts is saved alone, as above.

The year's last number is found without replaying anything: by probing whether the case of a
number exists (one indexed read each), galloping up from what this process last knew, then
bisecting; about 2 log2(n) reads the first time, one or two after that. It relies on the
numbers being gap-free, as they have always been (the old per-year `ReferenceBook` saved each
number with its case), and were it not so, the uniqueness check still refuses a reused number.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import Context, copy_context
from dataclasses import dataclass, field
from typing import Any

from domain.references import format_reference


@dataclass(eq=False)
class Receipt:
    """One receipt waiting for its lane: how to build its case once numbered, and its answer."""

    build: Callable[[str], Any]  # the case, numbered with the reference given
    actor: Any
    idempotency: Any
    # What is saved with the case, in its transaction (a new customer record naming it).
    companions: Callable[[Any], list[Any]] = field(default=lambda case: [])
    # The receiving request's context: its case is saved by whichever receipt holds the lane.
    context: Context = field(default_factory=copy_context)
    outcome: Any = None
    error: BaseException | None = None
    done: bool = False

    def succeed(self, outcome: Any) -> None:
        self.outcome, self.done = outcome, True

    def fail(self, error: BaseException) -> None:
        self.error, self.done = error, True


class ReferenceLane:
    """One year's numbering in this process, held by one receipt (or batch) at a time."""

    def __init__(self, year: int, is_recorded: Callable[[str], bool]) -> None:
        self.year = year
        self._is_recorded = is_recorded
        self._last: int | None = None  # the year's last recorded number, as last seen
        self.lock = threading.Lock()
        self.queue: list[Receipt] = []
        self.queue_lock = threading.Lock()

    def next_reference(self) -> str:
        """The reference after the year's last recorded one (found by probing if unknown)."""
        if self._last is None:
            self._last = self._find_last(0)
        return format_reference(self.year, self._last + 1)

    def recorded(self, reference: str) -> None:
        """The case numbered `reference` is saved: the next receipt takes the number after."""
        self._last = number_of(reference)

    def taken_elsewhere(self, reference: str) -> None:
        """Another process recorded `reference` first: look for the last number from there."""
        self._last = self._find_last(number_of(reference))

    def forget(self) -> None:
        """A save failed for another reason: read the last number afresh next time."""
        self._last = None

    def _find_last(self, known: int) -> int:
        """The last recorded number, given that `known` (or 0) is recorded: gallop, then bisect."""
        low, step = known, 1
        while self._is_recorded(format_reference(self.year, low + step)):
            low += step
            step *= 2
        high = low + step  # not recorded; every number up to `low` is
        while high - low > 1:
            middle = (low + high) // 2
            if self._is_recorded(format_reference(self.year, middle)):
                low = middle
            else:
                high = middle
        return low


class ReferenceNumbers:
    """Every year's lane, created on first use."""

    def __init__(self, is_recorded: Callable[[str], bool]) -> None:
        self._is_recorded = is_recorded
        self._lanes: dict[int, ReferenceLane] = {}
        self._lock = threading.Lock()

    def _lane(self, year: int) -> ReferenceLane:
        with self._lock:
            return self._lanes.setdefault(year, ReferenceLane(year, self._is_recorded))

    @contextmanager
    def lane(self, year: int) -> Iterator[ReferenceLane]:
        """Hold `year`'s numbering while one receipt (or one batch of them) is numbered and
        saved."""
        lane = self._lane(year)
        with lane.lock:
            yield lane

    def submit(self, year: int, receipt: Receipt,
               record: Callable[[ReferenceLane, list[Receipt]], None]) -> Any:
        """Queue `receipt` for `year`'s lane and return its outcome (or raise its error) once
        `record(lane, batch)` saved it, in a batch with the receipts queued beside it."""
        lane = self._lane(year)
        with lane.queue_lock:
            lane.queue.append(receipt)
        with lane.lock:
            if not receipt.done:
                with lane.queue_lock:
                    batch, lane.queue = lane.queue, []
                try:
                    record(lane, batch)
                finally:
                    for unanswered in batch:
                        if not unanswered.done:
                            unanswered.fail(RuntimeError("the receipt was not recorded"))
        if receipt.error is not None:
            raise receipt.error
        return receipt.outcome

    def forget_all(self) -> None:
        """Read every year's last number afresh next time (after a failed bulk save)."""
        with self._lock:
            lanes = list(self._lanes.values())
        for lane in lanes:
            with lane.lock:
                lane.forget()


def number_of(reference: str) -> int:
    return int(reference.rsplit("-", 1)[1])
