"""What will happen to each case of the year, decided before its story is told."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from application.desk import TOWN_TIME
from domain.catalogue import Service
from domain.values import Classification
from infrastructure.demo.arrivals import business_moment, draw_arrivals
from infrastructure.demo.mix import FIRST_CONTACT, FIRST_CONTACT_BY_PURPOSE, PURPOSES
from infrastructure.demo.phrases import ACCOMMODATIONS
from infrastructure.demo.world import World, hours

# Guaranteed stories, placed early in the year so each has time to finish: with only a few
# hundred cases every channel, purpose, transfer kind and escalation rung still appears.
SHOWCASES: tuple[dict[str, Any], ...] = (
    {"channel": "web_form", "purpose": "issue_or_complaint", "classification": "complaint",
     "ladder": 4, "survey": "ces", "debrief": True},
    {"channel": "telephone", "purpose": "issue_or_complaint", "classification": "complaint",
     "ladder": 2, "transfer": "warm", "survey": "all", "debrief": True},
    {"channel": "written", "purpose": "issue_or_complaint", "classification": "complaint",
     "ladder": 3, "interim": True, "debrief": True},
    {"channel": "telephone", "purpose": "information", "first_contact": True, "survey": "csat"},
    {"channel": "in_person", "purpose": "payment", "first_contact": True, "survey": "all"},
    {"channel": "missed_call", "purpose": "tangible_service", "transfer": "intake"},
    {"channel": "voicemail", "purpose": "approval", "wait": "answered"},
    {"channel": "email", "purpose": "consultation", "survey": "csat_nps"},
    {"channel": "social_media", "purpose": "issue_or_complaint", "classification": "feedback"},
    {"channel": "virtual_meeting", "purpose": "consultation", "accommodation": 1},
    {"channel": "email", "purpose": "tangible_service", "transfer": "cold"},
    {"channel": "in_person", "purpose": "information", "reopen": True, "first_contact": True},
    {"channel": "written", "purpose": "approval", "interim": True, "wait": "answered"},
)


@dataclass
class Plan:
    """What will happen to one case, decided before its story is told."""

    channel: str
    received_at: datetime
    entered_at: datetime
    desk: str | None = None  # where a walk-in came in; None: the central desk
    purpose: str = ""
    service: Service | None = None
    classification: str | None = None
    first_contact: bool = False
    transfer: str | None = None  # "intake" (the CSR's warm hand-off), "warm" or "cold"
    second_transfer: bool = False
    wait: str | None = None  # "answered" or "silent"
    interim: bool = False
    ladder: int = 0  # rungs climbed: 1 department manager ... 4 Ombudsman
    escalate_early: bool = False
    debrief: bool = False
    accommodation: int | None = None
    survey: str | None = None  # "csat", "csat_nps", "ces" or "all"
    reopen: bool = False
    close: bool = True
    late: bool = False
    failed_callback: bool = False


def plan_year(world: World, cases: int) -> list[Plan]:
    arrivals = draw_arrivals(world, cases)
    showcase_at = {int((k + 0.5) * 0.4 * cases / len(SHOWCASES)): story
                   for k, story in enumerate(SHOWCASES[:cases])}
    plans = []
    for index, (channel, received_at, desk) in enumerate(arrivals):
        story = showcase_at.get(index, {})
        if story:
            channel, desk = story["channel"], None
            day = world.calendar.next_opening(received_at).astimezone(TOWN_TIME).date()
            received_at = min(business_moment(world, day), world.end)
        plans.append(_plan(world, channel, received_at, story, desk))
    plans.sort(key=lambda p: p.entered_at)
    return plans


def _plan(world: World, channel: str, received_at: datetime, story: dict[str, Any],
          desk: str | None = None) -> Plan:
    rng = world.rng
    entered_at = received_at
    if channel == "written":
        entered_at = world.calendar.add(received_at, hours(rng, 0.5, 12))
    plan = Plan(channel=channel, received_at=received_at, entered_at=min(entered_at, world.end),
                desk=desk or world.central_desk)
    plan.purpose = story.get("purpose") or world.pick(PURPOSES)
    plan.service = world.service_for(plan.purpose)
    complaint_share = 0.7 if plan.purpose == "issue_or_complaint" else 0.03
    draw = rng.random()
    plan.classification = story.get("classification", (
        "complaint" if draw < complaint_share else
        "feedback" if draw < complaint_share + 0.05 else None))
    fcr = FIRST_CONTACT[channel] * FIRST_CONTACT_BY_PURPOSE[plan.purpose]
    plan.first_contact = story.get("first_contact", rng.random() < min(fcr, 0.9))
    draw = rng.random()
    plan.transfer = story.get("transfer", (
        "intake" if draw < 0.05 else "warm" if draw < 0.1 else "cold" if draw < 0.14 else None))
    plan.second_transfer = rng.random() < 0.12
    if len(world.departments) < 2:
        plan.transfer = None  # nowhere to transfer to
    wait_share = {"approval": 0.35, "payment": 0.15, "issue_or_complaint": 0.15}.get(
        plan.purpose, 0.06)
    draw = rng.random()
    plan.wait = story.get("wait", (
        "answered" if draw < wait_share * 0.85 else "silent" if draw < wait_share else None))
    plan.interim = story.get("interim", rng.random() < 0.4)
    plan.ladder = story.get("ladder", _ladder(rng))
    plan.escalate_early = rng.random() < 0.3
    plan.debrief = story.get("debrief", rng.random() < 0.85)
    plan.accommodation = story.get("accommodation", (
        rng.randrange(len(ACCOMMODATIONS)) if rng.random() < 0.04 else None))
    draw = rng.random()
    plan.survey = story.get("survey", (
        None if draw >= 0.24 else "csat" if draw < 0.1 else "csat_nps" if draw < 0.16
        else "ces" if draw < 0.2 else "all"))
    plan.reopen = story.get("reopen", rng.random() < 0.03)
    plan.close = rng.random() < 0.96
    plan.late = rng.random() < 0.09
    plan.failed_callback = rng.random() < 0.15
    return _settled(plan)


def _ladder(rng: random.Random) -> int:
    rungs = 0
    for chance in (0.24, 0.38, 0.35, 0.3):
        if rng.random() >= chance:
            break
        rungs += 1
    return rungs


def _settled(plan: Plan) -> Plan:
    """Make the drawn choices agree with the desk's rules and with each other."""
    if plan.classification != Classification.COMPLAINT.value:
        plan.ladder = 0
    if plan.channel == "written" or plan.ladder or plan.transfer or plan.wait:
        plan.first_contact = False
    if plan.first_contact:
        plan.failed_callback = False
    if plan.channel != "written":
        plan.interim = False
    if not plan.transfer:
        plan.second_transfer = False
    return plan
