"""The pending deadlines the scheduler watches, earliest try first: a dict and a lazy-deletion heap.

`_due` maps (case, target) to the one due time watched for it. A deadline is tried at its due
time, or, after a failed firing, at the retry time in `_retry` (only those: a handful). `_heap`
holds (try_at, due_at, case, target) entries, some of them stale. Scheduling, moving, retrying
and dropping a deadline only touch the dicts (and push one heap entry), O(log n); an entry that
no longer matches the dicts is skipped when it reaches the top. Loading n deadlines is one
heapify, O(n). The heap is rebuilt from the dicts when stale entries outnumber live ones, so it
never grows without bound.

Not thread-safe: the scheduler guards it with its lock.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

Key = tuple[UUID, str]
Entry = tuple[datetime, datetime, UUID, str]  # (try_at, due_at, case, target)
COMPACT_SLACK = 1024  # stale entries always tolerated before the heap is rebuilt


@dataclass(frozen=True)
class PendingDeadline:
    case_id: UUID
    target: str
    due_at: datetime


class DeadlineIndex:
    """Each watched (case, target) with its due time; the earliest to try at the top."""

    def __init__(self, deadlines: Iterable[PendingDeadline] = ()) -> None:
        self._due: dict[Key, datetime] = {}
        self._retry: dict[Key, datetime] = {}
        self._heap: list[Entry] = []
        self.load(deadlines)

    def load(self, deadlines: Iterable[PendingDeadline]) -> None:
        """Replace the contents in bulk (a later row for the same target wins; the earlier
        one's heap entry is then stale). One pass, then one heapify."""
        due: dict[Key, datetime] = {}
        heap = []
        for d in deadlines:
            due[(d.case_id, d.target)] = d.due_at
            heap.append((d.due_at, d.due_at, d.case_id, d.target))
        heapq.heapify(heap)
        self._due, self._retry, self._heap = due, {}, heap
        self._compact()

    def __len__(self) -> int:
        return len(self._due)

    def get(self, case_id: UUID, target: str) -> datetime | None:
        return self._due.get((case_id, target))

    def try_at(self, case_id: UUID, target: str) -> datetime | None:
        """When the target is next to be tried: its due time, or its retry time."""
        key = (case_id, target)
        return self._retry.get(key, self._due[key]) if key in self._due else None

    def as_dict(self) -> dict[Key, datetime]:
        return dict(self._due)

    def put(self, case_id: UUID, target: str, due_at: datetime) -> bool:
        """Watch the target at `due_at` (moving it if watched at another time, which drops its
        retry time). Returns whether anything changed."""
        key = (case_id, target)
        if self._due.get(key) == due_at:
            return False
        self._due[key] = due_at
        self._retry.pop(key, None)
        self._push((due_at, due_at, case_id, target))
        return True

    def retry(self, deadline: PendingDeadline, at: datetime) -> bool:
        """Try the deadline again at `at`, putting it back if it was taken out; unless the
        target is watched at another due time (a sync since it was taken out knows better).
        Returns whether it will be tried again."""
        key = (deadline.case_id, deadline.target)
        if self._due.get(key, deadline.due_at) != deadline.due_at:
            return False
        if self.try_at(*key) != at:
            self._due[key] = deadline.due_at
            if at == deadline.due_at:
                self._retry.pop(key, None)
            else:
                self._retry[key] = at
            self._push((at, deadline.due_at, *key))
        return True

    def remove(self, case_id: UUID, target: str, due_at: datetime | None = None) -> bool:
        """Stop watching the target (with `due_at`: only if watched at that time). Its heap
        entry goes stale and is dropped when it reaches the top."""
        key = (case_id, target)
        if key not in self._due or (due_at is not None and self._due[key] != due_at):
            return False
        del self._due[key]
        self._retry.pop(key, None)
        self._compact()
        return True

    def earliest(self) -> datetime | None:
        """The earliest time a deadline is to be tried (its due time or its retry), or None."""
        heap = self._heap
        while heap and not self._live(heap[0]):
            heapq.heappop(heap)  # stale: moved, retried or dropped since it was pushed
        return heap[0][0] if heap else None

    def pop_due(self, now: datetime) -> list[PendingDeadline]:
        """Take out every deadline to be tried at or before `now`, earliest try first."""
        taken = []
        while (earliest := self.earliest()) is not None and earliest <= now:
            _, due_at, case_id, target = heapq.heappop(self._heap)
            del self._due[(case_id, target)]
            self._retry.pop((case_id, target), None)
            taken.append(PendingDeadline(case_id, target, due_at))
        return taken

    def _live(self, entry: Entry) -> bool:
        try_at, due_at, case_id, target = entry
        key = (case_id, target)
        return self._due.get(key) == due_at and self._retry.get(key, due_at) == try_at

    def _push(self, entry: Entry) -> None:
        heapq.heappush(self._heap, entry)
        self._compact()

    def _compact(self) -> None:
        if len(self._heap) > 2 * len(self._due) + COMPACT_SLACK:
            self._rebuild()

    def _rebuild(self) -> None:
        self._heap = [(self._retry.get(key, due), due, *key) for key, due in self._due.items()]
        heapq.heapify(self._heap)
