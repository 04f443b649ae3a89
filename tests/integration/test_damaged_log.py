"""A damaged log is answered as such, on SQLite and PostgreSQL: a case whose stored events were
forged (a version out of order, a state without the fields its event needs) is a 503 problem
naming the event in the API and one message with exit code 1 on the command line, never a 500
or a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from uuid import UUID

import pytest
from litestar.testing import TestClient

from api.app import create_app
from api.auth import issue_token
from application.desk import ServiceDesk
from tests.command_line import civicdesk
from tests.integration.test_tamper_evidence import History, record_history
from tests.tampering import Dba

if TYPE_CHECKING:
    from infrastructure.settings import Settings
    from tests.conftest import MovableClock


@pytest.fixture
def history(desk: ServiceDesk, clock: MovableClock) -> History:
    return record_history(desk, clock)


def forge(settings: Settings, desk: ServiceDesk, history: History, kind: str) -> UUID:
    """Append to the escalated case an event a DBA wrote by SQL; return the case's id."""
    with Dba(settings, desk) as db:
        db.drop_guard()
        case, _, _, _ = db.event(history.escalated)
        versions = [version for position in range(1, history.published.head_position + 1)
                    if (found := db.run(f"SELECT originator_id, originator_version FROM "
                                        f"{db.events} WHERE {db.id} = ?", position))
                    and UUID(str(found[0][0])) == case for _, version in found]
        version = max(versions) + (5 if kind == "version" else 1)
        db.insert_event(history.published.head_position + 1, case, version,
                        "domain.cases:Case.Closed", b"{}")
    return case


@pytest.fixture
def client(settings: Settings, desk: ServiceDesk) -> Iterator[TestClient[Any]]:
    import dataclasses

    app = create_app(dataclasses.replace(settings, run_projections=False), desk=desk)
    with TestClient(app) as client:
        yield client


@pytest.mark.parametrize("kind", ["version", "fields"])
def test_the_history_of_a_case_with_a_forged_event_is_a_problem_not_a_500(
        settings: Settings, desk: ServiceDesk, history: History, client: TestClient[Any],
        kind: str) -> None:
    case = forge(settings, desk, history, kind)
    token = issue_token(settings, sub="aud", role="auditor", departments=[])
    response = client.get(f"/api/v1/cases/{case}/history",
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["type"].endswith("/log-inconsistent")
    assert "the log is inconsistent" in body["detail"]
    assert "run civicdesk verify" in body["detail"]


@pytest.mark.parametrize("kind", ["version", "fields"])
def test_civicdesk_history_of_a_damaged_case_says_so_without_a_traceback(
        settings: Settings, desk: ServiceDesk, history: History, kind: str) -> None:
    case = forge(settings, desk, history, kind)
    reference = _reference(desk, case)
    result = civicdesk(settings, "history", reference)
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("civicdesk: the log is inconsistent")
    assert "Traceback" not in result.stderr


def _reference(desk: ServiceDesk, case: UUID) -> str:
    """The case's reference, from its first event (the case itself no longer loads)."""
    [received] = [n for n in desk.recorder.select_notifications(start=1, limit=10_000)
                  if n.originator_id == case and n.originator_version == 1]
    event: Any = desk.mapper.to_domain_event(received)
    return str(event.reference)
