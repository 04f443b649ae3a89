"""The customers of duplicates merged into a case hear its outcome: when the surviving case is
resolved, the outbox emails each subscriber the resolution too (naming their own request, in
their own language, without the survey, which is the survivor's customer's), records each
once on the surviving case, and skips, saying why, a subscriber who asked not to be emailed.
On SQLite and PostgreSQL, through a real SMTP server (aiosmtpd)."""

from __future__ import annotations

from uuid import UUID

from application.commands import ResolveCase
from application.customers import Intake
from application.desk import ServiceDesk
from application.duplicates import merge
from domain.actors import Actor, Role
from domain.cases import Case
from domain.notices import OUTBOX
from engine.runner import ProjectionSet
from infrastructure.settings import Settings
from projections.outbox import OUTBOX_MODEL, SENT, SKIPPED, Message
from tests.conftest import MovableClock
from tests.integration.test_outbox_updates import (
    MARIE,
    outbound_summaries,
    received_and_acknowledged,
    send_all,
    text_of,
)
from tests.mail_server import Mailbox
from tests.receiving import CSR, receive

DIRECTOR = Actor(id="director-1", role=Role.DIRECTOR)
BOB = Intake(personal={"name": "Bob Roy", "email": "bob@example.org"},
             preferred_contact="phone")


def merged(desk: ServiceDesk, survivor: Case, customer: Intake | UUID) -> Case:
    """A duplicate from `customer`, merged into `survivor`."""
    duplicate = receive(desk, customer=customer).case
    merge(desk, DIRECTOR, duplicate.id, survivor.id, reason="The same pothole")
    return duplicate


def resolution_messages(outbox: ProjectionSet) -> list[tuple[str, str]]:
    every: list[Message] = outbox.view(OUTBOX_MODEL.name).every()
    return sorted((m.notice.split(":")[0], m.state) for m in every
                  if "resolution" in m.notice)


def customer_of(desk: ServiceDesk, case: Case) -> UUID:
    customer = desk.get_case(CSR, case.id).customer_id
    assert customer is not None
    return customer


class TestSubscribersHearTheOutcome:
    def test_a_merged_duplicate_s_customer_gets_the_resolution_in_her_language_once(
            self, mail_settings: Settings, desk: ServiceDesk, outbox: ProjectionSet,
            clock: MovableClock, smtp: tuple[Mailbox, int]) -> None:
        # given Ann's acknowledged case, and Marie's (French) duplicate merged into it
        survivor = received_and_acknowledged(desk, mail_settings, outbox, clock)
        duplicate = merged(desk, survivor, MARIE)
        send_all(mail_settings, desk, outbox, clock)  # Marie's own acknowledgement
        before = len(smtp[0].received)
        # when Ann's case is resolved two hours later and the worker runs twice
        clock.advance(hours=2)
        desk.handle(CSR, ResolveCase(case_id=survivor.id, resolution="Filled by crew 4"))
        assert send_all(mail_settings, desk, outbox, clock) == 2
        assert send_all(mail_settings, desk, outbox, clock) == 0
        # then Ann and Marie each got one resolution notice
        mails = {str(m["To"]): m for m in smtp[0].received[before:]}
        assert sorted(mails) == ["ann@example.org", "marie@example.org"]
        # Marie's is in French and names her own request and its status link, with no survey
        marie = mails["marie@example.org"]
        assert marie["Subject"] == f"Votre demande {duplicate.reference} a été réglée"
        text = text_of(marie)
        assert (f"https://desk.cobourg.example/status/{duplicate.reference}?token="
                f"{duplicate.public_token}") in text
        assert survivor.reference not in text and "crew" not in text
        # and the surviving case records each once, Marie's as a subscriber's
        summaries = outbound_summaries(desk, survivor.id)
        [resolved] = [e.originator_version for e in desk.case_events(OUTBOX, survivor.id)
                      if type(e).__name__ == "Resolved"]
        subscriber_key = (f"{survivor.id}/{resolved}/"
                          f"subscriber_resolution:{customer_of(desk, duplicate)}")
        assert [s for s in summaries if "subscriber" in s] == [
            "Resolution notice emailed to a subscriber (the customer of a merged duplicate) "
            f"[outbox {subscriber_key}]"]
        assert resolution_messages(outbox) == [("resolution", SENT),
                                               ("subscriber_resolution", SENT)]

    def test_a_subscriber_who_asked_for_the_telephone_is_skipped_and_the_case_says_why(
            self, mail_settings: Settings, desk: ServiceDesk, outbox: ProjectionSet,
            clock: MovableClock, smtp: tuple[Mailbox, int]) -> None:
        # given Bob, who asked to be called, subscribed to Ann's case through his duplicate
        survivor = received_and_acknowledged(desk, mail_settings, outbox, clock)
        duplicate = merged(desk, survivor, BOB)
        # when Ann's case is resolved and the worker runs
        desk.handle(CSR, ResolveCase(case_id=survivor.id, resolution="Filled"))
        send_all(mail_settings, desk, outbox, clock)
        # then only Ann was emailed, and the surviving case says why Bob was not
        assert [str(m["To"]) for m in smtp[0].received] == ["ann@example.org"] * 2
        skipped = [(e.notice, e.reason) for e in desk.case_events(OUTBOX, survivor.id)
                   if type(e).__name__ == "NotificationSkipped"]
        bob = customer_of(desk, duplicate)
        assert skipped == [(f"subscriber_resolution:{bob}",
                            "the customer asked to be contacted by telephone, not by email")]
        assert resolution_messages(outbox) == [("resolution", SENT),
                                               ("subscriber_resolution", SKIPPED)]

    def test_a_duplicate_from_the_case_s_own_customer_adds_no_second_email(
            self, mail_settings: Settings, desk: ServiceDesk, outbox: ProjectionSet,
            clock: MovableClock, smtp: tuple[Mailbox, int]) -> None:
        # given Ann's case and Ann's own second report of it (staff confirmed her), merged
        survivor = received_and_acknowledged(desk, mail_settings, outbox, clock)
        merged(desk, survivor, customer_of(desk, survivor))
        send_all(mail_settings, desk, outbox, clock)
        before = len(smtp[0].received)
        # when her case is resolved
        desk.handle(CSR, ResolveCase(case_id=survivor.id, resolution="Filled"))
        send_all(mail_settings, desk, outbox, clock)
        # then she hears it once, as the case's customer
        assert [str(m["To"]) for m in smtp[0].received[before:]] == ["ann@example.org"]
        assert resolution_messages(outbox) == [("resolution", SENT),
                                               ("subscriber_resolution", SKIPPED)]

    def test_an_unresolved_case_owes_its_subscribers_nothing(
            self, mail_settings: Settings, desk: ServiceDesk, outbox: ProjectionSet,
            clock: MovableClock, smtp: tuple[Mailbox, int]) -> None:
        survivor = received_and_acknowledged(desk, mail_settings, outbox, clock)
        merged(desk, survivor, MARIE)
        send_all(mail_settings, desk, outbox, clock)
        assert resolution_messages(outbox) == []
