"""Administrators see the outbox through `GET /api/v1/admin/outbox`: a message the mail server
kept refusing is listed as parked with the server's reason; other roles are refused."""

from __future__ import annotations

import dataclasses
from typing import Any

from litestar.testing import TestClient

from api.app import create_app
from api.auth import issue_token
from api.dependencies import served
from application.customers import Intake
from application.desk import ServiceDesk
from application.outbox import start_outbox
from domain.notices import MAX_ATTEMPTS
from infrastructure.mail import MailServer
from infrastructure.outbox_worker import OutboxWorker
from infrastructure.settings import Settings
from projections.outbox import OUTBOX_MODEL
from tests.conftest import MovableClock
from tests.mail_server import Mailbox
from tests.receiving import receive


def headers(settings: Settings, role: str) -> dict[str, str]:
    token = issue_token(settings, sub=f"{role}-1", role=role, departments=[])
    return {"Authorization": f"Bearer {token}"}


def test_a_message_the_mail_server_keeps_refusing_is_listed_parked_with_its_reason(
        settings: Settings, desk: ServiceDesk, clock: MovableClock,
        smtp: tuple[Mailbox, int]) -> None:
    # given a mail server that refuses everything, and a case from a customer with an address
    mailbox, port = smtp
    mailbox.refusing = True
    mail = dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=port,
                               smtp_starttls=False, smtp_from="desk@cobourg.example")
    start_outbox(desk)
    case = receive(desk, customer=Intake(personal={"name": "Ann", "email": "ann@example.org"})).case
    with TestClient(create_app(mail, desk=desk, clock=clock)) as client:
        services = served(client.app).services
        services.projections.wait_for(desk.log_position(), names=[OUTBOX_MODEL.name])
        worker = OutboxWorker(mail, desk, services.view(OUTBOX_MODEL), MailServer(mail),
                              clock=clock)
        # when the worker tries MAX_ATTEMPTS times, each after its backoff (at most 1 hour)
        for _ in range(MAX_ATTEMPTS):
            worker.run_once()
            clock.advance(hours=1)
        # then the administrators' listing shows it parked, with the server's answer
        listed = client.get("/api/v1/admin/outbox", params={"state": "parked"},
                            headers=headers(mail, "admin"))
        refused = client.get("/api/v1/admin/outbox", headers=headers(mail, "csr"))
        wrong = client.get("/api/v1/admin/outbox", params={"state": "lost"},
                           headers=headers(mail, "admin"))
    assert listed.status_code == 200, listed.text
    body: dict[str, Any] = listed.json()
    [entry] = body["messages"]
    assert entry["case_id"] == str(case.id) and entry["notice"] == "acknowledgement"
    assert (entry["state"], entry["attempts"]) == ("parked", MAX_ATTEMPTS)
    assert entry["last_error"] == "the mail server answered 554: 5.7.1 relaying denied"
    assert "ann@example.org" not in listed.text
    assert refused.status_code == 403
    assert wrong.status_code == 400 and "state" in wrong.text
