"""Group commit for the access log: concurrent readers' entries written in one transaction.

A read must not be answered before its entry is durable, and one commit per read bounds reads
by commit round trips (and on SQLite, by the one writer). So a reader hands its entries over
and waits: if no batch is being written, it writes its own at once (nothing waits for a batch
to fill); if one is, it queues, and whichever waiting reader takes the writer next writes
everything queued in one transaction. Each reader returns only once the transaction holding
its entries has committed, or raises what made it fail (then nothing of that batch was
written, and no reader in it is answered): the same shape as application.committer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from infrastructure.access_chain import Entry


@dataclass(eq=False)
class _Job:
    entries: Sequence[Entry]
    error: BaseException | None = None
    done: bool = False


class GroupWriter:
    """Writes entries through `write` (one transaction per call), coalescing callers."""

    def __init__(self, write: Callable[[Sequence[Entry]], None]) -> None:
        self._write = write
        self._lock = threading.Lock()  # held while a batch is written
        self._queue: list[_Job] = []
        self._queue_lock = threading.Lock()
        self.transactions = 0  # batches written (for tests and figures)

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold the writer as a batch being written does: readers queue until the block ends
        (a test's way to line readers up)."""
        with self._lock:
            yield

    @property
    def queued(self) -> int:
        with self._queue_lock:
            return len(self._queue)

    def write(self, entries: Sequence[Entry]) -> None:
        """Return once `entries` are committed; raise what failed their batch otherwise."""
        job = _Job(entries)
        with self._queue_lock:
            self._queue.append(job)
        with self._lock:
            if not job.done:
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                try:
                    self._write([entry for queued in batch for entry in queued.entries])
                except BaseException as error:  # nothing of the batch was written
                    for queued in batch:
                        queued.error = error
                self.transactions += 1
                for queued in batch:
                    queued.done = True
        if job.error is not None:
            raise job.error
