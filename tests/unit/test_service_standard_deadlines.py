"""Deadlines the Town's service standards (section 4.2) give a case, worked out by hand.

Pure domain: a `Case` is received, its targets planned from CORPORATE_STANDARDS (version 1) on a
`BusinessCalendar`, and every due time compared with one computed in the comment beside it.

Toronto is UTC-5 in winter (EST) and UTC-4 in summer (EDT); DST 2026 runs from Sun Mar 8 to
Sun Nov 1. The desk is open Monday to Friday 08:30-16:30 local time, so one business day (8 h)
is exactly one full open day, and "N business days" is N x 8 hours of open time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytest

from domain.actors import SCHEDULER, Actor, Role
from domain.calendar import BusinessCalendar, Closure
from domain.cases import Case
from domain.standards import CORPORATE_STANDARDS, ServiceStandard, TargetKind
from domain.targets import TargetState, status
from tests.toronto_time import local, utc

CSR = Actor(id="csr-ana", role=Role.CSR)
ADMIN_CLOSURE = "administrator closure"
HOUR = 3600


@dataclass(frozen=True)
class Contact:
    """One row of the table: a contact, what the desk knew, and the deadline expected."""

    channel: str
    received_at: datetime
    target: str
    due_at: datetime
    complaint: bool = False
    entered_at: datetime | None = None  # when it was entered (a letter's stamp may be earlier)
    closures: tuple[Closure, ...] = ()
    pause: tuple[datetime, datetime] | None = None  # waiting on the customer, then responded


def received(channel: str, at: datetime, now: datetime | None = None) -> Case:
    return Case.receive(
        reference="SC-2026-000001", channel=channel, occurred_at=at,
        purpose="issue_or_complaint", service_code=None, department="public-works",
        subject="Pothole on King Street", description="Deep hole",
        customer_id=None, actor=CSR, now=now or at)


def planned(contact: Contact) -> Case:
    """What the desk does on receipt: plan the targets on the calendar as known then."""
    entered = contact.entered_at or contact.received_at
    case = received(contact.channel, contact.received_at, entered)
    if contact.complaint:
        case.classify(classification="complaint", reason="unhappy", actor=CSR,
                      occurred_at=entered, now=entered)
    calendar = BusinessCalendar(closures=contact.closures).as_known_at(entered)
    case.plan_targets(CORPORATE_STANDARDS, 1, calendar, reason="received", actor=CSR,
                      occurred_at=entered)
    if contact.pause is not None:
        paused, responded = contact.pause
        case.wait_on_customer(reason="asked for the address", actor=CSR, occurred_at=paused,
                              now=paused)
        case.record_customer_response(summary="gave the address", actor=CSR,
                                      occurred_at=responded, now=responded)
        case.resume_targets(BusinessCalendar(closures=contact.closures).as_known_at(responded),
                            actor=CSR, occurred_at=responded)
    return case


def closure(day: date, recorded_at: datetime, from_time: time | None = None,
            until_time: time | None = None) -> Closure:
    return Closure(day=day, recorded_at=recorded_at, reason=ADMIN_CLOSURE,
                   from_time=from_time, until_time=until_time)


BEFORE_2026 = utc(2025, 12, 1)  # closures recorded long before the contacts they affect

ACK, RESPOND = TargetKind.ACKNOWLEDGE.value, TargetKind.RESPOND.value

DEADLINES = [
    # --- the DOMAIN.md example ---------------------------------------------------------------
    pytest.param(
        # Wed 2025-12-24 14:00-16:30 EST = 2.5 h; Thu 25 Christmas, Fri 26 Boxing Day;
        # Sat 27, Sun 28 closed; Mon 29 +8 h = 10.5 h; Tue 30 08:30 + 5.5 h = 14:00 EST
        # = 19:00 UTC
        Contact("email", local(2025, 12, 24, 14, 0), ACK, utc(2025, 12, 30, 19, 0)),
        id="domain-example-email-christmas-eve-due-tue-dec-30-14h"),
    # --- every channel's standard, in ordinary May 2026 weeks (EDT, UTC-4) --------------------
    pytest.param(
        # missed call, 1 business day = 8 h: Mon 05-04 10:00-16:30 = 6.5 h;
        # Tue 08:30 + 1.5 h = 10:00 EDT = 14:00 UTC
        Contact("missed_call", local(2026, 5, 4, 10, 0), ACK, utc(2026, 5, 5, 14, 0)),
        id="missed-call-returned-within-1-business-day"),
    pytest.param(
        # voicemail, 2 days = 16 h: Mon 05-04 10:00-16:30 = 6.5 h; Tue +8 h = 14.5 h;
        # Wed 08:30 + 1.5 h = 10:00 EDT = 14:00 UTC
        Contact("voicemail", local(2026, 5, 4, 10, 0), ACK, utc(2026, 5, 6, 14, 0)),
        id="voicemail-returned-within-2-business-days"),
    pytest.param(
        # email, 16 h: Tue 05-05 13:15-16:30 = 3.25 h; Wed +8 h = 11.25 h;
        # Thu 08:30 + 4.75 h = 13:15 EDT = 17:15 UTC
        Contact("email", local(2026, 5, 5, 13, 15), ACK, utc(2026, 5, 7, 17, 15)),
        id="email-acknowledged-within-2-business-days"),
    pytest.param(
        # social media, 16 h: Wed 05-06 09:00-16:30 = 7.5 h; Thu +8 h = 15.5 h;
        # Fri 08:30 + 0.5 h = 09:00 EDT = 13:00 UTC
        Contact("social_media", local(2026, 5, 6, 9, 0), ACK, utc(2026, 5, 8, 13, 0)),
        id="social-media-acknowledged-within-2-business-days"),
    pytest.param(
        # web-form complaint, 16 h: Thu 05-07 16:00-16:30 = 0.5 h; Fri +8 h = 8.5 h;
        # Sat, Sun closed; Mon 05-11 08:30 + 7.5 h = 16:00 EDT = 20:00 UTC
        Contact("web_form", local(2026, 5, 7, 16, 0), ACK, utc(2026, 5, 11, 20, 0),
                complaint=True),
        id="web-form-complaint-acknowledged-within-2-business-days"),
    pytest.param(
        # letter, acknowledge in 5 days = 40 h: Mon 05-04 09:00-16:30 = 7.5 h;
        # Tue-Fri 4 x 8 = 32 h -> 39.5 h; Mon 05-11 08:30 + 0.5 h = 09:00 EDT = 13:00 UTC
        Contact("written", local(2026, 5, 4, 9, 0), ACK, utc(2026, 5, 11, 13, 0)),
        id="letter-acknowledged-within-5-business-days"),
    pytest.param(
        # letter, official response in 15 days = 120 h: Mon 05-04 7.5 h; Tue-Fri 32 h -> 39.5;
        # 05-11..15 40 h -> 79.5; Mon 05-18 Victoria Day closed; 05-19..22 32 h -> 111.5;
        # Mon 05-25 8 h -> 119.5; Tue 05-26 08:30 + 0.5 h = 09:00 EDT = 13:00 UTC
        Contact("written", local(2026, 5, 4, 9, 0), RESPOND, utc(2026, 5, 26, 13, 0)),
        id="letter-answered-within-15-business-days-over-victoria-day"),
    # --- when the contact arrives -------------------------------------------------------------
    pytest.param(
        # email Tue 05-12 07:00, desk closed: clock starts 08:30; Tue 8 h + Wed 8 h = 16 h
        # exactly at Wed 16:30 EDT = 20:30 UTC
        Contact("email", local(2026, 5, 12, 7, 0), ACK, utc(2026, 5, 13, 20, 30)),
        id="email-before-opening-starts-at-opening"),
    pytest.param(
        # email Wed 05-13 12:15, no lunch closure: Wed 12:15-16:30 = 4.25 h; Thu +8 h = 12.25 h;
        # Fri 08:30 + 3.75 h = 12:15 EDT = 16:15 UTC
        Contact("email", local(2026, 5, 13, 12, 15), ACK, utc(2026, 5, 15, 16, 15)),
        id="email-at-lunch-counts-from-arrival"),
    pytest.param(
        # missed call Mon 05-11 19:00, after closing: starts Tue 08:30; 8 h = Tue 16:30 EDT
        # = 20:30 UTC
        Contact("missed_call", local(2026, 5, 11, 19, 0), ACK, utc(2026, 5, 12, 20, 30)),
        id="missed-call-after-closing-starts-next-morning"),
    pytest.param(
        # email Thu 05-07 16:30 exactly: closing time is closed, so the clock starts Fri 08:30;
        # Fri 8 h + Mon 8 h = 16 h at Mon 05-11 16:30 EDT = 20:30 UTC
        Contact("email", local(2026, 5, 7, 16, 30), ACK, utc(2026, 5, 11, 20, 30)),
        id="email-at-closing-time-starts-next-business-day"),
    pytest.param(
        # email Thu 05-07 08:30: Thu 8 h + Fri 8 h = 16 h used up exactly at Fri 16:30 EDT
        # = 20:30 UTC, which is the deadline (not Mon 08:30)
        Contact("email", local(2026, 5, 7, 8, 30), ACK, utc(2026, 5, 8, 20, 30)),
        id="deadline-exactly-at-closing-is-friday-closing-not-monday-opening"),
    pytest.param(
        # email Sat 05-09 11:00: starts Mon 05-11 08:30; Mon 8 h + Tue 8 h = Tue 16:30 EDT
        # = 20:30 UTC
        Contact("email", local(2026, 5, 9, 11, 0), ACK, utc(2026, 5, 12, 20, 30)),
        id="email-on-saturday-starts-monday"),
    pytest.param(
        # voicemail Sun 06-07 22:00: starts Mon 06-08 08:30; 16 h = Tue 06-09 16:30 EDT
        # = 20:30 UTC
        Contact("voicemail", local(2026, 6, 7, 22, 0), ACK, utc(2026, 6, 9, 20, 30)),
        id="voicemail-on-sunday-night-starts-monday"),
    pytest.param(
        # letter stamped Received Fri 05-08 18:00, entered Mon 05-11 09:00: the stamp counts,
        # and the desk was closed, so the clock starts Mon 08:30; 5 x 8 h = Mon-Fri, due
        # Fri 05-15 16:30 EDT = 20:30 UTC
        Contact("written", local(2026, 5, 8, 18, 0), ACK, utc(2026, 5, 15, 20, 30),
                entered_at=local(2026, 5, 11, 9, 0)),
        id="letter-received-friday-evening-acknowledged-by-next-friday-closing"),
    pytest.param(
        # same letter, response 15 x 8 h from Mon 05-11 08:30: 05-11..15 = 5 days;
        # Mon 05-18 Victoria Day; 05-19..22 = 4 days (9); 05-25..29 = 5 days (14);
        # Mon 06-01 = day 15, ends 16:30 EDT = 20:30 UTC
        Contact("written", local(2026, 5, 8, 18, 0), RESPOND, utc(2026, 6, 1, 20, 30),
                entered_at=local(2026, 5, 11, 9, 0)),
        id="letter-received-friday-evening-answered-within-15-days"),
    # --- holidays and observed days ----------------------------------------------------------
    pytest.param(
        # email Wed 2026-07-01 10:00, Canada Day: starts Thu 07-02 08:30; Thu 8 h + Fri 8 h
        # = Fri 07-03 16:30 EDT = 20:30 UTC
        Contact("email", local(2026, 7, 1, 10, 0), ACK, utc(2026, 7, 3, 20, 30)),
        id="email-on-canada-day-starts-next-day"),
    pytest.param(
        # email Tue 06-30 15:00: Tue 1.5 h; Wed 07-01 Canada Day; Thu +8 h = 9.5 h;
        # Fri 08:30 + 6.5 h = 15:00 EDT = 19:00 UTC
        Contact("email", local(2026, 6, 30, 15, 0), ACK, utc(2026, 7, 3, 19, 0)),
        id="canada-day-inside-the-count-is-skipped"),
    pytest.param(
        # email Thu 2026-12-24 10:00 EST: Thu 6.5 h; Fri 25 Christmas; Sat 26 Boxing Day is
        # observed Mon 28; Tue 29 +8 h = 14.5 h; Wed 30 08:30 + 1.5 h = 10:00 EST = 15:00 UTC
        Contact("email", local(2026, 12, 24, 10, 0), ACK, utc(2026, 12, 30, 15, 0)),
        id="boxing-day-observed-monday-2026-12-28"),
    pytest.param(
        # email on the observed day itself, Mon 2026-12-28 11:00 EST: closed, starts Tue 29
        # 08:30; Tue 8 h + Wed 8 h = Wed 30 16:30 EST = 21:30 UTC
        Contact("email", local(2026, 12, 28, 11, 0), ACK, utc(2026, 12, 30, 21, 30)),
        id="email-on-observed-boxing-day-starts-next-day"),
    pytest.param(
        # email Fri 2027-12-24 10:00 EST: Fri 6.5 h (Christmas Eve is open); Sat 25, Sun 26;
        # Christmas observed Mon 27, Boxing Day observed Tue 28; Wed 29 +8 h = 14.5 h;
        # Thu 30 08:30 + 1.5 h = 10:00 EST = 15:00 UTC
        Contact("email", local(2027, 12, 24, 10, 0), ACK, utc(2027, 12, 30, 15, 0)),
        id="christmas-and-boxing-day-observed-2027-12-27-and-28"),
    pytest.param(
        # email Fri 2027-12-31 14:00 EST (open: New Year is observed on Monday, not Friday):
        # Fri 2.5 h; Sat 2028-01-01, Sun 2; Mon 3 New Year observed; Tue 4 +8 h = 10.5 h;
        # Wed 5 08:30 + 5.5 h = 14:00 EST = 19:00 UTC
        Contact("email", local(2027, 12, 31, 14, 0), ACK, utc(2028, 1, 5, 19, 0)),
        id="new-year-observed-monday-2028-01-03"),
    pytest.param(
        # email Thu 2026-04-02 13:00 EDT: Thu 3.5 h; Fri 04-03 Good Friday; Sat, Sun; Mon 04-06
        # (Easter Monday is open in Ontario) +8 h = 11.5 h; Tue 08:30 + 4.5 h = 13:00 EDT
        # = 17:00 UTC
        Contact("email", local(2026, 4, 2, 13, 0), ACK, utc(2026, 4, 7, 17, 0)),
        id="good-friday-2026-04-03-closed-easter-monday-open"),
    pytest.param(
        # email Fri 2026-07-31 11:00 EDT: Fri 5.5 h; Sat, Sun; Mon 08-03 Civic Holiday;
        # Tue +8 h = 13.5 h; Wed 08:30 + 2.5 h = 11:00 EDT = 15:00 UTC
        Contact("email", local(2026, 7, 31, 11, 0), ACK, utc(2026, 8, 5, 15, 0)),
        id="civic-holiday-2026-08-03-closed"),
    pytest.param(
        # letter Tue 2025-12-23 13:00 EST, 40 h: Tue 3.5 h; Wed 24 +8 = 11.5; Thu 25, Fri 26
        # holidays; weekend; Mon 29 +8 = 19.5; Tue 30 +8 = 27.5; Wed 31 +8 = 35.5;
        # Thu 2026-01-01 New Year; Fri 01-02 08:30 + 4.5 h = 13:00 EST = 18:00 UTC
        Contact("written", local(2025, 12, 23, 13, 0), ACK, utc(2026, 1, 2, 18, 0)),
        id="letter-from-christmas-to-new-year"),
    pytest.param(
        # email Fri 2026-02-13 12:00 EST: Fri 4.5 h; weekend; Mon 02-16 Family Day;
        # Tue +8 h = 12.5 h; Wed 08:30 + 3.5 h = 12:00 EST = 17:00 UTC
        Contact("email", local(2026, 2, 13, 12, 0), ACK, utc(2026, 2, 18, 17, 0)),
        id="family-day-2026-02-16-closed"),
    # --- daylight-saving changes: opening hours stay 08:30-16:30 local ----------------------
    pytest.param(
        # email Fri 2026-03-06 10:00 EST = 15:00 UTC (UTC-5): Fri 6.5 h; Sun 03-08 clocks go
        # forward; Mon 03-09 +8 h = 14.5 h (now EDT, UTC-4); Tue 08:30 + 1.5 h = 10:00 EDT
        # = 14:00 UTC: the same local hour, one UTC hour earlier
        Contact("email", local(2026, 3, 6, 10, 0), ACK, utc(2026, 3, 10, 14, 0)),
        id="spring-forward-2026-03-08-keeps-local-hours"),
    pytest.param(
        # email Fri 2026-10-30 10:00 EDT = 14:00 UTC (UTC-4): Fri 6.5 h; Sun 11-01 clocks go
        # back; Mon 11-02 +8 h = 14.5 h (now EST, UTC-5); Tue 08:30 + 1.5 h = 10:00 EST
        # = 15:00 UTC: the same local hour, one UTC hour later
        Contact("email", local(2026, 10, 30, 10, 0), ACK, utc(2026, 11, 3, 15, 0)),
        id="fall-back-2026-11-01-keeps-local-hours"),
    # --- closures an administrator added -----------------------------------------------------
    pytest.param(
        # whole day Wed 05-20 closed (recorded long before): email Tue 05-19 10:00 EDT: Tue
        # 6.5 h; Wed closed; Thu +8 h = 14.5 h; Fri 08:30 + 1.5 h = 10:00 EDT = 14:00 UTC
        Contact("email", local(2026, 5, 19, 10, 0), ACK, utc(2026, 5, 22, 14, 0),
                closures=(closure(date(2026, 5, 20), BEFORE_2026),)),
        id="closure-whole-day-is-skipped"),
    pytest.param(
        # Wed 05-20 closed from 12:00 to closing: email Tue 05-19 10:00: Tue 6.5 h;
        # Wed 08:30-12:00 = 3.5 h -> 10 h; Thu 08:30 + 6 h = 14:30 EDT = 18:30 UTC
        Contact("email", local(2026, 5, 19, 10, 0), ACK, utc(2026, 5, 21, 18, 30),
                closures=(closure(date(2026, 5, 20), BEFORE_2026, from_time=time(12, 0)),)),
        id="closure-afternoon-counts-only-the-morning"),
    pytest.param(
        # Wed 05-20 closed from opening until 11:30 (a staff meeting): email Tue 05-19 10:00:
        # Tue 6.5 h; Wed 11:30-16:30 = 5 h -> 11.5 h; Thu 08:30 + 4.5 h = 13:00 EDT = 17:00 UTC
        Contact("email", local(2026, 5, 19, 10, 0), ACK, utc(2026, 5, 21, 17, 0),
                closures=(closure(date(2026, 5, 20), BEFORE_2026, until_time=time(11, 30)),)),
        id="closure-morning-opens-late"),
    pytest.param(
        # Wed 05-20 closed, but recorded Tue 05-19 11:00, after the email of Tue 10:00 had its
        # deadline fixed: the closure is ignored: Tue 6.5 h; Wed +8 h = 14.5 h; Thu 08:30
        # + 1.5 h = 10:00 EDT = 14:00 UTC (as if the desk were open Wednesday)
        Contact("email", local(2026, 5, 19, 10, 0), ACK, utc(2026, 5, 21, 14, 0),
                closures=(closure(date(2026, 5, 20), local(2026, 5, 19, 11, 0)),)),
        id="closure-recorded-after-the-deadline-was-fixed-does-not-move-it"),
    # --- waiting on the customer pauses the clock --------------------------------------------
    pytest.param(
        # email Wed 05-06 10:00 EDT, first due Fri 05-08 10:00 (6.5 + 8 + 1.5 h). Waiting on the
        # customer from Thu 05-07 15:30 to Mon 05-11 10:00 = Thu 1 h + Fri 8 h + Mon 1.5 h
        # = 10.5 h paused (the weekend costs nothing). Due Fri 10:00 + 10.5 h: Fri 10:00-16:30
        # 6.5 h, Mon 08:30 + 4 h = 12:30 EDT = 16:30 UTC. Check: 13.5 h used before the pause,
        # 2.5 h left from Mon 10:00 -> 12:30.
        Contact("email", local(2026, 5, 6, 10, 0), ACK, utc(2026, 5, 11, 16, 30),
                pause=(local(2026, 5, 7, 15, 30), local(2026, 5, 11, 10, 0))),
        id="pause-over-a-weekend-moves-due-by-business-time-paused"),
    pytest.param(
        # letter Mon 05-11 09:00 EDT, 40 h: Mon 7.5 h; Tue-Fri 32 h -> 39.5 h; Mon 05-18
        # Victoria Day; first due Tue 05-19 09:00. Paused Fri 05-15 16:00 to Tue 05-19 09:30:
        # Fri 0.5 h + Tue 1 h = 1.5 h (weekend and holiday free). Due Tue 09:00 + 1.5 h
        # = 10:30 EDT = 14:30 UTC. Check: 39 h used by Fri 16:00, 1 h left from Tue 09:30.
        Contact("written", local(2026, 5, 11, 9, 0), ACK, utc(2026, 5, 19, 14, 30),
                pause=(local(2026, 5, 15, 16, 0), local(2026, 5, 19, 9, 30))),
        id="pause-over-a-long-weekend-counts-only-open-time"),
]


@pytest.mark.parametrize("contact", DEADLINES)
def test_each_standard_gives_the_hand_computed_deadline(contact: Contact) -> None:
    # Given a contact received on a channel, as the desk knew the calendar when entering it
    # When its targets are planned from the corporate standards (and any pause is resumed)
    case = planned(contact)
    # Then the target falls due exactly at the hand-computed UTC moment
    target = case.targets[contact.target]
    assert target.due_at == contact.due_at
    assert target.due_at.utcoffset() == timedelta(0)
    assert target.standard_version == 1


def test_the_table_has_at_least_25_hand_computed_deadlines() -> None:
    assert len(DEADLINES) >= 25


def test_a_web_form_without_a_complaint_has_no_acknowledgement_target() -> None:
    # Given feedback through the web form (not a complaint)
    contact = Contact("web_form", local(2026, 5, 7, 16, 0), ACK, utc(2026, 5, 11, 20, 0))
    # When it is planned
    case = planned(contact)
    # Then no promise applies: only complaints are acknowledged within 2 days
    assert case.targets == {}


@pytest.mark.parametrize(("channel", "expected"), [
    pytest.param("missed_call", {ACK}, id="missed-call"),
    pytest.param("voicemail", {ACK}, id="voicemail"),
    pytest.param("email", {ACK}, id="email"),
    pytest.param("social_media", {ACK}, id="social-media"),
    pytest.param("written", {ACK, RESPOND}, id="written"),
    # a wait-time promise, not measured until the wait is recorded
    pytest.param("telephone", {"answer_wait"}, id="telephone-only-a-wait-target"),
    pytest.param("in_person", {"serve_wait"}, id="in-person-only-a-wait-target"),
    pytest.param("virtual_meeting", {ACK}, id="virtual-meeting-confirmed"),
])
def test_each_channel_gets_exactly_the_targets_its_standard_promises(
        channel: str, expected: set[str]) -> None:
    # Given a contact on the channel, When planned, Then exactly its promises become targets
    case = planned(Contact(channel, local(2026, 5, 4, 10, 0), ACK, utc(2026, 5, 4)))
    assert set(case.targets) == expected


# --- wait-time standards: judged the moment the wait is recorded -------------------------------

def _standard(code: str) -> ServiceStandard:
    return next(s for s in CORPORATE_STANDARDS if s.code == code)


ARRIVED = local(2026, 5, 6, 10, 0)  # 14:00 UTC


@pytest.mark.parametrize(("channel", "code", "wait", "state", "met_at", "breached_at"), [
    # telephone, 60 s: waited 45 s -> met at 14:00:45 UTC
    pytest.param("telephone", "telephone-answer", 45, TargetState.MET,
                 utc(2026, 5, 6, 14, 0, 45), None, id="telephone-answered-in-45s-met"),
    # waited exactly 60 s -> still within the promise, met at 14:01:00 UTC
    pytest.param("telephone", "telephone-answer", 60, TargetState.MET,
                 utc(2026, 5, 6, 14, 1, 0), None, id="telephone-answered-in-60s-met"),
    # waited 61 s -> answered at arrival + 61 s = 14:01:01 UTC, 1 s late: met late
    pytest.param("telephone", "telephone-answer", 61, TargetState.MET_LATE,
                 utc(2026, 5, 6, 14, 1, 1), None, id="telephone-answered-in-61s-met-late"),
    # in person, 10 min: served after 9 min 59 s -> met at 14:09:59 UTC
    pytest.param("in_person", "in-person-serve", 599, TargetState.MET,
                 utc(2026, 5, 6, 14, 9, 59), None, id="in-person-served-in-599s-met"),
    # served after 12 min -> served at 14:12 UTC, 2 min after arrival + 10 min: met late
    pytest.param("in_person", "in-person-serve", 720, TargetState.MET_LATE,
                 utc(2026, 5, 6, 14, 12, 0), None, id="in-person-served-in-12min-met-late"),
])
def test_wait_time_standards_are_met_or_met_late_the_moment_the_wait_is_recorded(
        channel: str, code: str, wait: int, state: TargetState, met_at: datetime | None,
        breached_at: datetime | None) -> None:
    # Given a caller or visitor who arrived at 10:00 EDT
    case = received(channel, ARRIVED)
    standard = _standard(code)
    # When the wait is recorded
    case.measure_wait(standard, 1, wait_seconds=wait, actor=CSR, occurred_at=ARRIVED)
    # Then the target is decided at once, without waiting for any deadline to pass
    target = case.targets[standard.target.value]
    judged = status(target, ARRIVED, BusinessCalendar())
    assert (judged.state, target.met_at, target.breached_at) == (state, met_at, breached_at)
    assert target.due_at == ARRIVED + timedelta(seconds=standard.seconds)


# --- the state of a target over time -----------------------------------------------------------
# An email received Mon 2026-05-04 08:30 EDT (12:30 UTC) has 16 h: Mon 8 h + Tue 8 h, due
# Tue 2026-05-05 16:30 EDT = 20:30 UTC. A quarter of 16 h is 4 h = 14400 s.

EMAIL_RECEIVED = local(2026, 5, 4, 8, 30)
EMAIL_DUE = utc(2026, 5, 5, 20, 30)
CALENDAR = BusinessCalendar()


def an_email() -> Case:
    return planned(Contact("email", EMAIL_RECEIVED, ACK, EMAIL_DUE))


def state_at(case: Case, at: datetime) -> TargetState:
    return status(case.targets[ACK], at, CALENDAR).state


def test_a_fresh_target_is_pending_with_its_business_time_remaining() -> None:
    case = an_email()
    # Given Mon 12:30 EDT: Mon 12:30-16:30 = 4 h + Tue 8 h = 12 h left
    judged = status(case.targets[ACK], local(2026, 5, 4, 12, 30), CALENDAR)
    assert judged.state == TargetState.PENDING
    assert judged.remaining_seconds == 12 * HOUR
    assert judged.due_at == EMAIL_DUE


def test_remaining_time_does_not_run_overnight() -> None:
    case = an_email()
    # Given Mon 16:30 (closing) and Tue 08:30 (opening): nothing is spent between them
    evening = status(case.targets[ACK], local(2026, 5, 4, 16, 30), CALENDAR)
    morning = status(case.targets[ACK], local(2026, 5, 5, 8, 30), CALENDAR)
    assert evening.remaining_seconds == morning.remaining_seconds == 8 * HOUR


def test_a_target_is_at_risk_once_less_than_a_quarter_is_left() -> None:
    case = an_email()
    # Tue 12:30 EDT: exactly 4 h = 25% left, not yet "less than" -> pending
    assert state_at(case, local(2026, 5, 5, 12, 30)) == TargetState.PENDING
    # one second later, 3 h 59 min 59 s left -> at risk
    assert state_at(case, local(2026, 5, 5, 12, 30, 1)) == TargetState.AT_RISK
    # and still at risk one second before the deadline
    assert state_at(case, local(2026, 5, 5, 16, 29, 59)) == TargetState.AT_RISK


def test_a_target_met_exactly_at_its_deadline_is_met_on_time() -> None:
    # Given the email acknowledged at Tue 16:30 EDT, the due time itself
    case = an_email()
    case.acknowledge(message="Thanks", actor=CSR, occurred_at=EMAIL_DUE, now=EMAIL_DUE)
    # Then it is met, and a deadline job firing at that moment records nothing
    assert state_at(case, EMAIL_DUE + timedelta(days=3)) == TargetState.MET
    assert not case.miss_deadline(target=ACK, due_at=EMAIL_DUE, now=EMAIL_DUE, actor=SCHEDULER)
    assert case.targets[ACK].breached_at is None


def test_a_missed_deadline_is_recorded_at_the_due_time_and_then_met_late() -> None:
    case = an_email()
    # Given the deadline passed unmet: overdue on the wall clock, breached even before recording
    assert state_at(case, EMAIL_DUE + timedelta(minutes=1)) == TargetState.BREACHED
    # When the scheduler fires late, on Wed 09:00 EDT
    late = local(2026, 5, 6, 9, 0)
    assert case.miss_deadline(target=ACK, due_at=EMAIL_DUE, now=late, actor=SCHEDULER)
    # Then the breach is stamped with the due time, not the firing time
    assert case.targets[ACK].breached_at == EMAIL_DUE
    missed = [e for e in case.collect_events() if type(e).__name__ == "DeadlineMissed"]
    assert [(e.occurred_at, e.due_at, e.target) for e in missed] == [(EMAIL_DUE, EMAIL_DUE, ACK)]
    assert state_at(case, late) == TargetState.BREACHED
    # When the email is acknowledged Wed 10:00 EDT
    acknowledged = local(2026, 5, 6, 10, 0)
    case.acknowledge(message="Sorry for the delay", actor=CSR, occurred_at=acknowledged,
                     now=acknowledged)
    # Then it is met late, 1.5 business hours (Wed 08:30-10:00) after its deadline
    judged = status(case.targets[ACK], acknowledged, CALENDAR)
    assert judged.state == TargetState.MET_LATE
    assert judged.remaining_seconds == -int(1.5 * HOUR)
    assert (judged.met_at, judged.breached_at) == (acknowledged, EMAIL_DUE)


def test_a_deadline_cannot_be_missed_before_it_is_due_nor_twice() -> None:
    case = an_email()
    # firing a second early records nothing
    early = EMAIL_DUE - timedelta(seconds=1)
    assert not case.miss_deadline(target=ACK, due_at=EMAIL_DUE, now=early, actor=SCHEDULER)
    # firing on time records it once; a second firing records nothing more
    assert case.miss_deadline(target=ACK, due_at=EMAIL_DUE, now=EMAIL_DUE, actor=SCHEDULER)
    assert not case.miss_deadline(target=ACK, due_at=EMAIL_DUE, now=EMAIL_DUE, actor=SCHEDULER)
    names = [type(e).__name__ for e in case.collect_events()]
    assert names.count("DeadlineMissed") == 1


def test_overdue_remaining_time_is_negative_business_seconds_only() -> None:
    # Given an email of Wed 05-06 10:00 EDT, due Fri 05-08 10:00 (6.5 + 8 + 1.5 h)
    case = planned(Contact("email", local(2026, 5, 6, 10, 0), ACK, utc(2026, 5, 8, 14, 0)))
    # When staff look on Mon 05-11 at 09:00
    judged = status(case.targets[ACK], local(2026, 5, 11, 9, 0), CALENDAR)
    # Then it is overdue by Fri 10:00-16:30 6.5 h + Mon 08:30-09:00 0.5 h = 7 h; the weekend
    # does not count
    assert judged.state == TargetState.BREACHED
    assert judged.remaining_seconds == -7 * HOUR


def test_a_target_due_at_closing_is_breached_a_minute_later_with_no_business_time_gone() -> None:
    # Given the email due Tue 16:30 EDT; at 16:31 the desk is closed
    case = an_email()
    judged = status(case.targets[ACK], EMAIL_DUE + timedelta(minutes=1), CALENDAR)
    # Then it is overdue on the wall clock, although no business time has passed since
    assert judged.state == TargetState.BREACHED
    assert judged.remaining_seconds == 0


def test_a_paused_target_keeps_its_remaining_time_and_cannot_be_breached() -> None:
    case = an_email()
    paused = local(2026, 5, 5, 10, 30)  # Tue: 6 h left
    case.wait_on_customer(reason="need photo", actor=CSR, occurred_at=paused, now=paused)
    # Long after the original due time, the paused target still has 6 h and is not breached
    later = local(2026, 5, 8, 12, 0)
    judged = status(case.targets[ACK], later, CALENDAR)
    assert (judged.state, judged.remaining_seconds, judged.paused) == (
        TargetState.PENDING, 6 * HOUR, True)
    assert not case.miss_deadline(target=ACK, due_at=EMAIL_DUE, now=later, actor=SCHEDULER)


def test_a_target_met_while_waiting_on_the_customer_is_met_on_time() -> None:
    # Given the email (due Tue 16:30) paused on Mon 09:30 with 15 h still to go
    case = an_email()
    paused = local(2026, 5, 4, 9, 30)
    case.wait_on_customer(reason="need photo", actor=CSR, occurred_at=paused, now=paused)
    # When staff acknowledge it on Fri 05-08, still waiting, long past the original due time
    acknowledged = local(2026, 5, 8, 10, 0)
    case.acknowledge(message="We have your email", actor=CSR, occurred_at=acknowledged,
                     now=acknowledged)
    # Then it is met: only 1 h of its 16 h ran before the clock stopped
    assert state_at(case, acknowledged) == TargetState.MET
