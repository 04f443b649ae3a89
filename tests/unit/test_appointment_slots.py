"""Bookable slots cut from a desk's hours (domain.appointments), computed by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from domain.appointments import AppointmentDay, SlotRules, check_slot, slots
from domain.calendar import BusinessCalendar, Closure, OpeningHours
from domain.errors import InvalidValue, RuleViolated

HALF_HOUR = timedelta(minutes=30)
KNOWN = datetime(2026, 1, 5, tzinfo=UTC)
BEFORE = datetime(2026, 2, 1, tzinfo=UTC)  # "now" for the booking checks


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def closed_tuesday() -> BusinessCalendar:
    return BusinessCalendar(closures=[Closure(day=date(2026, 2, 17), recorded_at=KNOWN,
                                              reason="staff training")])


class TestSlotsFollowTheBusinessCalendar:
    def test_a_closure_day_and_a_holiday_have_no_slots(self) -> None:
        # Given Monday 2026-02-16 is Family Day and Tuesday 2026-02-17 a recorded closure,
        # when the slots from Monday to Wednesday are listed,
        found = slots(closed_tuesday(), date(2026, 2, 16), date(2026, 2, 18), HALF_HOUR)
        # then only Wednesday's are: 08:30-16:30 is 8 h = 16 half hours; in February Toronto
        # is UTC-5, so 08:30 is 13:30 UTC and the last slot 16:00-16:30 is 21:00-21:30 UTC.
        assert len(found) == 16
        assert found[0].starts_at == utc(2026, 2, 18, 13, 30)
        assert found[-1].ends_at == utc(2026, 2, 18, 21, 30)

    def test_a_desk_s_own_hours_are_respected(self) -> None:
        # Given a desk open Monday to Thursday 10:00-14:00,
        calendar = BusinessCalendar(OpeningHours(opens=time(10), closes=time(14),
                                                 weekdays=frozenset({0, 1, 2, 3})))
        # when Monday 2026-02-23 to Friday 2026-02-27 are listed,
        found = slots(calendar, date(2026, 2, 23), date(2026, 2, 27), HALF_HOUR)
        # then 4 days x (4 h / 30 min = 8) = 32 slots, none on Friday; Monday's first starts
        # at 10:00 EST = 15:00 UTC.
        assert len(found) == 32
        assert found[0].starts_at == utc(2026, 2, 23, 15)
        assert all(s.starts_at.date() != date(2026, 2, 27) for s in found)

    def test_the_daylight_saving_change_keeps_the_wall_clock_opening(self) -> None:
        # Given clocks go forward on Sunday 2026-03-08,
        found = slots(BusinessCalendar(), date(2026, 3, 6), date(2026, 3, 9), HALF_HOUR)
        # then Friday's first slot is 08:30 EST = 13:30 UTC, Monday's 08:30 EDT = 12:30 UTC,
        # and each day still has 16.
        assert [s.starts_at for s in found[::16]] == [utc(2026, 3, 6, 13, 30),
                                                       utc(2026, 3, 9, 12, 30)]
        assert len(found) == 32

    def test_a_slot_ending_at_closing_is_offered_and_one_crossing_it_is_not(self) -> None:
        # Hour slots: 8 h / 1 h = 8, the last 15:30-16:30 EST (20:30-21:30 UTC) ends exactly
        # at closing and is offered.
        hours = slots(BusinessCalendar(), date(2026, 2, 18), date(2026, 2, 18),
                      timedelta(hours=1))
        assert len(hours) == 8
        assert (hours[-1].starts_at, hours[-1].ends_at) == (utc(2026, 2, 18, 20, 30),
                                                             utc(2026, 2, 18, 21, 30))
        # 45-minute slots: 480 / 45 = 10 whole slots, the last 15:15-16:00; the next,
        # 16:00-16:45, would cross 16:30 and is not offered, nor bookable.
        rules = SlotRules(length=timedelta(minutes=45))
        quarters = slots(BusinessCalendar(), date(2026, 2, 18), date(2026, 2, 18),
                         rules.length)
        assert len(quarters) == 10
        assert quarters[-1].ends_at == utc(2026, 2, 18, 21)  # 16:00 EST
        with pytest.raises(InvalidValue, match="not a bookable slot") as refused:
            check_slot(BusinessCalendar(), utc(2026, 2, 18, 21), rules, BEFORE)
        assert refused.value.field == "starts_at"

    def test_a_part_day_closure_cuts_the_slots_it_overlaps(self) -> None:
        # Given a closure from 12:00 to 13:15 on Wednesday: open 08:30-12:00 (7 slots) and
        # 13:15-16:30 (3 h 15 = 6 whole slots, 13:15 to 16:15; 16:15-16:45 crosses closing).
        calendar = BusinessCalendar(closures=[Closure(
            day=date(2026, 2, 18), recorded_at=KNOWN, reason="fire drill",
            from_time=time(12), until_time=time(13, 15))])
        found = slots(calendar, date(2026, 2, 18), date(2026, 2, 18), HALF_HOUR)
        assert len(found) == 13
        assert found[7].starts_at == utc(2026, 2, 18, 18, 15)  # 13:15 EST


class TestBookingChecks:
    def test_a_booking_on_a_closure_day_is_refused_naming_the_closure(self) -> None:
        with pytest.raises(InvalidValue, match="closed on 2026-02-17 \\(staff training\\)"):
            check_slot(closed_tuesday(), utc(2026, 2, 17, 14), SlotRules(), BEFORE)

    def test_a_booking_on_a_holiday_is_refused_naming_it(self) -> None:
        with pytest.raises(InvalidValue, match="Family Day"):
            check_slot(closed_tuesday(), utc(2026, 2, 16, 14), SlotRules(), BEFORE)

    def test_a_booking_outside_hours_is_refused(self) -> None:
        # 07:00 EST is 12:00 UTC, before the 08:30 opening.
        with pytest.raises(InvalidValue, match="open 08:30-16:30") as refused:
            check_slot(BusinessCalendar(), utc(2026, 2, 18, 12), SlotRules(), BEFORE)
        assert refused.value.field == "starts_at"

    def test_a_booking_in_the_past_is_refused(self) -> None:
        with pytest.raises(InvalidValue, match="in the past"):
            check_slot(BusinessCalendar(), utc(2026, 1, 14, 13, 30), SlotRules(), BEFORE)

    def test_a_slot_on_the_grid_is_bookable(self) -> None:
        slot = check_slot(BusinessCalendar(), utc(2026, 2, 18, 14), SlotRules(), BEFORE)
        assert slot.ends_at == utc(2026, 2, 18, 14, 30)

    def test_a_full_slot_refuses_the_next_booking(self) -> None:
        from uuid import uuid4

        slot = check_slot(BusinessCalendar(), utc(2026, 2, 18, 14), SlotRules(), BEFORE)
        day = AppointmentDay.open("victoria-hall", date(2026, 2, 18))
        day.take(case_id=uuid4(), slot=slot, service_code="s", mode="virtual", capacity=1)
        with pytest.raises(RuleViolated, match="full") as refused:
            day.take(case_id=uuid4(), slot=slot, service_code="s", mode="virtual", capacity=1)
        assert refused.value.field == "starts_at"
        # Another mode has its own places.
        day.take(case_id=uuid4(), slot=slot, service_code="s", mode="in_person", capacity=1)
