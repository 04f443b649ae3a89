"""Correcting a customer's personal information (MFIPPA s.36): a request and its decision are
events on the customer record; a correction made is used from then on (the original stays in
the earlier, sealed event); a refusal keeps the record as it was, with the customer's
statement of disagreement attached to it and shown wherever the record is."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.access import check_customer_access, check_privacy_officer
from application.desk import ServiceDesk
from domain.actors import Actor
from domain.customers import CorrectionOutcome, search_tokens
from domain.errors import InvalidValue


@dataclass(frozen=True)
class Correction:
    """One request as a read shows it (its values decrypted now)."""

    number: int
    field: str
    requested_value: str
    outcome: str | None  # None: waiting for the privacy officer
    reason: str | None
    statement_of_disagreement: str | None


def request_correction(desk: ServiceDesk, actor: Actor, customer_id: UUID, field: str,
                       value: str) -> int:
    """Record the customer's request that `field` read `value`; its number. Raises
    Forbidden, NotFound, InvalidValue, CustomerErased, CustomerMerged."""
    check_customer_access(actor)
    if not value.strip():
        raise InvalidValue("value must not be empty", "value")
    record = desk.customers.get(customer_id)
    number = record.request_correction(
        field=field, sealed_value=desk.cipher.seal(record.id, {"value": value}), actor=actor)
    desk.save_customers(record)
    return number


def decide_correction(desk: ServiceDesk, actor: Actor, customer_id: UUID, number: int,
                      outcome: str, reason: str, statement: str | None) -> None:
    """The privacy officer's decision on request `number`: "made" (the corrected value is
    used from now on, and found by search) or "refused" (with the customer's statement of
    disagreement). Raises Forbidden, NotFound, InvalidValue, RuleViolated."""
    check_privacy_officer(actor)
    record = desk.customers.get(customer_id)
    sealed_record = sealed_statement = None
    fields: dict[str, str] | None = None
    if outcome == CorrectionOutcome.MADE.value and 1 <= number <= len(record.corrections):
        request = record.corrections[number - 1]
        fields = desk.cipher.open(record.id, record.sealed) or {}
        asked = desk.cipher.open(record.id, request["sealed_value"]) or {}
        fields[request["field"]] = asked.get("value", "")
        sealed_record = desk.cipher.seal(record.id, fields)
    if statement is not None and statement.strip():
        sealed_statement = desk.cipher.seal(record.id, {"statement": statement})
    record.decide_correction(number=number, outcome=outcome, reason=reason,
                             sealed_record=sealed_record, sealed_statement=sealed_statement,
                             actor=actor)
    desk.save_customers(record)
    if fields is not None:
        desk.cipher.index(record.id, search_tokens(fields))


def corrections_of(desk: ServiceDesk, customer_id: UUID) -> list[Correction]:
    """Every correction request of the customer, oldest first (none once erased)."""
    record = desk.customers.get(customer_id)
    if record.erased:
        return []
    shown: list[Correction] = []
    for request in record.corrections:
        asked = desk.cipher.open(record.id, request["sealed_value"]) or {}
        statement = (desk.cipher.open(record.id, request["sealed_statement"]) or {}
                     if request["sealed_statement"] else {})
        shown.append(Correction(
            number=request["number"], field=request["field"],
            requested_value=asked.get("value", ""), outcome=request["outcome"],
            reason=request["reason"], statement_of_disagreement=statement.get("statement")))
    return shown
