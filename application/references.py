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

from domain.references import format_reference


class ReferenceLane:
    """One year's numbering in this process, held by one receipt at a time."""

    def __init__(self, year: int, is_recorded: Callable[[str], bool]) -> None:
        self.year = year
        self._is_recorded = is_recorded
        self._last: int | None = None  # the year's last recorded number, as last seen
        self.lock = threading.Lock()

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

    @contextmanager
    def lane(self, year: int) -> Iterator[ReferenceLane]:
        """Hold `year`'s numbering while one receipt (or one batch of them) is numbered and
        saved."""
        with self._lock:
            lane = self._lanes.setdefault(year, ReferenceLane(year, self._is_recorded))
        with lane.lock:
            yield lane

    def forget_all(self) -> None:
        """Read every year's last number afresh next time (after a failed bulk save)."""
        with self._lock:
            lanes = list(self._lanes.values())
        for lane in lanes:
            with lane.lock:
                lane.forget()


def number_of(reference: str) -> int:
    return int(reference.rsplit("-", 1)[1])
