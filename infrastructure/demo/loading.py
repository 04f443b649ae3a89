"""Loading the demo into a desk: every planned case told, numbered by the desk's reference
lanes, and its events appended in the order they were recorded in the simulated year, a
hundred at a time, each committed when it was recorded (`demo.recording`)."""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterator
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from itertools import count, repeat
from typing import Any

from eventsourcing.utils import get_topic
from tqdm import tqdm  # type: ignore[import-untyped]

from application.desk import TOWN_TIME, ServiceDesk
from domain.cases import Case
from infrastructure.commit_time import last_commit_time
from infrastructure.demo.plans import plan_year
from infrastructure.demo.recording import committed_as_recorded, stamp_as_recorded
from infrastructure.demo.story import Story
from infrastructure.demo.summary import Summary
from infrastructure.demo.world import World

BATCH = 100
RECEIVED_TOPIC = f"{get_topic(Case)}.Received"
# The catalogue a demo is loaded into is committed this long before the simulated year starts.
CATALOGUE_LEAD = timedelta(days=1)


def has_cases(desk: ServiceDesk) -> bool:
    """Whether any case was ever received: one query that stops at the first `Case.Received`
    (only a log without cases is read to its end, and that log is just the catalogue)."""
    return bool(desk.recorder.select_notifications(1, 1, topics=[RECEIVED_TOPIC]))


def load_demo(desk: ServiceDesk, cases: int = 3000, seed: int = 2026, progress: bool = False,
              end: datetime | None = None) -> dict[str, Any]:
    """Record a reproducible year of cases ending at `end` (default: the desk's now), each event
    stamped as recorded when it happened in the simulated year (`demo.recording`).

    Seeds the catalogue first if it is missing. Into an empty log, or one whose last commit
    precedes the simulated year, the catalogue and every event are committed at their
    simulated times, so as-of reports and histories on the year's dates show them; into a
    log with later commits (a desk already in use), commit times stay real.

    The same seed, catalogue and end give the same cases, references included, on an empty
    database. Returns a summary of what was recorded.
    """
    if cases < 0:
        raise ValueError("cases must not be negative")
    end = end or desk.clock()
    if end.tzinfo is None:
        raise ValueError("end must include a time zone offset")
    end = end.astimezone(UTC).replace(microsecond=0)
    catalogue_at = end - timedelta(days=365) - CATALOGUE_LEAD
    simulated = _commits_may_follow(desk, catalogue_at)
    from infrastructure.bootstrap import seed_catalogue  # bootstrap builds desks: not at import

    with committed_as_recorded(desk, repeat(catalogue_at)) if simulated else nullcontext():
        seed_catalogue(desk)
    world = World(desk, random.Random(seed), end)
    plans = plan_year(world, cases)
    summary = Summary(seed=seed, start=world.start, end=end)
    waiting: list[tuple[datetime, int, Any]] = []  # (recorded at, order told, event): a heap
    order = count()
    ready: list[Any] = []
    with tqdm(total=len(plans), unit="case", desc="demo", disable=not progress) as bar:
        for plan in plans:
            story = Story(world, plan, _next_reference(desk, plan.entered_at))
            case = story.tell()
            stamp_as_recorded(case, plan.entered_at)
            summary.add(case)
            told: list[Any] = [case]
            if story.customer is not None:
                # Recorded with its first case, on the demo's time, before the case names it.
                stamp_as_recorded(story.customer, plan.entered_at)
                told.insert(0, story.customer)
            for aggregate in told:
                for event in aggregate.collect_events():
                    heapq.heappush(waiting, (event.timestamp, next(order), event))
            bar.update(1)
            # Plans come in the order entered, and no event is recorded before its case was
            # entered: nothing told later can be recorded before this case's entry.
            while waiting and waiting[0][0] <= plan.entered_at:
                ready.append(heapq.heappop(waiting)[2])
            while len(ready) >= BATCH:
                summary.events += _save(desk, ready[:BATCH], simulated)
                ready = ready[BATCH:]
        ready += [heapq.heappop(waiting)[2] for _ in range(len(waiting))]
        for first in range(0, len(ready), BATCH):
            summary.events += _save(desk, ready[first:first + BATCH], simulated)
    return summary.as_dict()


def _commits_may_follow(desk: ServiceDesk, moment: datetime) -> bool:
    """Whether events committed from `moment` on keep the log's commit times monotonic: the
    log is empty, or its last event was committed before `moment`."""
    if desk.log_position() == 0:
        return True
    last = last_commit_time(desk)
    return last is not None and last < moment


def _next_reference(desk: ServiceDesk, entered_at: datetime) -> str:
    """The year's next number, counted as taken at once: the demo saves a hundred cases at a
    time, and is loaded before the desk serves anyone (a failed save forgets the count)."""
    with desk.references.lane(entered_at.astimezone(TOWN_TIME).year) as lane:
        reference = lane.next_reference()
        lane.recorded(reference)
        return reference


def _save(desk: ServiceDesk, events: list[Any], simulated: bool) -> int:
    """Append `events` (in the order recorded) in one transaction, each committed when it was
    recorded if `simulated`."""
    if events:
        times: Iterator[datetime] = iter([e.timestamp for e in events])
        try:
            with committed_as_recorded(desk, times) if simulated else nullcontext():
                desk.save(*events)
        except BaseException:
            desk.references.forget_all()
            raise
    return len(events)
