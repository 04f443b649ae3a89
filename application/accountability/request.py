"""What an accountability report is asked for: who may ask, the period, and the moment as_of."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from application.accountability.arithmetic import MIN_SAMPLE
from domain.actors import Actor, Role
from domain.errors import Forbidden, InvalidValue

REPORTING_ROLES = frozenset({Role.CLERK, Role.AUDITOR, Role.DIRECTOR, Role.ADMIN})
# [0-9], not \d: \d and int() also accept other scripts' digits (fullwidth, Arabic-Indic).
YEAR, QUARTER = re.compile(r"^([0-9]{4})$"), re.compile(r"^([0-9]{4})-Q([1-4])$")
MONTH = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")
DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
FIRST_YEAR, LAST_YEAR = 2000, 2099


def check_may_report(actor: Actor) -> None:
    """Raises Forbidden unless the actor is a clerk, auditor, director or administrator."""
    if actor.role not in REPORTING_ROLES:
        raise Forbidden(f"the {actor.role.value} role may not produce accountability reports; "
                        "clerks, auditors, directors and administrators may")


@dataclass(frozen=True)
class Period:
    """Toronto calendar days, both ends included."""

    label: str
    first_day: date
    last_day: date

    def months(self) -> list[str]:
        months, day = [], self.first_day.replace(day=1)
        while day <= self.last_day:
            months.append(f"{day:%Y-%m}")
            day = (day + timedelta(days=32)).replace(day=1)
        return months


def _year(text: str, field: str) -> int:
    year = int(text)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidValue(f"{field}: the year must be between {FIRST_YEAR} and {LAST_YEAR}",
                           field)
    return year


def _month_end(year: int, month: int) -> date:
    return (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1))


def _day(text: str, field: str) -> date:
    if not DAY.match(text):
        raise InvalidValue(f"{field} must be a date like 2026-07-01; got {text!r}", field)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidValue(f"{field} is not a calendar date: {text!r}", field) from None
    _year(str(day.year), field)
    return day


def parse_period(period: str | None = None, first: str | None = None,
                 last: str | None = None) -> Period:
    """`2026` (a year), `2026-Q3` (a quarter), `2026-07` (a month), or `first` and `last` dates.

    Raises InvalidValue naming `period`, `from` or `to`.
    """
    if period is not None and (first is not None or last is not None):
        raise InvalidValue("give either period or from and to, not both", "period")
    if period is None:
        if first is None or last is None:
            missing = "period" if first is None and last is None else (
                "from" if first is None else "to")
            raise InvalidValue("give a period (2026, 2026-Q3 or 2026-07) or both from and to "
                               "dates", missing)
        start, end = _day(first, "from"), _day(last, "to")
        if end < start:
            raise InvalidValue("to must not be before from", "to")
        return Period(f"{start.isoformat()}..{end.isoformat()}", start, end)
    text = period.strip()
    if match := YEAR.match(text):
        year = _year(match[1], "period")
        return Period(text, date(year, 1, 1), date(year, 12, 31))
    if match := QUARTER.match(text):
        year, quarter = _year(match[1], "period"), int(match[2])
        return Period(text, date(year, 3 * quarter - 2, 1), _month_end(year, 3 * quarter))
    if match := MONTH.match(text):
        year, month = _year(match[1], "period"), int(match[2])
        return Period(text, date(year, month, 1), _month_end(year, month))
    raise InvalidValue(f"period must be a year (2026), a quarter (2026-Q3) or a month "
                       f"(2026-07); got {period!r}", "period")


def parse_moment(text: str, field: str = "as_of") -> datetime:
    """An RFC 3339 date-time with its offset, as aware UTC. Raises InvalidValue."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidValue(f"{field} must be an RFC 3339 date-time such as "
                           f"2026-10-01T09:00:00-04:00; got {text!r}", field) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidValue(f"{field} must include a time zone offset", field)
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class ReportRequest:
    period: Period
    department: str | None
    as_of: datetime  # aware; events committed after it are not part of the report
    min_sample: int = MIN_SAMPLE  # fewest results a share or average is rated from
    # False: the events given are exactly the log as of as_of (cut by commit time); True:
    # drop those recorded after as_of (a log from before commit times).
    cut_by_recorded_time: bool = True
    # Whether cases imported from another system (`civicdesk import`) count; by default the
    # report speaks only for what the desk itself received.
    include_imported: bool = False
