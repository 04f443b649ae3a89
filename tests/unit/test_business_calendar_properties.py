"""Laws of business-time arithmetic that hold for any start, target and closures in 2023-2028."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.calendar import BusinessCalendar, Closure, OpeningHours, business_days
from tests.toronto_time import TORONTO

HOURS = OpeningHours()
DEFAULT = BusinessCalendar()
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)
TICK = timedelta(microseconds=1)

ZONES = st.sampled_from([UTC, TORONTO, ZoneInfo("America/Vancouver")])
anchors = st.datetimes(
    min_value=datetime(2023, 1, 1), max_value=datetime(2028, 12, 31, 23, 59, 59), timezones=ZONES
)
targets = st.timedeltas(min_value=timedelta(0), max_value=business_days(30))
positive_targets = st.timedeltas(min_value=TICK, max_value=business_days(30))
# Quarter hours around the 08:30-16:30 day, so closures start and end inside it and outside it.
wall_clock_times = st.builds(time, st.integers(6, 18), st.sampled_from([0, 15, 30, 45]))


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[BusinessCalendar, datetime]:
    """A calendar (half the time with administrator closures) and an anchor moment.

    Closures scattered over six years would rarely meet the moments drawn, so they fall within
    a few weeks of the anchor, and so do the moments the tests draw with `near`.
    """
    anchor = draw(anchors)
    if draw(st.booleans()):
        return DEFAULT, anchor
    closures = []
    for _ in range(draw(st.integers(1, 6))):
        day = anchor.astimezone(TORONTO).date() + timedelta(days=draw(st.integers(-5, 45)))
        start, end = draw(st.none() | wall_clock_times), draw(st.none() | wall_clock_times)
        if start is not None and end is not None and not start < end:
            start, end = (end, start) if end < start else (start, None)
        closures.append(Closure(day, LONG_AGO, "generated", start, end))
    return BusinessCalendar(closures=closures), anchor


def near(draw: st.DrawFn, anchor: datetime) -> datetime:
    offset = timedelta(seconds=draw(st.integers(-3 * 86_400, 60 * 86_400)))
    return (anchor + offset).astimezone(draw(ZONES))


@st.composite
def calendar_and_moments(draw: st.DrawFn, count: int) -> tuple[BusinessCalendar, list[datetime]]:
    calendar, anchor = draw(scenarios())
    return calendar, sorted(near(draw, anchor) for _ in range(count))


examples = settings(max_examples=200, deadline=None)


@examples
@given(calendar_and_moments(1), targets)
def test_elapsed_business_time_up_to_the_deadline_is_the_target(
    setup: tuple[BusinessCalendar, list[datetime]], target: timedelta
) -> None:
    calendar, [start] = setup

    assert calendar.elapsed(start, calendar.add(start, target)) == target


@examples
@given(calendar_and_moments(1), targets, targets)
def test_a_longer_target_never_has_an_earlier_deadline(
    setup: tuple[BusinessCalendar, list[datetime]], first: timedelta, second: timedelta
) -> None:
    calendar, [start] = setup
    shorter, longer = sorted((first, second))

    assert calendar.add(start, shorter) <= calendar.add(start, longer)


@examples
@given(calendar_and_moments(2), targets)
def test_a_later_start_never_has_an_earlier_deadline(
    setup: tuple[BusinessCalendar, list[datetime]], target: timedelta
) -> None:
    calendar, [earlier, later] = setup

    assert calendar.add(earlier, target) <= calendar.add(later, target)


@examples
@given(calendar_and_moments(1), positive_targets)
def test_a_deadline_falls_after_opening_and_no_later_than_closing_on_a_business_day(
    setup: tuple[BusinessCalendar, list[datetime]], target: timedelta
) -> None:
    calendar, [start] = setup

    deadline = calendar.add(start, target).astimezone(TORONTO)

    assert calendar.is_business_day(deadline.date())
    assert HOURS.opens < deadline.time() <= HOURS.closes


@examples
@given(calendar_and_moments(1), positive_targets)
def test_the_desk_is_open_just_before_any_deadline_even_with_closures(
    setup: tuple[BusinessCalendar, list[datetime]], target: timedelta
) -> None:
    calendar, [start] = setup

    assert calendar.is_open(calendar.add(start, target) - TICK)


@examples
@given(calendar_and_moments(3))
def test_elapsed_business_time_adds_up_over_consecutive_spans(
    setup: tuple[BusinessCalendar, list[datetime]],
) -> None:
    calendar, [a, b, c] = setup

    assert calendar.elapsed(a, b) + calendar.elapsed(b, c) == calendar.elapsed(a, c)


@examples
@given(calendar_and_moments(1), positive_targets)
def test_the_clock_starts_at_the_next_opening(
    setup: tuple[BusinessCalendar, list[datetime]], target: timedelta
) -> None:
    calendar, [start] = setup
    opening = calendar.next_opening(start)

    assert calendar.is_open(opening)
    assert calendar.elapsed(start, opening) == timedelta(0)
    assert calendar.add(start, target) == calendar.add(opening, target)
