"""Access policy: who may see and do what, to which department's cases."""

from __future__ import annotations

from domain.actors import Actor, Role
from domain.errors import Forbidden

READ_ONLY = {Role.AUDITOR, Role.CLERK}
EVERY_DEPARTMENT = {Role.CSR, Role.DIRECTOR, Role.ADMIN, Role.CLERK, Role.AUDITOR, Role.SYSTEM}

# The front desk triages: it takes, routes and answers contacts, but complaint escalation and
# debriefs belong to the departments' management (recommendation 1D).
CSR_COMMANDS = {
    "receive", "log_interaction", "assign", "transfer", "acknowledge", "interim_response",
    "wait", "customer_responded", "resolve", "reopen", "close", "classify",
    "request_accommodation", "provide_accommodation", "survey",
}
STAFF_COMMANDS = CSR_COMMANDS | {"escalate"}
MANAGER_COMMANDS = STAFF_COMMANDS | {"debrief"}


def can_see_department(actor: Actor, department: str) -> bool:
    return actor.role in EVERY_DEPARTMENT or department in actor.departments


def check_may(actor: Actor, command: str, department: str) -> None:
    """Raise Forbidden unless `actor` may run `command` on a case owned by `department`.

    Callers check visibility first, so that an invisible case is reported as not found.
    """
    if actor.role in READ_ONLY:
        raise Forbidden(f"the {actor.role.value} role is read-only")
    if actor.role in {Role.DIRECTOR, Role.ADMIN, Role.SYSTEM}:
        return
    if actor.role == Role.CSR:
        allowed = CSR_COMMANDS
    elif department not in actor.departments:
        raise Forbidden(f"{actor.id} does not act for the department {department}")
    else:
        allowed = MANAGER_COMMANDS if actor.role == Role.MANAGER else STAFF_COMMANDS
    if command not in allowed:
        raise Forbidden(f"the {actor.role.value} role may not {command.replace('_', ' ')}")


def check_admin(actor: Actor) -> None:
    if actor.role != Role.ADMIN:
        raise Forbidden("only an administrator may change the catalogue, standards or calendar")


def check_operator(actor: Actor) -> None:
    if actor.role not in {Role.ADMIN, Role.AUDITOR, Role.DIRECTOR}:
        raise Forbidden("only administrators, directors and auditors see the desk's machinery")
