"""Loading the demo into a desk: every planned case told, numbered by the desk's reference
lanes, and saved a hundred at a time."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic
from tqdm import tqdm  # type: ignore[import-untyped]

from application.desk import TOWN_TIME, ServiceDesk
from domain.cases import Case
from infrastructure.demo.plans import plan_year
from infrastructure.demo.recording import stamp_as_recorded
from infrastructure.demo.story import Story
from infrastructure.demo.summary import Summary
from infrastructure.demo.world import World

BATCH = 100
RECEIVED_TOPIC = f"{get_topic(Case)}.Received"


def has_cases(desk: ServiceDesk) -> bool:
    """Whether any case was ever received: one query that stops at the first `Case.Received`
    (only a log without cases is read to its end, and that log is just the catalogue)."""
    return bool(desk.recorder.select_notifications(1, 1, topics=[RECEIVED_TOPIC]))


def load_demo(desk: ServiceDesk, cases: int = 3000, seed: int = 2026, progress: bool = False,
              end: datetime | None = None) -> dict[str, Any]:
    """Record a reproducible year of cases ending at `end` (default: the desk's now), each event
    stamped as recorded when it happened in the simulated year (`demo.recording`).

    The same seed, catalogue and end give the same cases, references included, on an empty
    database. Returns a summary of what was recorded.
    """
    if cases < 0:
        raise ValueError("cases must not be negative")
    end = end or desk.clock()
    if end.tzinfo is None:
        raise ValueError("end must include a time zone offset")
    end = end.astimezone(UTC).replace(microsecond=0)
    world = World(desk, random.Random(seed), end)
    plans = plan_year(world, cases)
    summary = Summary(seed=seed, start=world.start, end=end)
    pending: list[Aggregate] = []
    with tqdm(total=len(plans), unit="case", desc="demo", disable=not progress) as bar:
        for plan in plans:
            story = Story(world, plan, _next_reference(desk, plan.entered_at))
            case = story.tell()
            stamp_as_recorded(case, plan.entered_at)
            summary.add(case)
            pending.append(case)
            if story.customer is not None:
                # Recorded with its first case, on the demo's time (not the real clock, which
                # would move the log's commit times past the year being told).
                stamp_as_recorded(story.customer, plan.entered_at)
                pending.append(story.customer)
            if len(pending) >= BATCH:
                summary.events += _save(desk, pending)
                bar.update(len(pending))
                pending = []
        summary.events += _save(desk, pending)
        bar.update(len(pending))
    return summary.as_dict()


def _next_reference(desk: ServiceDesk, entered_at: datetime) -> str:
    """The year's next number, counted as taken at once: the demo saves a hundred cases at a
    time, and is loaded before the desk serves anyone (a failed save forgets the count)."""
    with desk.references.lane(entered_at.astimezone(TOWN_TIME).year) as lane:
        reference = lane.next_reference()
        lane.recorded(reference)
        return reference


def _save(desk: ServiceDesk, cases: list[Aggregate]) -> int:
    events = sum(len(a.pending_events) for a in cases)
    if events:
        try:
            desk.save(*cases)
        except BaseException:
            desk.references.forget_all()
            raise
    return events
