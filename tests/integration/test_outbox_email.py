"""The outbox emails the acknowledgement of receipt through a real SMTP server (aiosmtpd), on
SQLite and PostgreSQL: it arrives with the reference, the status link and the promised dates,
meets the acknowledgement target when the server accepted it, is sent once even across a
crash, is written in French to a French-speaking customer, is skipped (and the case says why)
for a customer without an address, and is parked after repeated refusals."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest

from application.customers import Intake
from application.desk import ServiceDesk
from application.outbox import start_outbox
from domain.notices import MAX_ATTEMPTS, OUTBOX
from domain.webhooks import EVENT_NOTICE
from engine.runner import ProjectionSet
from infrastructure.bootstrap import compose
from infrastructure.mail import MailServer
from infrastructure.outbox_worker import OutboxWorker
from infrastructure.settings import Settings
from projections.outbox import OUTBOX_MODEL, PARKED, SENT, SKIPPED, Message
from projections.pending_deadlines import PENDING_DEADLINES
from tests.conftest import MovableClock, running_projections
from tests.integration.test_projection_failures import eventually
from tests.mail_server import Mailbox
from tests.receiving import receive

ANN = Intake(personal={"name": "Ann", "email": "ann@example.org"})


class Crash(Exception):
    """The process dies here (injected between the server's acceptance and the record)."""


@pytest.fixture
def mail_settings(settings: Settings, smtp: tuple[Mailbox, int]) -> Settings:
    return dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=smtp[1],
                               smtp_starttls=False,
                               smtp_from="Town of Cobourg <desk@cobourg.example>",
                               public_url="https://desk.cobourg.example")


@pytest.fixture
def outbox(settings: Settings, desk: ServiceDesk) -> Iterator[ProjectionSet]:
    start_outbox(desk)  # as a server with a mail server configured does when it starts
    with running_projections(settings, desk, OUTBOX_MODEL) as running:
        yield running


def worker(settings: Settings, desk: ServiceDesk, outbox: ProjectionSet, clock: MovableClock,
           **options: Any) -> OutboxWorker:
    outbox.wait_for(desk.log_position())
    return OutboxWorker(settings, desk, outbox.view(OUTBOX_MODEL.name), MailServer(settings),
                        clock=clock, **options)


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def messages(outbox: ProjectionSet) -> list[Message]:
    """The emails in the outbox (not the rows webhook deliveries fan out from)."""
    return [m for m in outbox.view(OUTBOX_MODEL.name).every() if m.notice != EVENT_NOTICE]


class TestAcknowledgementByEmail:
    def test_arrives_with_reference_status_link_and_promised_date_and_meets_the_target(
            self, mail_settings: Settings, desk: ServiceDesk, outbox: ProjectionSet,
            clock: MovableClock, smtp: tuple[Mailbox, int]) -> None:
        # given a letter received Wednesday 2026-03-04 10:00 Toronto from Ann, who gave an
        # email address
        case = receive(desk, channel="written", customer=ANN).case
        clock.advance(minutes=5)
        # when the outbox worker runs
        handed = worker(mail_settings, desk, outbox, clock).run_once()
        # then one email reached the server, to Ann, with the reference and the status link
        mailbox = smtp[0]
        assert handed == 1 and len(mailbox.received) == 1
        mail = mailbox.received[0]
        assert mail["To"] == "ann@example.org"
        assert mail["Subject"] == f"We received your request {case.reference}"
        text = text_of(mail)
        assert case.reference in text
        assert (f"https://desk.cobourg.example/status/{case.reference}?token="
                f"{case.public_token}") in text
        # the respond target: 15 business days of 8 hours from Wed 3/4 10:00 (Thu 5, Fri 6,
        # Mon 9 ... Tue 24, Wed 25: the 15th business day) = Wed 2026-03-25 10:00 Toronto
        assert "A response by March 25, 2026 at 10:00" in text
        assert "March 25, 2026 at 10:00" in html_of(mail)
        assert "Ann" not in text and "Pothole" not in text  # no more than the message needs
        # and the case records the email as an outbound interaction at the moment the server
        # accepted it (10:05), which met the acknowledgement target
        after = desk.get_case(OUTBOX, case.id)
        assert after.targets["acknowledge"].met_at == clock()
        assert after.interactions == 1
        assert [m.state for m in messages(outbox)] == [SENT]

    def test_a_second_pass_sends_nothing_more(
            self, mail_settings: Settings, desk: ServiceDesk, outbox: ProjectionSet,
            clock: MovableClock, smtp: tuple[Mailbox, int]) -> None:
        receive(desk, customer=ANN)
        running = worker(mail_settings, desk, outbox, clock)
        running.run_once()
        outbox.wait_for(desk.log_position())
        # when the worker runs again, after the sent interaction reached the outbox
        assert running.run_once() == 0
        assert len(smtp[0].received) == 1

    def test_a_crash_between_sending_and_recording_sends_nothing_twice(
            self, mail_settings: Settings, desk: ServiceDesk, outbox: ProjectionSet,
            clock: MovableClock, smtp: tuple[Mailbox, int]) -> None:
        # given a worker that dies after the server accepted the message, before the case
        # recorded it
        case = receive(desk, customer=ANN).case

        def die(message: Message) -> None:
            raise Crash(message.key)

        with pytest.raises(Crash):
            worker(mail_settings, desk, outbox, clock, after_accepted=die).run_once()
        assert len(smtp[0].received) == 1
        assert desk.get_case(OUTBOX, case.id).interactions == 0
        # when a new worker starts (the restart) and runs twice
        clock.advance(minutes=2)
        restarted = worker(mail_settings, desk, outbox, clock)
        restarted.run_once()
        restarted.run_once()
        # then the server still has one message, and the case records it once, at the moment
        # the server accepted it (before the restart)
        assert len(smtp[0].received) == 1
        after = desk.get_case(OUTBOX, case.id)
        assert after.interactions == 1
        assert after.targets["acknowledge"].met_at == clock.now.replace(
            minute=clock.now.minute - 2)
        assert [m.state for m in messages(outbox)] == [SENT]

    def test_a_french_speaking_customer_is_written_to_in_french(
            self, mail_settings: Settings, desk: ServiceDesk, outbox: ProjectionSet,
            clock: MovableClock, smtp: tuple[Mailbox, int]) -> None:
        french = dataclasses.replace(ANN, language="fr")
        case = receive(desk, channel="written", customer=french).case
        worker(mail_settings, desk, outbox, clock).run_once()
        mail = smtp[0].received[0]
        assert mail["Subject"] == f"Nous avons reçu votre demande {case.reference}"
        # the respond target, as above: Wed 2026-03-25 10:00 Toronto
        assert "Une réponse d'ici le 25 mars 2026 à 10 h 00" in text_of(mail)
        assert 'lang="fr"' in html_of(mail)

    def test_a_customer_without_an_address_is_skipped_and_the_case_says_why(
            self, mail_settings: Settings, desk: ServiceDesk, outbox: ProjectionSet,
            clock: MovableClock, smtp: tuple[Mailbox, int]) -> None:
        bob = Intake(personal={"name": "Bob", "phone": "905-555-0100"})
        case = receive(desk, customer=bob).case
        worker(mail_settings, desk, outbox, clock).run_once()
        assert smtp[0].received == []
        skipped = [e for e in desk.case_events(OUTBOX, case.id)
                   if type(e).__name__ == "NotificationSkipped"]
        assert [e.reason for e in skipped] == ["the customer gave no email address"]
        outbox.wait_for(desk.log_position())
        assert [(m.state, m.last_error) for m in messages(outbox)] == [
            (SKIPPED, "the customer gave no email address")]

    def test_a_customer_who_prefers_the_telephone_is_not_emailed(
            self, mail_settings: Settings, desk: ServiceDesk, outbox: ProjectionSet,
            clock: MovableClock, smtp: tuple[Mailbox, int]) -> None:
        receive(desk, customer=dataclasses.replace(ANN, preferred_contact="phone"))
        worker(mail_settings, desk, outbox, clock).run_once()
        assert smtp[0].received == []
        assert [m.last_error for m in messages(outbox)] == [
            "the customer asked to be contacted by telephone, not by email"]


class TestRefusedMail:
    def test_is_retried_with_backoff_then_parked_with_the_servers_reason(
            self, mail_settings: Settings, desk: ServiceDesk, outbox: ProjectionSet,
            clock: MovableClock, smtp: tuple[Mailbox, int]) -> None:
        smtp[0].refusing = True
        case = receive(desk, customer=ANN).case
        running = worker(mail_settings, desk, outbox, clock)
        # waits after failures 1..4: 1, 2, 4, 8 minutes (doubling); the 5th failure parks it
        for wait in (1, 2, 4, 8):
            assert running.run_once() == 1
            assert running.run_once() == 0  # not due again before its wait is over
            clock.advance(minutes=wait)
        assert running.run_once() == 1
        [message] = messages(outbox)
        assert (message.state, message.attempts) == (PARKED, MAX_ATTEMPTS)
        assert message.last_error == "the mail server answered 554: 5.7.1 relaying denied"
        clock.advance(hours=2)
        assert running.run_once() == 0  # parked: never tried again by itself
        assert desk.get_case(OUTBOX, case.id).interactions == 0


class TestServedWorker:
    def test_a_server_with_a_mail_server_configured_emails_the_acknowledgement_by_itself(
            self, mail_settings: Settings, desk: ServiceDesk, clock: MovableClock,
            smtp: tuple[Mailbox, int]) -> None:
        # given the services a server composes, with a mail server configured, started
        settings = dataclasses.replace(mail_settings, run_scheduler=True)
        services = compose(settings, clock=clock, desk=desk,
                           read_models=(PENDING_DEADLINES, OUTBOX_MODEL))
        assert services.outbox_worker is not None
        services.outbox_worker.interval = 0.2
        services.start()
        try:
            # when a case arrives from a customer with an address
            case = receive(desk, customer=ANN).case
            # then the elected worker sends its acknowledgement and records it on the case
            eventually(lambda: desk.get_case(OUTBOX, case.id).interactions == 1,
                       "the acknowledgement recorded")
        finally:
            services.close()
        assert len(smtp[0].received) == 1

    def test_without_a_mail_server_no_worker_is_composed(self, settings: Settings,
                                                         desk: ServiceDesk) -> None:
        services = compose(dataclasses.replace(settings, run_scheduler=True), desk=desk,
                           read_models=(PENDING_DEADLINES, OUTBOX_MODEL))
        assert services.outbox_worker is None
        services.close()
