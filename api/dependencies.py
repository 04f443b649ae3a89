"""What the routes are given by name (Litestar's dependency injection): the composed services
(infrastructure.bootstrap.compose) and the API's own parts, held by one `Served` per app.

A route names what it needs as a parameter (`desk: ServiceDesk`, `queues: QueueQuery`, ...);
`Served.dependencies` provides each, read from the holder at request time, so a test may swap a
part of a running app (a rate limiter on a fake clock, other settings) through `served(app)`.
Guards and middleware, which Litestar gives no dependencies, reach the holder the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from litestar import Litestar
from litestar.di import Provide

from api.metrics import Metrics
from api.open311.rate_limit import RateLimiter
from api.read_your_writes import ReadYourWrites
from infrastructure.bootstrap import Services
from projections.accommodations import ACCOMMODATIONS
from projections.case_index import CASE_INDEX
from projections.case_snapshots import CASE_SNAPSHOTS
from projections.complaint_register import COMPLAINT_REGISTER
from projections.duplicate_candidates import DUPLICATE_CANDIDATES
from projections.inbox import INBOX
from projections.outbox import OUTBOX_MODEL
from projections.queues import QUEUES
from projections.scorecard import SCORECARD


@dataclass
class Served:
    """One app's services and its own parts (request metrics, the Open311 rate limiter)."""

    services: Services
    metrics: Metrics = field(default_factory=Metrics)
    open311_limiter: RateLimiter = field(default_factory=RateLimiter)

    def dependencies(self) -> dict[str, Provide]:
        """Each name a route may take as a parameter, and how it is given."""
        # The same read model answers the queues and the SLA board.
        given: dict[str, Callable[[], Any]] = {
            "desk": lambda: self.services.desk,
            "access_log": lambda: self.services.access_log,
            "settings": lambda: self.services.settings,
            "projections": lambda: self.services.projections,
            "scheduler": lambda: self.services.scheduler,
            "checkpointer": lambda: self.services.checkpointer,
            "file_store": lambda: self.services.file_store,
            "read_your_writes": lambda: ReadYourWrites(self.services.desk,
                                                       self.services.projections),
            "case_index": lambda: self.services.view(CASE_INDEX),
            "queues": lambda: self.services.view(QUEUES),
            "sla_board": lambda: self.services.view(QUEUES),
            "complaint_register": lambda: self.services.view(COMPLAINT_REGISTER),
            "scorecards": lambda: self.services.view(SCORECARD),
            "accommodations": lambda: self.services.view(ACCOMMODATIONS),
            "outbox": lambda: self.services.view(OUTBOX_MODEL),
            "inbox": lambda: self.services.view(INBOX),
            "case_snapshots": lambda: self.services.view(CASE_SNAPSHOTS),
            "duplicate_candidates": lambda: self.services.view(DUPLICATE_CANDIDATES),
            "metrics": lambda: self.metrics,
            "open311_limiter": lambda: self.open311_limiter,
        }
        return {name: Provide(get, sync_to_thread=False) for name, get in given.items()}


def served(app: Litestar) -> Served:
    """The app's holder (set by `create_app`)."""
    return cast(Served, app.state.served)
