"""An administrator sends a parked message again, by `POST /api/v1/admin/outbox/requeue` or
`civicdesk outbox requeue KEY --reason ...`: the case records `NotificationRequeued` (who,
when, why), the outbox tries it again from zero attempts, and it is sent once the mail server
takes it. Only a parked message, and only administrators. On SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from api.app import create_app
from api.auth import issue_token
from api.cli import main as civicdesk
from api.dependencies import served
from application.customers import Intake
from application.desk import ServiceDesk
from application.outbox import start_outbox
from domain.cases import Case
from domain.notices import MAX_ATTEMPTS, OUTBOX
from domain.webhooks import EVENT_NOTICE
from infrastructure.mail import MailServer
from infrastructure.outbox_worker import OutboxWorker
from infrastructure.settings import Settings
from projections.outbox import OUTBOX_MODEL, PARKED, PENDING, SENT, Message
from tests.command_line import TEST_MASTER_KEY
from tests.conftest import MovableClock
from tests.mail_server import Mailbox
from tests.receiving import receive

ANN = Intake(personal={"name": "Ann", "email": "ann@example.org"})


@pytest.fixture
def mail(settings: Settings, smtp: tuple[Mailbox, int]) -> Settings:
    return dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=smtp[1],
                               smtp_starttls=False, smtp_from="desk@cobourg.example")


def headers(settings: Settings, role: str) -> dict[str, str]:
    token = issue_token(settings, sub=f"{role}-1", role=role, departments=["public-works"])
    return {"Authorization": f"Bearer {token}"}


class Desk:
    """The API over a desk whose mail server refused Ann's acknowledgement until parked."""

    def __init__(self, client: TestClient[Any], settings: Settings, desk: ServiceDesk,
                 clock: MovableClock, smtp: tuple[Mailbox, int]) -> None:
        self.client, self.settings, self.desk, self.clock = client, settings, desk, clock
        self.services = served(client.app).services
        self.view = self.services.view(OUTBOX_MODEL)
        self.worker = OutboxWorker(settings, desk, self.view, MailServer(settings), clock=clock)
        smtp[0].refusing = True
        self.case = receive(desk, customer=ANN).case
        self.caught_up()
        for _ in range(MAX_ATTEMPTS):  # each try after its backoff (at most an hour)
            self.worker.run_once()
            clock.advance(hours=1)
        [self.message] = self.view.in_states([PARKED])
        assert self.message.state == PARKED
        smtp[0].refusing = False  # the mail administrators fixed the relay

    def caught_up(self) -> None:
        self.services.projections.wait_for(self.desk.log_position(), names=[OUTBOX_MODEL.name])

    def requeue(self, role: str, key: str, reason: str = "relay fixed") -> Any:
        return self.client.post("/api/v1/admin/outbox/requeue",
                                json={"key": key, "reason": reason},
                                headers=headers(self.settings, role))


@pytest.fixture
def parked(mail: Settings, desk: ServiceDesk, clock: MovableClock,
           smtp: tuple[Mailbox, int]) -> Iterator[Desk]:
    start_outbox(desk)
    with TestClient(create_app(mail, desk=desk, clock=clock)) as client:
        yield Desk(client, mail, desk, clock, smtp)


def emails(parked: Desk) -> list[Message]:
    return [m for m in parked.view.every() if m.notice != EVENT_NOTICE]


def requeued_events(desk: ServiceDesk, case: Case) -> list[Any]:
    return [e for e in desk.case_events(OUTBOX, case.id)
            if type(e).__name__ == "NotificationRequeued"]


class TestRequeueByApi:
    def test_a_parked_message_is_recorded_requeued_then_sent(
            self, parked: Desk, smtp: tuple[Mailbox, int]) -> None:
        key = parked.message.key
        # when an administrator requeues it
        answer = parked.requeue("admin", key)
        # then the case records who requeued it and why
        assert answer.status_code == 202, answer.text
        assert answer.json()["case_id"] == str(parked.case.id)
        [event] = requeued_events(parked.desk, parked.case)
        assert (event.message_key, event.actor_id, event.reason) == (key, "admin-1",
                                                                    "relay fixed")
        # and the outbox holds it pending again, from zero attempts, without the old error
        parked.caught_up()
        [message] = emails(parked)
        assert (message.state, message.attempts, message.last_error) == (PENDING, 0, None)
        # and the next pass sends it and records it on the case
        assert parked.worker.run_once() == 1
        parked.caught_up()
        assert [m.state for m in emails(parked)] == [SENT]
        assert len(smtp[0].received) == 1
        assert parked.desk.get_case(OUTBOX, parked.case.id).interactions == 1

    def test_is_refused_for_a_message_not_parked_an_unknown_key_and_other_roles(
            self, parked: Desk) -> None:
        key = parked.message.key
        assert parked.requeue("admin", key).status_code == 202
        parked.caught_up()
        again = parked.requeue("admin", key)  # pending now, not parked
        assert again.status_code == 422 and "pending" in again.text, again.text
        assert parked.requeue("admin", "no/1/acknowledgement").status_code == 404
        assert parked.requeue("director", key).status_code == 403
        assert parked.requeue("csr", key).status_code == 403
        bad = parked.client.post("/api/v1/admin/outbox/requeue", json={"key": key},
                                 headers=headers(parked.settings, "admin"))
        assert bad.status_code == 400 and "reason" in bad.text
        # and only the first, accepted request was recorded
        assert len(requeued_events(parked.desk, parked.case)) == 1


def test_the_command_line_requeues_a_parked_message(
        parked: Desk, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    settings = parked.settings
    monkeypatch.setenv("CIVICDESK_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CIVICDESK_MASTER_KEY", settings.master_key or TEST_MASTER_KEY)
    if settings.is_postgres:
        monkeypatch.setenv("CIVICDESK_DATABASE_URL", str(settings.database_url))
        monkeypatch.setenv("CIVICDESK_DATABASE_SCHEMA", str(settings.database_schema))
    key = parked.message.key
    # given the operator lists parked messages
    assert civicdesk(["outbox", "list", "--state", "parked"]) == 0
    listed = capsys.readouterr().out
    assert listed.startswith(f"{key}\tparked\t{MAX_ATTEMPTS}\tthe mail server answered 554")
    # when they requeue it
    assert civicdesk(["outbox", "requeue", key, "--reason", "relay fixed"]) == 0
    assert f"requeued {key} (case {parked.case.reference})" in capsys.readouterr().out
    # then the case records it, by the command line's administrator
    [event] = requeued_events(parked.desk, parked.case)
    assert (event.actor_id, event.reason) == ("civicdesk-cli", "relay fixed")
    # and a second requeue is refused with the reason, exit code 2
    parked.caught_up()
    assert civicdesk(["outbox", "requeue", key, "--reason", "again"]) == 2
    assert "only a parked message is sent again" in capsys.readouterr().err
