"""Alerts about targets: the scheduler records a target at risk as a fact (`TargetAtRisk`), as
it records a missed deadline, so the inbox items both raise are reproducible from the log; and
administrators name each department's manager, who gets its cases' alerts (domain.inbox)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.persistence import IntegrityError, RecordConflictError

from application.access import check_admin
from application.desk import ServiceDesk
from domain.actors import SCHEDULER, Actor
from domain.cases import Case
from domain.catalogue import Department
from domain.errors import NotFound, VersionConflict
from domain.standards import TargetKind

TARGET_NAMES = frozenset(kind.value for kind in TargetKind)


def record_target_at_risk(desk: ServiceDesk, case_id: UUID, target: str,
                          at_risk_from: datetime) -> bool:
    """Called by the scheduler when a target's at-risk instant comes: records TargetAtRisk,
    stamped with that instant, only if it is still the target's watched at-risk instant and
    the deadline has not passed. Returns whether it recorded one."""
    try:
        case = desk._get(Case, case_id, "case")
    except NotFound:
        return False
    if not case.record_at_risk(target=target, at_risk_from=at_risk_from, now=desk.clock(),
                               actor=SCHEDULER):
        return False
    try:
        desk._save(case)  # through the committer, as the desk's own commands are
    except VersionConflict:
        # The case moved on meanwhile (perhaps the target was just met): judge it afresh.
        return record_target_at_risk(desk, case_id, target, at_risk_from)
    return True


def watched_at_risk_times(desk: ServiceDesk, case_id: UUID
                          ) -> dict[str, datetime | None] | None:
    """Every target's watched at-risk instant as the case stands now (None for a target with
    nothing to watch); None if there is no such case."""
    case: object = desk.repository.get(case_id)
    if not isinstance(case, Case):
        return None
    watched: dict[str, datetime | None] = dict.fromkeys(TARGET_NAMES - case.targets.keys())
    watched.update((name, case.watched_at_risk_from(name)) for name in case.targets)
    return watched


def name_department_manager(desk: ServiceDesk, actor: Actor, code: str,
                            manager: str | None) -> Department:
    """Name the department's manager (None: none). Raises Forbidden, NotFound, InvalidValue,
    RuleViolated, VersionConflict."""
    check_admin(actor)
    department = desk.find_department(code)
    if department is None:
        raise NotFound(f"no department {code}")
    department.name_manager(manager=manager, actor=actor)
    try:
        desk.save(department)
    except (RecordConflictError, IntegrityError):
        raise VersionConflict("the department was changed by someone else; reload and "
                              "retry") from None
    return department
