"""The demo: a reproducible, realistic year of Service Cobourg cases, loaded in bulk.

Every case is built with the domain's own commands, as the desk would have recorded them, and
follows the service standards through `ServiceDesk.follow_standards` (targets planned at receipt
on the hours of the desk it came in at, replanned on transfer, classification and reopening;
waits measured; pauses resumed), with a breach recorded when its deadline passed. Walk-ins come
in at every desk, each while that desk is open. Cases are saved a hundred at a time together
with the reference books they were numbered from. Each event's `occurred_at` is historical; its
`timestamp` is when it was loaded, which is the honest recording time.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic
from tqdm import tqdm  # type: ignore[import-untyped]

from application.catalogue import list_departments, list_services
from application.desk import ServiceDesk
from domain.actors import SCHEDULER, Actor, Role
from domain.cases import WAIT_TIMED_CHANNELS, Case
from domain.catalogue import Service
from domain.closures import DeskCalendars
from domain.errors import NotFound
from domain.references import ReferenceBook
from domain.standards import ServiceStandards
from domain.values import Classification, EscalationLevel

TORONTO = ZoneInfo("America/Toronto")
BATCH = 100
RECEIVED_TOPIC = f"{get_topic(Case)}.Received"

# -- the mix of a year at the desk ----------------------------------------------------------------

CHANNELS = {"telephone": 36, "email": 18, "in_person": 13, "web_form": 10, "voicemail": 6,
            "missed_call": 5, "social_media": 5, "written": 4, "virtual_meeting": 3}
# Channels that arrive whenever the customer writes or calls, and the share outside opening hours.
AFTER_HOURS = {"email": 0.3, "web_form": 0.35, "social_media": 0.4, "voicemail": 0.5}
PURPOSES = {"information": 34, "tangible_service": 20, "issue_or_complaint": 16, "payment": 13,
            "approval": 11, "consultation": 6}
DEPARTMENT_WEIGHT = {"public-works": 3.0, "community": 2.0, "legislative": 1.6,
                     "corporate": 1.4, "planning": 1.3, "cao": 0.7}
MONTH_WEIGHT = {1: 0.85, 2: 0.85, 3: 0.95, 4: 1.1, 5: 1.2, 6: 1.2, 7: 1.15, 8: 1.1, 9: 1.05,
                10: 1.0, 11: 0.9, 12: 0.8}
WEEKDAY_WEIGHT = {0: 1.25, 1: 1.1, 2: 1.0, 3: 1.0, 4: 0.85}
# Where walk-ins come in: most at Service Cobourg, the rest at the satellite desks.
WALK_IN_DESKS = {"victoria-hall": 0.55, "community-centre": 0.2, "marina-campground": 0.15,
                 "venture-13": 0.1}
# Local opening-hours slots (minutes after midnight) and how busy each is.
SLOTS = ((510, 540, 0.8), (540, 600, 1.3), (600, 660, 1.4), (660, 720, 1.2), (720, 780, 0.9),
         (780, 840, 1.2), (840, 900, 1.2), (900, 960, 1.0), (960, 990, 0.5))
# Resolved at first contact: by channel, then scaled by purpose.
FIRST_CONTACT = {"telephone": 0.72, "in_person": 0.75, "missed_call": 0.55, "voicemail": 0.5,
                 "email": 0.5, "web_form": 0.22, "social_media": 0.15, "virtual_meeting": 0.4,
                 "written": 0.0}
FIRST_CONTACT_BY_PURPOSE = {"information": 1.35, "payment": 1.25, "tangible_service": 0.55,
                            "issue_or_complaint": 0.45, "approval": 0.2, "consultation": 0.7}
# Business hours from hand-over to resolution, by purpose.
RESOLUTION_HOURS = {"information": (2, 24), "payment": (2, 20), "tangible_service": (8, 100),
                    "issue_or_complaint": (16, 110), "approval": (24, 180),
                    "consultation": (24, 150)}
# When the first response is owed, in business hours (section 4.2).
FIRST_RESPONSE_HOURS = {"missed_call": 8, "voicemail": 16, "email": 16, "social_media": 16,
                        "web_form": 16, "written": 40}
# Who a department most often hands a misrouted matter to.
RELATED = {"public-works": ("community", "legislative", "planning"),
           "community": ("public-works", "legislative"),
           "legislative": ("public-works", "community", "planning"),
           "planning": ("public-works", "cao", "legislative"),
           "corporate": ("legislative", "public-works"),
           "cao": ("planning", "legislative", "corporate")}

# -- the people -----------------------------------------------------------------------------------

CSRS = ("csr-ana", "csr-ben", "csr-chloe", "csr-dev", "csr-elena", "csr-farid")
TEAMS = {  # department: staff, manager, director (the CAO heads her own office)
    "cao": (("fire-ryan", "fire-priya", "comms-julie"), "mgr-cao-helen", "cao-tracey"),
    "corporate": (("finance-marc", "finance-sana", "it-omar", "facilities-gus"),
                  "mgr-corporate-ian", "dir-corporate-ruth"),
    "community": (("recreation-olivia", "parks-sam", "ccc-noah", "culture-ines"),
                  "mgr-community-paula", "dir-community-teresa"),
    "public-works": (("roads-dan", "roads-keisha", "engineering-wei", "transit-lou"),
                     "mgr-public-works-karen", "dir-public-works-laurie"),
    "planning": (("planning-maya", "building-jorge", "ecdev-rita"), "mgr-planning-victor",
                 "dir-planning-anne"),
    "legislative": (("clerks-amir", "bylaw-tessa", "bylaw-cole", "edi-fatima"),
                    "mgr-legislative-grace", "dir-legislative-brent"),
}
CAO = Actor(id="cao-tracey", role=Role.DIRECTOR, departments=frozenset({"cao"}))
SURVEY_PORTAL = Actor(id="survey-portal", role=Role.SYSTEM)
OMBUDSMAN = "ontario-ombudsman"
FIRST_NAMES = ("Alex", "Bianca", "Chris", "Diane", "Emeka", "Fatima", "George", "Hannah", "Imran",
               "Julia", "Kevin", "Linda", "Mohamed", "Nora", "Owen", "Priya", "Quinn", "Rosa",
               "Sean", "Tanya", "Uma", "Victor", "Wendy", "Yara", "Zach")
LAST_NAMES = ("Anderson", "Bouchard", "Chen", "Douglas", "Edwards", "Fraser", "Gill", "Hughes",
              "Ibrahim", "Jackson", "Kowalski", "Lapointe", "MacDonald", "Nguyen", "OBrien",
              "Patel", "Roy", "Singh", "Thompson", "Vasquez", "Walsh", "Young", "Zhang")
STREETS = ("King Street West", "King Street East", "Division Street", "Elgin Street West",
           "William Street", "University Avenue West", "D'Arcy Street", "Albert Street",
           "Bay Street", "Ontario Street", "Burnham Street", "Kerr Street", "Queen Street",
           "Chapel Street", "Spencer Street", "Tremaine Street", "Densmore Road",
           "Brook Road North", "Kensington Drive")

# -- what people say ------------------------------------------------------------------------------

SUBJECTS = {
    "information": ("Question about {s}", "Looking for information: {s}", "Who handles {s}?"),
    "issue_or_complaint": ("Problem with {s}", "Concern about {s}", "Unhappy with {s}"),
    "payment": ("Payment for {s}", "Question about a bill: {s}", "Refund request: {s}"),
    "approval": ("Application: {s}", "Permit or licence request: {s}",
                 "Status of my application: {s}"),
    "tangible_service": ("Service request: {s}", "Please arrange: {s}", "Booking: {s}"),
    "consultation": ("Comment for the consultation: {s}", "Input on {s}",
                     "Public meeting question: {s}"),
}
RESOLUTIONS = {
    "information": ("Answered the question and sent the link to the Town's page.",
                    "Explained the process, the fees and the forms needed."),
    "issue_or_complaint": ("Crew fixed the problem; the customer was told when.",
                           "Explained the decision and the reasons for it; apologised.",
                           "Corrected the error and confirmed with the customer."),
    "payment": ("Payment processed; receipt emailed.", "Explained the balance; set up a plan."),
    "approval": ("Application approved; permit issued.",
                 "Application refused with reasons and the appeal route.",
                 "Application complete; approval letter sent."),
    "tangible_service": ("Work order completed.", "Booking confirmed.",
                         "Service carried out on the agreed date."),
    "consultation": ("Comments recorded for the staff report to council.",
                     "Answered questions; added the customer to the notification list."),
}
WAIT_REASONS = {
    "approval": "Asked for the missing site plan and owner's authorisation.",
    "payment": "Asked for the account number shown on the bill.",
    "issue_or_complaint": "Asked for photos and the exact location.",
}
ACCOMMODATIONS = (
    ("Large-print letters", "Sent the response in 18-point print."),
    ("ASL interpreter for the meeting", "Booked an ASL interpreter for the meeting."),
    ("Uses a wheelchair: accessible meeting room",
     "Met in the ground-floor room at Victoria Hall."),
    ("Screen reader: accessible documents", "Sent tagged PDF and plain-text versions."),
    ("Prefers a telephone call to written replies", "Staff called instead of writing."),
)
ESCALATION_REASONS = {
    "department_manager": ("Customer not satisfied with the front-line response.",
                           "No resolution within the promised time."),
    "director": ("Customer disputes the manager's decision.",),
    "cao": ("Customer asks for a review by the CAO.",),
    "ombudsman": ("Customer filed a complaint with the Ontario Ombudsman.",),
}
DEBRIEF_CAUSES = ("Unclear responsibility between departments.",
                  "The service standard was not explained to the customer.",
                  "Work order backlog after a storm.", "Policy applied inconsistently.",
                  "Information on the Town's website was out of date.")
DEBRIEF_ACTIONS = ("Updated the web page and the CSR knowledge base.",
                   "Clarified ownership in the service catalogue.",
                   "Coaching for staff; a follow-up call added to the process.",
                   "Asked council for a policy clarification.")
SURVEY_COMMENTS = ("", "", "", "Quick and friendly.", "Took too long.",
                   "Had to explain my issue twice.", "Staff were helpful.")

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


class _PastEnd(Exception):
    """The story has reached the present: the case stays as it now stands."""


@dataclass(frozen=True)
class Team:
    staff: tuple[Actor, ...]
    manager: Actor
    director: Actor


def team_for(department: str) -> Team:
    staff, manager, director = TEAMS.get(
        department, ((f"{department}-staff-1", f"{department}-staff-2"), f"mgr-{department}",
                     f"dir-{department}"))
    mine = frozenset({department})
    return Team(staff=tuple(Actor(id=s, role=Role.STAFF, departments=mine) for s in staff),
                manager=Actor(id=manager, role=Role.MANAGER, departments=mine),
                director=Actor(id=director, role=Role.DIRECTOR, departments=mine))


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


class Promises:
    """Follows the service standards through `ServiceDesk.follow_standards`, with the standards
    and the desks' calendars (as known at the end) read once for the whole load."""

    def __init__(self, desk: ServiceDesk, end: datetime) -> None:
        self.desk = desk
        try:
            self.standards: ServiceStandards | None = desk.standards()
        except NotFound:
            self.standards = None
        try:
            self.calendars = desk.calendars(end)
        except NotFound:
            self.calendars = DeskCalendars()
        self.calendar = self.calendars.central
        self.end = end

    def follow(self, case: Case, command: str, actor: Actor, at: datetime, *,
               wait_seconds: int | None = None, reopened: bool = False) -> None:
        """What the desk records on the targets after `command` ("receive" at entry)."""
        if self.standards is not None:
            self.desk.follow_standards(case, command, actor=actor, occurred_at=at,
                                       standards=self.standards, calendars=self.calendars,
                                       wait_seconds=wait_seconds, reopened=reopened)

    def record_breaches(self, case: Case, since: datetime, until: datetime) -> None:
        """What the scheduler would have recorded: each deadline that passed in [since, until).

        A deadline already behind `since` when it was planned is left to the live scheduler's
        catch-up, so that the case's events stay in order of occurrence."""
        while True:
            due = sorted((t.watched_due_at, t.name) for t in case.open_targets()
                         if t.watched_due_at is not None and since <= t.watched_due_at < until)
            if not due or not case.miss_deadline(target=due[0][1], due_at=due[0][0],
                                                 now=self.end, actor=SCHEDULER):
                return


class World:
    """Everything the stories share: randomness, calendar, catalogue, people, the present."""

    def __init__(self, desk: ServiceDesk, rng: random.Random, end: datetime) -> None:
        self.rng = rng
        self.end = end
        self.start = end - timedelta(days=365)
        self.promises = Promises(desk, end)
        self.calendar = self.promises.calendar
        calendars = self.promises.calendars
        self.central_desk = calendars.central_code
        self.walk_in_desks = {code: weight for code, weight in WALK_IN_DESKS.items()
                              if code in calendars.by_desk} or {"": 1.0}
        departments = [d.code for d in list_departments(desk)]
        self.departments = departments
        self.services = [s for s in list_services(desk) if s.department in departments]
        if not self.services:
            raise NotFound("the catalogue has no public services: seed it first")
        self.teams = {code: team_for(code) for code in departments}
        self.csrs = tuple(Actor(id=c, role=Role.CSR) for c in CSRS)

    def pick(self, weights: Mapping[str, float]) -> str:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def service_for(self, purpose: str) -> Service:
        matching = [s for s in self.services if s.purpose == purpose]
        if not matching or self.rng.random() < 0.25:
            matching = [s for s in self.services if s.purpose in (None, purpose)]
        return self.rng.choices(matching, weights=[DEPARTMENT_WEIGHT.get(s.department, 1.0)
                                                   for s in matching])[0]

    def other_department(self, current: str) -> str:
        related = [d for d in RELATED.get(current, ()) if d in self.departments]
        others = related or [d for d in self.departments if d != current]
        return self.rng.choice(others)


# -- arrivals -------------------------------------------------------------------------------------

def _local_days(world: World) -> list[date]:
    first = world.start.astimezone(TORONTO).date() + timedelta(days=1)
    last = world.end.astimezone(TORONTO).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _at_local(day: date, minutes: float) -> datetime:
    wall = datetime.combine(day, time(0), tzinfo=TORONTO) + timedelta(seconds=round(minutes * 60))
    return wall.astimezone(UTC)


def _business_moment(world: World, day: date) -> datetime:
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


def _arrivals(world: World, cases: int) -> list[tuple[str, datetime, str | None]]:
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
                moment = _business_moment(world, world.rng.choices(open_days, open_weights)[0])
            if world.start < moment <= world.end:
                break
        arrivals.append((channel, moment, desk or None))
    arrivals.sort(key=lambda a: a[1])
    return arrivals


def _plans(world: World, cases: int) -> list[Plan]:
    arrivals = _arrivals(world, cases)
    showcase_at = {int((k + 0.5) * 0.4 * cases / len(SHOWCASES)): story
                   for k, story in enumerate(SHOWCASES[:cases])}
    plans = []
    for index, (channel, received_at, desk) in enumerate(arrivals):
        story = showcase_at.get(index, {})
        if story:
            channel, desk = story["channel"], None
            day = world.calendar.next_opening(received_at).astimezone(TORONTO).date()
            received_at = min(_business_moment(world, day), world.end)
        plans.append(_plan(world, channel, received_at, story, desk))
    plans.sort(key=lambda p: p.entered_at)
    return plans


def _plan(world: World, channel: str, received_at: datetime, story: dict[str, Any],
          desk: str | None = None) -> Plan:
    rng = world.rng
    entered_at = received_at
    if channel == "written":
        entered_at = world.calendar.add(received_at, _hours(rng, 0.5, 12))
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


def _hours(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(seconds=round(rng.uniform(low, high) * 3600))


# -- one case's story -----------------------------------------------------------------------------

class Story:
    """Tells one case from receipt to wherever it stands at the end, one command at a time."""

    def __init__(self, world: World, plan: Plan, reference: str) -> None:
        assert plan.service is not None
        self.w, self.rng, self.plan = world, world.rng, plan
        self.csr = self.rng.choice(world.csrs)
        self.team = world.teams[plan.service.department]
        self.handler = self.csr
        self.t = plan.received_at
        self.case = Case.receive(
            reference=reference, channel=plan.channel, occurred_at=plan.received_at,
            purpose=plan.purpose, service_code=plan.service.code,
            department=plan.service.department,
            subject=self.rng.choice(SUBJECTS[plan.purpose]).format(s=plan.service.name)[:200],
            description=self._description(plan.service), contact=self._contact(),
            accessibility_needs=(ACCOMMODATIONS[plan.accommodation][0]
                                 if plan.accommodation is not None else None),
            actor=self.csr, now=world.end, desk=plan.desk)

    # -- time --------------------------------------------------------------------------------

    def at(self, when: datetime) -> datetime:
        """Move the story on to `when`, recording every deadline that passed on the way."""
        if when < self.t:
            raise AssertionError(f"{self.case.reference}: {when} is before {self.t}")
        if when > self.w.end:
            raise _PastEnd
        self.w.promises.record_breaches(self.case, self.t, when)
        self.t = when
        return when

    def later(self, low: float, high: float) -> datetime:
        """Some business hours from now: staff work while the desk is open."""
        return self.w.calendar.add(self.t, _hours(self.rng, low, high))

    def minutes(self, low: float, high: float) -> datetime:
        return self.t + timedelta(seconds=round(self.rng.uniform(low, high) * 60))

    # -- the story ---------------------------------------------------------------------------

    def tell(self) -> Case:
        plan = self.plan
        try:
            self.w.promises.follow(self.case, "receive", self.csr, self.at(plan.entered_at))
            self._first_contact()
            self._request_accommodation()
            if plan.first_contact:
                self._resolve(self.csr, self.t, first=True)
            else:
                self._route()
                self._work()
            self._climb_ladder()
            self._afterwards()
        except _PastEnd:
            pass
        self.w.promises.record_breaches(self.case, self.t, self.w.end + timedelta(seconds=1))
        return self.case

    def _first_contact(self) -> None:
        channel, case, rng = self.plan.channel, self.case, self.rng
        if channel in WAIT_TIMED_CHANNELS:
            wait = (int(rng.lognormvariate(3.2, 0.6)) if channel == "telephone"
                    else int(rng.lognormvariate(5.4, 0.55)))
            how = "Answered the call" if channel == "telephone" else "Served at the counter"
            case.log_interaction(channel=channel, direction="inbound", summary=how,
                                 effort_minutes=rng.randint(3, 18), wait_seconds=wait,
                                 actor=self.csr, occurred_at=self.at(self.t), now=self.w.end)
            self.w.promises.follow(case, "log_interaction", self.csr, self.t,
                                   wait_seconds=wait)
            self.at(self.minutes(wait / 60 + 3, wait / 60 + 15))
            self._classify()
            if not self.plan.first_contact:
                self._acknowledge(self.csr, self.t, f"Gave the customer reference "
                                  f"{case.reference}.")
        elif channel == "virtual_meeting":
            self.at(self.minutes(2, 30))
            self._classify()
            self._acknowledge(self.csr, self.t, "Virtual meeting booked.")
            meeting = self.later(6, 40)
            case.log_interaction(channel=channel, direction="outbound",
                                 summary="Held the virtual meeting",
                                 effort_minutes=rng.randint(30, 60), wait_seconds=None,
                                 actor=self.csr, occurred_at=self.at(meeting), now=self.w.end)
        elif channel == "written":
            case.log_interaction(channel=channel, direction="inbound",
                                 summary="Letter date-stamped Received and entered",
                                 effort_minutes=rng.randint(5, 10), wait_seconds=None,
                                 actor=self.csr, occurred_at=self.at(self.t), now=self.w.end)
            self._first_response("written", "Acknowledgement letter mailed.")
        else:
            if self.plan.failed_callback and channel in {"missed_call", "voicemail"}:
                case.log_interaction(channel="telephone", direction="outbound",
                                     summary="No answer; left a message", effort_minutes=2,
                                     wait_seconds=None, actor=self.csr,
                                     occurred_at=self.at(self.later(0.2, 3)), now=self.w.end)
            reply = {"missed_call": "telephone", "voicemail": "telephone",
                     "social_media": "social_media"}.get(channel, "email")
            self._first_response(reply, "Replied to the customer.")

    def _first_response(self, reply_channel: str, summary: str) -> None:
        owed = FIRST_RESPONSE_HOURS[self.plan.channel]
        low, high = (owed * 1.05, owed * 2) if self.plan.late else (0.3, owed * 0.9)
        when = self.at(self.later(low, high))
        self._classify()  # triage comes before the reply, so the right promise applies
        self.case.log_interaction(channel=reply_channel, direction="outbound", summary=summary,
                                  effort_minutes=self.rng.randint(4, 20), wait_seconds=None,
                                  actor=self.csr, occurred_at=when, now=self.w.end)
        self._acknowledge(self.csr, when, summary)

    def _acknowledge(self, actor: Actor, when: datetime, message: str) -> None:
        self.case.acknowledge(message=message, actor=actor, occurred_at=self.at(when),
                              now=self.w.end)

    def _classify(self) -> None:
        plan, case = self.plan, self.case
        if plan.classification:
            case.classify(classification=plan.classification,
                          reason="Customer expressed dissatisfaction" if
                          plan.classification == "complaint" else "Suggestion or compliment",
                          actor=self.csr, occurred_at=self.at(self.t), now=self.w.end)
            self.w.promises.follow(case, "classify", self.csr, self.t)

    def _request_accommodation(self) -> None:
        plan, case = self.plan, self.case
        if plan.accommodation is not None:
            case.request_accommodation(need=ACCOMMODATIONS[plan.accommodation][0],
                                       actor=self.csr, occurred_at=self.at(self.t),
                                       now=self.w.end)
            if plan.first_contact:
                self._provide_accommodation(self.csr)

    def _provide_accommodation(self, actor: Actor) -> None:
        assert self.plan.accommodation is not None
        self.case.provide_accommodation(number=1, how=ACCOMMODATIONS[self.plan.accommodation][1],
                                        actor=actor, occurred_at=self.at(self.t),
                                        now=self.w.end)

    def _route(self) -> None:
        plan = self.plan
        if plan.transfer == "intake":
            self._transfer(self.csr, self.minutes(1, 4), warm=True)
        self._assign()
        if plan.transfer in {"warm", "cold"}:
            self._transfer(self.handler, self.later(1, 12), warm=plan.transfer == "warm")
            self._assign()
        if plan.second_transfer:
            self._transfer(self.handler, self.later(1, 16), warm=self.rng.random() < 0.5)
            self._assign()

    def _assign(self) -> None:
        staff = self.rng.choice(self.team.staff)
        by = staff if self.rng.random() < 0.5 else self.team.manager
        self.case.assign(assignee=staff.id, actor=by, occurred_at=self.at(self.later(0.3, 6)),
                         now=self.w.end)
        self.handler = staff

    def _transfer(self, actor: Actor, when: datetime, *, warm: bool) -> None:
        target = self.w.other_department(self.case.department)
        note = (f"Handed over by phone to {target}; the customer knows who will call back."
                if warm else "")
        self.case.transfer(to_department=target, warm=warm, handover_note=note,
                           customer_informed=warm or self.rng.random() < 0.3, actor=actor,
                           occurred_at=self.at(when), now=self.w.end)
        self.w.promises.follow(self.case, "transfer", actor, self.t)
        self.team = self.w.teams[target]

    def _work(self) -> None:
        plan, rng = self.plan, self.rng
        if plan.accommodation is not None:
            self.at(self.later(0.5, 12))
            self._provide_accommodation(self.handler)
        low, high = map(float, RESOLUTION_HOURS[plan.purpose])
        if plan.late:
            low, high = high, high * 1.8
        steps = rng.choice((1, 1, 2, 2, 3))
        for step in range(steps):
            self._interaction(self.later(low / steps * 0.5, high / steps * 0.8))
            if step == 0 and plan.interim:
                self.case.send_interim_response(
                    explanation="The matter needs an inspection and a review; a full response "
                    "will follow within 15 business days.", actor=self.handler,
                    occurred_at=self.at(self.later(8, 30)), now=self.w.end)
            if step == 0 and plan.wait and not self._wait_on_customer():
                return  # the customer never answered; the case was resolved without them
        when = self.later(1, max(2.0, high / steps * 0.4))
        if not (plan.ladder and plan.escalate_early):
            self._resolve(self.handler, when, first=False)

    def _interaction(self, when: datetime) -> None:
        rng = self.rng
        site = self.plan.purpose in {"tangible_service", "issue_or_complaint", "approval"}
        channel, summary, effort = rng.choice((
            ("telephone", "Called the customer with an update", rng.randint(5, 15)),
            ("email", "Emailed the customer the details", rng.randint(10, 30)),
            ("in_person", "Site visit", rng.randint(45, 120)) if site else
            ("email", "Sent the requested documents", rng.randint(10, 25))))
        self.case.log_interaction(channel=channel, direction="outbound", summary=summary,
                                  effort_minutes=effort, wait_seconds=None, actor=self.handler,
                                  occurred_at=self.at(when), now=self.w.end)

    def _wait_on_customer(self) -> bool:
        """Ask the customer for something; False if they never answered and the case ended."""
        case, actor = self.case, self.handler
        reason = WAIT_REASONS.get(self.plan.purpose, "Asked the customer to confirm the details.")
        case.wait_on_customer(reason=reason, actor=actor, occurred_at=self.at(self.t),
                              now=self.w.end)
        if self.plan.wait == "silent":
            self._resolve(actor, self.later(60, 100), first=False,
                          resolution="Closed: no reply after two reminders.")
            return False
        case.record_customer_response(summary="Customer sent what was asked for.", actor=actor,
                                      occurred_at=self.at(self.later(4, 60)), now=self.w.end)
        self.w.promises.follow(case, "customer_responded", actor, self.t)
        return True

    def _resolve(self, actor: Actor, when: datetime, *, first: bool,
                 resolution: str | None = None) -> None:
        self.at(when)
        if self.plan.channel == "written" and not first:
            self.case.log_interaction(channel="written", direction="outbound",
                                      summary="Official response mailed",
                                      effort_minutes=self.rng.randint(30, 90),
                                      wait_seconds=None, actor=actor, occurred_at=self.t,
                                      now=self.w.end)
        self.case.resolve(resolution=resolution or self.rng.choice(RESOLUTIONS[self.plan.purpose]),
                          at_first_contact=first, actor=actor, occurred_at=self.t,
                          now=self.w.end)

    def _climb_ladder(self) -> None:
        if self.case.status == "waiting_on_customer" or self.case.status == "closed":
            return
        team = self.team
        owners = (team.manager, team.director, CAO, CAO)
        escalators = (self.handler, team.manager, team.director, CAO)
        for rung in range(self.plan.ladder):
            level = list(EscalationLevel)[rung + 1]
            owner = owners[rung]
            was_resolved = self.case.status == "resolved"
            self.case.escalate(to_level=level.value,
                               reason=self.rng.choice(ESCALATION_REASONS[level.value]),
                               owner=OMBUDSMAN if level is EscalationLevel.OMBUDSMAN else owner.id,
                               actor=escalators[rung],
                               occurred_at=self.at(self.later(4, 40)), now=self.w.end)
            self.w.promises.follow(self.case, "escalate", escalators[rung], self.t,
                                   reopened=was_resolved and self.case.status == "open")
            if level is EscalationLevel.OMBUDSMAN:
                self._resolve(CAO, self.later(120, 320), first=False,
                              resolution="The Ombudsman closed its review; the Town "
                              "accepted its recommendations.")
            else:
                self._resolve(owner, self.later(8, 60), first=False,
                              resolution=f"Reviewed at {level.value.replace('_', ' ')} level; "
                              "decision explained to the customer in writing.")
        if self.case.escalations and self.plan.debrief:
            by = team.manager if self.plan.ladder == 1 else team.director
            self.case.debrief_complaint(
                cause=self.rng.choice(DEBRIEF_CAUSES), actions=self.rng.choice(DEBRIEF_ACTIONS),
                edi_findings=self.rng.choice(("No EDI concerns identified.",
                                              "Customer's first language is not English; "
                                              "translated material recommended.")),
                accessibility_findings=self.rng.choice((
                    "None identified.", "Response letter was not offered in an accessible "
                    "format; alternate formats are now offered.")),
                actor=by, occurred_at=self.at(self.later(8, 50)), now=self.w.end)

    def _afterwards(self) -> None:
        case, plan = self.case, self.plan
        if case.status != "resolved":
            return
        closer = self.handler
        if plan.close:
            case.close(actor=closer, occurred_at=self.at(self.later(1, 24)), now=self.w.end)
        if plan.survey:
            self._survey()
        if plan.reopen:
            case.reopen(reason="Customer called back: the problem has come back.",
                        actor=self.csr, occurred_at=self.at(self.later(16, 160)),
                        now=self.w.end)
            self.w.promises.follow(case, "reopen", self.csr, self.t)
            self._resolve(self.handler, self.later(4, 40), first=False)
            if plan.close:
                case.close(actor=closer, occurred_at=self.at(self.later(1, 16)),
                           now=self.w.end)

    def _survey(self) -> None:
        case, plan, rng = self.case, self.plan, self.rng
        mood = 0.72 + (0.15 if case.resolved_at_first_contact else 0.0)
        mood -= 0.12 * len(case.transfers) + 0.15 * len(case.escalations)
        mood -= 0.15 if plan.late else 0.0
        mood = min(1.0, max(0.0, mood + rng.gauss(0, 0.15)))
        kinds = {"csat": ("csat",), "csat_nps": ("csat", "nps"), "ces": ("ces",),
                 "all": ("csat", "nps", "ces")}[plan.survey or "csat"]
        when = self.t + _hours(rng, 1, 96)  # customers answer whenever they like
        case.answer_survey(csat=1 + round(4 * mood) if "csat" in kinds else None,
                           nps=round(10 * mood) if "nps" in kinds else None,
                           ces=1 + round(6 * mood) if "ces" in kinds else None,
                           comment=rng.choice(SURVEY_COMMENTS), actor=SURVEY_PORTAL,
                           occurred_at=self.at(when), now=self.w.end)

    # -- what the customer told us -----------------------------------------------------------

    def _contact(self) -> dict[str, str]:
        rng, channel = self.rng, self.plan.channel
        if channel in {"social_media", "web_form", "telephone"} and rng.random() < 0.06:
            return {}  # anonymous
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        contact = {"name": f"{first} {last}"}
        if channel in {"telephone", "missed_call", "voicemail", "in_person"}:
            contact.update(phone=f"905-555-01{rng.randrange(100):02d}", preferred_contact="phone")
        elif channel == "written":
            contact.update(address=f"{rng.randint(1, 999)} {rng.choice(STREETS)}, Cobourg ON",
                           preferred_contact="mail")
        else:
            contact.update(email=f"{first}.{last}@example.com".lower(), preferred_contact="email")
        return contact

    def _description(self, service: Service) -> str:
        where = f" near {self.rng.randint(1, 999)} {self.rng.choice(STREETS)}" if (
            service.department in {"public-works", "community", "legislative"}) else ""
        return f"{service.description or service.name}{where}. Received by {self.plan.channel}."


# -- loading --------------------------------------------------------------------------------------

def has_cases(desk: ServiceDesk) -> bool:
    """Whether any case was ever received: one query that stops at the first `Case.Received`
    (only a log without cases is read to its end, and that log is just the catalogue)."""
    return bool(desk.recorder.select_notifications(1, 1, topics=[RECEIVED_TOPIC]))


def load_demo(desk: ServiceDesk, cases: int = 3000, seed: int = 2026, progress: bool = False,
              end: datetime | None = None) -> dict[str, Any]:
    """Record a reproducible year of cases ending at `end` (default: the desk's now).

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
    plans = _plans(world, cases)
    books: dict[int, ReferenceBook] = {}
    summary = Summary(seed=seed, start=world.start, end=end)
    pending: list[Aggregate] = []
    with tqdm(total=len(plans), unit="case", desc="demo", disable=not progress) as bar:
        for plan in plans:
            book = _book(desk, books, plan.entered_at.astimezone(TORONTO).year)
            case = Story(world, plan, book.issue()).tell()
            summary.add(case)
            pending.append(case)
            if len(pending) == BATCH:
                summary.events += _save(desk, pending, books)
                bar.update(len(pending))
                pending = []
        summary.events += _save(desk, pending, books)
        bar.update(len(pending))
    return summary.as_dict()


def _book(desk: ServiceDesk, books: dict[int, ReferenceBook], year: int) -> ReferenceBook:
    if year not in books:
        try:
            found: Aggregate = desk.repository.get(ReferenceBook.create_id(year))
            assert isinstance(found, ReferenceBook)
            books[year] = found
        except AggregateNotFoundError:
            books[year] = ReferenceBook(year=year)
    return books[year]


def _save(desk: ServiceDesk, cases: list[Aggregate], books: dict[int, ReferenceBook]) -> int:
    aggregates = [*cases, *books.values()]
    events = sum(len(a.pending_events) for a in aggregates)
    if events:
        desk.save(*aggregates)
    return events


@dataclass
class Summary:
    seed: int
    start: datetime
    end: datetime
    events: int = 0
    cases: int = 0
    by_channel: Counter[str] = field(default_factory=Counter)
    by_purpose: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    escalations_by_level: Counter[str] = field(default_factory=Counter)
    transfers: Counter[str] = field(default_factory=Counter)
    counts: Counter[str] = field(default_factory=Counter)
    references: list[str] = field(default_factory=list)

    def add(self, case: Case) -> None:
        self.cases += 1
        self.references.append(case.reference)
        self.by_channel[case.channel] += 1
        self.by_purpose[case.purpose] += 1
        self.by_status[case.status] += 1
        for escalation in case.escalations:
            self.escalations_by_level[escalation["to"]] += 1
        for transfer in case.transfers:
            self.transfers["warm" if transfer["warm"] else "cold"] += 1
        self.counts.update({
            "complaints": case.classification == "complaint",
            "feedback": case.classification == "feedback",
            "first_contact_resolutions": case.resolved_at_first_contact,
            "debriefs": case.debrief is not None,
            "accommodations": len(case.accommodations),
            "surveys": len(case.surveys),
            "effort_minutes": case.effort_minutes,
            "deadlines_missed": sum(1 for t in case.targets.values() if t.breached_at),
        })

    def as_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed, "from": self.start.isoformat(), "to": self.end.isoformat(),
            "cases": self.cases, "events": self.events,
            "first_reference": self.references[0] if self.references else None,
            "last_reference": self.references[-1] if self.references else None,
            "by_channel": dict(sorted(self.by_channel.items())),
            "by_purpose": dict(sorted(self.by_purpose.items())),
            "by_status": dict(sorted(self.by_status.items())),
            "complaints": self.counts["complaints"],
            "feedback": self.counts["feedback"],
            "escalations": sum(self.escalations_by_level.values()),
            "escalations_by_level": {level.value: self.escalations_by_level[level.value]
                                     for level in list(EscalationLevel)[1:]},
            "transfers": {"warm": self.transfers["warm"], "cold": self.transfers["cold"]},
            **{name: self.counts[name] for name in (
                "first_contact_resolutions", "debriefs", "accommodations", "surveys",
                "deadlines_missed", "effort_minutes")},
        }
