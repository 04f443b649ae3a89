"""A case's history as of an instant judges each target at that instant, through the function
the API's `history?as_of=` and `civicdesk history --as-of` both answer with.

An email to public works received Mon 2 March 2026 10:00 Toronto (EST, UTC-5), recorded then
(its events stamped then), and nothing recorded since. Its acknowledgement is due in
2 business days = 16 h: Mon 10:00-16:30 6.5 h + Tue 8 h + Wed 08:30-10:00 1.5 h, so Wed 4 March
10:00. At risk below a quarter of 16 h = 4 h left.
- As of Tue 3 March 16:00: Tue 16:00-16:30 0.5 h + Wed 08:30-10:00 1.5 h = 2 h left: at risk.
- As of Wed 4 March 12:00: Wed 10:00-12:00 = 2 business hours overdue: breached, -2 h.
(As of the receipt itself, the last event, 16 h were left: pending.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from eventsourcing.domain import CanCreateTimestamp

from api.cli import main as civicdesk
from api.history import case_history
from application.desk import ServiceDesk
from domain.actors import Actor, Role
from infrastructure.access_log import AccessLog
from infrastructure.bootstrap import build_desk, seed_catalogue
from infrastructure.settings import Settings
from tests import toronto_time
from tests.command_line import TEST_MASTER_KEY
from tests.conftest import MovableClock
from tests.receiving import receive_at

AUDITOR = Actor(id="auditor-1", role=Role.AUDITOR)
HOUR = 3600


def toronto(day: int, hour: int, minute: int = 0) -> datetime:
    return toronto_time.toronto(2026, 3, day, hour, minute)


@pytest.fixture
def monday_desk(settings: Settings, clock: MovableClock,
                monkeypatch: pytest.MonkeyPatch) -> Iterator[ServiceDesk]:
    """A desk whose every event, catalogue included, is stamped and committed Monday 10:00:
    eventsourcing stamps each event from `create_timestamp()` (the system clock) and the SQLite
    recorder takes commit times (what as_of selects by, only ever increasing) from its
    `commit_clock`; the test stops both there. PostgreSQL takes commit times from the server's
    clock, which a test cannot move."""
    if settings.is_postgres:
        pytest.skip("commit times on PostgreSQL come from the server's clock")
    monday = toronto(2, 10)
    monkeypatch.setattr(CanCreateTimestamp, "create_timestamp", staticmethod(lambda: monday))
    desk = build_desk(settings, clock=clock)
    monkeypatch.setattr(desk.recorder, "commit_clock",
                        lambda: int(monday.timestamp()) * 1_000_000_000, raising=False)
    seed_catalogue(desk)
    yield desk
    desk.close()


def an_email(desk: ServiceDesk, clock: MovableClock) -> Any:
    return receive_at(desk, clock, toronto(2, 10))


def acknowledgement(state: Any) -> tuple[str, int]:
    [target] = [t for t in state.targets if t.name == "acknowledge"]
    return target.state, target.remaining_seconds


@pytest.mark.parametrize(("as_of", "state", "remaining"), [
    (toronto(3, 16), "at_risk", 2 * HOUR),
    (toronto(4, 12), "breached", -2 * HOUR),
])
def test_the_state_as_of_an_instant_judges_each_target_at_that_instant(
        monday_desk: ServiceDesk, clock: MovableClock, as_of: datetime, state: str,
        remaining: int) -> None:
    desk = monday_desk
    # Given the email, and nothing recorded since its receipt
    case = an_email(desk, clock)
    # When an auditor asks for its history as of the instant
    history = case_history(desk, AUDITOR, case.id, version=None, as_of=as_of.isoformat())
    # Then the acknowledgement is judged then, not when the last event was recorded
    assert history.state is not None
    assert acknowledgement(history.state) == (state, remaining)
    # While each step still shows the targets as they stood when it was recorded
    assert [(t.state, t.remaining_seconds) for t in history.events[-1].targets
            if t.name == "acknowledge"] == [("pending", 16 * HOUR)]


def test_civicdesk_history_as_of_judges_targets_at_that_instant(
        monday_desk: ServiceDesk, clock: MovableClock, settings: Settings,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    desk = monday_desk
    # Given the email, the access log set up, and the command line on the same database
    case = an_email(desk, clock)
    AccessLog(desk)
    monkeypatch.setenv("CIVICDESK_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CIVICDESK_MASTER_KEY", settings.master_key or TEST_MASTER_KEY)
    if settings.is_postgres:
        monkeypatch.setenv("CIVICDESK_DATABASE_URL", str(settings.database_url))
        monkeypatch.setenv("CIVICDESK_DATABASE_SCHEMA", str(settings.database_schema))
    # When `civicdesk history REF --as-of` Wednesday noon runs
    assert civicdesk(["history", case.reference, "--as-of", toronto(4, 12).isoformat()]) == 0
    # Then it shows the acknowledgement breached, 2 business hours overdue
    shown = json.loads(capsys.readouterr().out)
    [target] = [t for t in shown["state"]["targets"] if t["name"] == "acknowledge"]
    assert (target["state"], target["remaining_seconds"]) == ("breached", -2 * HOUR)
