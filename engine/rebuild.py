"""Rebuild a read model from the whole log into new tables, then switch them in.

1. Claim generation N+1 of the projection's tables (projection_generations.building), drop
   whatever an unfinished rebuild left, and create the new tables beside the live ones,
   recording this code's fingerprint for N+1 (projection_schemas; see engine.views).
2. Replay the log from the start in batches of `batch_size` notifications, each applied in one
   transaction and tracked once (`View.batch`): a transaction per event, as the live runner
   does, is far too slow for a million events. Meanwhile the live generation keeps serving
   queries and following the log.
3. Switch, in one transaction (`View.switching`): hold off the projection's readers and
   writers (PostgreSQL: an exclusive advisory lock that waits for the transactions already
   reading the live generation; SQLite: the write lock), apply the events recorded since the
   last batch, track them, and mark N+1 live.
4. After `grace` seconds, drop generation N's tables (and its fingerprint). A live runner
   still bound to N raises `GenerationChanged` at its next write, without writing, and
   `ProjectionSet` restarts it on N+1 from N+1's own position, so no event is lost or
   applied twice.

A crash before the switch leaves N live and untouched; the next rebuild drops the leftovers.
`ProjectionSet` also calls this when it finds the live tables made by another version of
civicdesk (another fingerprint), so an upgrade needs no operator to know which read model
changed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from time import monotonic, sleep
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import InfrastructureFactory, Tracking
from eventsourcing.utils import Environment
from tqdm import tqdm  # type: ignore[import-untyped]

from application.desk import ServiceDesk
from engine import failures
from engine.decoding import ReplayDecoder
from engine.errors import GenerationChanged, TablesOfAnotherVersion
from engine.failures import EventNotApplied
from infrastructure.settings import Settings

if TYPE_CHECKING:
    from engine.spec import ProjectionSpec

BATCH_SIZE = 2000
GRACE_SECONDS = 2.0  # longer than View.REFRESH_SECONDS: see `View.table`


@dataclass(frozen=True)
class Rebuilt:
    """What a rebuild did."""

    name: str
    generation: int  # now live
    replaced: int  # the generation it replaced (its tables are dropped)
    position: int  # the last notification applied
    events: int  # notifications replayed (the projection's topics only)
    seconds: float  # from the first read to the switch

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


class Replay:
    """Applies the log to a projection, a batch of notifications per transaction.

    The new tables' planner statistics are refreshed whenever the replay has doubled the
    events behind them (from ANALYZE_FROM on) and once before the switch: a few ANALYZEs in
    all, instead of statements planned for empty tables scanning ever larger ones.
    """

    ANALYZE_FROM = 10_000

    def __init__(self, desk: ServiceDesk, projection: Any, view: Any, batch_size: int) -> None:
        self.desk = desk
        self.projection = projection
        self.view = view
        self.batch_size = batch_size
        self.topics = list(projection.topics)
        self.skipped = failures.skipped_positions(view)  # operators' skips (failures)
        self.position = 0
        self.events = 0
        self.analyze_at = self.ANALYZE_FROM
        self.decode = ReplayDecoder(desk.mapper)

    def step(self, *, analyze: bool = True, whole: bool = True) -> int:
        """Apply the next batch; returns how many notifications it held (0 at the head).
        Inside the switch `analyze` and `whole` are off: ANALYZE takes a transaction of its
        own, and a failed statement would abort the switch's transaction (see `_apply`)."""
        notifications = self.desk.recorder.select_notifications(
            start=self.position + 1, limit=self.batch_size, topics=self.topics)
        if not notifications:
            return 0
        try:
            self._apply(notifications, whole=whole)
        except _BatchRefused:
            self._apply(notifications, whole=False)  # names the event that fails, if any
        self.position = notifications[-1].id
        self.events += len(notifications)
        if analyze and self.events >= self.analyze_at:
            self.view.analyze()
            self.analyze_at = 2 * self.events
        return len(notifications)

    def _apply(self, notifications: Sequence[Any], *, whole: bool) -> None:
        """Apply `notifications` in one transaction, tracking the last. With `whole`, a read
        model that applies a batch at once (`process_batch`, see engine.spec) gets them all;
        if that fails, the transaction is rolled back and `_BatchRefused` raised, so the
        caller applies them one by one to find the event at fault."""
        name = self.desk.name
        batch_apply = getattr(self.projection, "process_batch", None) if whole else None
        with self.view.batch(Tracking(name, notifications[-1].id)):
            events = []
            for notification in notifications:
                if notification.id in self.skipped:
                    continue
                event = self.decode(notification)  # a damaged log says so itself
                try:
                    if batch_apply is None:
                        self.projection.process_event(event, Tracking(name, notification.id))
                    else:
                        events.append((event, Tracking(name, notification.id)))
                except Exception as error:
                    raise _not_applied(self.view.name, notification, error) from error
            if batch_apply is not None and events:
                try:
                    batch_apply(events)
                except (GenerationChanged, TablesOfAnotherVersion):
                    raise
                except Exception as error:
                    raise _BatchRefused from error


class _BatchRefused(Exception):
    """A read model's `process_batch` failed: the batch is applied again event by event."""


def _not_applied(view_name: str, notification: Any, error: Exception) -> EventNotApplied:
    return EventNotApplied(view_name, notification.id,
                           f"{notification.originator_id}@{notification.originator_version}",
                           notification.topic, error)


def rebuild(settings: Settings, desk: ServiceDesk, spec: ProjectionSpec, *,
            env: dict[str, str] | None = None, batch_size: int = BATCH_SIZE,
            progress: bool = False, grace: float = GRACE_SECONDS,
            on_batch: Callable[[int], None] | None = None,
            on_switch: Callable[[Rebuilt], None] | None = None) -> Rebuilt:
    """Rebuild `spec`'s read model from the whole log of `desk` and switch it in.

    `grace` seconds pass between the switch and dropping the old tables, for queries of
    other processes that named them before the switch. `on_batch(position)` is called after
    each batch of the replay (tests pause there); `on_switch(rebuilt)` right after the switch
    commits (`ProjectionSet` moves its runner then). Raises GenerationChanged if another rebuild
    of the same projection claimed a later generation meanwhile.
    """
    factory: Any = InfrastructureFactory[Any].construct(
        Environment(spec.name, env or settings.eventsourcing_env()))
    try:
        view_class: Any = spec.view_class(settings)
        live, generation = view_class(datastore=factory.datastore).claim_generation()
        view = view_class(datastore=factory.datastore, generation=generation)
        view.create_table()
        replay = Replay(desk, spec.projection(view=view), view, batch_size)
        started = monotonic()
        with tqdm(total=desk.log_position(), unit="event", unit_scale=True, file=sys.stderr,
                  desc=f"rebuild {spec.name}", disable=not progress) as bar:
            while (applied := replay.step()) == batch_size:
                bar.total = max(bar.total, desk.log_position())
                bar.update(replay.position - bar.n)
                if on_batch is not None:
                    on_batch(replay.position)
            if applied and on_batch is not None:
                on_batch(replay.position)
            view.analyze()
            with view.switching():
                while replay.step(analyze=False, whole=False):
                    pass
            bar.total = max(bar.total, replay.position)
            bar.update(replay.position - bar.n)
        rebuilt = Rebuilt(name=spec.name, generation=generation, replaced=live,
                          position=replay.position, events=replay.events,
                          seconds=monotonic() - started)
        if on_switch is not None:
            on_switch(rebuilt)
        if grace > 0:
            sleep(grace)
        view.drop_generation(live)
        return rebuilt
    finally:
        factory.close()
