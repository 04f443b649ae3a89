"""Group commit: the aggregates of concurrent commands, saved together in one transaction.

Every save takes the log's lock (PostgreSQL locks the events table for each insert; SQLite has
one writer), so one save per command bounds the desk's throughput by lock round trips. Here a
command hands its aggregates to the committer and waits: if no batch is being saved, it saves
its own at once (nothing waits for a batch to fill); if one is, it queues, and whichever
waiting command takes the committer next saves everything queued in one `save`. Each command
gets back its own recordings (so its own positions), or its own error.

A batch whose save conflicts (two commands on one case, an idempotency key used twice, a
writer in another process) is rolled back whole; each command's events are put back and saved
alone, so only the command that really conflicts sees the conflict. Any other failure of the
batch's transaction recorded nothing of it, and every command in it gets that error.

A batch is saved in whichever command's thread takes the committer, so what the recorder does
on a command's behalf inside the transaction (the access log's row for its answer) reads the
command's own context: during a save, SAVED_ON_BEHALF maps each aggregate's id to the context
of the command that made it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import Context, ContextVar, copy_context
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, RecordConflictError, Recording

Recordings = list[Recording[Any]]
# During a save: each aggregate's id -> the context of the command it belongs to.
SAVED_ON_BEHALF: ContextVar[Mapping[Any, Context] | None] = ContextVar(
    "civicdesk_saved_on_behalf", default=None)


@dataclass(eq=False)
class _Job:
    aggregates: tuple[Aggregate | None, ...]
    contexts: Mapping[Any, Context]  # each aggregate's id -> its command's context
    commands: int = 1  # how many commands the aggregates are (a batch of receipts: several)
    recordings: Recordings = field(default_factory=list)
    error: BaseException | None = None
    done: bool = False

    def succeed(self, recordings: Recordings) -> None:
        self.recordings, self.done = recordings, True

    def fail(self, error: BaseException) -> None:
        self.error, self.done = error, True


class Committer:
    """Saves through `save` (the application's), coalescing concurrent callers."""

    def __init__(self, save: Callable[..., Recordings]) -> None:
        self._save = save
        self._lock = threading.Lock()  # held while a batch is saved
        self._queue: list[_Job] = []
        self._queue_lock = threading.Lock()
        self.batches = 0  # transactions that saved more than one command (for tests, metrics)

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold the committer as a batch being saved does: commands queue until the block
        ends (a test's way to line commands up; also a pause for maintenance)."""
        with self._lock:
            yield

    @property
    def queued(self) -> int:
        """How many commands wait for the next batch."""
        with self._queue_lock:
            return len(self._queue)

    def commit(self, aggregates: Sequence[Aggregate | None],
               contexts: Mapping[Any, Context] | None = None, commands: int = 1) -> Recordings:
        """Save one command's `aggregates` (None ignored) in the next batch; their recordings.
        `contexts` names another command's context for an aggregate saved on its behalf
        (default: the caller's, for all); `commands` says how many commands the aggregates
        are (a batch of receipts), for `batches`. Raises what saving them alone raised
        (RecordConflictError, IntegrityError, ...)."""
        own = copy_context()
        job = _Job(tuple(aggregates), {a.id: (contexts or {}).get(a.id, own)
                                       for a in aggregates if a is not None}, commands)
        with self._queue_lock:
            self._queue.append(job)
        with self._lock:
            if not job.done:
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                self._save_batch(batch)
        if job.error is not None:
            raise job.error
        return job.recordings

    def _save_batch(self, batch: list[_Job]) -> None:
        token = SAVED_ON_BEHALF.set({i: c for job in batch for i, c in job.contexts.items()})
        try:
            self._save_jobs(batch)
        finally:
            SAVED_ON_BEHALF.reset(token)

    def _save_jobs(self, batch: list[_Job]) -> None:
        if len(batch) > 1:
            kept = [(a, list(a.pending_events)) for job in batch for a in job.aggregates
                    if a is not None]
            try:
                recordings = self._save(*(a for job in batch for a in job.aggregates))
            except (RecordConflictError, IntegrityError):
                for aggregate, events in kept:  # the save took them; put them back
                    aggregate.pending_events[:] = events
            except BaseException as error:  # nothing of the batch was recorded: say so to all
                for job in batch:
                    job.fail(error)
                return
            else:
                self.batches += 1
                by_aggregate: dict[Any, Recordings] = {}
                for recording in recordings:
                    by_aggregate.setdefault(recording.domain_event.originator_id,
                                            []).append(recording)
                for job in batch:
                    job.succeed([r for a in job.aggregates if a is not None
                                 for r in by_aggregate.get(a.id, [])])
                return
        for job in batch:
            try:
                job.succeed(self._save(*job.aggregates))
            except BaseException as error:  # that command's answer
                job.fail(error)
            else:
                self.batches += job.commands > 1
