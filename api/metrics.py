"""Prometheus metrics at `/metrics`, with prometheus-client: requests by route template, the
event log, each read model's position, lag and failure, deadlines, and scheduler leadership.

Labels carry route templates (`/api/v1/cases/{case_id}`), methods, status codes and read
model names only: never a raw path, an id or anything about a person. Request metrics are
counted as requests end; the rest is read from the database when Prometheus scrapes, so every
process reports the same log and read models whichever runs them. Each app has its own
registry (tests build many apps in one process).

`/metrics` needs no token, like `/health` and `/ready`: serve it on a private network or
behind a proxy that keeps it from the public (see README, "Operating it").
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from litestar import Request, Response, get
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from engine.views import ProjectionNotReady
from infrastructure.bootstrap import Services
from projections.pending_deadlines import PENDING_DEADLINES

UNMATCHED = "unmatched"  # a request no route took: its raw path is never a label


class DeskCollector(Collector):
    """What the database says at scrape time, for the app's services once bound."""

    def __init__(self) -> None:
        self.services: Services | None = None

    def collect(self) -> Iterator[Metric]:
        if self.services is None:
            return
        desk, projections = self.services.desk, self.services.projections
        head = desk.log_position()
        yield CounterMetricFamily(
            "civicdesk_events_appended", "Events appended to the log, by every process (the "
            "head of the notification log; PostgreSQL ids may skip after a rollback)",
            value=head)
        yield CounterMetricFamily(
            "civicdesk_batched_commits", "Transactions of this process that saved several "
            "commands together (group commit; a quiet desk saves each alone)",
            value=desk.committer.batches)
        position = GaugeMetricFamily("civicdesk_projection_position",
                                     "Last log position the read model applied",
                                     labels=["read_model"])
        lag = GaugeMetricFamily("civicdesk_projection_lag_events", "Log positions the read "
                                "model has not applied yet", labels=["read_model"])
        failed = GaugeMetricFamily("civicdesk_projection_failed", "1 while the read model is "
                                   "stopped on an event it cannot apply", labels=["read_model"])
        for report in projections.positions():
            position.add_metric([report.name], report.position)
            lag.add_metric([report.name], max(head - report.position, 0))
            failed.add_metric([report.name], 0 if report.failure is None else 1)
        yield from (position, lag, failed)
        deadlines = self.services.view(PENDING_DEADLINES)
        try:
            pending, overdue = deadlines.count(), deadlines.count_due_before(desk.clock())
        except ProjectionNotReady:
            pass  # its tables are being rebuilt: left out of this scrape, not failing it
        else:
            yield GaugeMetricFamily("civicdesk_deadlines_pending", "Service-level deadlines "
                                    "not yet met or missed", value=pending)
            yield GaugeMetricFamily("civicdesk_deadlines_overdue", "Pending deadlines already "
                                    "past due (the scheduler records each as missed at once)",
                                    value=overdue)
        scheduler = self.services.scheduler
        status = scheduler.status() if scheduler is not None else None
        yield CounterMetricFamily("civicdesk_deadlines_missed", "Missed deadlines this "
                                  "process's scheduler recorded since it became leader",
                                  value=status["recorded"] if status else 0)
        yield GaugeMetricFamily("civicdesk_scheduler_leader", "1 if this process leads the "
                                "deadline scheduler", value=1 if status and
                                status["role"] == "leader" else 0)
        checkpointer = self.services.checkpointer
        broken = checkpointer.broken_position if checkpointer is not None else None
        yield GaugeMetricFamily("civicdesk_ledger_broken_position", "The log position at "
                                "which this process's checkpointer found the log broken or "
                                "an event the application did not sign, and stopped signing "
                                "checkpoints (0: none; run civicdesk verify)",
                                value=broken or 0)
        unsigned = checkpointer.unsigned_position if checkpointer is not None else None
        yield GaugeMetricFamily("civicdesk_ledger_unsigned_position", "The log position of an "
                                "event the application did not sign (a row inserted with the "
                                "database's own credentials), at which this process's "
                                "checkpointer stopped signing (0: none; run civicdesk verify)",
                                value=unsigned or 0)


class Metrics:
    """One app's registry and its request metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("civicdesk_http_requests", "HTTP requests answered",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("civicdesk_http_request_duration_seconds", "Time to answer "
                                 "an HTTP request", ["method", "route"], registry=self.registry)
        self.collector = DeskCollector()
        self.registry.register(self.collector)

    def bind(self, services: Services) -> Metrics:
        """Read the desk, read models, scheduler and checkpointer of `services` (an app's)."""
        self.collector.services = services
        return self

    def middleware(self, app: ASGIApp) -> ASGIApp:
        """Counts and times each request under its route's template."""

        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":  # (websockets: none here)
                await app(scope, receive, send)
                return
            started, status = time.perf_counter(), 500

            async def send_status(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            try:
                await app(scope, receive, send_status)
            finally:
                route = scope.get("path_template") or UNMATCHED
                method = str(scope.get("method", ""))
                self.requests.labels(method, route, str(status)).inc()
                self.latency.labels(method, route).observe(time.perf_counter() - started)

        return middleware


@get("/metrics", operation_id="metrics", include_in_schema=False, sync_to_thread=True)
def metrics(request: Request[Any, Any, Any], metrics: Metrics) -> Response[bytes]:
    """The app's metrics, in the format the scraper's Accept asks for (Prometheus text by
    default, OpenMetrics on request), as prometheus-client negotiates it."""
    collected = metrics
    encoder, content_type = choose_encoder(request.headers.get("accept", ""))
    # Litestar adds the charset to a text/* media type itself.
    return Response(encoder(collected.registry),
                    media_type=content_type.replace("; charset=utf-8", ""))
