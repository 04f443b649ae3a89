"""The live runners apply the events waiting for them in batches, one transaction (and one
tracking write) each, on SQLite and PostgreSQL, and end where a read model built one event per
transaction ends; an event that comes alone is applied alone, without waiting for company. A
read model far behind catches up by the rebuild's replay first (engine.catch_up), and a crash
in the middle of it loses or doubles nothing.

Transactions are counted at the tracking write every one of them ends with
(`View._insert_tracking`, wrapped to count and then do its work).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from application.desk import ServiceDesk
from application.outbox import start_outbox
from engine.catch_up import CATCHING_UP
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
        # Given a history recorded while no read model ran (email switched on before the last
        # case, so the outbox owes messages)
        load_demo(desk, cases=20, seed=5)
        start_outbox(desk)
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


class InjectedCrash(RuntimeError):
    pass


@pytest.fixture
def far_behind_from_50(monkeypatch: pytest.MonkeyPatch) -> None:
    """A read model 50 events behind counts as far behind, and catches up 37 at a time (so a
    small history crosses batch borders)."""
    monkeypatch.setattr(ProjectionSet, "CATCH_UP_FROM", 50)
    monkeypatch.setattr(ProjectionSet, "CATCH_UP_BATCH", 37)
    monkeypatch.setattr(ProjectionSet, "RETRY_SECONDS", 0.1)


class TestABacklogFarBehind:
    def test_is_replayed_in_batches_like_a_rebuild_then_followed_and_equals_one_event_by_event(
            self, settings: Settings, desk: ServiceDesk, tracking_writes: Counter[str],
            far_behind_from_50: None, caplog: pytest.LogCaptureFixture) -> None:
        # Given a history of a few hundred events recorded while no read model ran
        load_demo(desk, cases=20, seed=5)
        head = desk.log_position()
        name = "queues"
        # When the read model starts
        with caplog.at_level("INFO", logger="civicdesk.projections"), \
                running_projections(settings, desk, SPECS[name]) as live:
            roles = {live.role(name)}
            live.wait_for(head, timeout=SECONDS)
            # Then it caught up by the replay, in transactions of 37 notifications
            assert "read model queues: catching up from position 0" in caplog.text
            assert roles <= {CATCHING_UP, "running"}
            assert tracking_writes[name] >= head // 37, (tracking_writes[name], head)
            # and then follows the log event by event
            later = receive(desk).position
            live.wait_for(later, timeout=SECONDS)
            assert live.role(name) == "running"
            # holding what a read model built one event per transaction holds
            caught_up = live.view(name).snapshot()
            live.rebuild(name, grace=0, batch_size=1)
            assert live.view(name).snapshot() == caught_up
            assert live.position(name) == later

    def test_a_crash_in_the_middle_of_the_catch_up_loses_and_doubles_nothing(
            self, settings: Settings, desk: ServiceDesk, far_behind_from_50: None,
            monkeypatch: pytest.MonkeyPatch) -> None:
        # Given a history recorded while no read model ran
        load_demo(desk, cases=20, seed=7)
        head = desk.log_position()
        name = "pending_deadlines"
        # and a catch-up whose third transaction dies at its very end (its tracking write)
        original, writes = View._insert_tracking, Counter[str]()

        def crashing(view: View, cursor: Any, tracking: Any) -> None:
            writes[view.name] += 1
            if writes[view.name] == 3:
                raise InjectedCrash(f"crash at {tracking.notification_id}")
            original(view, cursor, tracking)

        monkeypatch.setattr(View, "_insert_tracking", crashing)
        # When the read model starts, fails there, and is tried again (after its backoff)
        with running_projections(settings, desk, SPECS[name]) as live:
            limit = time.monotonic() + SECONDS
            while live.position(name) < head and time.monotonic() < limit:
                time.sleep(0.05)  # polling interval, not a deadline
            # Then it ends where one built event by event ends: nothing lost, nothing twice
            assert writes[name] > 3
            caught_up = live.view(name).snapshot()
            live.rebuild(name, grace=0, batch_size=1)
            assert live.view(name).snapshot() == caught_up
            assert live.position(name) == head
