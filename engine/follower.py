"""Following the log: a runner that applies the events waiting for a read model in batches,
each in one transaction with its tracking position, and names the event it fails on."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.projection import BaseProjectionRunner, Projection, ProjectionRunner
from eventsourcing.utils import get_topic

from application.desk import ServiceDesk
from engine import failures
from engine.failures import EventNotApplied
from engine.views import GenerationChanged, TablesOfAnotherVersion, View

log = logging.getLogger("civicdesk.projections")


class _Guarded:
    """A projection whose failure on an event names the event (`EventNotApplied`), and which
    passes over an event an operator skipped after it failed (engine.failures)."""

    def __init__(self, projection: Projection[Any], view: View) -> None:
        self.projection, self.view = projection, view

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        try:
            self.projection.process_event(domain_event, tracking)
        except (GenerationChanged, TablesOfAnotherVersion):
            raise  # the tables moved, not the event's fault: ProjectionSet follows them
        except Exception as error:
            position = tracking.notification_id
            if position in failures.skipped_positions(self.view):
                with self.view.writing(tracking):
                    pass  # tracked, not applied: the operator's recorded decision
                log.warning("projection %s: passed over event %d, skipped by an operator",
                            self.view.name, position)
                return
            event_id = f"{domain_event.originator_id}@{domain_event.originator_version}"
            raise EventNotApplied(self.view.name, position, event_id,
                                  get_topic(type(domain_event)), error) from error


    def process_batch(self, batch: Sequence[tuple[Any, Tracking]],
                      stopping: threading.Event) -> None:
        """Apply `batch` in one transaction, tracking its last position once. If any event in
        it fails, nothing of it is written, and it is applied again one event at a time: the
        events before the poison are applied and the poison is the one that fails (or is
        passed over), by its own position."""
        if len(batch) == 1:
            self.process_event(*batch[0])
            return
        applied: list[Tracking] = []
        batch_apply = getattr(self.projection, "process_batch", None)
        try:
            # Stopping, it finishes the event in hand (or the batch, for a read model that
            # applies a batch at once) and commits what it has applied.
            with self.view.batch(lambda: applied[-1]):
                if batch_apply is not None:
                    batch_apply(batch)
                    applied.append(batch[-1][1])
                for domain_event, tracking in () if batch_apply is not None else batch:
                    self.projection.process_event(domain_event, tracking)
                    applied.append(tracking)
                    if stopping.is_set():
                        break
        except (GenerationChanged, TablesOfAnotherVersion):
            raise  # nothing was written; ProjectionSet follows the tables
        except Exception as error:
            log.info("projection %s: a batch of %d events failed (%r); applying them one at "
                     "a time", self.view.name, len(batch), error)
            for domain_event, tracking in batch:
                self.process_event(domain_event, tracking)


def _waiting(subscription: Any) -> bool:
    """Whether `subscription` (an eventsourcing ApplicationSubscription) has a notification
    in hand, so that taking it does not wait for the log. It knows the two subscriptions a
    desk's recorder gives: eventsourcing's LISTEN/NOTIFY one (PostgreSQL), which reads ahead
    into lists of up to 500, and infrastructure.recorders.PollingSubscription (SQLite)."""
    inner = subscription.subscription
    pending = getattr(inner, "_pending", None)  # PollingSubscription
    if pending is not None:
        return bool(pending)
    index, notifications = inner._notifications_index, inner._notifications
    return bool(index < len(notifications) or not inner._notifications_queue.empty())


class _Runner(ProjectionRunner[Any, Any]):
    """A ProjectionRunner on a view made by the caller: it shares the read view's connections
    instead of a pool of its own, and applies the events waiting for it in batches of up to
    BATCH_SIZE, one transaction each (the tracking position in it): a burst, or a backlog at
    start, costs a transaction per batch instead of one per event. It never waits for a
    batch to fill: an event that arrives alone is applied alone, at once."""

    BATCH_SIZE = 500

    def __init__(self, *, application_class: type[ServiceDesk],
                 projection_class: type[Projection[Any]], view: View,
                 env: dict[str, str]) -> None:
        self.view = view
        self.projection = projection_class(view=view)
        BaseProjectionRunner.__init__(
            self, projection=_Guarded(self.projection, view),  # type: ignore[arg-type]
            application_class=application_class, tracking_recorder=view,
            topics=self.projection.topics, env=env)

    @staticmethod
    def _process_events_loop(subscription: Any, projection: Any, is_stopping: threading.Event,
                             runner: Any) -> None:
        """The library's loop (it hands an error to `run_forever`), applying batches."""
        try:
            for first in subscription:
                batch = [first]
                try:
                    while len(batch) < _Runner.BATCH_SIZE and not is_stopping.is_set() \
                            and _waiting(subscription):
                        batch.append(next(subscription))
                except StopIteration:
                    pass  # stopped meanwhile: what is in hand is applied whole, or not at all
                projection.process_batch(batch, is_stopping)
        except BaseException as error:
            found = runner()
            if found is not None:
                found._thread_error = error
            else:
                log.error("projection runner gone before its error was handed over: %r",
                          error)
        finally:
            is_stopping.set()
