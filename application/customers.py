"""Customers: registering one at intake (their personal fields sealed under a data key of
their own), reading them back (decrypted on read; "erased" once the key is gone), following
merges, and linking their cases."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol
from uuid import UUID, uuid4

from application.personal_data import PersonalCipher
from domain.actors import Actor
from domain.customers import ERASED, PERSONAL_FIELDS, Customer, Language, search_tokens
from domain.errors import InvalidValue, NotFound, VersionConflict

HELD, NONE = "held", "none"
MERGE_HOPS = 32  # a merge chain longer than this is a damaged log, not a customer
LINK_ATTEMPTS = 5


@dataclass(frozen=True)
class Intake:
    """What intake knows of the customer: the personal fields (name, email, phone, address,
    accessibility_needs; empty ones left out) and their preferences."""

    personal: dict[str, str]
    kind: str = "person"
    preferred_contact: str | None = None
    language: str = Language.EN.value
    consent_to_contact: bool = False

    @property
    def empty(self) -> bool:
        return not any(v.strip() for v in self.personal.values())


@dataclass(frozen=True)
class CustomerDetails:
    """A customer as a read shows them: `status` "held" (fields decrypted), "erased" (no
    field: the key is destroyed) or "none" (the case names no customer)."""

    customer_id: UUID | None
    status: str
    fields: dict[str, str] = field(default_factory=dict)
    kind: str | None = None
    preferred_contact: str | None = None
    language: str | None = None
    consent_to_contact: bool | None = None


@dataclass(frozen=True)
class NewCustomer:
    """A customer record prepared at intake, its fields sealed, not yet saved."""

    customer_id: UUID
    intake: Intake
    actor: Actor
    sealed: str

    def check(self) -> None:
        """Raises InvalidValue if the record would be refused."""
        self._register()

    def _register(self) -> Customer:
        i = self.intake
        return Customer.register(
            customer_id=self.customer_id, kind=i.kind, sealed=self.sealed,
            preferred_contact=i.preferred_contact, language=i.language,
            consent_to_contact=i.consent_to_contact, actor=self.actor)

    def record(self, case: Any) -> Customer:
        """The record, registered and naming `case` (built afresh for each numbering)."""
        customer = self._register()
        customer.link_case(case_id=case.id, reference=case.reference)
        return customer


class CustomerStore(Protocol):
    """What `Customers` needs of the desk (ServiceDesk provides it)."""

    cipher: PersonalCipher

    def load_customer(self, customer_id: UUID) -> Customer: ...

    def save_customers(self, *customers: Customer) -> int: ...


NO_CUSTOMER = CustomerDetails(customer_id=None, status=NONE)


class Customers:
    """The desk's customer records. `load`, `save` and `cipher` come from the desk."""

    def __init__(self, desk: CustomerStore) -> None:
        self.desk = desk

    @property
    def cipher(self) -> PersonalCipher:
        return self.desk.cipher

    def get(self, customer_id: UUID) -> Customer:
        """The customer, or the one it was merged into (followed to the end). NotFound."""
        customer = self.desk.load_customer(customer_id)
        for _ in range(MERGE_HOPS):
            if customer.merged_into is None:
                return customer
            customer = self.desk.load_customer(customer.merged_into)
        raise NotFound(f"customer {customer_id} is merged in a loop")

    def prepare(self, actor: Actor, intake: Intake) -> NewCustomer:
        """A new customer record, to be saved with its first case: a data key made for it,
        its personal fields sealed with it, its search tokens indexed, the key and tokens
        written in the transaction that saves the record (a record never saved leaves
        nothing; call `cipher.forget` once it is saved or given up). Raises InvalidValue,
        PersonalDataLocked."""
        unknown = set(intake.personal) - set(PERSONAL_FIELDS)
        if unknown:
            raise InvalidValue(f"unknown personal field {sorted(unknown)[0]}", "contact")
        customer_id = uuid4()
        personal = {k: v for k, v in intake.personal.items() if v.strip()}
        new = NewCustomer(customer_id=customer_id, intake=intake, actor=actor,
                          sealed=self.cipher.new_record(customer_id, personal,
                                                        search_tokens(personal)))
        try:
            new.check()
        except BaseException:
            self.cipher.forget(customer_id)
            raise
        return new

    def details(self, customer_id: UUID | None) -> CustomerDetails:
        """The customer as a read shows them (decrypted now; "erased" once erased)."""
        if customer_id is None:
            return NO_CUSTOMER
        customer = self.get(customer_id)
        fields = None if customer.erased else self.cipher.open(customer.id, customer.sealed)
        if fields is None:
            return CustomerDetails(customer_id=customer.id, status=ERASED, kind=customer.kind)
        return CustomerDetails(customer_id=customer.id, status=HELD, fields=fields,
                               kind=customer.kind,
                               preferred_contact=customer.preferred_contact,
                               language=customer.language,
                               consent_to_contact=customer.consent_to_contact)

    def link_case(self, customer_id: UUID, case_id: UUID, reference: str) -> None:
        """Records the case on its customer (again on a concurrent change)."""
        for attempt in range(LINK_ATTEMPTS):
            customer = self.get(customer_id)
            customer.link_case(case_id=case_id, reference=reference)
            try:
                self.desk.save_customers(customer)
                return
            except VersionConflict:
                if attempt == LINK_ATTEMPTS - 1:
                    raise


