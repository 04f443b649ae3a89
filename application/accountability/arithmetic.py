"""The report's arithmetic: shares, averages, hours and money rounded half up; Toronto days."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

TOWN_TIME = ZoneInfo("America/Toronto")
ONE, TENTH, CENT = Decimal(1), Decimal("0.1"), Decimal("0.01")


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
