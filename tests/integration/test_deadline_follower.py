"""The deadline follower when syncing a case keeps failing: it backs off, and says so once."""

from __future__ import annotations

import logging
import threading
from typing import Any
from uuid import UUID

import pytest

from application.desk import ServiceDesk
from infrastructure.deadline_follower import DeadlineFollower
from tests.receiving import receive


class RecordedWaits(threading.Event):
    """The follower's stop signal, recording how long it waits between tries; it stops the
    follower at the fifth wait instead of waiting at all."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float | None] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(timeout)
        return len(self.waits) >= 5


def test_a_case_that_keeps_failing_to_sync_is_retried_ever_more_slowly(
        desk: ServiceDesk, caplog: pytest.LogCaptureFixture) -> None:
    # Given a case in the log, and a sync that fails every time (a case that cannot be read)
    receive(desk)

    def sync(case_id: UUID) -> None:
        raise RuntimeError(f"cannot read case {case_id}")

    follower = DeadlineFollower(desk, sync, position=0)
    stopping = follower._stopping = RecordedWaits()
    # When the follower runs until its fifth wait
    with caplog.at_level(logging.WARNING, logger="civicdesk.scheduler"):
        follower.start()
        follower.join(timeout=30)
    # Then it waited twice as long each time, from 2 s, and logged one traceback
    assert stopping.waits == [2.0, 4.0, 8.0, 16.0, 32.0]
    records: list[Any] = [r for r in caplog.records if r.name == "civicdesk.scheduler"]
    assert sum(r.exc_info is not None for r in records) == 1
    assert len(records) == 5
    assert follower.position == 0  # nothing was synced past the failing case
