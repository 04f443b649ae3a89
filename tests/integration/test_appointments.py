"""Appointments on a real SQLite file and a real PostgreSQL database: booked in a slot of the
desk's hours, one booking per place even when two race for the last, rescheduled, cancelled,
attended or missed, each a case event."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from application.commands import BookAppointment
from application.desk import Outcome, ServiceDesk
from application.service_levels import add_closure
from domain.actors import Actor, Role
from domain.errors import InvalidValue, RuleViolated
from projections import case_state
from tests.commanding import change_case
from tests.conftest import MovableClock
from tests.receiving import receive

CSR = Actor(id="csr-ana", role=Role.CSR)
ADMIN = Actor(id="adm-al", role=Role.ADMIN)
SERVICE = "public-works-engineering-01"
# The clock stands at Wednesday 2026-03-04 10:00 Toronto (15:00 UTC, EST = UTC-5).
THURSDAY_10 = datetime(2026, 3, 5, 15, 0, tzinfo=UTC)
LINK = "https://meet.example.ca/room/42"


def book(desk: ServiceDesk, case_id: UUID, starts_at: datetime = THURSDAY_10,
         mode: str = "in_person", **extra: Any) -> Outcome:
    return desk.handle(CSR, BookAppointment(case_id=case_id, starts_at=starts_at, mode=mode,
                                            service_code=SERVICE, desk="victoria-hall",
                                            **extra))


def new_case(desk: ServiceDesk, **overrides: Any) -> UUID:
    return receive(desk, service_code=SERVICE, department=None, **overrides).case.id


def nothing_recorded(desk: ServiceDesk) -> Any:
    class Unchanged:
        def __enter__(self) -> None:
            self.before = desk.log_position()

        def __exit__(self, *exc: object) -> None:
            assert desk.log_position() == self.before

    return Unchanged()


class TestBooking:
    def test_a_booking_in_a_slot_is_recorded_on_the_case_and_its_place_taken(
            self, desk: ServiceDesk) -> None:
        case_id = new_case(desk)
        case = book(desk, case_id).case
        assert case.appointment is not None
        assert case.appointment["state"] == "booked"
        assert case.appointment["ends_at"] == THURSDAY_10 + timedelta(minutes=30)
        # The only place of that slot is taken: Thursday's list no longer offers it.
        offered = desk.open_slots(desk="victoria-hall", service_code=SERVICE,
                                  mode="in_person", first_day=date(2026, 3, 5),
                                  last_day=date(2026, 3, 5))
        assert THURSDAY_10 not in [s.starts_at for s in offered]
        assert len(offered) == 15  # 16 half hours from 08:30 to 16:30, less the one taken

    def test_a_full_slot_is_refused_naming_starts_at_and_nothing_is_recorded(
            self, desk: ServiceDesk) -> None:
        book(desk, new_case(desk))
        other = new_case(desk)
        with nothing_recorded(desk), pytest.raises(RuleViolated, match="full") as refused:
            book(desk, other)
        assert refused.value.field == "starts_at"

    def test_a_booking_on_a_closure_day_is_refused(self, desk: ServiceDesk) -> None:
        add_closure(desk, ADMIN, day=date(2026, 3, 5), from_time=None, until_time=None,
                    reason="flooded basement")
        case_id = new_case(desk)
        with nothing_recorded(desk), pytest.raises(InvalidValue, match="flooded basement"):
            book(desk, case_id)

    def test_a_booking_outside_hours_is_refused(self, desk: ServiceDesk) -> None:
        case_id = new_case(desk)
        # 17:00 Toronto (22:00 UTC) is after the 16:30 closing.
        with nothing_recorded(desk), pytest.raises(InvalidValue, match="not a bookable slot"):
            book(desk, case_id, THURSDAY_10.replace(hour=22))

    def test_a_virtual_booking_stores_its_link_and_confirms_the_request(
            self, desk: ServiceDesk) -> None:
        # Given a virtual meeting request, promised confirmation within 2 business days,
        case_id = new_case(desk, channel="virtual_meeting")
        # when a virtual meeting is booked,
        case = book(desk, case_id, mode="virtual", meeting_link=LINK).case
        # then its link is kept and the acknowledgement target is met when it was booked.
        assert case.appointment is not None and case.appointment["meeting_link"] == LINK
        assert case.targets["acknowledge"].met_at == datetime(2026, 3, 4, 15, tzinfo=UTC)
        assert case.acknowledged_at == datetime(2026, 3, 4, 15, tzinfo=UTC)

    def test_an_in_person_booking_acknowledges_nothing_by_itself(
            self, desk: ServiceDesk) -> None:
        case = book(desk, new_case(desk, channel="virtual_meeting")).case
        assert case.acknowledged_at is None
        assert case.targets["acknowledge"].met_at is None

    def test_a_virtual_booking_without_a_link_is_refused(self, desk: ServiceDesk) -> None:
        case_id = new_case(desk)
        with nothing_recorded(desk), pytest.raises(InvalidValue) as refused:
            book(desk, case_id, mode="virtual")
        assert refused.value.field == "meeting_link"

    def test_two_bookings_racing_for_the_last_place_record_one(
            self, desk: ServiceDesk) -> None:
        # Given two cases and a slot with one place,
        cases = [new_case(desk), new_case(desk)]
        start = threading.Barrier(2)
        answers: list[object] = [None, None]

        def one(i: int) -> None:
            start.wait()
            try:
                answers[i] = book(desk, cases[i])
            except Exception as error:  # the test reports what each got
                answers[i] = error

        # when both book it at the same moment,
        threads = [threading.Thread(target=one, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # then exactly one is booked and the other told the slot is full.
        booked = [a for a in answers if isinstance(a, Outcome)]
        refused = [a for a in answers if isinstance(a, RuleViolated)]
        assert len(booked) == 1 and len(refused) == 1, answers
        holders = [c for c in cases if desk.get_case(CSR, c).appointment is not None]
        assert holders == [booked[0].case.id]


class TestAfterBooking:
    def test_a_reschedule_moves_the_place_and_a_cancel_frees_it(
            self, desk: ServiceDesk) -> None:
        case_id = new_case(desk)
        book(desk, case_id)
        later = THURSDAY_10 + timedelta(hours=1)
        case = change_case(desk, CSR, case_id, "reschedule_appointment", expected_version=None,
                           starts_at=later, reason="customer asked").case
        assert case.appointment is not None and case.appointment["starts_at"] == later
        # The first slot is free again: another case books it.
        book(desk, new_case(desk))
        change_case(desk, CSR, case_id, "cancel_appointment", expected_version=None,
                    reason="customer no longer needs it")
        book(desk, new_case(desk), later)

    def test_attendance_is_recorded_once_the_appointment_began(
            self, desk: ServiceDesk, clock: MovableClock) -> None:
        case_id = new_case(desk)
        book(desk, case_id)
        with nothing_recorded(desk), pytest.raises(RuleViolated, match="once the appointment"):
            change_case(desk, CSR, case_id, "record_attendance", expected_version=None)
        clock.now = THURSDAY_10 + timedelta(minutes=5)
        case = change_case(desk, CSR, case_id, "record_no_show", expected_version=None).case
        assert case.appointment is not None and case.appointment["state"] == "no_show"


def test_a_case_with_an_appointment_survives_its_snapshot_exactly(desk: ServiceDesk) -> None:
    # Given a case with a virtual appointment rescheduled (every appointment key set),
    case_id = new_case(desk)
    book(desk, case_id, mode="virtual", meeting_link=LINK)
    change_case(desk, CSR, case_id, "reschedule_appointment", expected_version=None,
                starts_at=THURSDAY_10 + timedelta(hours=2))
    replayed = desk.get_case(CSR, case_id)
    # when it is stored as a snapshot and read back, then it is the replayed case.
    restored = case_state.decode(case_state.encode(replayed))
    assert restored.__dict__ == {**replayed.__dict__, "_pending_events": []}
