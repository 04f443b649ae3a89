"""Each desk's own opening hours, and hours changed from a date on, worked out by hand.

Pure domain. Toronto is UTC-4 (EDT) until Sun 2026-11-01, then UTC-5 (EST). Victoria Hall keeps
the default hours, Monday to Friday 08:30-16:30. In these tests the Marina and Campground opens
every day 10:00-18:00 (its summer season): also 8 hours a day, so a business day is still one
full open day there. No holiday falls in the weeks used (June 8-19 and Oct 26 - Nov 6, 2026).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from domain.actors import Actor, Role
from domain.calendar import BusinessCalendar, OpeningHours
from domain.cases import Case
from domain.catalogue import Desk
from domain.closures import DeskCalendars
from domain.errors import InvalidValue, RuleViolated
from domain.standards import CORPORATE_STANDARDS, ServiceStandard, TargetKind
from domain.targets import Target, status
from tests.toronto_time import local, utc

CSR = Actor(id="csr-ana", role=Role.CSR)
ADMIN = Actor(id="admin-al", role=Role.ADMIN)
HOUR = 3600
EVERY_DAY = frozenset(range(7))
SUMMER = OpeningHours(opens=time(10), closes=time(18), weekdays=EVERY_DAY)
ACK, RESOLVE = TargetKind.ACKNOWLEDGE.value, TargetKind.RESOLVE.value
# A department's promise for walk-ins: resolved within one business day.
WALK_IN_RESOLVE = ServiceStandard("walk-in-resolve", "Walk-ins resolved within 1 business day",
                                  TargetKind.RESOLVE, 8 * HOUR, channel="in_person")


def desks(marina_hours: OpeningHours = SUMMER) -> tuple[Desk, Desk]:
    central = Desk.open(code="victoria-hall", name="Victoria Hall", central=True, actor=ADMIN)
    marina = Desk.open(code="marina-campground", name="Marina and Campground", central=False,
                       hours=marina_hours, actor=ADMIN)
    return central, marina


def received(channel: str, at: datetime, desk: str | None, now: datetime | None = None) -> Case:
    return Case.receive(
        reference="SC-2026-000001", channel=channel, occurred_at=at, purpose="tangible_service",
        service_code=None, department="community", subject="Slip rental", description="",
        customer_id=None, actor=CSR, now=now or at,
        desk=desk)


def planned(case: Case, calendars: DeskCalendars, at: datetime,
            standards: tuple[ServiceStandard, ...] = CORPORATE_STANDARDS) -> Case:
    case.plan_targets(standards, 1, calendars.as_known_at(at), reason="received", actor=CSR,
                      occurred_at=at)
    return case


def change_hours(desk: Desk, hours: OpeningHours, effective_from: date, now: datetime) -> None:
    desk.change_hours(opens=hours.opens, closes=hours.closes, weekdays=hours.weekdays,
                      timezone=None, effective_from=effective_from, reason="new hours",
                      actor=ADMIN, now=now)


class TestAWalkInAtASatelliteDesk:
    def test_is_resolved_on_the_satellite_desks_own_weekend_hours(self) -> None:
        # given the Marina open every day 10:00-18:00, and a walk-in there Sat 06-13 17:00 EDT
        calendars = DeskCalendars.of_desks(desks())
        case = planned(received("in_person", local(2026, 6, 13, 17, 0), "marina-campground"),
                       calendars, local(2026, 6, 13, 17, 0), (WALK_IN_RESOLVE,))
        # then 8 business hours: Sat 17:00-18:00 = 1 h; Sun 06-14 10:00 + 7 h = 17:00 EDT
        # = 21:00 UTC, on the Marina's hours, and the target says so
        target = case.targets[RESOLVE]
        assert (target.due_at, target.desk, case.desk) == (
            utc(2026, 6, 14, 21, 0), "marina-campground", "marina-campground")

    def test_at_victoria_hall_the_same_walk_in_waits_for_monday(self) -> None:
        # given the same walk-in at Victoria Hall (closed at weekends)
        calendars = DeskCalendars.of_desks(desks())
        case = planned(received("in_person", local(2026, 6, 13, 17, 0), "victoria-hall"),
                       calendars, local(2026, 6, 13, 17, 0), (WALK_IN_RESOLVE,))
        # then the clock starts Mon 06-15 08:30: + 8 h = 16:30 EDT = 20:30 UTC
        assert case.targets[RESOLVE].due_at == utc(2026, 6, 15, 20, 30)

    def test_a_letter_hand_delivered_at_the_marina_is_acknowledged_on_its_hours(self) -> None:
        # given a letter hand-delivered at the Marina Sat 06-13 11:00 EDT
        calendars = DeskCalendars.of_desks(desks())
        case = planned(received("written", local(2026, 6, 13, 11, 0), "marina-campground"),
                       calendars, local(2026, 6, 13, 11, 0))
        # then acknowledged within 5 x 8 = 40 h of Marina time: Sat 11:00-18:00 = 7 h;
        # Sun 8 (15); Mon 8 (23); Tue 8 (31); Wed 8 (39); Thu 06-18 10:00 + 1 h = 11:00 EDT
        # = 15:00 UTC (at Victoria Hall it would be Fri 06-19 16:30)
        assert case.targets[ACK].due_at == utc(2026, 6, 18, 15, 0)

    def test_is_judged_on_its_desks_hours(self) -> None:
        # given that letter, judged Sun 06-14 10:00 EDT on the Marina's calendar
        calendars = DeskCalendars.of_desks(desks())
        case = planned(received("written", local(2026, 6, 13, 11, 0), "marina-campground"),
                       calendars, local(2026, 6, 13, 11, 0))
        target = case.targets[ACK]
        seen = status(target, local(2026, 6, 14, 10, 0), calendars.of(target.desk))
        # then 40 - 7 h used Saturday = 33 h remain (on Victoria Hall's hours it would be
        # Mon-Wed 24 h + Thu 08:30-11:00 2.5 h = 26.5 h)
        assert seen.remaining_seconds == 33 * HOUR

    def test_a_case_without_a_desk_runs_on_the_central_desks_hours(self) -> None:
        # given an email recorded before desks were kept (no desk), Sat 06-13 11:00 EDT
        calendars = DeskCalendars.of_desks(desks())
        case = planned(received("email", local(2026, 6, 13, 11, 0), None), calendars,
                       local(2026, 6, 13, 11, 0))
        # then it runs on Victoria Hall's hours: Mon 08:30 + 16 h = Tue 06-16 16:30 EDT
        assert case.targets[ACK].due_at == utc(2026, 6, 16, 20, 30)
        assert case.targets[ACK].desk is None
        assert calendars.of(None) is calendars.of("victoria-hall")
        assert calendars.of("no-such-desk") is calendars.of("victoria-hall")


class TestAnHoursChange:
    # Recorded Wed 06-10 12:00 EDT: from Mon 06-15, Victoria Hall opens 10:00-18:00 Mon-Fri.
    RECORDED = local(2026, 6, 10, 12, 0)
    LATER_HOURS = OpeningHours(opens=time(10), closes=time(18))

    def calendars(self) -> DeskCalendars:
        central, marina = desks()
        change_hours(central, self.LATER_HOURS, date(2026, 6, 15), self.RECORDED)
        return DeskCalendars.of_desks((central, marina))

    def test_moves_deadlines_computed_after_it_but_not_one_fixed_before(self) -> None:
        calendars = self.calendars()
        # given a letter stamped Received Wed 06-10 09:00 and planned at 09:00, before the change
        before = planned(received("written", local(2026, 6, 10, 9, 0), "victoria-hall"),
                         calendars, local(2026, 6, 10, 9, 0))
        # then 40 h on the old hours: Wed 09:00-16:30 7.5; Thu 8 (15.5); Fri 8 (23.5);
        # Mon 8 (31.5); Tue 8 (39.5); Wed 06-17 08:30 + 0.5 h = 09:00 EDT = 13:00 UTC
        assert before.targets[ACK].due_at == utc(2026, 6, 17, 13, 0)
        # given the same letter entered at 13:00, after the change was recorded
        after = planned(received("written", local(2026, 6, 10, 9, 0), "victoria-hall",
                                 now=local(2026, 6, 10, 13, 0)),
                        calendars, local(2026, 6, 10, 13, 0))
        # then from Mon 06-15 the new hours count: 23.5 h by Fri; Mon 10:00-18:00 (31.5);
        # Tue (39.5); Wed 06-17 10:00 + 0.5 h = 10:30 EDT = 14:30 UTC
        assert after.targets[ACK].due_at == utc(2026, 6, 17, 14, 30)

    def test_leaves_the_days_before_it_takes_effect_as_they_were(self) -> None:
        calendar = self.calendars().of("victoria-hall")
        # then Fri 06-12 still opens at 08:30, and Mon 06-15 opens at 10:00
        assert calendar.is_open(local(2026, 6, 12, 8, 30))
        assert not calendar.is_open(local(2026, 6, 15, 9, 59))
        assert calendar.is_open(local(2026, 6, 15, 17, 59))
        assert calendar.hours_on(date(2026, 6, 14)) == OpeningHours()

    def test_crossing_the_dst_weekend_keeps_the_new_wall_clock_hours(self) -> None:
        # given, recorded Wed 10-28 12:00 EDT, 09:00-17:00 from Mon 11-02 (DST ends Sun 11-01)
        central, marina = desks()
        change_hours(central, OpeningHours(opens=time(9), closes=time(17)), date(2026, 11, 2),
                     local(2026, 10, 28, 12, 0))
        calendars = DeskCalendars.of_desks((central, marina))
        # when an email arrives Fri 10-30 15:00 EDT (= 19:00 UTC), after the change
        case = planned(received("email", local(2026, 10, 30, 15, 0), "victoria-hall"),
                       calendars, local(2026, 10, 30, 15, 0))
        # then 16 h: Fri 15:00-16:30 EDT 1.5 h; Mon 11-02 09:00-17:00 EST 8 h (9.5);
        # Tue 11-03 09:00 + 6.5 h = 15:30 EST = 20:30 UTC (old hours: 15:00 EST = 20:00 UTC)
        assert case.targets[ACK].due_at == utc(2026, 11, 3, 20, 30)
        known_before = calendars.as_known_at(local(2026, 10, 28, 11, 0)).of("victoria-hall")
        assert known_before.add(local(2026, 10, 30, 15, 0),
                                timedelta(hours=16)) == utc(2026, 11, 3, 20, 0)

    def test_hours_moved_to_another_time_zone_count_in_that_zone_from_their_date(
            self) -> None:
        # given, recorded Wed 06-10 12:00 EDT, the desk keeping Winnipeg time (CDT, UTC-5) from
        # Mon 06-15, still 08:30-16:30 on the wall clock
        central, marina = desks()
        central.change_hours(opens=time(8, 30), closes=time(16, 30), weekdays=range(5),
                             timezone="America/Winnipeg", effective_from=date(2026, 6, 15),
                             reason="moved west", actor=ADMIN, now=self.RECORDED)
        calendars = DeskCalendars.of_desks((central, marina))
        # when an email arrives Fri 06-12 15:00 EDT (19:00 UTC)
        case = planned(received("email", local(2026, 6, 12, 15, 0), "victoria-hall"),
                       calendars, local(2026, 6, 12, 15, 0))
        # then 16 h: Fri 15:00-16:30 EDT 1.5 h; Mon 06-15 08:30-16:30 CDT (13:30-21:30 UTC)
        # 8 h (9.5); Tue 13:30 UTC + 6.5 h = 20:00 UTC (15:00 CDT)
        assert case.targets[ACK].due_at == utc(2026, 6, 16, 20, 0)

    def test_of_the_same_date_the_later_recorded_stands(self) -> None:
        # given two changes from Mon 06-15, recorded at 12:00 and at 13:00
        central, _ = desks()
        change_hours(central, self.LATER_HOURS, date(2026, 6, 15), self.RECORDED)
        change_hours(central, OpeningHours(opens=time(7), closes=time(15)), date(2026, 6, 15),
                     self.RECORDED + timedelta(hours=1))
        # then as known at 12:30 Mon opens at 10:00, and as known at 13:00 at 07:00
        calendar = central.calendar()
        assert calendar.as_known_at(self.RECORDED + timedelta(minutes=30)).hours_on(
            date(2026, 6, 15)).opens == time(10)
        assert calendar.hours_on(date(2026, 6, 15)).opens == time(7)


class TestRefusedHoursChanges:
    NOW = local(2026, 6, 10, 12, 0)

    def test_a_retroactive_change_is_refused_and_records_nothing(self) -> None:
        # given Victoria Hall on Wed 06-10
        central, _ = desks()
        before = (central.version, central.hours_changes)
        # when an administrator changes its hours from yesterday
        with pytest.raises(RuleViolated) as refused:
            change_hours(central, OpeningHours(opens=time(9)), date(2026, 6, 9), self.NOW)
        # then it is refused on effective_from, and nothing changed
        assert refused.value.field == "effective_from"
        assert (central.version, central.hours_changes) == before
        assert not [e for e in central.collect_events() if type(e).__name__ == "HoursChanged"]

    def test_a_change_from_today_is_accepted(self) -> None:
        central, _ = desks()
        change_hours(central, OpeningHours(opens=time(9)), date(2026, 6, 10), self.NOW)
        assert central.hours_changes[-1].effective_from == date(2026, 6, 10)

    @pytest.mark.parametrize(("opens", "closes", "weekdays", "timezone", "field"), [
        (time(17), time(9), {0}, None, "closes"),
        (time(9), time(9), {0}, None, "closes"),
        (time(9), time(17), {7}, None, "weekdays"),
        (time(9), time(17), set(), None, "weekdays"),
        (time(9), time(17), {0}, "Mars/Olympus_Mons", "timezone"),
    ], ids=["closes-before-opens", "closes-at-opening", "unknown-weekday", "no-weekday",
            "unknown-time-zone"])
    def test_bad_hours_are_refused_naming_the_field(
            self, opens: time, closes: time, weekdays: set[int], timezone: str | None,
            field: str) -> None:
        central, _ = desks()
        with pytest.raises(InvalidValue) as refused:
            central.change_hours(opens=opens, closes=closes, weekdays=weekdays,
                                 timezone=timezone, effective_from=date(2026, 6, 15),
                                 reason="new hours", actor=ADMIN, now=self.NOW)
        assert refused.value.field == field
        assert central.hours_changes == ()


def test_a_target_stored_before_targets_had_desks_reads_as_the_central_desks() -> None:
    # given a target as TargetsSet events stored it before this change (no "desk")
    data = Target(name=ACK, standard_code="email-acknowledge", standard_version=1,
                  title="Email", started_at=utc(2026, 6, 10), due_at=utc(2026, 6, 12),
                  seconds=16 * HOUR, basis="business", pausable=True,
                  at_risk_share=0.25).as_data()
    del data["desk"]
    # then it still reads, on no desk (the central desk)
    assert Target.from_data(data).desk is None


def test_the_default_calendar_is_unchanged_by_desks() -> None:
    # given no desks at all, the calendars are the default hours
    calendars = DeskCalendars()
    assert calendars.of("victoria-hall").hours == BusinessCalendar().hours
    assert calendars.central_code is None
