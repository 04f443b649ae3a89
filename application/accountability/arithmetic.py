"""The report's arithmetic: shares, averages, hours and money rounded half up; Toronto days;
shares and averages from too few results withheld (`rated`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

TOWN_TIME = ZoneInfo("America/Toronto")
ONE, TENTH, CENT = Decimal(1), Decimal("0.1"), Decimal("0.01")
# A share or average from fewer results than this is "too few to rate" (CIVICDESK_MIN_SAMPLE).
MIN_SAMPLE = 10


@dataclass(frozen=True)
class Rated:
    """A published share or average, with the number of results it is computed from.

    From fewer than the minimum sample it is not rated: `value` is None and `reason` says why,
    so two answers out of two never read as "100 %"."""

    value: Decimal | None
    count: int  # the results (targets, transfers, cases, answers) it is computed from
    rated: bool
    reason: str | None = None


def rated(value: Decimal | None, count: int, minimum: int) -> Rated:
    """`value` computed from `count` results, published only from `minimum` results on."""
    if count == 0 or value is None:
        return Rated(None, count, False, "no results")
    if count < minimum:
        return Rated(None, count, False, f"too few to rate: {count} of the {minimum} needed")
    return Rated(value, count, True)


def percent(part: int, whole: int) -> Decimal | None:
    if whole == 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(TENTH, ROUND_HALF_UP)


def average(values: list[int]) -> Decimal | None:
    if not values:
        return None
    return (Decimal(sum(values)) / Decimal(len(values))).quantize(CENT, ROUND_HALF_UP)


def hours(seconds: int) -> Decimal:
    return (Decimal(seconds) / 3600).quantize(CENT, ROUND_HALF_UP)


def dollars(cents: Decimal) -> Decimal:
    return (cents.quantize(ONE, ROUND_HALF_UP) / 100).quantize(CENT)


def local_day(moment: datetime) -> date:
    return moment.astimezone(TOWN_TIME).date()
