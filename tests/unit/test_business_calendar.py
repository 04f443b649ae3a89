"""Business-time deadlines for the Town's service standards, each worked out by hand beside it.

Toronto is UTC-5 in winter (EST) and UTC-4 in summer (EDT); 2025 DST runs Mar 9 - Nov 2 and
2026 DST Mar 8 - Nov 1. The desk is open Monday to Friday 08:30-16:30, so a business day (8 h)
is exactly one full open day.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import holidays
import pytest

from domain.calendar import (
    BusinessCalendar,
    Closure,
    OpeningHours,
    add_calendar_time,
    business_days,
)
from tests.toronto_time import local, utc

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)
# Closures in the tables are recorded long before the contacts they affect.
LONG_AGO = datetime(2025, 1, 1, tzinfo=UTC)


def closed(day: date, from_time: time | None = None, until_time: time | None = None) -> Closure:
    return Closure(day, LONG_AGO, "administrator closure", from_time, until_time)


WED_2025_06_11 = date(2025, 6, 11)

DEADLINES = [
    # --- the DOMAIN.md example -------------------------------------------------------------
    pytest.param(
        # Wed 24 14:00-16:30 = 2.5 h; Thu 25 Christmas, Fri 26 Boxing Day; Sat 27-Sun 28;
        # Mon 29 +8 h = 10.5 h; Tue 30 08:30 + 5.5 h = 14:00 EST = 19:00 UTC
        local(2025, 12, 24, 14, 0), business_days(2), (), utc(2025, 12, 30, 19, 0),
        id="email-dec-24-2025-at-14h-is-due-dec-30-at-14h",
    ),
    # --- each service standard, in an ordinary June 2025 week (no holidays) -----------------
    pytest.param(
        # Tue 10:00-16:30 = 6.5 h; Wed 08:30 + 1.5 h = 10:00 EDT = 14:00 UTC
        local(2025, 6, 10, 10, 0), business_days(1), (), utc(2025, 6, 11, 14, 0),
        id="missed-call-returned-within-1-day",
    ),
    pytest.param(
        # Mon 09:00-16:30 = 7.5 h; Tue +8 h = 15.5 h; Wed 08:30 + 0.5 h = 09:00 EDT = 13:00 UTC
        local(2025, 6, 9, 9, 0), business_days(2), (), utc(2025, 6, 11, 13, 0),
        id="voicemail-returned-within-2-days",
    ),
    pytest.param(
        # Wed 12:00-16:30 = 4.5 h (no lunch closure); Thu +8 h = 12.5 h;
        # Fri 08:30 + 3.5 h = 12:00 EDT = 16:00 UTC
        local(2025, 6, 11, 12, 0), business_days(2), (), utc(2025, 6, 13, 16, 0),
        id="social-media-at-noon-acknowledged-within-2-days",
    ),
    pytest.param(
        # Sat and Sun closed; clock starts Mon 08:30: Mon 8 h, Tue 8 h = 16 h exactly at
        # Tue 16:30 EDT = 20:30 UTC
        local(2025, 6, 14, 11, 0), business_days(2), (), utc(2025, 6, 17, 20, 30),
        id="web-form-on-saturday-acknowledged-by-tuesday-closing",
    ),
    pytest.param(
        # Mon 13:00-16:30 = 3.5 h; Tue-Fri 4 x 8 = 32 h (35.5 h); Mon 16 08:30 + 4.5 h = 13:00
        # EDT = 17:00 UTC
        local(2025, 6, 9, 13, 0), business_days(5), (), utc(2025, 6, 16, 17, 0),
        id="letter-acknowledged-within-5-days",
    ),
    pytest.param(
        # Mon Jun 2 08:30: 15 full days = Jun 2-6, 9-13, 16-20; ends Fri 20 16:30 EDT = 20:30 UTC
        local(2025, 6, 2, 8, 30), business_days(15), (), utc(2025, 6, 20, 20, 30),
        id="letter-answered-within-15-days",
    ),
    pytest.param(
        # Fri 18:00 is after closing; clock starts Mon 16 08:30; 5 full days end
        # Fri 20 16:30 EDT = 20:30 UTC
        local(2025, 6, 13, 18, 0), business_days(5), (), utc(2025, 6, 20, 20, 30),
        id="letter-received-friday-evening-acknowledged-by-next-friday-closing",
    ),
    pytest.param(
        # Thu 8 h + Fri 8 h = 16 h exactly at Fri 16:30 EDT = 20:30 UTC, not Mon 08:30
        local(2025, 6, 12, 8, 30), business_days(2), (), utc(2025, 6, 13, 20, 30),
        id="deadline-landing-on-friday-closing-is-friday-closing",
    ),
    # --- seconds and minutes -----------------------------------------------------------------
    pytest.param(
        # Tue 10:00:00 + 60 s = 10:01:00 EDT = 14:01 UTC
        local(2025, 6, 10, 10, 0), 60 * SECOND, (), utc(2025, 6, 10, 14, 1),
        id="telephone-answered-within-60-seconds",
    ),
    pytest.param(
        # Tue 16:29:30-16:30 = 30 s; Wed 08:30:00 + 30 s = 08:30:30 EDT = 12:30:30 UTC
        local(2025, 6, 10, 16, 29, 30), 60 * SECOND, (), utc(2025, 6, 11, 12, 30, 30),
        id="60-seconds-straddling-closing-time",
    ),
    pytest.param(
        # Tue 16:25-16:30 = 5 min; Wed 08:30 + 5 min = 08:35 EDT = 12:35 UTC
        local(2025, 6, 10, 16, 25), 10 * MINUTE, (), utc(2025, 6, 11, 12, 35),
        id="in-person-10-minutes-straddling-closing-time",
    ),
    pytest.param(
        # Tue 11:55 + 10 min = 12:05 EDT = 16:05 UTC; the desk does not close for lunch
        local(2025, 6, 10, 11, 55), 10 * MINUTE, (), utc(2025, 6, 10, 16, 5),
        id="in-person-10-minutes-across-noon",
    ),
    # --- where in the day it arrives -----------------------------------------------------------
    pytest.param(
        # 07:00 is before opening; clock starts 08:30; 8 h ends Tue 16:30 EDT = 20:30 UTC
        local(2025, 6, 10, 7, 0), business_days(1), (), utc(2025, 6, 10, 20, 30),
        id="arrival-before-opening-starts-at-opening",
    ),
    pytest.param(
        # 08:30 + 8 h = 16:30 EDT the same day = 20:30 UTC
        local(2025, 6, 11, 8, 30), business_days(1), (), utc(2025, 6, 11, 20, 30),
        id="arrival-exactly-at-opening",
    ),
    pytest.param(
        # 16:30 is closing: 0 h Wed; Thu 8 h ends Thu 16:30 EDT = 20:30 UTC
        local(2025, 6, 11, 16, 30), business_days(1), (), utc(2025, 6, 12, 20, 30),
        id="arrival-exactly-at-closing-starts-next-morning",
    ),
    pytest.param(
        # 19:45 is after closing; Thu 08:30 + 2 h = 10:30 EDT = 14:30 UTC
        local(2025, 6, 11, 19, 45), 2 * HOUR, (), utc(2025, 6, 12, 14, 30),
        id="arrival-after-closing",
    ),
    pytest.param(
        # Sunday 23:59 is closed; Mon 08:30 + 60 s = 08:31 EDT = 12:31 UTC
        local(2025, 6, 15, 23, 59), 60 * SECOND, (), utc(2025, 6, 16, 12, 31),
        id="arrival-late-sunday",
    ),
    pytest.param(
        # 14:00 UTC is 10:00 EDT, the same as the missed-call case above
        utc(2025, 6, 10, 14, 0), business_days(1), (), utc(2025, 6, 11, 14, 0),
        id="arrival-given-in-utc",
    ),
    # --- holidays ------------------------------------------------------------------------------
    pytest.param(
        # Tue Jul 1 Canada Day closed; Wed 8 h ends Wed 16:30 EDT = 20:30 UTC
        local(2025, 7, 1, 10, 0), business_days(1), (), utc(2025, 7, 2, 20, 30),
        id="arrival-on-canada-day",
    ),
    pytest.param(
        # Thu 14:30-16:30 = 2 h; Fri Apr 3 Good Friday; Sat-Sun; Mon Apr 6 (Easter Monday is not
        # an Ontario public holiday) 08:30 + 6 h = 14:30 EDT = 18:30 UTC
        local(2026, 4, 2, 14, 30), business_days(1), (), utc(2026, 4, 6, 18, 30),
        id="good-friday-closed-easter-monday-open",
    ),
    pytest.param(
        # Fri 16:00-16:30 = 0.5 h; Sat-Sun; Mon Aug 3 Civic Holiday; Tue 08:30 + 7.5 h = 16:00
        # EDT = 20:00 UTC
        local(2026, 7, 31, 16, 0), business_days(1), (), utc(2026, 8, 4, 20, 0),
        id="civic-holiday-first-monday-of-august",
    ),
    pytest.param(
        # Fri 12:00-16:30 = 4.5 h; Sat-Sun; Mon Oct 13 Thanksgiving; Tue 08:30 + 3.5 h = 12:00 EDT
        # = 16:00 UTC
        local(2025, 10, 10, 12, 0), business_days(1), (), utc(2025, 10, 14, 16, 0),
        id="thanksgiving-monday",
    ),
    pytest.param(
        # Fri 17:00 closed; Sat-Sun; Mon May 18 Victoria Day; Tue 8 h + Wed 8 h ends Wed 16:30
        # EDT = 20:30 UTC
        local(2026, 5, 15, 17, 0), business_days(2), (), utc(2026, 5, 20, 20, 30),
        id="victoria-day-long-weekend",
    ),
    pytest.param(
        # Sat; Sun; Mon Feb 16 Family Day; Tue 8 h ends 16:30 EST = 21:30 UTC
        local(2026, 2, 14, 10, 0), business_days(1), (), utc(2026, 2, 17, 21, 30),
        id="family-day-after-a-saturday-arrival",
    ),
    pytest.param(
        # Mon 16:00-16:30 = 0.5 h; Tue Nov 11 Remembrance Day is open in Ontario:
        # 08:30 + 0.5 h = 09:00 EST = 14:00 UTC
        local(2025, 11, 10, 16, 0), HOUR, (), utc(2025, 11, 11, 14, 0),
        id="remembrance-day-is-open",
    ),
    pytest.param(
        # Mon 16:30 closing; Tue Sep 30 (Truth and Reconciliation, federal only) is open:
        # 8 h ends Tue 16:30 EDT = 20:30 UTC
        local(2025, 9, 29, 16, 30), business_days(1), (), utc(2025, 9, 30, 20, 30),
        id="truth-and-reconciliation-day-is-open",
    ),
    pytest.param(
        # Thu 15:00-16:30 = 1.5 h; Fri 25 Christmas; Sat 26 Boxing Day; Sun 27; Mon 28 Boxing Day
        # (observed); Tue 29 +8 h = 9.5 h; Wed 30 08:30 + 6.5 h = 15:00 EST = 20:00 UTC
        local(2026, 12, 24, 15, 0), business_days(2), (), utc(2026, 12, 30, 20, 0),
        id="boxing-day-observed-on-monday-2026",
    ),
    pytest.param(
        # Fri 09:00-16:30 = 7.5 h; Sat 25 Christmas, Sun 26 Boxing Day, Mon 27 and Tue 28 their
        # observed days; Wed 29 +8 h = 15.5 h; Thu 30 08:30 + 0.5 h = 09:00 EST = 14:00 UTC
        local(2027, 12, 24, 9, 0), business_days(2), (), utc(2027, 12, 30, 14, 0),
        id="christmas-and-boxing-day-both-observed-2027",
    ),
    pytest.param(
        # Fri Dec 31 16:00-16:30 = 0.5 h; Sat Jan 1 New Year's Day; Sun; Mon Jan 3 observed;
        # Tue 08:30 + 7.5 h = 16:00 EST = 21:00 UTC
        local(2027, 12, 31, 16, 0), business_days(1), (), utc(2028, 1, 4, 21, 0),
        id="new-years-day-observed-on-monday-2028",
    ),
    pytest.param(
        # Fri Jun 30 16:00-16:30 = 0.5 h; Sat Jul 1 Canada Day has no observed weekday in the
        # holidays package's Ontario list; Mon Jul 3 08:30 + 0.5 h = 09:00 EDT = 13:00 UTC
        local(2028, 6, 30, 16, 0), HOUR, (), utc(2028, 7, 3, 13, 0),
        id="canada-day-on-saturday-has-no-observed-monday",
    ),
    # --- Christmas to New Year -------------------------------------------------------------
    pytest.param(
        # Wed Dec 31 10:00-16:30 = 6.5 h; Thu Jan 1; Fri Jan 2 +8 h = 14.5 h; Sat-Sun;
        # Mon Jan 5 08:30 + 1.5 h = 10:00 EST = 15:00 UTC
        local(2025, 12, 31, 10, 0), business_days(2), (), utc(2026, 1, 5, 15, 0),
        id="email-on-new-years-eve",
    ),
    pytest.param(
        # Tue 23 11:00-16:30 = 5.5 h; Wed 24 +8 = 13.5 h; Thu 25-Sun 28 closed; Mon 29 +8 = 21.5;
        # Tue 30 +8 = 29.5; Wed 31 +8 = 37.5; Thu Jan 1 closed; Fri Jan 2 08:30 + 2.5 h = 11:00
        # EST = 16:00 UTC
        local(2025, 12, 23, 11, 0), business_days(5), (), utc(2026, 1, 2, 16, 0),
        id="letter-acknowledged-across-christmas-and-new-year",
    ),
    pytest.param(
        # Mon 15 09:00-16:30 = 7.5 h; Tue 16-Fri 19 +32 = 39.5; Mon 22-Wed 24 +24 = 63.5;
        # Thu 25-Sun 28 closed; Mon 29-Wed 31 +24 = 87.5; Thu Jan 1 closed; Fri 2 +8 = 95.5;
        # Mon 5, Tue 6, Wed 7 +24 = 119.5; Thu 8 08:30 + 0.5 h = 09:00 EST = 14:00 UTC
        local(2025, 12, 15, 9, 0), business_days(15), (), utc(2026, 1, 8, 14, 0),
        id="letter-answered-across-christmas-and-new-year",
    ),
    # --- daylight-saving changes: 08:30 local stays 08:30 local ------------------------------
    pytest.param(
        # Fri Mar 6 16:00-16:30 EST = 0.5 h; clocks spring forward Sun Mar 8; Mon Mar 9 08:30
        # EDT + 0.5 h = 09:00 EDT = 13:00 UTC (a winter 09:00 would be 14:00 UTC)
        local(2026, 3, 6, 16, 0), HOUR, (), utc(2026, 3, 9, 13, 0),
        id="spring-forward-weekend-one-hour",
    ),
    pytest.param(
        # Fri Mar 6 08:30 EST (13:30 UTC) + 8 h closes 16:30 EST = 21:30 UTC; Mon Mar 9 8 h
        # closes 16:30 EDT = 20:30 UTC: the closing time moved an hour in UTC, not locally
        local(2026, 3, 6, 8, 30), business_days(2), (), utc(2026, 3, 9, 20, 30),
        id="spring-forward-weekend-two-days",
    ),
    pytest.param(
        # Fri Oct 30 16:00-16:30 EDT = 0.5 h; clocks fall back Sun Nov 1; Mon Nov 2 08:30 EST
        # + 0.5 h = 09:00 EST = 14:00 UTC (a summer 09:00 would be 13:00 UTC)
        local(2026, 10, 30, 16, 0), HOUR, (), utc(2026, 11, 2, 14, 0),
        id="fall-back-weekend-one-hour",
    ),
    # --- administrator closures (all Wed 2025-06-11) -----------------------------------------
    pytest.param(
        # Tue 10:00-16:30 = 6.5 h; Wed closed all day; Thu 08:30 + 1.5 h = 10:00 EDT = 14:00 UTC
        local(2025, 6, 10, 10, 0), business_days(1), (closed(WED_2025_06_11),),
        utc(2025, 6, 12, 14, 0),
        id="whole-day-closure",
    ),
    pytest.param(
        # closed from 12:00 to closing; Wed 11:00-12:00 = 1 h; Thu 08:30 + 1 h = 09:30 EDT =
        # 13:30 UTC
        local(2025, 6, 11, 11, 0), 2 * HOUR, (closed(WED_2025_06_11, from_time=time(12)),),
        utc(2025, 6, 12, 13, 30),
        id="closing-early-for-the-afternoon",
    ),
    pytest.param(
        # closed 10:00-12:00; 09:00-10:00 = 1 h; 12:00 + 2 h = 14:00 EDT = 18:00 UTC
        local(2025, 6, 11, 9, 0), 3 * HOUR, (closed(WED_2025_06_11, time(10), time(12)),),
        utc(2025, 6, 11, 18, 0),
        id="closed-for-two-hours-mid-morning",
    ),
    pytest.param(
        # closed from opening until 10:30; 08:00 arrival waits for 10:30; + 1 h = 11:30 EDT =
        # 15:30 UTC
        local(2025, 6, 11, 8, 0), HOUR, (closed(WED_2025_06_11, until_time=time(10, 30)),),
        utc(2025, 6, 11, 15, 30),
        id="opening-late",
    ),
    pytest.param(
        # closed 12:00-13:00; 11:00-12:00 = 1 h exactly, so the deadline is 12:00 EDT = 16:00 UTC,
        # the start of the closure, not its end
        local(2025, 6, 11, 11, 0), HOUR, (closed(WED_2025_06_11, time(12), time(13)),),
        utc(2025, 6, 11, 16, 0),
        id="deadline-landing-where-a-part-day-closure-starts",
    ),
    pytest.param(
        # a 17:00-18:00 closure lies after closing and does not extend the day: Wed 16:00-16:30
        # = 0.5 h; Thu 08:30 + 0.5 h = 09:00 EDT = 13:00 UTC
        local(2025, 6, 11, 16, 0), HOUR, (closed(WED_2025_06_11, time(17), time(18)),),
        utc(2025, 6, 12, 13, 0),
        id="closure-after-closing-time-changes-nothing",
    ),
]


@pytest.mark.parametrize(("received", "target", "closures", "expected"), DEADLINES)
def test_deadline_is_the_earliest_moment_the_target_of_business_time_has_elapsed(
    received: datetime, target: timedelta, closures: tuple[Closure, ...], expected: datetime
) -> None:
    calendar = BusinessCalendar(closures=closures)

    deadline = calendar.add(received, target)

    assert deadline == expected
    assert deadline.tzinfo is UTC
    assert calendar.elapsed(received, deadline) == target


ELAPSED = [
    pytest.param(
        # Tue 09:00-15:00 within one open day = 6 h
        local(2025, 6, 10, 9, 0), local(2025, 6, 10, 15, 0), (), 6 * HOUR,
        id="within-one-day",
    ),
    pytest.param(
        # 06:00 to 20:00 covers the whole 08:30-16:30 day = 8 h
        local(2025, 6, 10, 6, 0), local(2025, 6, 10, 20, 0), (), 8 * HOUR,
        id="from-before-opening-to-after-closing",
    ),
    pytest.param(
        # Fri 15:00-16:30 = 1.5 h; weekend 0; Mon 08:30-10:00 = 1.5 h; total 3 h
        local(2025, 6, 13, 15, 0), local(2025, 6, 16, 10, 0), (), 3 * HOUR,
        id="across-a-weekend",
    ),
    pytest.param(
        # the DOMAIN.md example read backwards: 2.5 + 8 + 5.5 = 16 h
        local(2025, 12, 24, 14, 0), local(2025, 12, 30, 14, 0), (), 16 * HOUR,
        id="across-christmas-boxing-day-and-a-weekend",
    ),
    pytest.param(
        # Thu 14:30-16:30 = 2 h; Good Friday and weekend 0; Mon 08:30-14:30 = 6 h; total 8 h
        local(2026, 4, 2, 14, 30), local(2026, 4, 6, 14, 30), (), 8 * HOUR,
        id="across-good-friday",
    ),
    pytest.param(
        # Jun 2 08:30 to Jun 20 16:30 = 15 full days = 120 h
        local(2025, 6, 2, 8, 30), local(2025, 6, 20, 16, 30), (), 120 * HOUR,
        id="three-whole-weeks",
    ),
    pytest.param(
        # Fri 08:30 EST-16:30 EST = 8 h; Mon 08:30 EDT-16:30 EDT = 8 h; 16 h although the UTC
        # span is 3 days 7 h rather than 3 days 8 h
        local(2026, 3, 6, 8, 30), local(2026, 3, 9, 16, 30), (), 16 * HOUR,
        id="across-spring-forward",
    ),
    pytest.param(
        # Fri 12:00-16:30 EDT = 4.5 h; Mon 08:30-12:00 EST = 3.5 h; total 8 h
        local(2026, 10, 30, 12, 0), local(2026, 11, 2, 12, 0), (), 8 * HOUR,
        id="across-fall-back",
    ),
    pytest.param(
        # Tue 16:29:30-16:30 = 30 s; Wed 08:30:00-08:30:30 = 30 s; total 60 s
        local(2025, 6, 10, 16, 29, 30), local(2025, 6, 11, 8, 30, 30), (), 60 * SECOND,
        id="seconds-across-the-night",
    ),
    pytest.param(
        # Wed 08:30-16:30 = 8 h less the 10:00-12:00 closure = 6 h
        local(2025, 6, 11, 8, 30), local(2025, 6, 11, 16, 30),
        (closed(WED_2025_06_11, time(10), time(12)),), 6 * HOUR,
        id="less-a-part-day-closure",
    ),
    pytest.param(
        # closures 06:00-07:00 and 17:00-18:00 lie outside 08:30-16:30: still 8 h
        local(2025, 6, 11, 5, 0), local(2025, 6, 11, 20, 0),
        (closed(WED_2025_06_11, time(6), time(7)), closed(WED_2025_06_11, time(17), time(18))),
        8 * HOUR,
        id="closures-outside-opening-hours-take-nothing",
    ),
    pytest.param(
        # Sat 10:00 to Sun 20:00: all closed = 0
        local(2025, 6, 14, 10, 0), local(2025, 6, 15, 20, 0), (), timedelta(0),
        id="entirely-while-closed",
    ),
    pytest.param(
        # the same moment: 0
        local(2025, 6, 10, 9, 0), local(2025, 6, 10, 9, 0), (), timedelta(0),
        id="no-time-at-all",
    ),
    pytest.param(
        # end before start: 0, never negative
        local(2025, 6, 10, 15, 0), local(2025, 6, 10, 9, 0), (), timedelta(0),
        id="end-before-start",
    ),
]


@pytest.mark.parametrize(("start", "end", "closures", "expected"), ELAPSED)
def test_elapsed_counts_only_open_hours(
    start: datetime, end: datetime, closures: tuple[Closure, ...], expected: timedelta
) -> None:
    assert BusinessCalendar(closures=closures).elapsed(start, end) == expected


def test_email_on_christmas_eve_2025_is_due_the_following_tuesday_at_14h() -> None:
    # 2.5 h Wed 24 + 8 h Mon 29 + 5.5 h Tue 30 = 16 h; Tue 14:00 EST = 19:00 UTC
    received = local(2025, 12, 24, 14, 0)

    assert BusinessCalendar().add(received, business_days(2)) == utc(2025, 12, 30, 19, 0)


def test_letter_received_on_friday_evening_is_acknowledged_by_next_friday_closing() -> None:
    # nothing counts until Mon 08:30; Mon-Fri is 5 x 8 h, ending Fri 16:30 EDT = 20:30 UTC
    received = local(2025, 6, 13, 18, 0)

    assert BusinessCalendar().add(received, business_days(5)) == utc(2025, 6, 20, 20, 30)


def test_deadline_falling_at_closing_time_is_that_closing_time_not_next_opening() -> None:
    # Thu 08:30 + 16 h = Thu 8 h + Fri 8 h, used up at Fri 16:30 EDT = 20:30 UTC
    deadline = BusinessCalendar().add(local(2025, 6, 12, 8, 30), business_days(2))

    assert deadline == utc(2025, 6, 13, 20, 30)
    assert deadline != BusinessCalendar().next_opening(deadline)


def test_zero_target_is_due_on_receipt_even_while_closed() -> None:
    saturday = local(2025, 6, 14, 11, 0)

    assert BusinessCalendar().add(saturday, timedelta(0)) == utc(2025, 6, 14, 15, 0)


def test_closure_counts_only_for_computations_made_after_it_was_recorded() -> None:
    # Wednesday's closure is recorded Tue 14:00 EDT (18:00 UTC)
    closure = Closure(WED_2025_06_11, utc(2025, 6, 10, 18, 0), "water main break")
    calendar = BusinessCalendar(closures=[closure])
    received = local(2025, 6, 10, 10, 0)

    before = calendar.as_known_at(utc(2025, 6, 10, 17, 59))
    at_recording = calendar.as_known_at(utc(2025, 6, 10, 18, 0))

    # not yet known: Tue 6.5 h + Wed 1.5 h = Wed 10:00 EDT = 14:00 UTC
    assert before.add(received, business_days(1)) == utc(2025, 6, 11, 14, 0)
    # known: Wednesday skipped, Thu 10:00 EDT = 14:00 UTC
    assert at_recording.add(received, business_days(1)) == utc(2025, 6, 12, 14, 0)
    # Tue 08:30 to Thu 08:30: two open days before, one once the closure is known
    assert before.elapsed(local(2025, 6, 10, 8, 30), local(2025, 6, 12, 8, 30)) == 16 * HOUR
    assert at_recording.elapsed(local(2025, 6, 10, 8, 30), local(2025, 6, 12, 8, 30)) == 8 * HOUR


def test_with_closure_leaves_the_original_calendar_unchanged() -> None:
    original = BusinessCalendar()
    received = local(2025, 6, 10, 10, 0)

    closed_wednesday = original.with_closure(closed(WED_2025_06_11))

    assert closed_wednesday.add(received, business_days(1)) == utc(2025, 6, 12, 14, 0)
    assert original.add(received, business_days(1)) == utc(2025, 6, 11, 14, 0)
    assert original.closures == ()


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        pytest.param(local(2025, 6, 10, 8, 30), True, id="at-opening"),
        pytest.param(local(2025, 6, 10, 8, 29, 59), False, id="a-second-before-opening"),
        pytest.param(local(2025, 6, 10, 12, 0), True, id="at-noon"),
        pytest.param(local(2025, 6, 10, 16, 29, 59), True, id="a-second-before-closing"),
        pytest.param(local(2025, 6, 10, 16, 30), False, id="at-closing"),
        pytest.param(local(2025, 6, 14, 12, 0), False, id="saturday"),
        pytest.param(local(2025, 12, 25, 12, 0), False, id="christmas"),
        pytest.param(utc(2026, 1, 15, 13, 30), True, id="winter-opening-is-13-30-utc"),
        pytest.param(utc(2026, 7, 15, 12, 30), True, id="summer-opening-is-12-30-utc"),
        pytest.param(utc(2026, 7, 15, 20, 30), False, id="summer-closing-is-20-30-utc"),
    ],
)
def test_desk_is_open_from_opening_inclusive_to_closing_exclusive(
    moment: datetime, is_open: bool
) -> None:
    assert BusinessCalendar().is_open(moment) is is_open


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # open already: the moment itself, in UTC (10:00 EDT = 14:00 UTC)
        pytest.param(local(2025, 6, 10, 10, 0), utc(2025, 6, 10, 14, 0), id="while-open"),
        # before opening: 08:30 EDT = 12:30 UTC the same day
        pytest.param(local(2025, 6, 10, 6, 0), utc(2025, 6, 10, 12, 30), id="before-opening"),
        # Friday closing: Monday 08:30 EDT = 12:30 UTC
        pytest.param(local(2025, 6, 13, 16, 30), utc(2025, 6, 16, 12, 30), id="friday-closing"),
        # Christmas Eve evening: 25-28 closed, Mon Dec 29 08:30 EST = 13:30 UTC
        pytest.param(
            local(2025, 12, 24, 17, 0), utc(2025, 12, 29, 13, 30), id="christmas-eve-evening"
        ),
    ],
)
def test_next_opening_is_the_moment_itself_or_when_the_desk_next_opens(
    moment: datetime, expected: datetime
) -> None:
    assert BusinessCalendar().next_opening(moment) == expected


def test_a_day_closed_by_an_administrator_is_not_a_business_day_but_a_part_day_one_is() -> None:
    calendar = BusinessCalendar(
        closures=[closed(WED_2025_06_11), closed(date(2025, 6, 12), time(12))]
    )

    assert calendar.is_business_day(date(2025, 6, 10))
    assert not calendar.is_business_day(WED_2025_06_11)
    assert calendar.is_business_day(date(2025, 6, 12))
    assert not calendar.is_business_day(date(2025, 6, 14))
    assert not calendar.is_business_day(date(2025, 12, 25))


@pytest.mark.parametrize(
    ("day", "name"),
    [
        pytest.param(date(2025, 12, 25), "Christmas Day", id="christmas"),
        pytest.param(date(2026, 2, 16), "Family Day", id="family-day"),
        pytest.param(date(2026, 4, 3), "Good Friday", id="good-friday"),
        pytest.param(date(2026, 8, 3), "Civic Holiday", id="civic-holiday"),
        pytest.param(date(2025, 10, 13), "Thanksgiving Day", id="thanksgiving"),
        pytest.param(date(2026, 12, 28), "Boxing Day (observed)", id="boxing-day-observed"),
        pytest.param(date(2028, 1, 3), "New Year's Day (observed)", id="new-year-observed"),
        pytest.param(date(2026, 4, 6), None, id="easter-monday-is-not-one"),
        pytest.param(date(2025, 11, 11), None, id="remembrance-day-is-not-one"),
        pytest.param(date(2025, 9, 30), None, id="truth-and-reconciliation-day-is-not-one"),
        # holidays 0.109 observes a Sunday Christmas on Boxing Day itself, so Tue Dec 27 2022
        # stays open, and a Sunday Canada Day (2029) gets no Monday: administrator closures
        pytest.param(
            date(2022, 12, 26), "Boxing Day; Christmas Day (observed)", id="christmas-2022-observed"
        ),
        pytest.param(date(2022, 12, 27), None, id="no-second-observed-day-in-2022"),
        pytest.param(date(2029, 7, 2), None, id="no-observed-canada-day-in-2029"),
    ],
)
def test_holiday_names_are_ontario_public_holidays_and_the_civic_holiday(
    day: date, name: str | None
) -> None:
    assert BusinessCalendar().holiday_name(day) == name


def test_desk_closes_on_exactly_these_holidays_2024_to_2027() -> None:
    # Pinned so that a holidays upgrade that moves a past closure (and so a replayed deadline)
    # fails here first.
    expected = {
        date(2024, 1, 1), date(2024, 2, 19), date(2024, 3, 29), date(2024, 5, 20),
        date(2024, 7, 1), date(2024, 8, 5), date(2024, 9, 2), date(2024, 10, 14),
        date(2024, 12, 25), date(2024, 12, 26),
        date(2025, 1, 1), date(2025, 2, 17), date(2025, 4, 18), date(2025, 5, 19),
        date(2025, 7, 1), date(2025, 8, 4), date(2025, 9, 1), date(2025, 10, 13),
        date(2025, 12, 25), date(2025, 12, 26),
        date(2026, 1, 1), date(2026, 2, 16), date(2026, 4, 3), date(2026, 5, 18),
        date(2026, 7, 1), date(2026, 8, 3), date(2026, 9, 7), date(2026, 10, 12),
        date(2026, 12, 25), date(2026, 12, 26), date(2026, 12, 28),
        date(2027, 1, 1), date(2027, 2, 15), date(2027, 3, 26), date(2027, 5, 24),
        date(2027, 7, 1), date(2027, 8, 2), date(2027, 9, 6), date(2027, 10, 11),
        date(2027, 12, 25), date(2027, 12, 26), date(2027, 12, 27), date(2027, 12, 28),
    }  # fmt: skip
    calendar = BusinessCalendar()
    days = (date(2024, 1, 1) + timedelta(days=n) for n in range(4 * 366))

    found = {day for day in days if day.year <= 2027 and calendar.holiday_name(day) is not None}

    assert found == expected


def test_civic_holiday_matches_the_holidays_package_optional_category() -> None:
    optional = holidays.country_holidays(
        "CA", subdiv="ON", years=range(2023, 2029), language="en_CA", categories=("optional",)
    )
    package_civic = {day for day, name in optional.items() if name == "Civic Holiday"}
    calendar = BusinessCalendar()
    days = (date(2023, 1, 1) + timedelta(days=n) for n in range(6 * 366))

    ours = {
        day
        for day in days
        if day.year <= 2028 and calendar.holiday_name(day) == "Civic Holiday"
    }

    assert ours == package_civic


def test_business_days_are_eight_hours_each() -> None:
    assert business_days(1) == BusinessCalendar.BUSINESS_DAY == 8 * HOUR
    assert business_days(2) == 16 * HOUR
    assert business_days(0.5) == 4 * HOUR


def test_calendar_time_is_plain_clock_time_across_daylight_saving() -> None:
    # Fri Mar 6 2026 12:00 EST = 17:00 UTC; 48 clock hours later is Sun Mar 8 17:00 UTC
    # (13:00 EDT, not 12:00: the spring-forward hour is not skipped)
    start = local(2026, 3, 6, 12, 0)

    end = add_calendar_time(start, 48 * HOUR)

    assert end == utc(2026, 3, 8, 17, 0)
    assert end.tzinfo is UTC


NAIVE = datetime(2025, 6, 10, 10, 0)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda c: c.add(NAIVE, HOUR), id="add"),
        pytest.param(lambda c: c.elapsed(NAIVE, utc(2025, 6, 11)), id="elapsed-start"),
        pytest.param(lambda c: c.elapsed(utc(2025, 6, 9), NAIVE), id="elapsed-end"),
        pytest.param(lambda c: c.is_open(NAIVE), id="is-open"),
        pytest.param(lambda c: c.next_opening(NAIVE), id="next-opening"),
        pytest.param(lambda c: c.as_known_at(NAIVE), id="as-known-at"),
        pytest.param(lambda c: add_calendar_time(NAIVE, HOUR), id="add-calendar-time"),
        pytest.param(lambda c: Closure(WED_2025_06_11, NAIVE, "x"), id="closure-recorded-at"),
    ],
)
def test_naive_datetimes_are_refused(call: Callable[[BusinessCalendar], object]) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call(BusinessCalendar())


def test_negative_targets_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        BusinessCalendar().add(local(2025, 6, 10, 10, 0), -HOUR)


def test_a_date_is_wanted_where_a_datetime_would_miss_every_holiday() -> None:
    with pytest.raises(TypeError):
        BusinessCalendar().is_business_day(datetime(2025, 12, 25, tzinfo=UTC))


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: Closure(WED_2025_06_11, LONG_AGO, "x", time(12), time(12)),
                     id="closure-ending-when-it-starts"),
        pytest.param(lambda: OpeningHours(opens=time(17), closes=time(9)), id="overnight-hours"),
        pytest.param(lambda: OpeningHours(weekdays=frozenset()), id="no-weekdays"),
        pytest.param(lambda: OpeningHours(weekdays=frozenset({7})), id="weekday-out-of-range"),
        pytest.param(lambda: OpeningHours(timezone="America/Cobourg"), id="unknown-time-zone"),
        pytest.param(lambda: BusinessCalendar(province="XX"), id="unknown-province"),
    ],
)
def test_impossible_hours_closures_and_provinces_are_refused(build: Callable[[], object]) -> None:
    with pytest.raises(ValueError):
        build()


def test_a_desk_that_never_opens_fails_instead_of_searching_forever() -> None:
    start = date(2025, 6, 9)
    always_closed = [closed(start + timedelta(days=n)) for n in range(400)]

    with pytest.raises(ValueError, match="does not open"):
        BusinessCalendar(closures=always_closed).add(local(2025, 6, 9, 9, 0), HOUR)
