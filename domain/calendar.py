"""Business time: when a desk is open, and deadlines counted only in its open hours."""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from types import MappingProxyType
from typing import ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from holidays.countries.canada import Canada

BUSINESS_DAY = timedelta(hours=8)
_ZERO = timedelta(0)
_ONE_DAY = timedelta(days=1)
# A desk closed for more than a year on end is a mistake in its hours or closures; stopping here
# turns what would be an endless search for the next opening into an error.
_MAX_CLOSED_DAYS = 366

Interval = tuple[datetime, datetime]


def business_days(n: float) -> timedelta:
    """`n` business days as business time: n x 8 hours."""
    return BUSINESS_DAY * n


def add_calendar_time(start: datetime, duration: timedelta) -> datetime:
    """`start` plus plain clock time (for targets given in calendar time), as aware UTC."""
    return _utc(start, "start") + duration


def _utc(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware; got {moment.isoformat()}")
    return moment.astimezone(UTC)


def _plain_date(day: date) -> date:
    # A datetime is a date, but never equal to one: as a key it would silently miss every holiday.
    if isinstance(day, datetime):
        raise TypeError(f"expected a date, got the datetime {day.isoformat()}")
    return day


@dataclass(frozen=True)
class OpeningHours:
    """One desk's weekly opening hours, in local wall-clock time (so DST does not move them)."""

    opens: time = time(8, 30)
    closes: time = time(16, 30)
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday is 0, as in date.weekday()
    timezone: str = "America/Toronto"

    def __post_init__(self) -> None:
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError("opening hours are local wall-clock times, without tzinfo")
        if not self.opens < self.closes:
            raise ValueError("opens must be before closes; hours past midnight are not supported")
        if not self.weekdays or not self.weekdays <= frozenset(range(7)):
            raise ValueError("weekdays must be a non-empty set of 0 (Monday) to 6 (Sunday)")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.timezone!r}") from None


@dataclass(frozen=True)
class HoursChange:
    """New opening hours from a local date on, until the next change scheduled after it.

    Like a closure, it counts only for computations made at or after `recorded_at`, so a
    deadline fixed before it was recorded does not move. Of two changes from the same date,
    the one recorded later stands.
    """

    effective_from: date
    hours: OpeningHours
    recorded_at: datetime
    reason: str = ""

    def __post_init__(self) -> None:
        _plain_date(self.effective_from)
        _utc(self.recorded_at, "recorded_at")


@dataclass(frozen=True)
class Closure:
    """A closure an administrator added: a whole day, or part of one in local wall-clock time.

    `from_time` None means from opening, `until_time` None means until closing; both None closes
    the whole day. It counts only for computations made at or after `recorded_at`.
    """

    day: date
    recorded_at: datetime
    reason: str
    from_time: time | None = None
    until_time: time | None = None

    def __post_init__(self) -> None:
        _plain_date(self.day)
        _utc(self.recorded_at, "recorded_at")
        for part in (self.from_time, self.until_time):
            if part is not None and part.tzinfo is not None:
                raise ValueError("closure times are local wall-clock times, without tzinfo")
        if (
            self.from_time is not None
            and self.until_time is not None
            and not self.from_time < self.until_time
        ):
            raise ValueError("a part-day closure must start before it ends")


def _first_monday_of_august(year: int) -> date:
    first = date(year, 8, 1)
    return first + timedelta(days=-first.weekday() % 7)


@cache
def _holidays(province: str, year: int) -> Mapping[date, str]:
    # Checked against holidays 0.109 for ON, 2015-2035: the "public" category is exactly New Year's
    # Day, Family Day, Good Friday, Victoria Day, Canada Day, Labour Day, Thanksgiving, Christmas
    # and Boxing Day, with observed Mondays/Tuesdays for New Year's, Christmas and Boxing Day.
    # The Civic Holiday is only in "optional", beside Easter Monday, Remembrance Day and other
    # Christmas observances that are not Ontario public holidays, so it is added here on its own.
    # Not in "public" either: National Day for Truth and Reconciliation (federal, "government").
    # Known gaps, left to administrator closures: no weekday off when Canada Day falls on a
    # weekend (e.g. Monday 2029-07-02), and when Christmas is a Sunday (2022, 2033) its observed
    # day is Boxing Day itself, so Tuesday Dec 27 stays open.
    # The neighbouring years are populated too, so an observance moved across New Year is kept.
    found = holidays.country_holidays(
        "CA",
        subdiv=province,
        years=(year - 1, year, year + 1),
        language="en_CA",
        categories=("public",),
    )
    names = {day: name for day, name in found.items() if day.year == year}
    if province == "ON":
        civic = _first_monday_of_august(year)
        names[civic] = "; ".join(filter(None, (names.get(civic), "Civic Holiday")))
    return MappingProxyType(names)


class BusinessCalendar:
    """When one desk is open, and business-time arithmetic over those open hours.

    Every datetime taken must be timezone-aware (naive ones raise ValueError); every datetime
    returned is aware UTC. Instances never change: closures are added by making a new calendar.
    """

    BUSINESS_DAY: ClassVar[timedelta] = BUSINESS_DAY

    def __init__(
        self,
        hours: OpeningHours = OpeningHours(),
        closures: Iterable[Closure] = (),
        province: str = "ON",
        changes: Iterable[HoursChange] = (),
    ) -> None:
        if province not in Canada.subdivisions:
            raise ValueError(f"unknown Canadian province or territory {province!r}")
        self.hours = hours  # the hours before any change, as the desk opened with
        self.closures: tuple[Closure, ...] = tuple(closures)
        self.changes: tuple[HoursChange, ...] = tuple(changes)
        self.province = province
        # The schedule in force: by effective date, the later recorded of one date winning.
        latest: dict[date, HoursChange] = {}
        for change in sorted(self.changes, key=lambda c: (c.effective_from, c.recorded_at)):
            latest[change.effective_from] = change
        self._change_days = sorted(latest)
        self._change_hours = [latest[day].hours for day in self._change_days]
        # Local days are read in every zone the schedule uses (normally just one).
        self._zones = tuple(ZoneInfo(zone) for zone in sorted(
            {hours.timezone, *(h.timezone for h in self._change_hours)}))
        self._closures_by_day: dict[date, list[Closure]] = {}
        for closure in self.closures:
            self._closures_by_day.setdefault(closure.day, []).append(closure)
        # Safe to keep for the calendar's life because it never changes; a decade of days is a
        # few thousand small entries, and deadlines at start-up revisit the same days constantly.
        self._day_cache: dict[date, tuple[Interval, ...]] = {}
        # Business time before each local day from `_origin` on (single-zone calendars), so
        # `elapsed` over weeks is two look-ups, not a walk over every day between.
        self._origin: date | None = None
        self._before: list[timedelta] = []
        self._before_lock = threading.Lock()  # requests share a calendar

    def as_known_at(self, moment: datetime) -> BusinessCalendar:
        """This calendar with only the closures and hours changes recorded at or before
        `moment`."""
        cutoff = _utc(moment, "moment")
        known = tuple(closure for closure in self.closures if closure.recorded_at <= cutoff)
        changes = tuple(change for change in self.changes if change.recorded_at <= cutoff)
        if len(known) == len(self.closures) and len(changes) == len(self.changes):
            return self  # keeps the warm day cache
        return BusinessCalendar(self.hours, known, self.province, changes)

    def with_closure(self, closure: Closure) -> BusinessCalendar:
        return BusinessCalendar(self.hours, (*self.closures, closure), self.province,
                                self.changes)

    def with_hours_change(self, change: HoursChange) -> BusinessCalendar:
        return BusinessCalendar(self.hours, self.closures, self.province,
                                (*self.changes, change))

    def hours_on(self, day: date) -> OpeningHours:
        """The opening hours in force on the local `day`."""
        index = bisect_right(self._change_days, _plain_date(day))
        return self._change_hours[index - 1] if index else self.hours

    def holiday_name(self, day: date) -> str | None:
        """The public holiday (or observed day) on `day`, if any; closures are not holidays."""
        day = _plain_date(day)
        return _holidays(self.province, day.year).get(day)

    def open_intervals(self, day: date) -> tuple[Interval, ...]:
        """The desk's open hours on the local `day` (UTC, in order): none on a closed day,
        two around a part-day closure."""
        return self._open_intervals(_plain_date(day))

    def is_business_day(self, day: date) -> bool:
        """Whether the desk opens at all on `day`."""
        return bool(self._open_intervals(_plain_date(day)))

    def is_open(self, moment: datetime) -> bool:
        """Open from opening time inclusive to closing time exclusive."""
        at = _utc(moment, "moment")
        return any(start <= at < end for day in {at.astimezone(z).date() for z in self._zones}
                   for start, end in self._open_intervals(day))

    def next_opening(self, moment: datetime) -> datetime:
        """`moment` itself if the desk is open then, else the next time it opens."""
        at = _utc(moment, "moment")
        start, _ = next(self._intervals_ending_after(at))
        return max(start, at)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest moment at which `duration` of business time has passed since `start`.

        So a deadline that uses up a day exactly is that day's closing time, not the next
        opening. A zero duration gives `start` itself, even while closed: nothing is owed.
        """
        at = _utc(start, "start")
        if duration < _ZERO:
            raise ValueError(f"duration must not be negative; got {duration}")
        remaining = duration
        if not remaining:
            return at
        for open_at, close_at in self._intervals_ending_after(at):
            begin = max(open_at, at)
            if remaining <= close_at - begin:
                return begin + remaining
            remaining -= close_at - begin
        raise AssertionError("unreachable: the open intervals never run out")

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Business time between `start` and `end`; zero if `end` is not after `start`."""
        begin, finish = _utc(start, "start"), _utc(end, "end")
        total = _ZERO
        if finish <= begin:
            return total
        if len(self._zones) == 1:
            # One zone: each local day's hours lie within that day, so business time adds up
            # day by day from any origin.
            # The earlier first: it may move the origin back, the later then counts from it.
            with self._before_lock:
                before = self._since_origin(begin)
                return self._since_origin(finish) - before
        for open_at, close_at in self._intervals_ending_after(begin):
            if open_at >= finish:
                break
            total += min(close_at, finish) - max(open_at, begin)
        return total

    def _since_origin(self, moment: datetime) -> timedelta:
        """Business time from the start of `_origin` (a local day) to `moment`; one zone."""
        day = moment.astimezone(self._zones[0]).date()
        if self._origin is None or day < self._origin:
            self._origin, self._before = day - 40 * _ONE_DAY, [_ZERO]
        index = (day - self._origin).days
        while len(self._before) <= index:
            previous = self._origin + (len(self._before) - 1) * _ONE_DAY
            self._before.append(self._before[-1] + sum(
                (close - open_ for open_, close in self._open_intervals(previous)), _ZERO))
        return self._before[index] + sum(
            (min(close, moment) - open_ for open_, close in self._open_intervals(day)
             if open_ < moment), _ZERO)

    def _local_day(self, moment: datetime) -> date:
        return min(moment.astimezone(zone).date() for zone in self._zones)

    def _intervals_ending_after(self, moment: datetime) -> Iterator[Interval]:
        """Open intervals (UTC) that end after `moment`, in order, without end."""
        day = self._local_day(moment)
        closed_run = 0
        # Only hours that move to another time zone can make one day's hours overlap the
        # next's; trimming each interval to start after the last keeps the order either way.
        given: datetime | None = None  # the end of the last interval given
        while True:
            intervals = self._open_intervals(day)
            closed_run = 0 if intervals else closed_run + 1
            if closed_run > _MAX_CLOSED_DAYS:
                raise ValueError(f"the desk does not open within a year of {moment.isoformat()}")
            for start, end in intervals:
                if given is None and end > moment:
                    yield start, end
                    given = end
                elif given is not None and end > given:
                    yield max(start, given), end
                    given = end
            day += _ONE_DAY

    def _open_intervals(self, day: date) -> tuple[Interval, ...]:
        intervals = self._day_cache.get(day)
        if intervals is None:
            intervals = self._day_cache[day] = self._compute_open_intervals(day)
        return intervals

    def _compute_open_intervals(self, day: date) -> tuple[Interval, ...]:
        hours = self.hours_on(day)
        if day.weekday() not in hours.weekdays or self.holiday_name(day) is not None:
            return ()
        # Cut in wall-clock time, then convert: each piece keeps its local meaning across DST.
        spans = [(hours.opens, hours.closes)]
        for closure in self._closures_by_day.get(day, ()):
            cut_from = hours.opens if closure.from_time is None else closure.from_time
            cut_until = hours.closes if closure.until_time is None else closure.until_time
            spans = [
                piece
                for opens, closes in spans
                for piece in ((opens, min(closes, cut_from)), (max(opens, cut_until), closes))
                if piece[0] < piece[1]
            ]
        zone = ZoneInfo(hours.timezone)
        return tuple((_at(day, opens, zone), _at(day, closes, zone)) for opens, closes in spans)


def _at(day: date, wall_clock: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, wall_clock, tzinfo=zone).astimezone(UTC)
