"""Alerts emailed to staff through the outbox, through a real SMTP server (aiosmtpd), on SQLite
and PostgreSQL: a missed deadline emails the assignee and the manager who have staff directory
entries, once (also after the outbox forgets it sent them), in each one's language, naming
the case, the target and the due time in Toronto; a department or a person without an entry
is skipped with the reason the admin listing shows;
and the alert email does not meet the target it warns about.

The email acknowledgement promise is 2 business days (16 business hours) from Mon 2026-03-02
10:00 Toronto: 6.5 h Mon + 8 h Tue + 1.5 h from Wed 08:30 = due Wed 2026-03-04 10:00 Toronto
(15:00 UTC; Toronto is UTC-5 until Sun 2026-03-08). It is at risk after 12 business hours:
6.5 h Mon + 5.5 h from Tue 08:30 = Tue 14:00 Toronto.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from application.alerts import name_department_manager, record_target_at_risk
from application.commands import AssignCase
from application.desk import ServiceDesk
from application.outbox import start_outbox
from application.staff_directory import set_entry
from domain.actors import Actor, Role
from domain.notices import OUTBOX
from domain.staff_alerts import StaffAlertSent
from engine.runner import ProjectionSet
from infrastructure.mail import MailServer
from infrastructure.outbox_worker import OutboxWorker
from infrastructure.settings import Settings
from projections.outbox import OUTBOX_MODEL, PENDING, SENT, SKIPPED, Message
from tests.conftest import MovableClock, running_projections
from tests.mail_server import Mailbox
from tests.receiving import receive_at
from tests.toronto_time import toronto

CSR = Actor(id="csr-ana", role=Role.CSR)
ADMIN = Actor(id="admin-al", role=Role.ADMIN)
ACK = "acknowledge"
RECEIVED = toronto(2026, 3, 2, 10)
AT_RISK_FROM = datetime(2026, 3, 3, 19, 0, tzinfo=UTC)  # Tue 14:00 Toronto
DUE = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # Wed 10:00 Toronto


@pytest.fixture
def mail_settings(settings: Settings, smtp: tuple[Mailbox, int]) -> Settings:
    return dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=smtp[1],
                               smtp_starttls=False,
                               smtp_from="Town of Cobourg <desk@cobourg.example>")


@pytest.fixture
def outbox(settings: Settings, desk: ServiceDesk) -> Iterator[ProjectionSet]:
    start_outbox(desk)
    with running_projections(settings, desk, OUTBOX_MODEL) as running:
        yield running


def run_worker(settings: Settings, desk: ServiceDesk, outbox: ProjectionSet,
               clock: MovableClock) -> int:
    """Passes of the worker until nothing more is handed over (the alert's row fans out in
    one pass, its messages go in the next); how many messages reached the server."""
    worker = OutboxWorker(settings, desk, outbox.view(OUTBOX_MODEL.name), MailServer(settings),
                          clock=clock)
    handed = 0
    for _ in range(3):
        outbox.wait_for(desk.log_position(), timeout=60)
        handed += worker.run_once()
    return handed


def alert_messages(outbox: ProjectionSet) -> dict[str, Message]:
    return {m.notice: m for m in outbox.view(OUTBOX_MODEL.name).every()
            if m.notice.startswith("staff_alert")}


def assigned_case(desk: ServiceDesk, clock: MovableClock, assignee: str) -> object:
    case = receive_at(desk, clock, RECEIVED)  # no email address: the customer gets none
    return desk.handle(CSR, AssignCase(case_id=case.id, assignee=assignee)).case


class TestMissedDeadlineByEmail:
    def test_emails_the_assignee_and_the_manager_once_without_meeting_the_target(
            self, mail_settings: Settings, desk: ServiceDesk, outbox: ProjectionSet,
            clock: MovableClock, smtp: tuple[Mailbox, int]) -> None:
        # given public works' manager (French) and an assignee (English) in the directory
        name_department_manager(desk, ADMIN, "public-works", "mgr-mo")
        set_entry(desk, ADMIN, "mgr-mo", work_email="mo@cobourg.example", language="fr")
        set_entry(desk, ADMIN, "staff-sam", work_email="sam@cobourg.example", language="en")
        case = assigned_case(desk, clock, "staff-sam")
        run_worker(mail_settings, desk, outbox, clock)  # the receipt's own messages
        mailbox = smtp[0]
        before = len(mailbox.received)
        # when the acknowledgement deadline is recorded missed at Wed 10:00 Toronto
        clock.now = DUE
        assert desk.record_deadline_missed(case.id, ACK, DUE)  # type: ignore[attr-defined]
        handed = run_worker(mail_settings, desk, outbox, clock)
        # then one email each reached the server, in each one's language
        received = {m["To"]: m for m in mailbox.received[before:]}
        assert handed == 2 and set(received) == {"sam@cobourg.example", "mo@cobourg.example"}
        reference = case.reference  # type: ignore[attr-defined]
        sam, mo = received["sam@cobourg.example"], received["mo@cobourg.example"]
        assert sam["Subject"] == f"Case {reference}: acknowledgement deadline missed"
        body = sam.get_body(preferencelist=("plain",))
        assert body is not None
        assert "was due March 4, 2026 at 10:00 (Toronto time)" in body.get_content()
        assert mo["Subject"] == (
            f"Dossier {reference} : échéance manquée (accusé de réception)")
        french = mo.get_body(preferencelist=("plain",))
        assert french is not None and "4 mars 2026 à 10 h 00" in french.get_content()
        # and both are marked sent in the outbox, the alert's row too
        states = {notice: m.state for notice, m in alert_messages(outbox).items()}
        assert states == {"staff_alert": SENT, "staff_alert:person:staff-sam": SENT,
                          "staff_alert:person:mgr-mo": SENT}
        # and the case records no interaction: the acknowledgement stays unmet
        after = desk.get_case(OUTBOX, case.id)  # type: ignore[attr-defined]
        assert after.interactions == 0
        assert after.targets[ACK].met_at is None
        # and each sent alert is its own fact, off the case
        for notice in ("staff_alert:person:staff-sam", "staff_alert:person:mgr-mo"):
            key = alert_messages(outbox)[notice].key
            assert StaffAlertSent.create_id(key) in desk.repository
        # when the worker runs again, nothing more is sent
        assert run_worker(mail_settings, desk, outbox, clock) == 0
        assert len(mailbox.received) == before + 2
        # nor when the outbox forgets it sent them (as a rebuilt outbox does): the facts say so
        view = outbox.view(OUTBOX_MODEL.name)
        for message in alert_messages(outbox).values():
            view.move(message.key, [SENT], PENDING)
        assert run_worker(mail_settings, desk, outbox, clock) == 0
        assert len(mailbox.received) == before + 2
        assert {m.state for m in alert_messages(outbox).values()} == {SENT}

    def test_skips_the_department_and_a_person_without_an_entry_saying_why(
            self, mail_settings: Settings, desk: ServiceDesk, outbox: ProjectionSet,
            clock: MovableClock, smtp: tuple[Mailbox, int]) -> None:
        # given an assignee with no directory entry, in a department with no manager named
        case = assigned_case(desk, clock, "staff-sam")
        run_worker(mail_settings, desk, outbox, clock)
        before = len(smtp[0].received)
        # when its acknowledgement is missed
        clock.now = DUE
        assert desk.record_deadline_missed(case.id, ACK, DUE)  # type: ignore[attr-defined]
        # then no email is sent, and both messages say why they were skipped
        assert run_worker(mail_settings, desk, outbox, clock) == 0
        assert len(smtp[0].received) == before
        found = alert_messages(outbox)
        person, team = (found["staff_alert:person:staff-sam"],
                        found["staff_alert:department:public-works"])
        assert (person.state, team.state) == (SKIPPED, SKIPPED)
        assert person.last_error == (
            "staff-sam has no staff directory entry: the inbox has the alert")
        assert team.last_error is not None and "not a person" in team.last_error


def test_an_at_risk_alert_email_does_not_meet_the_target_it_warns_about(
        mail_settings: Settings, desk: ServiceDesk, outbox: ProjectionSet,
        clock: MovableClock, smtp: tuple[Mailbox, int]) -> None:
    # given an assignee in the directory, and a case whose acknowledgement is unmet
    set_entry(desk, ADMIN, "staff-sam", work_email="sam@cobourg.example", language="en")
    case = assigned_case(desk, clock, "staff-sam")
    run_worker(mail_settings, desk, outbox, clock)
    # when the target becomes at risk at Tue 14:00 Toronto and the alert is emailed
    clock.now = AT_RISK_FROM
    assert record_target_at_risk(desk, case.id, ACK, AT_RISK_FROM)  # type: ignore[attr-defined]
    assert run_worker(mail_settings, desk, outbox, clock) == 1
    [mail] = [m for m in smtp[0].received if m["To"] == "sam@cobourg.example"]
    assert mail["Subject"].endswith("acknowledgement target at risk")
    # then the target is neither met nor breached: the alert is not a reply to the customer
    after = desk.get_case(OUTBOX, case.id)  # type: ignore[attr-defined]
    assert after.targets[ACK].met_at is None and after.interactions == 0
