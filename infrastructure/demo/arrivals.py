"""When the year's cases arrive: by season, weekday, channel, opening hours and desk."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from application.desk import TOWN_TIME
from infrastructure.demo.mix import AFTER_HOURS, CHANNELS, MONTH_WEIGHT, SLOTS, WEEKDAY_WEIGHT
from infrastructure.demo.world import World


def _local_days(world: World) -> list[date]:
    first = world.start.astimezone(TOWN_TIME).date() + timedelta(days=1)
    last = world.end.astimezone(TOWN_TIME).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _at_local(day: date, minutes: float) -> datetime:
    wall = datetime.combine(day, time(0), tzinfo=TOWN_TIME) + timedelta(seconds=round(minutes * 60))
    return wall.astimezone(UTC)


def business_moment(world: World, day: date) -> datetime:
    low, high, _ = world.rng.choices(SLOTS, weights=[s[2] for s in SLOTS])[0]
    return _at_local(day, world.rng.uniform(low, high - 1))  # open, not at closing time


def _after_hours_moment(world: World, day: date) -> datetime:
    if world.calendar.is_business_day(day):
        low, high = (990, 1380) if world.rng.random() < 0.7 else (390, 510)
    else:
        low, high = 540, 1320
    return _at_local(day, world.rng.uniform(low, high))


def _walk_in_moment(world: World, desk: str, days: list[date],
                    weights: list[float]) -> datetime:
    """A moment the desk is open, on a day drawn by the season."""
    calendar = world.promises.calendars.of(desk)
    while True:
        day = world.rng.choices(days, weights)[0]
        if not calendar.is_business_day(day):
            continue
        hours = calendar.hours_on(day)
        opens, closes = (t.hour * 60 + t.minute for t in (hours.opens, hours.closes))
        moment = _at_local(day, world.rng.uniform(opens, closes - 1))
        if calendar.is_open(moment):
            return moment


def draw_arrivals(world: World, cases: int) -> list[tuple[str, datetime, str | None]]:
    days = _local_days(world)
    open_days = [d for d in days if world.calendar.is_business_day(d)]
    open_weights = [MONTH_WEIGHT[d.month] * WEEKDAY_WEIGHT.get(d.weekday(), 1.0)
                    for d in open_days]
    any_weights = [MONTH_WEIGHT[d.month] for d in days]
    arrivals = []
    for _ in range(cases):
        channel = world.pick(CHANNELS)
        desk = world.pick(world.walk_in_desks) if channel == "in_person" else ""
        while True:
            if desk and desk != world.central_desk:
                moment = _walk_in_moment(world, desk, days, any_weights)
            elif world.rng.random() < AFTER_HOURS.get(channel, 0.0):
                moment = _after_hours_moment(world, world.rng.choices(days, any_weights)[0])
            else:
                moment = business_moment(world, world.rng.choices(open_days, open_weights)[0])
            if world.start < moment <= world.end:
                break
        arrivals.append((channel, moment, desk or None))
    arrivals.sort(key=lambda a: a[1])
    return arrivals
