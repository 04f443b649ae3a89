"""Toronto wall-clock times for hand-computed expectations: the desk keeps Toronto hours.

`local` is a Toronto time (aware, in Toronto), `toronto` the same instant as UTC, `utc` a UTC
time; modules with tables in one month keep a one-line partial of these.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

TORONTO = ZoneInfo("America/Toronto")


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
          second: int = 0) -> datetime:
    """A Toronto wall-clock time."""
    return datetime(year, month, day, hour, minute, second, tzinfo=TORONTO)


def toronto(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
            second: int = 0) -> datetime:
    """A Toronto wall-clock time, as UTC."""
    return local(year, month, day, hour, minute, second).astimezone(UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
        second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
