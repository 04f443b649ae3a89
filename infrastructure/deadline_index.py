"""The pending deadlines the scheduler watches, earliest first: a dict and a lazy-deletion heap.

`_due` maps (case, target) to the one due time watched for it; `_heap` holds (due_at, case,
target) entries, some of them stale. Scheduling, moving and dropping a deadline only touch the
dict (and push one heap entry), O(log n); an entry whose due time no longer matches the dict is
skipped when it reaches the top. Loading n deadlines is one heapify, O(n). The heap is rebuilt
from the dict when stale entries outnumber live ones, so it never grows without bound.

Not thread-safe: the scheduler guards it with its lock.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

Key = tuple[UUID, str]
COMPACT_SLACK = 1024  # stale entries always tolerated before the heap is rebuilt


@dataclass(frozen=True)
class PendingDeadline:
    case_id: UUID
    target: str
    due_at: datetime


class DeadlineIndex:
    """Each watched (case, target) with its due time; the earliest at the top."""

    def __init__(self, deadlines: Iterable[PendingDeadline] = ()) -> None:
        self._due: dict[Key, datetime] = {}
        self._heap: list[tuple[datetime, UUID, str]] = []
        self.load(deadlines)

    def load(self, deadlines: Iterable[PendingDeadline]) -> None:
        """Replace the contents in bulk (a later row for the same target wins; the earlier
        one's heap entry is then stale). One pass, then one heapify."""
        due: dict[Key, datetime] = {}
        heap = []
        for d in deadlines:
            due[(d.case_id, d.target)] = d.due_at
            heap.append((d.due_at, d.case_id, d.target))
        heapq.heapify(heap)
        self._due, self._heap = due, heap
        self._compact()

    def __len__(self) -> int:
        return len(self._due)

    def get(self, case_id: UUID, target: str) -> datetime | None:
        return self._due.get((case_id, target))

    def as_dict(self) -> dict[Key, datetime]:
        return dict(self._due)

    def put(self, case_id: UUID, target: str, due_at: datetime) -> bool:
        """Watch the target at `due_at` (moving it if watched at another time). Returns whether
        anything changed."""
        key = (case_id, target)
        if self._due.get(key) == due_at:
            return False
        self._due[key] = due_at
        heapq.heappush(self._heap, (due_at, case_id, target))
        self._compact()
        return True

    def add_if_absent(self, deadline: PendingDeadline) -> bool:
        """Put a deadline back unless the target is watched already (a sync since it was
        taken out knows better)."""
        if (deadline.case_id, deadline.target) in self._due:
            return False
        return self.put(deadline.case_id, deadline.target, deadline.due_at)

    def remove(self, case_id: UUID, target: str, due_at: datetime | None = None) -> bool:
        """Stop watching the target (with `due_at`: only if watched at that time). Its heap
        entry goes stale and is dropped when it reaches the top."""
        key = (case_id, target)
        if key not in self._due or (due_at is not None and self._due[key] != due_at):
            return False
        del self._due[key]
        self._compact()
        return True

    def earliest(self) -> datetime | None:
        """The earliest due time watched, or None."""
        heap = self._heap
        while heap and self._due.get((heap[0][1], heap[0][2])) != heap[0][0]:
            heapq.heappop(heap)  # stale: moved or dropped since it was pushed
        return heap[0][0] if heap else None

    def pop_due(self, now: datetime) -> list[PendingDeadline]:
        """Take out every deadline due at or before `now`, earliest first."""
        taken = []
        while (earliest := self.earliest()) is not None and earliest <= now:
            due_at, case_id, target = heapq.heappop(self._heap)
            del self._due[(case_id, target)]
            taken.append(PendingDeadline(case_id, target, due_at))
        return taken

    def _compact(self) -> None:
        if len(self._heap) > 2 * len(self._due) + COMPACT_SLACK:
            self._rebuild()

    def _rebuild(self) -> None:
        self._heap = [(due, case_id, target) for (case_id, target), due in self._due.items()]
        heapq.heapify(self._heap)
