"""The live runners apply the events waiting for them in batches, one transaction (and one
tracking write) each, on SQLite and PostgreSQL, and end where a read model built one event per
transaction ends; an event that comes alone is applied alone, without waiting for company.

Transactions are counted at the tracking write every one of them ends with
(`View._insert_tracking`, wrapped to count and then do its work).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from application.desk import ServiceDesk
from engine.runner import ProjectionSet
from engine.views import View
from infrastructure.demo import load_demo
from infrastructure.settings import Settings
from projections.registry import all_specs
from tests.conftest import running_projections
from tests.receiving import receive

SPECS = all_specs()
SECONDS = 120.0


@pytest.fixture
def tracking_writes(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """How many times each read model wrote its tracking position: once per transaction."""
    counted: Counter[str] = Counter()
    original = View._insert_tracking

    def counting(view: View, cursor: Any, tracking: Any) -> None:
        counted[view.name] += 1
        original(view, cursor, tracking)

    monkeypatch.setattr(View, "_insert_tracking", counting)
    yield counted


def events_of(desk: ServiceDesk, projections: ProjectionSet, name: str) -> int:
    """How many notifications in the log read model `name` follows."""
    topics = list(projections.specs[name].projection.topics)
    return len(desk.recorder.select_notifications(start=1, limit=100_000, topics=topics))


class TestABacklog:
    def test_is_applied_in_a_few_transactions_and_equals_one_built_event_by_event(
            self, settings: Settings, desk: ServiceDesk,
            tracking_writes: Counter[str]) -> None:
        # Given a history recorded while no read model ran
        load_demo(desk, cases=20, seed=5)
        receive(desk)
        head = desk.log_position()
        # When the read models start
        with running_projections(settings, desk, *SPECS.values()) as live:
            live.wait_for(head, timeout=SECONDS)
            # Then each applied its backlog in a few transactions, not one per event
            for name in SPECS:
                events = events_of(desk, live, name)
                assert events >= 100, (name, events)
                assert tracking_writes[name] <= 3, (name, tracking_writes[name], events)
            # and holds what a read model built one event per transaction holds
            for name in SPECS:
                batched = live.view(name).snapshot()
                assert any(batched.values()), name
                live.rebuild(name, grace=0, batch_size=1)
                assert live.view(name).snapshot() == batched, name
                assert live.position(name) == head


class TestAnEventThatComesAlone:
    def test_is_applied_at_once_in_a_transaction_of_its_own(
            self, settings: Settings, desk: ServiceDesk,
            tracking_writes: Counter[str]) -> None:
        # Given the case index following a quiet log
        name = "case_index"
        with running_projections(settings, desk, SPECS[name]) as live:
            live.wait_for(desk.log_position(), timeout=SECONDS)
            for _ in range(3):
                before = tracking_writes[name]
                # When one case arrives
                position = receive(desk).position
                # Then it is applied within a moment, without waiting for a batch to fill
                live.wait_for(position, timeout=2.0, names=[name])
                assert tracking_writes[name] - before >= 1
