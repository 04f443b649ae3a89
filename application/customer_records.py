"""What staff do with customer records: search them (by blind index), list a customer's cases,
merge a duplicate into its survivor, and (the privacy officer) erase a customer by destroying
their data key. Reads return `CustomerDetails` (application.customers); the API logs each
disclosure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.access import (
    can_see_department,
    check_customer_access,
    check_may_merge,
    check_privacy_officer,
)
from application.customers import CustomerDetails
from application.desk import ServiceDesk
from domain.actors import Actor
from domain.cases import Case
from domain.customers import Customer, name_words, normal_email, normal_phone
from domain.errors import InvalidValue, NotFound

MAX_RESULTS = 20


@dataclass(frozen=True)
class CaseOfCustomer:
    case_id: UUID
    reference: str
    department: str
    status: str
    received_at: datetime


def search(desk: ServiceDesk, actor: Actor, *, name: str | None = None,
           email: str | None = None, phone: str | None = None) -> list[CustomerDetails]:
    """The live customers matching every criterion given exactly (email; phone digits; each
    word of the name), at most MAX_RESULTS. Raises Forbidden, InvalidValue."""
    check_customer_access(actor)
    tokens: list[str] = []
    if email is not None and email.strip():
        tokens.append(f"email:{normal_email(email)}")
    if phone is not None:
        digits = normal_phone(phone)
        if len(digits) < 7:
            raise InvalidValue("phone must have at least 7 digits", "phone")
        tokens.append(f"phone:{digits}")
    if name is not None:
        words = name_words(name)
        if not words:
            raise InvalidValue("name must hold a letter or digit", "name")
        tokens += [f"name:{word}" for word in words]
    if not tokens:
        raise InvalidValue("search by name, email or phone", "name")
    found: dict[UUID, CustomerDetails] = {}
    for owner in sorted(desk.cipher.lookup(tokens)):
        try:
            details = desk.customers.details(owner)
        except NotFound:
            continue  # prepared at an intake that was then refused: never saved
        if details.status == "held" and details.customer_id is not None:
            found.setdefault(details.customer_id, details)
        if len(found) == MAX_RESULTS:
            break
    return list(found.values())


def customer(desk: ServiceDesk, actor: Actor, customer_id: UUID) -> CustomerDetails:
    """One customer (the survivor, if merged). Raises Forbidden, NotFound."""
    check_customer_access(actor)
    return desk.customers.details(customer_id)


def cases_of(desk: ServiceDesk, actor: Actor, customer_id: UUID) -> list[CaseOfCustomer]:
    """The customer's cases the actor may see, oldest first. Raises Forbidden, NotFound."""
    check_customer_access(actor)
    record = desk.customers.get(customer_id)
    seen: list[CaseOfCustomer] = []
    for link in record.cases:
        case = desk._get(Case, link["case_id"], "case")
        if can_see_department(actor, case.department):
            seen.append(CaseOfCustomer(case_id=case.id, reference=case.reference,
                                       department=case.department, status=case.status,
                                       received_at=case.received_at))
    return seen


def merge(desk: ServiceDesk, actor: Actor, duplicate_id: UUID, survivor_id: UUID,
          reason: str) -> Customer:
    """Merge the duplicate record into the survivor (both as events, saved together): the
    duplicate's id resolves to the survivor from now on, and its cases are the survivor's.
    Raises Forbidden, NotFound, InvalidValue, CustomerErased, CustomerMerged."""
    check_may_merge(actor)
    duplicate = desk.load_customer(duplicate_id)
    survivor = desk.customers.get(survivor_id)
    duplicate.merge_into(survivor, reason=reason, actor=actor)
    desk.save_customers(duplicate, survivor)
    return survivor


def erase(desk: ServiceDesk, actor: Actor, customer_id: UUID, reason: str, *,
          basis: str = "request") -> Customer:
    """Erase the customer (the survivor, if merged) and every record merged into it: the
    event says who, when and why, then each data key is destroyed, so no read can show
    them again while every event, and the chain over them, stays. Asking again after a
    failure destroys the keys again. Raises Forbidden, NotFound, InvalidValue."""
    if basis == "request":
        check_privacy_officer(actor)
    record = desk.customers.get(customer_id)
    if not record.erased:
        record.erase(reason=reason, at=desk.clock(), actor=actor, basis=basis)
        desk.save_customers(record)
    for owner in _with_merged(desk, record):
        desk.cipher.destroy(owner)
    return record


def _with_merged(desk: ServiceDesk, record: Customer) -> list[UUID]:
    owners, queue = [], [record]
    while queue:
        current = queue.pop()
        owners.append(current.id)
        queue += [desk.load_customer(merged) for merged in current.merged_from]
    return owners
