"""What staff do with customer records: search them (by blind index), list a customer's cases,
merge a duplicate into its survivor, and (the privacy officer) erase a customer by destroying
their data key. Reads return `CustomerDetails` (application.customers); the API logs each
disclosure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.access import (
    CUSTOMER_ROLES,
    can_see_department,
    check_customer_access,
    check_may_merge,
    check_privacy_officer,
)
from application.customers import CustomerDetails
from application.desk import ServiceDesk
from domain.actors import Actor
from domain.cases import Case
from domain.customers import (
    MATCH_FIELDS,
    Customer,
    match_tokens,
    name_words,
    normal_email,
    normal_phone,
)
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


@dataclass(frozen=True)
class CustomerMatch:
    """A live customer already on record whom an intake's contact matches exactly, and on
    which fields (`MATCH_FIELDS` order): a suggestion for staff to confirm, never acted on."""

    customer_id: UUID
    matched_on: tuple[str, ...]


def matches(desk: ServiceDesk, actor: Actor, contact: dict[str, str],
            new_customer: UUID | None) -> list[CustomerMatch]:
    """The live customers (survivors of merges) other than `new_customer` (the record intake
    just made, itself matching) whose email or phone is exactly the contact's on a record
    made before `new_customer`, in id order, at most MAX_RESULTS. None for a role that does
    not look up customers (its receipt stands; it is just not shown anyone)."""
    if actor.role not in CUSTOMER_ROLES:
        return []
    tokens = match_tokens(contact)
    if not tokens:
        return []
    # Each record is loaded once: as made (its creation time), then followed through merges.
    me = desk.load_customer(new_customer) if new_customer is not None else None
    myself = _survivor(desk, me).id if me is not None else None
    # Only records older than the new one: the receipt's answer stays what it was when a
    # retry replays it, and a later duplicate is found from its own receipt instead.
    since = me.created_on if me is not None else None
    wanted = [field for field in MATCH_FIELDS if field in tokens]
    owners = desk.cipher.owners_of([tokens[field] for field in wanted])  # one query
    found: dict[UUID, list[str]] = {}
    loaded: dict[UUID, tuple[Customer, Customer] | None] = {}  # owner -> (made, survivor)
    for field in wanted:
        for owner in sorted(owners.get(tokens[field], set()) - {new_customer}):
            if owner not in loaded:
                try:
                    made = desk.load_customer(owner)
                    loaded[owner] = (made, _survivor(desk, made))
                except NotFound:
                    loaded[owner] = None  # prepared at an intake then refused: never saved
            pair = loaded[owner]
            if pair is None:
                continue
            made, record = pair
            if record.id == myself or record.erased or (
                    since is not None and made.created_on >= since):
                continue
            on = found.setdefault(record.id, [])
            if field not in on:
                on.append(field)
    return [CustomerMatch(customer_id=c, matched_on=tuple(on))
            for c, on in list(found.items())[:MAX_RESULTS]]


def _survivor(desk: ServiceDesk, made: Customer) -> Customer:
    """`made`, or the record it was merged into (followed to the end)."""
    return made if made.merged_into is None else desk.customers.get(made.merged_into)


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
