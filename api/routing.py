"""Routing routes: the routing rules (administrators publish them; operators read them), the
departments' teams, and staff marking themselves away and back (absence cover)."""

from __future__ import annotations

from datetime import time
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.di import Provide

from api.auth import authenticated, current_actor
from api.catalogue import admin_only
from api.problems import described_problems
from api.schemas import Body, ChannelName, Code, Short
from application import routing_admin
from application.access import check_operator
from application.desk import ServiceDesk
from domain.actors import Actor, Role
from domain.errors import InvalidValue, NotFound
from domain.routing import Actions, Conditions, RoutingRule, RoutingRules
from domain.teams import StaffAvailability

Codes = Annotated[list[Code], msgspec.Meta(max_length=100)]
Words = Annotated[list[Short], msgspec.Meta(max_length=100)]
Channels = Annotated[list[ChannelName], msgspec.Meta(max_length=20)]
Classifications = Annotated[list[Literal["complaint", "feedback", "unclassified"]],
                            msgspec.Meta(max_length=3)]
PriorityName = Literal["low", "normal", "high", "urgent"]
StaffId = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
WallClock = Annotated[str, msgspec.Meta(
    pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
    description="the desk's local wall-clock time, HH:MM (24-hour)", examples=["16:30"])]


class ConditionsBody(Body, kw_only=True):
    """Every condition given must hold (a list: any of its values); none given: every case."""

    services: Codes = msgspec.field(default_factory=list)
    channels: Channels = msgspec.field(default_factory=list)
    desks: Codes = msgspec.field(default_factory=list)
    keywords: Words = msgspec.field(default_factory=list)
    classifications: Classifications = msgspec.field(default_factory=list)
    # Whether the desk was open when the case arrived, on its business calendar.
    hours: Literal["open", "closed"] | None = None
    local_from: WallClock | None = None
    local_until: WallClock | None = None


class ActionsBody(Body, kw_only=True):
    department: Code | None = None
    assignee: StaffId | None = None
    team: bool = False
    priority: PriorityName | None = None


class RuleBody(Body, kw_only=True):
    id: Code
    description: Annotated[str, msgspec.Meta(max_length=500)] = ""
    conditions: ConditionsBody = msgspec.field(default_factory=ConditionsBody)
    actions: ActionsBody


class RulesBody(Body, kw_only=True):
    """The whole ordered list: it replaces the rules published now."""

    rules: Annotated[list[RuleBody], msgspec.Meta(max_length=200)]
    reason: Annotated[str, msgspec.Meta(max_length=500)] = ""
    expected_version: Annotated[int, msgspec.Meta(ge=0)] | None = None


class ConditionsView(msgspec.Struct):
    services: list[str]
    channels: list[str]
    desks: list[str]
    keywords: list[str]
    classifications: list[str]
    hours: str | None
    local_from: str | None  # HH:MM, the desk's local time
    local_until: str | None


class ActionsView(msgspec.Struct):
    department: str | None
    assignee: str | None
    team: bool
    priority: str | None


class RuleView(msgspec.Struct):
    id: str
    version: int
    description: str
    conditions: ConditionsView
    actions: ActionsView


class RulesView(msgspec.Struct):
    version: int  # of the whole list; 0: never published
    rules: list[RuleView]


class TeamBody(Body, kw_only=True):
    members: Annotated[list[StaffId], msgspec.Meta(max_length=200)]


class MemberView(msgspec.Struct):
    staff_id: str
    away: bool
    away_reason: str | None  # shown to administrators and to that person only


class TeamView(msgspec.Struct):
    department: str
    members: list[MemberView]  # in the team's order (ties in open work go to the earlier)
    version: int  # 0: no team kept


class AwayBody(Body, kw_only=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class AvailabilityView(msgspec.Struct):
    staff_id: str
    away: bool
    away_reason: str | None
    version: int


def _time(value: str | None, field: str) -> time | None:
    if value is None:
        return None
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise InvalidValue("a time of day, HH:MM", field) from None


def rule_of(index: int, body: RuleBody) -> RoutingRule:
    c, a = body.conditions, body.actions
    where = f"rules[{index}].conditions"
    return RoutingRule(
        id=body.id, description=body.description,
        conditions=Conditions(
            services=tuple(c.services), channels=tuple(c.channels), desks=tuple(c.desks),
            keywords=tuple(c.keywords), classifications=tuple(c.classifications),
            hours=c.hours, local_from=_time(c.local_from, f"{where}.local_from"),
            local_until=_time(c.local_until, f"{where}.local_until")),
        actions=Actions(department=a.department, assignee=a.assignee, team=a.team,
                        priority=a.priority))


def rules_view(rules: RoutingRules | None) -> RulesView:
    if rules is None:
        return RulesView(version=0, rules=[])
    views = []
    for rule in rules.rules:
        c, a = rule.conditions, rule.actions
        views.append(RuleView(
            id=rule.id, version=rule.version, description=rule.description,
            conditions=ConditionsView(
                services=list(c.services), channels=list(c.channels), desks=list(c.desks),
                keywords=list(c.keywords), classifications=list(c.classifications),
                hours=c.hours,
                local_from=None if c.local_from is None else c.local_from.isoformat("minutes"),
                local_until=None if c.local_until is None
                else c.local_until.isoformat("minutes")),
            actions=ActionsView(department=a.department, assignee=a.assignee, team=a.team,
                                priority=a.priority)))
    return RulesView(version=rules.version, rules=views)


def availability_view(staff_id: str, found: StaffAvailability | None,
                      actor: Actor) -> AvailabilityView:
    """Why someone is away is theirs: shown to them and to administrators; whether they are,
    to everyone (a CSR needs it to hand a case over)."""
    away = found is not None and found.away
    told = actor.role == Role.ADMIN or actor.id == staff_id
    return AvailabilityView(staff_id=staff_id, away=away,
                            away_reason=found.reason if found is not None and away and told
                            else None,
                            version=0 if found is None else found.version)


def operators_only(connection: Any, _: Any) -> None:
    check_operator(current_actor(connection))


UNAUTHENTICATED = "No valid bearer token"
PATH_FAULT = "A path parameter holds control characters (names it)"
WRITE = {"e400": "The body is malformed or has unknown fields (names the field)",
         "e401": UNAUTHENTICATED, "e413": "The body is larger than CIVICDESK_MAX_BODY_BYTES"}


class RoutingController(Controller):
    path = "/api/v1"
    tags = ["routing"]
    guards = [authenticated]
    dependencies = {"actor": Provide(current_actor, sync_to_thread=False)}

    @get("/admin/routing-rules", operation_id="routing_rules_get", sync_to_thread=True,
         guards=[operators_only], summary="The routing rules, in order, with their versions",
         responses=described_problems(e401=UNAUTHENTICATED,
                                      e403="Only administrators, directors and auditors"))
    def get_rules(self, request: Request[Any, Any, Any], actor: Actor,
                  desk: ServiceDesk) -> RulesView:
        return rules_view(routing_admin.current_rules(desk))

    @put("/admin/routing-rules", operation_id="routing_rules_publish", sync_to_thread=True,
         guards=[admin_only], summary="Publish the routing rules (administrators)",
         description="Replaces the whole ordered list; the first rule a case matches decides, "
                     "at receipt and on reclassification. A rule keeps its version while it "
                     "is unchanged.",
         responses=described_problems(
             **WRITE, e403="Only administrators publish routing rules",
             e409="expected_version is not the version published now",
             e422="A rule is not valid (names the field, e.g. rules[1].actions.department)"))
    def publish_rules(self, request: Request[Any, Any, Any], actor: Actor, desk: ServiceDesk,
                      data: RulesBody) -> RulesView:
        rules = [rule_of(index, body) for index, body in enumerate(data.rules)]
        return rules_view(routing_admin.publish_rules(
            desk, actor, rules, reason=data.reason, expected_version=data.expected_version))

    @get("/admin/teams/{department:str}", operation_id="team_get", sync_to_thread=True,
         summary="A department's team and who of it is away",
         responses=described_problems(e400=PATH_FAULT, e401=UNAUTHENTICATED,
                                      e404="No such department"))
    def get_team(self, request: Request[Any, Any, Any], actor: Actor, desk: ServiceDesk,
                 department: str) -> TeamView:
        if desk.known().department(department) is None:
            raise NotFound(f"no department {department}", "department")
        return self._team_view(desk, department, actor)

    @put("/admin/teams/{department:str}", operation_id="team_set", sync_to_thread=True,
         guards=[admin_only], summary="Set a department's team (administrators)",
         responses=described_problems(
             **WRITE, e403="Only administrators keep teams", e404="No such department",
             e409="The team changed meanwhile", e422="A member is blank or listed twice"))
    def set_team(self, request: Request[Any, Any, Any], actor: Actor, desk: ServiceDesk,
                 department: str, data: TeamBody) -> TeamView:
        routing_admin.set_team(desk, actor, department, data.members)
        return self._team_view(desk, department, actor)

    @staticmethod
    def _team_view(desk: ServiceDesk, department: str, actor: Actor) -> TeamView:
        team = routing_admin.team_of(desk, department)
        members = []
        for member in (team.members if team is not None else ()):
            found = availability_view(member, routing_admin.availability(desk, member), actor)
            members.append(MemberView(staff_id=member, away=found.away,
                                      away_reason=found.away_reason))
        return TeamView(department=department, members=members,
                        version=0 if team is None else team.version)

    @post("/staff/{staff_id:str}/away", operation_id="staff_mark_away", status_code=200,
          sync_to_thread=True, summary="Mark a member of staff away (themselves, or an admin)",
          description="Auto-assignment skips them until they are marked back.",
          responses=described_problems(
              **WRITE, e403="Only that person or an administrator",
              e409="Changed meanwhile", e422="Already marked away, or no reason given"))
    def mark_away(self, request: Request[Any, Any, Any], actor: Actor, desk: ServiceDesk,
                  staff_id: str, data: AwayBody) -> AvailabilityView:
        return availability_view(staff_id, routing_admin.mark_away(desk, actor, staff_id,
                                                                   data.reason), actor)

    @post("/staff/{staff_id:str}/back", operation_id="staff_mark_back", status_code=200,
          sync_to_thread=True, summary="Mark a member of staff back (themselves, or an admin)",
          responses=described_problems(
              e400=PATH_FAULT, e401=UNAUTHENTICATED,
              e403="Only that person or an administrator", e409="Changed meanwhile",
              e422="Not marked away"))
    def mark_back(self, request: Request[Any, Any, Any], actor: Actor, desk: ServiceDesk,
                  staff_id: str) -> AvailabilityView:
        return availability_view(staff_id, routing_admin.mark_back(desk, actor, staff_id),
                                 actor)

    @get("/staff/{staff_id:str}/availability", operation_id="staff_availability",
         sync_to_thread=True, summary="Whether a member of staff is marked away",
         responses=described_problems(e400=PATH_FAULT, e401=UNAUTHENTICATED))
    def get_availability(self, request: Request[Any, Any, Any], actor: Actor,
                         desk: ServiceDesk, staff_id: str) -> AvailabilityView:
        return availability_view(staff_id, routing_admin.availability(desk, staff_id), actor)
