"""Access policy: who may see and do what, to which department's cases."""

from __future__ import annotations

from domain.actors import Actor, Role
from domain.errors import Forbidden

READ_ONLY = {Role.AUDITOR, Role.CLERK, Role.PRIVACY_OFFICER}
EVERY_DEPARTMENT = {Role.CSR, Role.DIRECTOR, Role.ADMIN, Role.CLERK, Role.AUDITOR,
                    Role.PRIVACY_OFFICER, Role.SYSTEM}

# The front desk triages: it takes, routes and answers contacts, but complaint escalation and
# debriefs belong to the departments' management (recommendation 1D).
CSR_COMMANDS = {
    "receive", "log_interaction", "assign", "transfer", "acknowledge", "interim_response",
    "wait", "customer_responded", "resolve", "reopen", "close", "classify",
    "request_accommodation", "provide_accommodation", "accommodation_not_made", "survey",
    "publish_note", "attach", "merge", "add_internal_note",
}
STAFF_COMMANDS = CSR_COMMANDS | {"escalate"}
MANAGER_COMMANDS = STAFF_COMMANDS | {"debrief"}
# What civicdesk records of its own accord (the outbox worker noting a message it could not
# send): no person, whatever their role, runs these, and no route builds them.
SYSTEM_ONLY_COMMANDS = frozenset({"skip_notification"})

# An Open311 app (actor "open311:<app name>", system role, never issued as a token) submits
# requests for the public and does nothing else; it sees no case through the desk's queries.
PUBLIC_CLIENT_PREFIX = "open311:"
PUBLIC_CLIENT_COMMANDS = frozenset({"receive"})


def public_client(app_name: str) -> Actor:
    return Actor(id=f"{PUBLIC_CLIENT_PREFIX}{app_name}", role=Role.SYSTEM)


def is_public_client(actor: Actor) -> bool:
    return actor.role == Role.SYSTEM and actor.id.startswith(PUBLIC_CLIENT_PREFIX)


def can_see_department(actor: Actor, department: str) -> bool:
    if is_public_client(actor):
        return False
    return actor.role in EVERY_DEPARTMENT or department in actor.departments


def check_may(actor: Actor, command: str, department: str) -> None:
    """Raise Forbidden unless `actor` may run `command` on a case owned by `department`.

    Callers check visibility first, so that an invisible case is reported as not found.
    """
    if is_public_client(actor):
        if command not in PUBLIC_CLIENT_COMMANDS:
            raise Forbidden(f"an Open311 app may not {command.replace('_', ' ')}")
        return
    if actor.role in READ_ONLY:
        raise Forbidden(f"the {actor.role.value} role is read-only")
    if command in SYSTEM_ONLY_COMMANDS and actor.role != Role.SYSTEM:
        raise Forbidden(f"only civicdesk itself may {command.replace('_', ' ')}")
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


AUDIT_ROLES = {Role.AUDITOR, Role.ADMIN}


def check_auditor(actor: Actor) -> None:
    """The audit trail (the event log, its verification, the access log) is for independent
    oversight: auditors, and administrators who run the system. Directors are left out: their
    own decisions and reads are what it records, and they read cases one at a time (logged)."""
    if actor.role not in AUDIT_ROLES:
        raise Forbidden("only auditors and administrators read the audit trail")


# Who looks customers up and keeps their records tidy: the people who serve them. Auditors,
# clerks and administrators have no need to search people (MFIPPA's need-to-know).
CUSTOMER_ROLES = {Role.CSR, Role.STAFF, Role.MANAGER, Role.DIRECTOR, Role.PRIVACY_OFFICER}


def check_customer_access(actor: Actor) -> None:
    if actor.role not in CUSTOMER_ROLES:
        raise Forbidden(f"the {actor.role.value} role does not look up customers")


# Merging two records joins two people's histories: the front desk and management, who meet
# the customer, and the privacy officer; not department staff at large.
MERGING_ROLES = {Role.CSR, Role.MANAGER, Role.DIRECTOR, Role.PRIVACY_OFFICER}


def check_may_merge(actor: Actor) -> None:
    if actor.role not in MERGING_ROLES:
        raise Forbidden(f"the {actor.role.value} role may not merge customer records")


def check_privacy_officer(actor: Actor) -> None:
    """Erasure, correction decisions and access requests are the privacy officer's."""
    if actor.role != Role.PRIVACY_OFFICER:
        raise Forbidden("only the privacy officer erases customers, decides corrections and "
                        "answers access requests")
