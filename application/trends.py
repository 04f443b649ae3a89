"""The periods before a period, of the same kind, for a figure's trend: the months before a
month, the quarters before a quarter, the years before a year; a range of days is followed
back by ranges of the same length ending the day before."""

from __future__ import annotations

from datetime import date, timedelta

from application.accountability import Period


def _month_start(year: int, month: int) -> date:
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return date(year, month, 1)


def _months_back(period: Period, months: int, step: int) -> Period:
    """The period `step` months long starting `months` months before `period`'s start."""
    first = _month_start(period.first_day.year, period.first_day.month - months)
    last = _month_start(first.year, first.month + step) - timedelta(days=1)
    if step == 1:
        label = f"{first:%Y-%m}"
    elif step == 3:
        label = f"{first.year}-Q{(first.month - 1) // 3 + 1}"
    else:
        label = f"{first.year}"
    return Period(label, first, last)


def trailing_periods(period: Period, count: int) -> list[Period]:
    """The `count` periods ending with `period` (itself last), oldest first."""
    if count < 1:
        return []
    label = period.label
    if ".." in label:
        length = (period.last_day - period.first_day).days + 1
        found, current = [], period
        for _ in range(count - 1):
            last = current.first_day - timedelta(days=1)
            first = last - timedelta(days=length - 1)
            current = Period(f"{first.isoformat()}..{last.isoformat()}", first, last)
            found.append(current)
        return [*reversed(found), period]
    step = 12 if len(label) == 4 else 3 if "Q" in label else 1
    return [_months_back(period, step * back, step) for back in range(count - 1, 0, -1)] + [
        period]
