"""Routing at intake and on reclassification: the first matching rule's decision (with the
team member to assign, by least open work, skipping anyone away), recorded on the case."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from application.catalogue_index import Known
from application.commands import ReceiveCase
from application.desk import ServiceDesk
from domain.actors import ROUTING
from domain.cases import Case
from domain.closures import DeskCalendars
from domain.routing import CaseFacts, RoutingDecision, RoutingRule, first_match, least_open_work


def decide(app: ServiceDesk, known: Known, facts: CaseFacts,
           department: str) -> RoutingDecision | None:
    """What the rules as now published decide for a case with `facts`, owned by `department`
    unless a rule says otherwise; None when no rule matches (or none is published).

    A rule that would send the case to a department no longer active is passed over, as if it
    were not there: a case is never routed where nobody works."""
    rules = known.routing_rules
    if rules is None:
        return None
    usable = [rule for rule in rules.rules if _usable(rule, known)]
    rule = first_match(usable, facts)
    if rule is None:
        return None
    target = rule.actions.department or department
    assignee, assigned_by = rule.actions.assignee, None
    skipped: tuple[str, ...] = ()
    if assignee is not None:
        assigned_by = "rule"
    elif rule.actions.team:
        members = known.team(target)
        counts = _open_cases(app, members)
        assignee, skipped = least_open_work(members, known.away(), counts)
        assigned_by = "least_open_work" if assignee is not None else None
    return RoutingDecision(rule_id=rule.id, rule_version=rule.version,
                           rules_version=rules.version, department=target, assignee=assignee,
                           assigned_by=assigned_by, skipped_away=skipped,
                           priority=rule.actions.priority)


def _open_cases(app: ServiceDesk, members: tuple[str, ...]) -> dict[str, int]:
    if app.open_work is None or not members:
        return {}
    try:
        return app.open_work.open_cases_of(members)
    except Exception:
        # A read model being rebuilt or unreachable: every member counts alike, so the
        # team's order decides, and the event still names who was skipped as away.
        return {}


def _usable(rule: RoutingRule, known: Known) -> bool:
    if rule.actions.department is None:
        return True
    department = known.department(rule.actions.department)
    return department is not None and department.active


def facts_of(case: Case, calendars: DeskCalendars) -> CaseFacts:
    return CaseFacts(channel=case.channel, service_code=case.service_code, desk=case.desk,
                     subject=case.subject, description=case.description,
                     classification=case.classification, received_at=case.received_at,
                     calendar=calendars.of(case.desk))


def decide_at_receipt(app: ServiceDesk, known: Known, calendars: DeskCalendars,
                      command: ReceiveCase, desk: str | None, department: str,
                      now: datetime) -> RoutingDecision | None:
    """`decide` for a contact being received at `desk`, owned by `department` by its service."""
    return decide(app, known, CaseFacts(
        channel=command.channel, service_code=command.service_code, desk=desk,
        subject=command.subject, description=command.description,
        classification=command.classification, received_at=command.received_at or now,
        calendar=calendars.of(desk)), department)


def route_received(app: ServiceDesk, case: Case, decision: RoutingDecision | None,
                   now: datetime) -> None:
    """Record a decision made for a case being received (before its targets are planned)."""
    if decision is not None:
        case.route(decision, trigger="received", actor=ROUTING, occurred_at=now, now=now)


def reroute(app: ServiceDesk, case: Case, now: datetime) -> None:
    """After a reclassification: the rules decide again, on the case as now classified (its
    other facts as received). Records nothing when no rule matches or nothing changes."""
    known = app.known()
    decision = decide(app, known, facts_of(case, known.calendars(now)), case.department)
    if decision is None:
        return
    if decision.department == case.department and case.assignee is not None and \
            decision.assigned_by == "least_open_work":
        # Whoever works the case keeps it: the team pick is for cases nobody holds.
        decision = replace(decision, assignee=None, assigned_by=None, skipped_away=())
    case.route(decision, trigger="reclassified", actor=ROUTING, occurred_at=now, now=now)
