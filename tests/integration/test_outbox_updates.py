"""After the acknowledgement, the outbox emails the customer the interim responses staff
record, a transfer to another department (naming it) unless staff told the customer
themselves, and the resolution (with the survey link when the surveys feature gives one), in
English or French, each recorded once on the case as an outbound email; and a desk that
switches the outbox on with cases already on file emails none of its backlog. On SQLite and
PostgreSQL, through a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import dataclasses
from email.message import EmailMessage
from typing import Any
from uuid import UUID

from application.commands import ReopenCase, ResolveCase, SendInterimResponse, TransferCase
from application.customers import Intake
from application.desk import ServiceDesk
from application.outbox import start_outbox
from application.survey_links import open_survey
from domain.cases import Case
from domain.notices import OUTBOX
from domain.outbox import EMAIL, WEBHOOKS, Outbox
from domain.webhooks import EVENT_NOTICE
from engine.runner import ProjectionSet
from infrastructure.mail import MailServer
from infrastructure.outbox_worker import OutboxWorker, survey_link_for
from infrastructure.settings import Settings
from infrastructure.survey_link_key import survey_links
from projections.outbox import OUTBOX_MODEL, SENT, SKIPPED, Message
from tests.command_line import TEST_MASTER_KEY
from tests.conftest import MovableClock, running_projections
from tests.mail_server import Mailbox
from tests.receiving import CSR, receive

ANN = Intake(personal={"name": "Ann Smith", "email": "ann@example.org"})
MARIE = Intake(personal={"name": "Marie Tremblay", "email": "marie@example.org"},
               language="fr")


def send_all(settings: Settings, desk: ServiceDesk, outbox: ProjectionSet,
             clock: MovableClock, **options: Any) -> int:
    """One pass of a worker over every message owed so far; how many it handed over."""
    outbox.wait_for(desk.log_position())
    handed = OutboxWorker(settings, desk, outbox.view(OUTBOX_MODEL.name), MailServer(settings),
                          clock=clock, **options).run_once()
    outbox.wait_for(desk.log_position())
    return handed


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def notices(outbox: ProjectionSet) -> list[tuple[str, str]]:
    every: list[Message] = outbox.view(OUTBOX_MODEL.name).every()
    return sorted((m.notice, m.state) for m in every if m.notice != EVENT_NOTICE)


def outbound_summaries(desk: ServiceDesk, case_id: UUID) -> list[str]:
    return [e.summary for e in desk.case_events(OUTBOX, case_id)
            if type(e).__name__ == "InteractionLogged" and e.direction == "outbound"]


def received_and_acknowledged(desk: ServiceDesk, settings: Settings, outbox: ProjectionSet,
                              clock: MovableClock, customer: Intake = ANN) -> Case:
    start_outbox(desk)
    case = receive(desk, customer=customer).case
    send_all(settings, desk, outbox, clock)
    return case


class TestInterimResponse:
    def test_is_emailed_with_the_status_link_and_recorded_once(
            self, mail_settings: Settings, desk: ServiceDesk, outbox: ProjectionSet,
            clock: MovableClock, smtp: tuple[Mailbox, int]) -> None:
        # given an acknowledged case
        case = received_and_acknowledged(desk, mail_settings, outbox, clock)
        # when staff record an interim response, and the worker runs twice
        clock.advance(days=2)
        desk.handle(CSR, SendInterimResponse(case_id=case.id,
                                             explanation="Crew 4 visits on Friday; Ann Smith "
                                                         "at 12 King St will be called"))
        assert send_all(mail_settings, desk, outbox, clock) == 1
        assert send_all(mail_settings, desk, outbox, clock) == 0
        # then Ann got an update naming the reference and the status link, and nothing of
        # what staff wrote for the case file (it may name people)
        mail = smtp[0].received[-1]
        assert mail["Subject"] == f"An update on your request {case.reference}"
        text = text_of(mail)
        assert case.reference in text and "https://desk.cobourg.example/status/" in text
        assert "Crew 4" not in text and "King St" not in text and "Ann" not in text
        assert len(smtp[0].received) == 2
        # and the case records it once, as an outbound email
        [summary] = outbound_summaries(desk, case.id)[1:]
        assert summary.startswith(f"Interim response emailed to the customer [outbox "
                                  f"{case.id}/") and summary.endswith("/interim_response]")
        assert notices(outbox) == [("acknowledgement", SENT), ("interim_response", SENT)]


class TestTransfer:
    def test_to_another_department_tells_the_customer_which_in_french(
            self, mail_settings: Settings, desk: ServiceDesk, outbox: ProjectionSet,
            clock: MovableClock, smtp: tuple[Mailbox, int]) -> None:
        # given Marie, who speaks French, with an acknowledged case at public works
        case = received_and_acknowledged(desk, mail_settings, outbox, clock, MARIE)
        # when it is transferred to planning without telling her
        desk.handle(CSR, TransferCase(case_id=case.id, to_department="planning", warm=True,
                                      handover_note="zoning question, see her letter"))
        send_all(mail_settings, desk, outbox, clock)
        # then she learns, in French, which department now has it
        mail = smtp[0].received[-1]
        assert mail["Subject"] == (f"Votre demande {case.reference} a été confiée à : "
                                   "Planning and Development")
        assert "Planning and Development" in text_of(mail)
        assert 'lang="fr"' in html_of(mail) and "zoning" not in text_of(mail)
        assert len(outbound_summaries(desk, case.id)) == 2

    def test_the_customer_already_told_by_staff_gets_no_email(
            self, mail_settings: Settings, desk: ServiceDesk, outbox: ProjectionSet,
            clock: MovableClock, smtp: tuple[Mailbox, int]) -> None:
        case = received_and_acknowledged(desk, mail_settings, outbox, clock)
        desk.handle(CSR, TransferCase(case_id=case.id, to_department="planning", warm=True,
                                      handover_note="told her on the phone",
                                      customer_informed=True))
        assert send_all(mail_settings, desk, outbox, clock) == 0
        assert len(smtp[0].received) == 1  # the acknowledgement only
        assert notices(outbox) == [("acknowledgement", SENT)]


class TestResolution:
    def test_without_a_survey_link_says_when_it_was_resolved_and_how_to_object(
            self, mail_settings: Settings, desk: ServiceDesk, outbox: ProjectionSet,
            clock: MovableClock, smtp: tuple[Mailbox, int]) -> None:
        # given an acknowledged case received Wednesday 2026-03-04 10:00 Toronto
        case = received_and_acknowledged(desk, mail_settings, outbox, clock)
        # when it is resolved two hours later (12:00 Toronto) and the worker runs
        clock.advance(hours=2)
        desk.handle(CSR, ResolveCase(case_id=case.id, resolution="Filled by crew 4"))
        send_all(mail_settings, desk, outbox, clock)
        # then the customer hears it was resolved then, with no survey words or promises
        mail = smtp[0].received[-1]
        text = text_of(mail)
        assert mail["Subject"] == f"Your request {case.reference} was resolved"
        assert f"Your request {case.reference} was resolved on March 4, 2026 at 12:00." in text
        assert "how we did" not in text and "promise" not in text and "crew" not in text
        assert outbound_summaries(desk, case.id)[-1].startswith(
            "Resolution notice emailed to the customer [outbox ")

    def test_carries_the_link_the_surveys_feature_gives(
            self, mail_settings: Settings, desk: ServiceDesk, outbox: ProjectionSet,
            clock: MovableClock, smtp: tuple[Mailbox, int]) -> None:
        case = received_and_acknowledged(desk, mail_settings, outbox, clock)
        desk.handle(CSR, ResolveCase(case_id=case.id, resolution="Filled"))

        def survey_link(resolved: Case, language: str) -> str:
            return f"https://desk.cobourg.example/surveys/{resolved.reference}?sig=abc"

        send_all(mail_settings, desk, outbox, clock, survey_link_for=survey_link)
        mail = smtp[0].received[-1]
        link = f"https://desk.cobourg.example/surveys/{case.reference}?sig=abc"
        assert f"Tell us how we did (a few questions, one minute):\n{link}" in text_of(mail)
        assert f'href="{link}"' in html_of(mail)

    def test_carries_the_case_s_own_signed_survey_link_in_the_customer_s_language(
            self, mail_settings: Settings, desk: ServiceDesk, outbox: ProjectionSet,
            clock: MovableClock, smtp: tuple[Mailbox, int]) -> None:
        # given a French-speaking customer's case, resolved, on a desk with a master key and a
        # public address (what `compose` gives the worker)
        case = received_and_acknowledged(desk, mail_settings, outbox, clock, customer=MARIE)
        desk.handle(CSR, ResolveCase(case_id=case.id, resolution="Réparé"))
        links = survey_links(dataclasses.replace(mail_settings, master_key=TEST_MASTER_KEY))
        assert links is not None
        # when the worker sends the resolution
        send_all(mail_settings, desk, outbox, clock,
                 survey_link_for=survey_link_for(links, mail_settings.public_url))
        # then it carries the case's own link, in French, and that link opens its survey
        token = links.token_for(desk.get_case(CSR, case.id))
        link = f"https://desk.cobourg.example/survey/{token}?lang=fr"
        assert link in text_of(smtp[0].received[-1])
        assert open_survey(desk, links, str(token)).reference == case.reference

    def test_overtakes_an_interim_response_not_yet_sent(
            self, mail_settings: Settings, desk: ServiceDesk, outbox: ProjectionSet,
            clock: MovableClock, smtp: tuple[Mailbox, int]) -> None:
        # given an interim response and the resolution recorded before the worker ran
        case = received_and_acknowledged(desk, mail_settings, outbox, clock)
        desk.handle(CSR, SendInterimResponse(case_id=case.id, explanation="Soon"))
        desk.handle(CSR, ResolveCase(case_id=case.id, resolution="Filled"))
        send_all(mail_settings, desk, outbox, clock)
        # then only the resolution is emailed; the case says why the update was not
        assert [m["Subject"] for m in smtp[0].received][1:] == [
            f"Your request {case.reference} was resolved"]
        assert notices(outbox) == [("acknowledgement", SENT), ("interim_response", SKIPPED),
                                   ("resolution", SENT)]
        skipped = [e.reason for e in desk.case_events(OUTBOX, case.id)
                   if type(e).__name__ == "NotificationSkipped"]
        assert skipped == ["the request was resolved before this update was sent; the "
                           "resolution says more"]


    def test_is_not_sent_for_a_case_reopened_before_its_turn(
            self, mail_settings: Settings, desk: ServiceDesk, outbox: ProjectionSet,
            clock: MovableClock, smtp: tuple[Mailbox, int]) -> None:
        case = received_and_acknowledged(desk, mail_settings, outbox, clock)
        desk.handle(CSR, ResolveCase(case_id=case.id, resolution="Filled"))
        desk.handle(CSR, ReopenCase(case_id=case.id, reason="Customer says it is not"))
        send_all(mail_settings, desk, outbox, clock)
        assert len(smtp[0].received) == 1  # the acknowledgement only
        assert notices(outbox) == [("acknowledgement", SENT), ("resolution", SKIPPED)]


class TestCutOff:
    def test_cases_on_file_before_the_outbox_started_are_not_emailed(
            self, mail_settings: Settings, desk: ServiceDesk, outbox: ProjectionSet,
            clock: MovableClock, smtp: tuple[Mailbox, int]) -> None:
        # given a desk that has run without email: a case received, then resolved
        old = receive(desk, customer=ANN).case
        desk.handle(CSR, ResolveCase(case_id=old.id, resolution="Filled"))
        # when email is switched on (the outbox starts) and a new case arrives
        clock.advance(days=1)
        assert start_outbox(desk) is True
        assert start_outbox(desk) is False  # a second server's start records nothing
        new = receive(desk, customer=ANN).case
        send_all(mail_settings, desk, outbox, clock)
        # then only the new case's acknowledgement is sent: the backlog owes nothing
        assert [m["Subject"] for m in smtp[0].received] == [
            f"We received your request {new.reference}"]
        assert notices(outbox) == [("acknowledgement", SENT)]
        assert outbound_summaries(desk, old.id) == []

    def test_email_switched_on_after_webhooks_sends_nothing_from_before(
            self, mail_settings: Settings, desk: ServiceDesk, outbox: ProjectionSet,
            clock: MovableClock, smtp: tuple[Mailbox, int]) -> None:
        # given a desk that delivered webhooks for a while, without a mail server
        assert start_outbox(desk, [WEBHOOKS]) is True
        before = receive(desk, customer=ANN).case
        # when a server starts with a mail server too, and a case arrives
        assert start_outbox(desk, [WEBHOOKS, EMAIL]) is True
        after = receive(desk, customer=ANN).case
        send_all(mail_settings, desk, outbox, clock)
        # then only the later case is acknowledged by email
        assert [m["Subject"] for m in smtp[0].received] == [
            f"We received your request {after.reference}"]
        assert outbound_summaries(desk, before.id) == []
        opened = [e.channel for e in desk.events.get(Outbox.create_id())
                  if type(e).__name__ == "ChannelOpened"]
        assert opened == [WEBHOOKS, EMAIL]

    def test_a_rebuilt_outbox_keeps_the_cut_off(
            self, mail_settings: Settings, settings: Settings, desk: ServiceDesk,
            clock: MovableClock, smtp: tuple[Mailbox, int]) -> None:
        # given a case before the start and one after, followed by a fresh outbox (a rebuild
        # replays the whole log the same way)
        receive(desk, customer=ANN)
        start_outbox(desk)
        new = receive(desk, customer=ANN).case
        with running_projections(settings, desk, OUTBOX_MODEL) as fresh:
            fresh.wait_for(desk.log_position())
            keys = [m.key for m in fresh.view(OUTBOX_MODEL.name).every()
                    if m.notice != EVENT_NOTICE]
        assert keys == [f"{new.id}/1/acknowledgement"]
