"""Each desk's opening hours through the ServiceDesk, on a real SQLite file and on PostgreSQL.

Every moment is set on the movable clock; nothing sleeps. Toronto is UTC-4 (EDT) in June 2026;
no holiday falls in June 8-19. Victoria Hall (the central desk) is open Monday to Friday
08:30-16:30; in these tests an administrator opens the Marina and Campground every day
10:00-18:00 from Mon 2026-06-01 (recorded that morning), also 8 hours a day.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from application.catalogue import change_desk_hours
from application.desk import ServiceDesk
from application.service_levels import revise_standards
from domain.actors import Actor, Role
from domain.cases import Case
from domain.errors import Forbidden, InvalidValue, RuleViolated
from domain.standards import CORPORATE_STANDARDS, ServiceStandard, TargetKind
from tests.commanding import change_case
from tests.receiving import receive_at
from tests.toronto_time import local, utc

if TYPE_CHECKING:
    from tests.conftest import MovableClock  # the `clock` fixture

CSR = Actor(id="csr-ana", role=Role.CSR)
ADMIN = Actor(id="admin-al", role=Role.ADMIN)
MARINA, CENTRAL = "marina-campground", "victoria-hall"
ACK, RESOLVE = "acknowledge", "resolve"
HOUR = 3600
SLIP_RENTAL: dict[str, Any] = dict(channel="written", purpose="tangible_service",
                                   department="community", subject="Slip rental",
                                   description="", customer=None)
WALK_IN_RESOLVE = ServiceStandard("walk-in-resolve", "Walk-ins resolved within 1 business day",
                                  TargetKind.RESOLVE, 8 * HOUR, channel="in_person")


def at(clock: MovableClock, moment: datetime) -> None:
    clock.now = moment.astimezone(UTC)


def receive(app: ServiceDesk, clock: MovableClock, moment: datetime, **overrides: Any) -> Case:
    """Receive a case at `moment`; `desk=` names the service desk (`app` is the application)."""
    return receive_at(app, clock, moment, **{**SLIP_RENTAL, **overrides})


def marina_in_summer(desk: ServiceDesk, clock: MovableClock) -> None:
    at(clock, local(2026, 6, 1, 8, 0))
    change_desk_hours(desk, ADMIN, MARINA, opens=time(10), closes=time(18),
                      weekdays=range(7), timezone=None, effective_from=date(2026, 6, 1),
                      reason="summer season")


class TestReceivingAtADesk:
    def test_a_letter_hand_delivered_at_the_marina_is_due_on_the_marinas_hours(
            self, desk: ServiceDesk, clock: MovableClock) -> None:
        # given the Marina open every day 10:00-18:00
        marina_in_summer(desk, clock)
        # when a letter is hand-delivered there Sat 06-13 11:00 EDT
        case = receive(desk, clock, local(2026, 6, 13, 11, 0), desk=MARINA)
        # then 40 h of Marina time: Sat 11:00-18:00 7 h; Sun-Wed 32 h (39);
        # Thu 06-18 10:00 + 1 h = 11:00 EDT = 15:00 UTC; case and target name the Marina
        stored = desk.get_case(CSR, case.id)
        assert stored.desk == MARINA
        assert (stored.targets[ACK].due_at, stored.targets[ACK].desk) == (
            utc(2026, 6, 18, 15, 0), MARINA)

    def test_its_targets_are_judged_on_the_desks_hours(
            self, desk: ServiceDesk, clock: MovableClock) -> None:
        marina_in_summer(desk, clock)
        case = receive(desk, clock, local(2026, 6, 13, 11, 0), desk=MARINA)
        # when judged Sun 06-14 10:00 EDT
        [seen] = [s for s in desk.target_statuses(desk.get_case(CSR, case.id),
                                                  local(2026, 6, 14, 10, 0)) if s.name == ACK]
        # then 40 - 7 = 33 h remain on the Marina's hours (26.5 h on Victoria Hall's)
        assert (seen.remaining_seconds, seen.desk) == (33 * HOUR, MARINA)

    def test_a_walk_in_served_at_the_marina_on_sunday_is_resolved_on_its_hours(
            self, desk: ServiceDesk, clock: MovableClock) -> None:
        # given walk-ins promised a resolution within 1 business day, and the Marina's hours
        marina_in_summer(desk, clock)
        revise_standards(desk, ADMIN, [*CORPORATE_STANDARDS, WALK_IN_RESOLVE], "walk-ins")
        # when a customer walks in at the Marina Sun 06-14 17:30 EDT, served after 4 minutes
        case = receive(desk, clock, local(2026, 6, 14, 17, 30), desk=MARINA, channel="in_person",
                       wait_seconds=240)
        # then resolved by: Sun 17:30-18:00 0.5 h; Mon 06-15 10:00 + 7.5 h = 17:30 EDT
        # = 21:30 UTC; the wait met its 10 minutes
        stored = desk.get_case(CSR, case.id)
        assert stored.targets[RESOLVE].due_at == utc(2026, 6, 15, 21, 30)
        assert stored.targets["serve_wait"].met_at is not None

    def test_without_a_desk_a_case_is_received_at_the_central_desk(
            self, desk: ServiceDesk, clock: MovableClock) -> None:
        case = receive(desk, clock, local(2026, 6, 10, 9, 0), channel="email")
        assert case.desk == CENTRAL
        assert {t.desk for t in case.targets.values()} == {CENTRAL}

    def test_an_unknown_desk_is_refused_naming_the_field_and_records_nothing(
            self, desk: ServiceDesk, clock: MovableClock) -> None:
        before = desk.log_position()
        with pytest.raises(InvalidValue) as refused:
            receive(desk, clock, local(2026, 6, 10, 9, 0), desk="firehall")
        assert refused.value.field == "desk"
        assert desk.log_position() == before


class TestChangingHours:
    def test_a_change_moves_deadlines_computed_after_it_and_pending_ones_fixed_before(
            self, desk: ServiceDesk, clock: MovableClock) -> None:
        # given a letter stamped and entered Wed 06-10 09:00 EDT at Victoria Hall: 40 h is
        # Wed 7.5; Thu-Fri 16 (23.5); Mon-Tue 16 (39.5); Wed 06-17 09:00 EDT = 13:00 UTC
        fixed = receive(desk, clock, local(2026, 6, 10, 9, 0), desk=CENTRAL)
        assert fixed.targets[ACK].due_at == utc(2026, 6, 17, 13, 0)
        # when at 12:00 an administrator opens Victoria Hall 10:00-18:00 from Mon 06-15
        at(clock, local(2026, 6, 10, 12, 0))
        change_desk_hours(desk, ADMIN, CENTRAL, opens=time(10), closes=time(18),
                          weekdays=range(5), timezone=None, effective_from=date(2026, 6, 15),
                          reason="longer mornings for commuters")
        # then a letter with the same stamp entered at 13:00 follows the new hours:
        # 23.5 h by Fri; Mon-Tue 10:00-18:00 16 (39.5); Wed 10:00 + 0.5 = 10:30 EDT = 14:30 UTC
        later = receive(desk, clock, local(2026, 6, 10, 13, 0),
                        received_at=local(2026, 6, 10, 9, 0).astimezone(UTC))
        assert later.targets[ACK].due_at == utc(2026, 6, 17, 14, 30)
        # and the pending deadline fixed before the change is re-planned the same way
        assert desk.get_case(CSR, fixed.id).targets[ACK].due_at == utc(2026, 6, 17, 14, 30)
        # and the central calendar, as known before and after, tells the two apart
        assert desk.calendar(local(2026, 6, 10, 11, 0)).is_open(local(2026, 6, 15, 9, 0))
        assert not desk.calendar(local(2026, 6, 10, 13, 0)).is_open(local(2026, 6, 15, 9, 0))

    def test_resuming_after_a_pause_follows_the_hours_known_then(
            self, desk: ServiceDesk, clock: MovableClock) -> None:
        # given that letter of Wed 06-10 09:00 waiting on the customer from 10:00
        case = receive(desk, clock, local(2026, 6, 10, 9, 0), desk=CENTRAL)
        at(clock, local(2026, 6, 10, 10, 0))
        change_case(desk, CSR, case.id, "wait", expected_version=None, reason="which slip?")
        # and Victoria Hall opening 10:00-18:00 from Mon 06-15 (recorded Wed 12:00)
        at(clock, local(2026, 6, 10, 12, 0))
        change_desk_hours(desk, ADMIN, CENTRAL, opens=time(10), closes=time(18),
                          weekdays=range(5), timezone=None, effective_from=date(2026, 6, 15),
                          reason="longer mornings")
        # when the customer answers Thu 06-11 10:00 (paused Wed 10:00-16:30 6.5 + Thu 1.5 = 8 h)
        at(clock, local(2026, 6, 11, 10, 0))
        resumed = change_case(desk, CSR, case.id, "customer_responded", expected_version=None,
                                   summary="slip 12").case
        # then 48 h from Wed 09:00: Wed 7.5; Thu-Fri 16 (23.5); Mon-Wed 10:00-18:00 24 (47.5);
        # Thu 06-18 10:00 + 0.5 h = 10:30 EDT = 14:30 UTC, on the hours known at resumption
        assert resumed.targets[ACK].due_at == utc(2026, 6, 18, 14, 30)

    def test_a_retroactive_change_is_refused_and_records_nothing(
            self, desk: ServiceDesk, clock: MovableClock) -> None:
        at(clock, local(2026, 6, 10, 12, 0))
        before = desk.log_position()
        with pytest.raises(RuleViolated) as refused:
            change_desk_hours(desk, ADMIN, MARINA, opens=time(10), closes=time(18),
                              weekdays=range(7), timezone=None,
                              effective_from=date(2026, 6, 9), reason="summer")
        assert refused.value.field == "effective_from"
        assert desk.log_position() == before

    def test_only_an_administrator_changes_hours(
            self, desk: ServiceDesk, clock: MovableClock) -> None:
        with pytest.raises(Forbidden):
            change_desk_hours(desk, CSR, MARINA, opens=time(10), closes=time(18),
                              weekdays=range(7), timezone=None,
                              effective_from=date(2026, 6, 10), reason="summer")

    def test_every_desk_has_its_calendar_and_the_central_one_is_the_default(
            self, desk: ServiceDesk, clock: MovableClock) -> None:
        marina_in_summer(desk, clock)
        calendars = desk.calendars()
        assert calendars.central_code == CENTRAL
        assert set(calendars.by_desk) == {CENTRAL, MARINA, "community-centre", "venture-13"}
        saturday = local(2026, 6, 13, 11, 0)
        assert calendars.of(MARINA).is_open(saturday)
        assert not calendars.of(None).is_open(saturday)
        assert not desk.calendar().is_open(saturday)


def test_a_case_stored_before_cases_had_desks_replays_on_the_central_desk(
        desk: ServiceDesk, clock: MovableClock) -> None:
    # given a case's events as they were stored before this change: a Received without `desk`
    # (and without the class_version eventsourcing adds from version 2 on), and targets
    # without `desk`
    case = receive(desk, clock, local(2026, 6, 10, 9, 0), desk=CENTRAL)
    old_id = uuid4()
    transcoder = desk.mapper.transcoder
    stored = []
    for record in desk.recorder.select_events(case.id):
        state = transcoder.decode(record.state)
        state.pop("desk", None)
        state.pop("class_version", None)
        for target in state.get("targets", ()):
            target.pop("desk")
        stored.append(StoredEvent(originator_id=old_id,
                                  originator_version=record.originator_version,
                                  topic=record.topic, state=transcoder.encode(state)))
    assert stored[0].topic.endswith("Case.Received")
    desk.recorder.insert_events(stored)
    # when it is read back
    old = desk.repository.get(old_id)
    # then it replays, on no desk: the upcaster gives the event desk None
    assert isinstance(old, Case) and old.desk is None
    assert next(iter(desk.events.get(old_id))).desk is None
    assert {t.desk for t in old.targets.values()} == {None}
    # and its targets are what they were, judged on the central desk's calendar
    assert {n: replace(t, desk=CENTRAL) for n, t in old.targets.items()} == case.targets
    judged = local(2026, 6, 11, 9, 0)
    assert [s.remaining_seconds for s in desk.target_statuses(old, judged)] == [
        s.remaining_seconds for s in desk.target_statuses(case, judged)]
