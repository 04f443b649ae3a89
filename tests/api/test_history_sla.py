"""The auditor's case history shows, at every step, the SLA targets as they stood at that moment.

An email's acknowledgement is promised within 2 business days (16 business hours, 57,600 s).
Received Wednesday 2026-03-04 10:00 Toronto (15:00 UTC), it falls due Friday 10:00 (15:00 UTC).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import eventsourcing.domain
import pytest

TWO_BUSINESS_DAYS = 2 * 8 * 3600  # 57,600 s: Wed 10:00 -> Fri 10:00 Toronto
RECEIVED = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # the `clock` fixture's start
DUE = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def recorded_on_the_clock(monkeypatch: pytest.MonkeyPatch, clock: Any) -> Iterator[None]:
    """Events are stamped by the test's clock, as in production both are the wall clock, so a
    step's recorded time is the moment its targets are judged at."""
    monkeypatch.setattr(eventsourcing.domain, "datetime_now_with_tzinfo", clock)
    yield


def utc(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def steps(history: dict[str, Any]) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """Each step's type, and its targets' name, state, met, breached and remaining time."""
    return [(event["type"], [(t["name"], t["state"], t["met_at"], t["breached_at"],
                              t["remaining_seconds"]) for t in event["targets"]])
            for event in history["events"]]


def test_the_acknowledge_target_is_pending_at_receipt_and_met_after_acknowledged(
        api: Any, clock: Any) -> None:
    # given an email received Wednesday 10:00 and acknowledged at 11:00
    case_id = api.receive()["id"]
    clock.advance(hours=1)
    api.run(case_id, ("acknowledge", {"message": "We have your request"}))
    # when an auditor reads its history
    history = api.history(case_id)
    # then receipt planned nothing yet, the plan made it pending with its whole time left,
    # and the acknowledgement met it with 15 business hours to spare
    assert steps(history) == [
        ("Case.Received", []),
        ("Case.TargetsSet", [("acknowledge", "pending", None, None, TWO_BUSINESS_DAYS)]),
        ("Case.Acknowledged", [("acknowledge", "met", utc(RECEIVED + timedelta(hours=1)),
                                None, TWO_BUSINESS_DAYS - 3600)]),
    ]
    assert all(t["due_at"] == utc(DUE) for e in history["events"] for t in e["targets"])
    # and each step is judged when it was recorded, whatever the case's state is now
    assert [e["recorded_at"] for e in history["events"]] == [
        utc(RECEIVED), utc(RECEIVED), utc(RECEIVED + timedelta(hours=1))]
    assert history["state"]["targets"] == history["events"][-1]["targets"]


def test_the_target_is_breached_from_the_deadline_missed_step_and_met_late_after(
        api: Any, clock: Any) -> None:
    # given an email received Wednesday 10:00 and left unanswered past Friday 10:00
    case_id = api.receive()["id"]
    clock.now = DUE + timedelta(minutes=1)
    # when the scheduler records the missed deadline at 10:01, and staff answer on Monday
    assert api.desk.record_deadline_missed(UUID(case_id), "acknowledge", DUE)
    clock.now = datetime(2026, 3, 9, 14, 0, tzinfo=UTC)  # Monday 10:00 Toronto
    api.run(case_id, ("acknowledge", {"message": "Sorry for the delay"}))
    history = api.history(case_id)
    # then the target was pending at the plan, breached (one minute over) from the deadline
    # step, and met late by the acknowledgement (Friday 10:00 -> 16:30, Monday 08:30 -> 10:00:
    # 6.5 h + 1.5 h = 8 business hours over)
    assert steps(history) == [
        ("Case.Received", []),
        ("Case.TargetsSet", [("acknowledge", "pending", None, None, TWO_BUSINESS_DAYS)]),
        ("Case.DeadlineMissed", [("acknowledge", "breached", None, utc(DUE), -60)]),
        ("Case.Acknowledged", [("acknowledge", "met_late", utc(clock.now), utc(DUE),
                                -8 * 3600)]),
    ]
    # and a history read as of the breach shows the steps up to it, judged as they were
    at_breach = api.history(case_id, version=3)
    assert at_breach["events"] == history["events"][:3]
    assert at_breach["state"]["targets"] == history["events"][2]["targets"]
