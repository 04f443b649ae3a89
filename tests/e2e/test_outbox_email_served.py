"""`civicdesk serve` pointed at a real SMTP server (aiosmtpd) and a webhook receiver, both in
the test process: a case received over HTTP is acknowledged by email with its reference and
the dates the standards promise, the acknowledgement target becomes met, and the Town's
system receives the signed receipt. On SQLite and (when configured) PostgreSQL. Waiting polls
the case in a loop bounded by a time limit; nothing sleeps to wait for a deadline."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.notices import Language
from infrastructure.mail_templates import when
from infrastructure.settings import Settings
from tests.conftest import POSTGRES_URL, fresh_postgres_schema
from tests.e2e.civicdesk_server import ServerProcess, serving
from tests.mail_server import Mailbox, mail_server
from tests.webhook_receiver import Receiver, verify, webhook_receiver

pytestmark = pytest.mark.e2e
LIMIT_SECONDS = 60.0  # the worker passes every 5 seconds
SECRET = "whsec-e2e-0123456789abcdef0123456789abcdef"


@pytest.fixture
def postgres_schema() -> Iterator[str]:
    with fresh_postgres_schema("e2e") as schema:
        yield schema


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def served(request: pytest.FixtureRequest, tmp_path: Path
           ) -> Iterator[tuple[ServerProcess, Mailbox, Receiver]]:
    settings = Settings(data_dir=tmp_path / "data")
    if request.param == "postgres":
        schema = request.getfixturevalue("postgres_schema")  # skips unless configured
        settings = Settings(data_dir=settings.data_dir, database_url=POSTGRES_URL,
                            database_schema=schema)
    secret = tmp_path / "webhook-secret"
    secret.write_text(SECRET)
    with mail_server() as (mailbox, port), webhook_receiver() as receiver:
        hooks = tmp_path / "webhooks.toml"
        hooks.write_text(f'[[webhook]]\nname = "gis"\nurl = "{receiver.url}"\n'
                         f'events = ["Received"]\nsecret_file = "{secret}"\n')
        with serving(settings, tmp_path / "server.log",
                     CIVICDESK_SMTP_HOST="127.0.0.1", CIVICDESK_SMTP_PORT=str(port),
                     CIVICDESK_SMTP_STARTTLS="no",
                     CIVICDESK_SMTP_FROM="Town of Cobourg <desk@cobourg.example>",
                     CIVICDESK_PUBLIC_URL="https://desk.cobourg.example",
                     CIVICDESK_WEBHOOKS_FILE=str(hooks)) as server:
            yield server, mailbox, receiver


def until(check: Any, what: str, server: ServerProcess) -> Any:
    limit = time.monotonic() + LIMIT_SECONDS
    while time.monotonic() < limit:
        found = check()
        if found:
            return found
        time.sleep(0.2)  # polling interval, not a deadline
    pytest.fail(f"{what} not within {LIMIT_SECONDS}s:\n{server.log()}")


def test_a_case_received_over_http_is_acknowledged_by_email_and_its_target_met(
        served: tuple[ServerProcess, Mailbox, Receiver]) -> None:
    server, mailbox, receiver = served
    csr = server.token("csr", "ana")
    with httpx.Client(base_url=server.base_url, timeout=30.0) as http:
        # given a letter from Sam, who gave an email address, received over HTTP
        answer = http.post("/api/v1/cases", headers=csr, json={
            "channel": "written", "purpose": "tangible_service",
            "service_code": "public-works-roads-01", "subject": "Fallen branch",
            "description": "A branch blocks the path behind 55 King St W",
            "contact": {"name": "Sam Lee", "email": "sam@example.org"}})
        assert answer.status_code == 201, answer.text
        case = answer.json()
        # when the served outbox worker runs: then Sam's acknowledgement arrives
        until(lambda: mailbox.received, "the acknowledgement email", server)
        [mail] = mailbox.received
        assert mail["To"] == "sam@example.org"
        assert mail["Subject"] == f"We received your request {case['reference']}"
        part = mail.get_body(preferencelist=("plain",))
        assert part is not None
        text = str(part.get_content())
        # with the dates the case view promises (its open response and resolution targets)
        promised = [t for t in case["targets"] if t["name"] in ("respond", "resolve")]
        assert promised, case["targets"]
        for target in promised:
            due = datetime.fromisoformat(target["due_at"].replace("Z", "+00:00"))
            assert when(due, Language.ENGLISH) in text
        assert "Sam" not in text and "King St" not in text
        # and the acknowledgement target is met, by the email the server accepted

        def acknowledged() -> dict[str, Any] | None:
            view = http.get(f"/api/v1/cases/{case['id']}", headers=csr).json()
            [target] = [t for t in view["targets"] if t["name"] == "acknowledge"]
            return target if target["state"] == "met" else None

        met = until(acknowledged, "the acknowledgement target met", server)
        assert met["met_at"] is not None
    # and the Town's system received the signed receipt
    until(lambda: receiver.received, "the webhook delivery", server)
    [delivery] = receiver.received
    assert verify(SECRET.encode(), delivery.headers["Civicdesk-Signature"], delivery.body)
    assert json.loads(delivery.body)["reference"] == case["reference"]
    server.stop()
    assert "Traceback" not in server.log()
