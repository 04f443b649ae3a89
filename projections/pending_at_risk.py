"""Pending at-risk instants: every watched target with the instant it becomes at risk, for the
scheduler that records `TargetAtRisk` (as `pending_deadlines` is for missed deadlines).

A row exists while the target is watched (not met, paused or recorded missed) and its at-risk
instant not yet recorded; the rows follow `pending_deadlines`' changes, holding each target's
`at_risk_from` instead of its due time, and a `TargetAtRisk` removes its target's row. A row
may outlive its use (a target re-planned to the instant already recorded): the scheduler asks
the case, which records nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from domain.cases import Case
from domain.targets import Target
from engine import PostgresView, ProjectionSpec, SQLiteView
from projections.pending_deadlines import Change, PendingInstantsView
from projections.pending_deadlines import change_of as deadline_change_of

NAME = "pending_at_risk"


def change_of(event: Any) -> Change:
    if isinstance(event, Case.TargetAtRisk):
        return Change(event.originator_id, drop=frozenset({event.target}))
    return deadline_change_of(event)


def at_risk_of(target: Target) -> datetime | None:
    """A target's at-risk instant, if it comes before it is due."""
    if target.at_risk_from is not None and target.at_risk_from < target.due_at:
        return target.at_risk_from
    return None


class PendingAtRiskProjection(Projection["PendingAtRiskView"]):
    name = NAME
    topics = ()

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.apply(tracking, [change_of(domain_event)])

    def process_batch(self, batch: Sequence[tuple[Any, Tracking]]) -> None:
        self.view.apply(batch[-1][1], [change_of(event) for event, _ in batch])


class PendingAtRiskView(PendingInstantsView):
    """The view's SQL: pending deadlines' (`PendingInstantsView`), with each target's at-risk
    instant instead of its due time."""

    name = NAME
    instant = "at_risk_from"
    instant_of = staticmethod(at_risk_of)

    def view_statements(self) -> list[str]:
        table = self.table(NAME)
        return [
            f"CREATE TABLE IF NOT EXISTS {table} (case_id {self.uuid_type} NOT NULL, "
            f"target TEXT NOT NULL, at_risk_from {self.time_type} NOT NULL, "
            "pausable BOOLEAN NOT NULL, PRIMARY KEY (case_id, target))",
        ]


class SQLitePendingAtRiskView(PendingAtRiskView, SQLiteView):
    pass


class PostgresPendingAtRiskView(PendingAtRiskView, PostgresView):
    pass


PENDING_AT_RISK = ProjectionSpec(projection=PendingAtRiskProjection,
                                 sqlite_view=SQLitePendingAtRiskView,
                                 postgres_view=PostgresPendingAtRiskView)
