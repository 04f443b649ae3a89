"""The `Customer` aggregate: a person or organization the desk serves, one record across
their cases. Personal fields (name, email, phone, address, accessibility needs) live in its
events only sealed (encrypted with the customer's own data key, application.personal_data):
the domain never sees them in clear, so erasing the key erases the person and leaves every
event, and the hash chain over them, intact."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.actors import Actor
from domain.errors import InvalidValue, RuleViolated
from domain.values import parse_enum

# The personal fields, every one sealed; what stays in clear is not about who they are.
PERSONAL_FIELDS = ("name", "email", "phone", "address", "accessibility_needs")
ERASED = "erased"


class CustomerKind(StrEnum):
    PERSON = "person"
    ORGANIZATION = "organization"


class ContactMethod(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    MAIL = "mail"
    IN_PERSON = "in_person"


class Language(StrEnum):
    """Official languages the Town answers in (English, French)."""

    EN = "en"
    FR = "fr"


class CorrectionOutcome(StrEnum):
    MADE = "made"
    REFUSED = "refused"


class CustomerErased(RuleViolated):
    code = "customer-erased"


class CustomerMerged(RuleViolated):
    code = "customer-merged"


def _who(actor: Actor) -> dict[str, str]:
    return {"actor_id": actor.id, "actor_role": actor.role.value}


def search_tokens(details: dict[str, str]) -> set[str]:
    """What a customer can be found by (each becomes a blind index): their email, their
    phone number's digits, each word of their name, every one normalised the same way a
    search is (`query_tokens`)."""
    tokens: set[str] = set()
    if details.get("email"):
        tokens.add(f"email:{normal_email(details['email'])}")
    if details.get("phone") and (digits := normal_phone(details["phone"])):
        tokens.add(f"phone:{digits}")
    tokens |= {f"name:{word}" for word in name_words(details.get("name", ""))}
    return tokens


def normal_email(email: str) -> str:
    return email.strip().lower()


def normal_phone(phone: str) -> str:
    """The last ten digits (a North American number without its leading 1)."""
    return re.sub(r"\D", "", phone)[-10:]


def name_words(name: str) -> list[str]:
    """Lower case, accents removed (Hélène finds Helene), split on anything not a letter."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return [w for w in re.split(r"[^a-z0-9]+", plain) if w]


class Customer(Aggregate):
    """One customer. Commands check the rules, then record one event; personal values arrive
    already sealed, and leave sealed."""

    class Registered(Aggregate.Created):
        kind: str
        sealed: str
        preferred_contact: str | None
        language: str
        consent_to_contact: bool
        actor_id: str
        actor_role: str

    @classmethod
    def register(cls, *, customer_id: UUID, kind: str, sealed: str,
                 preferred_contact: str | None, language: str, consent_to_contact: bool,
                 actor: Actor) -> Customer:
        parse_enum(CustomerKind, kind, "kind")
        if preferred_contact is not None:
            parse_enum(ContactMethod, preferred_contact, "preferred_contact")
        parse_enum(Language, language, "language")
        return cls._create(cls.Registered, id=customer_id, kind=kind, sealed=sealed,
                           preferred_contact=preferred_contact, language=language,
                           consent_to_contact=consent_to_contact, **_who(actor))

    @event(Registered)
    def __init__(self, *, kind: str, sealed: str, preferred_contact: str | None,
                 language: str, consent_to_contact: bool, actor_id: str,
                 actor_role: str) -> None:
        self.kind = kind
        self.sealed = sealed
        self.preferred_contact = preferred_contact
        self.language = language
        self.consent_to_contact = consent_to_contact
        self.registered_by = actor_id
        self.cases: list[dict[str, Any]] = []  # {"case_id", "reference"}, oldest first
        self.merged_into: UUID | None = None
        self.merged_from: list[UUID] = []
        self.erasure: dict[str, Any] | None = None
        self.corrections: list[dict[str, Any]] = []

    # -- checks ------------------------------------------------------------------------------

    @property
    def erased(self) -> bool:
        return self.erasure is not None

    def check_live(self) -> None:
        if self.erased:
            raise CustomerErased(f"customer {self.id} was erased")
        if self.merged_into is not None:
            raise CustomerMerged(f"customer {self.id} was merged into {self.merged_into}")

    # -- commands ----------------------------------------------------------------------------

    def link_case(self, *, case_id: UUID, reference: str) -> None:
        """The case is this customer's (recorded once)."""
        if any(c["case_id"] == case_id for c in self.cases):
            return
        self._case_linked(case_id=case_id, reference=reference)

    @event("CaseLinked")
    def _case_linked(self, *, case_id: UUID, reference: str) -> None:
        self.cases.append({"case_id": case_id, "reference": reference})

    def merge_into(self, survivor: Customer, *, reason: str, actor: Actor) -> None:
        """This record is a duplicate of `survivor`: its cases are the survivor's from now on,
        and its id resolves to the survivor. (The caller records `absorb` on the survivor.)"""
        self.check_live()
        survivor.check_live()
        if survivor.id == self.id:
            raise InvalidValue("a customer cannot be merged into itself", "into")
        if not reason.strip():
            raise InvalidValue("reason must not be empty", "reason")
        self._merged(into=survivor.id, reason=reason, **_who(actor))
        survivor._absorbed(merged=self.id, cases=list(self.cases), **_who(actor))

    @event("MergedInto")
    def _merged(self, *, into: UUID, reason: str, actor_id: str, actor_role: str) -> None:
        self.merged_into = into

    @event("Absorbed")
    def _absorbed(self, *, merged: UUID, cases: list[dict[str, Any]], actor_id: str,
                  actor_role: str) -> None:
        self.merged_from.append(merged)
        known = {c["case_id"] for c in self.cases}
        self.cases += [c for c in cases if c["case_id"] not in known]

    def erase(self, *, reason: str, at: datetime, actor: Actor, basis: str = "request") -> None:
        """Record the erasure (its data key is destroyed by the caller): who, when, why;
        never what was erased. `basis`: "request" (a privacy officer) or "retention"."""
        if self.erased:
            raise CustomerErased(f"customer {self.id} was already erased")
        if not reason.strip():
            raise InvalidValue("reason must not be empty", "reason")
        self._erased(reason=reason, basis=basis, occurred_at=at, **_who(actor))

    @event("Erased")
    def _erased(self, *, reason: str, basis: str, occurred_at: datetime, actor_id: str,
                actor_role: str) -> None:
        self.erasure = {"reason": reason, "basis": basis, "at": occurred_at,
                        "by": actor_id, "role": actor_role}

    # -- correction (MFIPPA s.36) ------------------------------------------------------------

    def request_correction(self, *, field: str, sealed_value: str, actor: Actor) -> int:
        """The customer asks that `field` be corrected (the value they ask for, sealed). The
        number of the request is returned; the privacy officer decides it."""
        self.check_live()
        if field not in PERSONAL_FIELDS:
            raise InvalidValue(f"{field!r} is not a personal field: one of "
                               f"{', '.join(PERSONAL_FIELDS)}", "field")
        number = len(self.corrections) + 1
        self._correction_requested(number=number, field=field, sealed_value=sealed_value,
                                   **_who(actor))
        return number

    @event("CorrectionRequested")
    def _correction_requested(self, *, number: int, field: str, sealed_value: str,
                              actor_id: str, actor_role: str) -> None:
        self.corrections.append({"number": number, "field": field,
                                 "sealed_value": sealed_value, "outcome": None,
                                 "reason": None, "sealed_statement": None})

    def decide_correction(self, *, number: int, outcome: str, reason: str,
                          sealed_record: str | None, sealed_statement: str | None,
                          actor: Actor) -> None:
        """Decide request `number`. Made: `sealed_record` is the record with the correction
        applied, used from then on. Refused: the record stays as it was, and the customer's
        statement of disagreement (sealed; required, s.36(2)(b)) is attached to it."""
        self.check_live()
        if not 1 <= number <= len(self.corrections):
            raise InvalidValue(f"no correction request {number}", "number")
        if self.corrections[number - 1]["outcome"] is not None:
            raise RuleViolated(f"correction request {number} was already decided", "number")
        chosen = parse_enum(CorrectionOutcome, outcome, "outcome")
        if not reason.strip():
            raise InvalidValue("reason must not be empty", "reason")
        if chosen is CorrectionOutcome.MADE and sealed_record is None:
            raise InvalidValue("a correction made needs the corrected record", "outcome")
        if chosen is CorrectionOutcome.REFUSED and sealed_statement is None:
            raise InvalidValue("a refused correction needs the customer's statement of "
                               "disagreement", "statement_of_disagreement")
        self._correction_decided(
            number=number, outcome=chosen.value, reason=reason,
            sealed_record=sealed_record if chosen is CorrectionOutcome.MADE else None,
            sealed_statement=sealed_statement if chosen is CorrectionOutcome.REFUSED
            else None, **_who(actor))

    @event("CorrectionDecided")
    def _correction_decided(self, *, number: int, outcome: str, reason: str,
                            sealed_record: str | None, sealed_statement: str | None,
                            actor_id: str, actor_role: str) -> None:
        request = self.corrections[number - 1]
        request.update(outcome=outcome, reason=reason, sealed_statement=sealed_statement,
                       decided_by=actor_id)
        if sealed_record is not None:
            self.sealed = sealed_record
