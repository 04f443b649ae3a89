"""A booked appointment and a moved one are confirmed to the customer by email: the day and
times in the desk's own time zone, the desk's name, in person or by video call with the
meeting link, in English or French, each recorded once on the case as an outbound email; a
confirmation overtaken (the appointment cancelled or moved again before it went out) is
skipped with its reason. On SQLite and PostgreSQL, through a real SMTP server (aiosmtpd)."""

from __future__ import annotations

from datetime import UTC, datetime

from application.commands import BookAppointment, CancelAppointment, RescheduleAppointment
from application.desk import ServiceDesk
from application.outbox import start_outbox
from domain.cases import Case
from domain.notices import OUTBOX
from engine.runner import ProjectionSet
from infrastructure.settings import Settings
from projections.outbox import PENDING, SENT, SKIPPED
from tests.conftest import MovableClock
from tests.integration.test_outbox_updates import (
    ANN,
    MARIE,
    html_of,
    notices,
    outbound_summaries,
    send_all,
    text_of,
)
from tests.mail_server import Mailbox
from tests.receiving import CSR, receive

SERVICE = "public-works-engineering-01"
LINK = "https://meet.example.ca/room/42"
# Daylight saving time starts on Sunday 2026-03-08: Monday 10:00 Toronto is 14:00 UTC (EDT is
# UTC-4), and so is Tuesday 10:00's 14:00 UTC.
MONDAY_10 = datetime(2026, 3, 9, 14, 0, tzinfo=UTC)
TUESDAY_10 = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
# The clock stands at Wednesday 2026-03-04 10:00 Toronto (15:00 UTC; EST is UTC-5), so
# Thursday 10:00 Toronto is 15:00 UTC and Friday 14:00 Toronto is 19:00 UTC. A booking for
# Thursday made now owes no reminder: its would be due Wednesday 10:00, now.
THURSDAY_10 = datetime(2026, 3, 5, 15, 0, tzinfo=UTC)
FRIDAY_14 = datetime(2026, 3, 6, 19, 0, tzinfo=UTC)


def acknowledged(desk: ServiceDesk, settings: Settings, outbox: ProjectionSet,
                 clock: MovableClock, **intake: object) -> Case:
    """A case received with the outbox open, its acknowledgement sent."""
    start_outbox(desk)
    case = receive(desk, service_code=SERVICE, department=None, **intake).case
    send_all(settings, desk, outbox, clock)
    return case


def book(desk: ServiceDesk, case: Case, mode: str = "in_person",
         link: str | None = None, starts_at: datetime = THURSDAY_10) -> None:
    desk.handle(CSR, BookAppointment(case_id=case.id, starts_at=starts_at, mode=mode,
                                     service_code=SERVICE, desk="victoria-hall",
                                     meeting_link=link))


def skipped(desk: ServiceDesk, case: Case) -> list[str]:
    return [e.reason for e in desk.case_events(OUTBOX, case.id)
            if type(e).__name__ == "NotificationSkipped"]


class TestBookingConfirmation:
    def test_an_in_person_booking_is_confirmed_in_the_desks_time_and_recorded_once(
            self, mail_settings: Settings, desk: ServiceDesk, outbox: ProjectionSet,
            clock: MovableClock, smtp: tuple[Mailbox, int]) -> None:
        # given Ann's acknowledged case
        case = acknowledged(desk, mail_settings, outbox, clock, customer=ANN)
        # when staff book her an appointment at Victoria Hall, and the worker runs twice
        book(desk, case)
        assert send_all(mail_settings, desk, outbox, clock) == 1
        assert send_all(mail_settings, desk, outbox, clock) == 0
        # then she is told when (Toronto time: 15:00 UTC is 10:00 EST) and where
        mail = smtp[0].received[-1]
        assert mail["Subject"] == f"Your appointment about request {case.reference}"
        text = text_of(mail)
        assert "When: Thursday, March 5, 2026, 10:00 to 10:30 (EST)" in text
        assert "Where: in person at Victoria Hall (Service Cobourg)" in text
        assert "https://meet" not in text and "Ann" not in text
        assert "Victoria Hall (Service Cobourg)" in html_of(mail)
        # and the case records it once, as an outbound email
        [summary] = outbound_summaries(desk, case.id)[1:]
        assert summary.startswith("Appointment confirmation emailed to the customer [outbox ")
        assert summary.endswith("/appointment]")
        assert notices(outbox) == [("acknowledgement", SENT), ("appointment", SENT)]

    def test_a_virtual_booking_gives_the_meeting_link_in_french(
            self, mail_settings: Settings, desk: ServiceDesk, outbox: ProjectionSet,
            clock: MovableClock, smtp: tuple[Mailbox, int]) -> None:
        # given Marie, who speaks French, with an acknowledged case
        case = acknowledged(desk, mail_settings, outbox, clock, customer=MARIE)
        # when a video call is booked for her
        book(desk, case, mode="virtual", link=LINK)
        send_all(mail_settings, desk, outbox, clock)
        # then she gets the day, times and link in French, the link clickable in the HTML
        mail = smtp[0].received[-1]
        assert mail["Subject"] == (f"Votre rendez-vous au sujet de la demande "
                                   f"{case.reference}")
        text = text_of(mail)
        assert "Quand : le jeudi 5 mars 2026, de 10 h 00 à 10 h 30 (EST)" in text
        assert "par vidéoconférence" in text and LINK in text
        assert f'<a href="{LINK}">' in html_of(mail) and 'lang="fr"' in html_of(mail)
        assert notices(outbox) == [("acknowledgement", SENT), ("appointment", SENT)]


class TestMovedAppointment:
    def test_a_move_is_confirmed_with_the_new_time_and_the_old(
            self, mail_settings: Settings, desk: ServiceDesk, outbox: ProjectionSet,
            clock: MovableClock, smtp: tuple[Mailbox, int]) -> None:
        # given Ann's appointment on Thursday, confirmed
        case = acknowledged(desk, mail_settings, outbox, clock, customer=ANN)
        book(desk, case)
        send_all(mail_settings, desk, outbox, clock)
        # when it is moved to Friday 14:00 Toronto
        desk.handle(CSR, RescheduleAppointment(case_id=case.id, starts_at=FRIDAY_14,
                                               reason="customer asked"))
        assert send_all(mail_settings, desk, outbox, clock) == 1
        # then she is told the new time and that the old one is off
        mail = smtp[0].received[-1]
        assert mail["Subject"] == (f"Your appointment about request {case.reference} was "
                                   "moved")
        text = text_of(mail)
        assert "no longer takes place on March 5, 2026 at 10:00" in text
        assert "When: Friday, March 6, 2026, 14:00 to 14:30 (EST)" in text
        assert outbound_summaries(desk, case.id)[-1].startswith(
            "Appointment change emailed to the customer [outbox ")
        assert notices(outbox) == [("acknowledgement", SENT), ("appointment", SENT),
                                   ("appointment_change", SENT),
                                   ("appointment_reminder", PENDING)]

    def test_a_booking_moved_before_its_confirmation_went_out_sends_only_the_later(
            self, mail_settings: Settings, desk: ServiceDesk, outbox: ProjectionSet,
            clock: MovableClock, smtp: tuple[Mailbox, int]) -> None:
        # given a booking not yet confirmed
        case = acknowledged(desk, mail_settings, outbox, clock, customer=ANN)
        book(desk, case)
        # when it is moved before the worker runs
        desk.handle(CSR, RescheduleAppointment(case_id=case.id, starts_at=FRIDAY_14,
                                               reason="customer called back"))
        assert send_all(mail_settings, desk, outbox, clock) == 1
        # then only Friday's time is emailed; Thursday's confirmation is skipped, and why
        assert "Friday, March 6" in text_of(smtp[0].received[-1])
        assert all("Thursday" not in text_of(m) for m in smtp[0].received)
        assert skipped(desk, case) == ["the appointment was moved again before this "
                                       "message was sent; the later one says when"]
        # (Friday's reminder waits for Thursday: see TestReminder)
        assert notices(outbox) == [("acknowledgement", SENT), ("appointment", SKIPPED),
                                   ("appointment_change", SENT),
                                   ("appointment_reminder", PENDING)]


class TestCancelledAppointment:
    def test_a_booking_cancelled_before_its_confirmation_went_out_sends_nothing(
            self, mail_settings: Settings, desk: ServiceDesk, outbox: ProjectionSet,
            clock: MovableClock, smtp: tuple[Mailbox, int]) -> None:
        case = acknowledged(desk, mail_settings, outbox, clock, customer=ANN)
        sent_before = len(smtp[0].received)
        book(desk, case)
        desk.handle(CSR, CancelAppointment(case_id=case.id, reason="resolved by phone"))
        assert send_all(mail_settings, desk, outbox, clock) == 0
        assert len(smtp[0].received) == sent_before
        assert skipped(desk, case) == ["the appointment was cancelled before this "
                                       "message was sent"]
        assert notices(outbox) == [("acknowledgement", SENT), ("appointment", SKIPPED)]


class TestReminder:
    def test_a_monday_appointment_is_reminded_on_the_friday_before_at_its_time_of_day(
            self, mail_settings: Settings, desk: ServiceDesk, outbox: ProjectionSet,
            clock: MovableClock, smtp: tuple[Mailbox, int]) -> None:
        # given Ann's appointment on Monday 10:00 Toronto, booked and confirmed on Wednesday
        case = acknowledged(desk, mail_settings, outbox, clock, customer=ANN)
        book(desk, case, starts_at=MONDAY_10)
        assert send_all(mail_settings, desk, outbox, clock) == 1
        # when the worker runs on Friday (the business day before Monday) at 09:59 Toronto,
        # 14:59 UTC (still EST, UTC-5), then nothing is due yet
        clock.now = datetime(2026, 3, 6, 14, 59, tzinfo=UTC)
        assert send_all(mail_settings, desk, outbox, clock) == 0
        # and at 10:00 Toronto (15:00 UTC) the reminder is sent, once
        clock.now = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)
        assert send_all(mail_settings, desk, outbox, clock) == 1
        assert send_all(mail_settings, desk, outbox, clock) == 0
        mail = smtp[0].received[-1]
        assert mail["Subject"] == f"Reminder: your appointment about request {case.reference}"
        assert "When: Monday, March 9, 2026, 10:00 to 10:30 (EDT)" in text_of(mail)
        assert outbound_summaries(desk, case.id)[-1].startswith(
            "Appointment reminder emailed to the customer [outbox ")
        assert notices(outbox) == [("acknowledgement", SENT), ("appointment", SENT),
                                   ("appointment_reminder", SENT)]

    def test_a_moved_appointment_is_reminded_of_its_new_time_only(
            self, mail_settings: Settings, desk: ServiceDesk, outbox: ProjectionSet,
            clock: MovableClock, smtp: tuple[Mailbox, int]) -> None:
        # given Monday's appointment moved to Tuesday 10:00 Toronto
        case = acknowledged(desk, mail_settings, outbox, clock, customer=ANN)
        book(desk, case, starts_at=MONDAY_10)
        desk.handle(CSR, RescheduleAppointment(case_id=case.id, starts_at=TUESDAY_10,
                                               reason="customer asked"))
        send_all(mail_settings, desk, outbox, clock)
        sent_before = len(smtp[0].received)
        # when Friday 10:00 Toronto comes (Monday's reminder due), nothing is sent, and why
        clock.now = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)
        assert send_all(mail_settings, desk, outbox, clock) == 0
        assert len(smtp[0].received) == sent_before
        assert skipped(desk, case)[-1] == ("the appointment was moved again before this "
                                           "message was sent; the later one says when")
        # then on Monday 10:00 EDT (14:00 UTC) Tuesday's reminder goes out
        clock.now = datetime(2026, 3, 9, 14, 0, tzinfo=UTC)
        assert send_all(mail_settings, desk, outbox, clock) == 1
        assert "When: Tuesday, March 10, 2026, 10:00 to 10:30 (EDT)" in text_of(
            smtp[0].received[-1])

    def test_a_cancelled_appointment_is_not_reminded(
            self, mail_settings: Settings, desk: ServiceDesk, outbox: ProjectionSet,
            clock: MovableClock, smtp: tuple[Mailbox, int]) -> None:
        case = acknowledged(desk, mail_settings, outbox, clock, customer=ANN)
        book(desk, case, starts_at=MONDAY_10)
        send_all(mail_settings, desk, outbox, clock)
        desk.handle(CSR, CancelAppointment(case_id=case.id, reason="resolved by phone"))
        sent_before = len(smtp[0].received)
        clock.now = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)
        assert send_all(mail_settings, desk, outbox, clock) == 0
        assert len(smtp[0].received) == sent_before
        assert notices(outbox)[-1] == ("appointment_reminder", SKIPPED)
