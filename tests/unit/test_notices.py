"""The rules of the messages the desk sends by itself: who may be emailed, in which language,
and how long a failed delivery waits before it is tried again."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from domain.notices import (
    MAX_ATTEMPTS,
    Language,
    Notice,
    is_parked,
    key_in_summary,
    language_of,
    message_key,
    owes_reminder,
    reminder_due,
    retry_delay,
    sent_summary,
    why_no_confirmation,
    why_not_by_email,
)


def test_a_customer_with_an_address_and_no_other_preference_may_be_emailed() -> None:
    assert why_not_by_email("ann@example.org", None) is None
    assert why_not_by_email("ann@example.org", "email") is None


def test_no_address_another_preferred_way_or_an_erased_record_is_a_reason_not_to_email(
        ) -> None:
    assert why_not_by_email(None, None) == "the customer gave no email address"
    assert why_not_by_email("  ", None) == "the customer gave no email address"
    assert why_not_by_email("ann@example.org", "in_person") == (
        "the customer asked to be contacted in person, not by email")
    assert why_not_by_email(None, None, erased=True) == "the customer's record was erased"


def test_the_language_is_the_customers_else_english() -> None:
    assert language_of(None) == Language.ENGLISH
    assert language_of("fr") == Language.FRENCH
    assert language_of("en") == Language.ENGLISH


def test_retries_wait_double_each_time_at_most_an_hour_and_park_after_the_fifth() -> None:
    # 1, 2, 4, 8, 16, 32 minutes, then 64 > 60 capped at an hour
    assert [retry_delay(n) for n in range(1, 8)] == [
        timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 60)]
    assert [is_parked(n) for n in range(1, MAX_ATTEMPTS + 1)] == [False] * 4 + [True]


def test_a_sent_interaction_names_the_message_it_sent() -> None:
    key = message_key("b72be17c-9f58-5c32-aaca-1a417f87e037", 1, Notice.ACKNOWLEDGEMENT)
    assert key_in_summary(sent_summary(Notice.ACKNOWLEDGEMENT, key)) == key
    assert key_in_summary("Called back about the pothole") is None


def test_a_reminder_is_due_the_business_day_before_skipping_a_holiday() -> None:
    # Monday 2026-04-06 10:00 EDT (14:00 UTC): Sunday and Saturday are weekend days and
    # Friday 04-03 is Good Friday, so the business day before is Thursday 04-02, 10:00 EDT.
    due = reminder_due(date(2026, 4, 6), datetime(2026, 4, 6, 14, tzinfo=UTC))
    assert due == datetime(2026, 4, 2, 14, tzinfo=UTC)


def test_a_reminder_keeps_the_wall_clock_time_across_the_change_to_daylight_saving() -> None:
    # Monday 2026-03-09 10:00 EDT is 14:00 UTC; Friday 03-06 10:00 is still EST: 15:00 UTC.
    due = reminder_due(date(2026, 3, 9), datetime(2026, 3, 9, 14, tzinfo=UTC))
    assert due == datetime(2026, 3, 6, 15, tzinfo=UTC)


def test_a_booking_made_after_its_reminder_would_be_due_owes_none() -> None:
    due = datetime(2026, 3, 4, 15, tzinfo=UTC)
    assert not owes_reminder(due, booked_at=due)
    assert owes_reminder(due, booked_at=due - timedelta(seconds=1))


def test_an_appointment_message_is_not_sent_once_the_appointment_began() -> None:
    start = datetime(2026, 3, 5, 15, tzinfo=UTC)
    booked = {"state": "booked", "starts_at": start}
    assert why_no_confirmation(start, booked, start - timedelta(minutes=1)) is None
    assert why_no_confirmation(start, booked, start) == (
        "the appointment had begun before this message was sent")
    assert why_no_confirmation(start, {**booked, "state": "attended"}, start) == (
        "the appointment had begun before this message was sent")
    assert why_no_confirmation(start, {**booked, "state": "cancelled"}, start) == (
        "the appointment was cancelled before this message was sent")
