"""Customer routes: search (staff only; every search logged), one customer, their cases,
merging a duplicate record, and erasure by the privacy officer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.params import Parameter

from api.auth import authenticated, current_actor
from api.problems import problem_docs
from api.schemas import Body, Short, Text
from application import corrections, customer_records
from application.corrections import Correction, corrections_of
from application.customers import CustomerDetails
from application.desk import ServiceDesk
from domain.actors import Actor
from infrastructure.access_log import AccessLog

# The fields a customer view discloses, as the access log names them.
CUSTOMER_FIELDS = ("name", "email", "phone", "address", "accessibility_needs")
# A search that found no one is logged too (asking is a disclosure of interest): against
# this id, with the criteria it was asked by (never their values).
NO_ONE = UUID(int=0)


class CorrectionView(msgspec.Struct):
    number: int
    field: str
    requested_value: str
    outcome: str | None  # null: waiting for the privacy officer's decision
    reason: str | None
    # A refused correction keeps the record as it was, with the customer's statement.
    statement_of_disagreement: str | None


class CustomerView(msgspec.Struct):
    id: str
    # "held": the fields below are shown; "erased": none of them exists any more.
    status: str
    kind: str | None
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    accessibility_needs: str | None = None
    preferred_contact: str | None = None
    language: str | None = None
    consent_to_contact: bool | None = None
    corrections: list[CorrectionView] = []  # MFIPPA s.36 requests, oldest first


class CorrectionRequestBody(Body, kw_only=True):
    field: Literal["name", "email", "phone", "address", "accessibility_needs"]
    value: Text


class CorrectionDecisionBody(Body, kw_only=True):
    outcome: Literal["made", "refused"]
    reason: Text
    statement_of_disagreement: Text | None = None


class CustomerSearch(msgspec.Struct):
    items: list[CustomerView]


class CustomerCase(msgspec.Struct):
    id: str
    reference: str
    department: str
    status: str
    received_at: datetime


class CustomerCases(msgspec.Struct):
    customer_id: str
    items: list[CustomerCase]


class MergeBody(Body, kw_only=True):
    into: UUID  # the surviving record
    reason: Text


class EraseBody(Body, kw_only=True):
    reason: Short


def view(details: CustomerDetails, corrections: list[Correction] | None = None
         ) -> CustomerView:
    f = details.fields
    return CustomerView(
        id=str(details.customer_id), status=details.status, kind=details.kind,
        name=f.get("name"), email=f.get("email"), phone=f.get("phone"),
        address=f.get("address"), accessibility_needs=f.get("accessibility_needs"),
        preferred_contact=details.preferred_contact, language=details.language,
        consent_to_contact=details.consent_to_contact,
        corrections=[CorrectionView(number=c.number, field=c.field,
                                    requested_value=c.requested_value, outcome=c.outcome,
                                    reason=c.reason,
                                    statement_of_disagreement=c.statement_of_disagreement)
                     for c in corrections or []])


def full_view(desk: ServiceDesk, customer_id: UUID) -> CustomerView:
    """The customer with their correction requests."""
    details = desk.customers.details(customer_id)
    assert details.customer_id is not None
    return view(details, corrections_of(desk, details.customer_id))


def route_of(request: Request[Any, Any, Any]) -> str:
    return f"{request.method} {request.url.path}"


class CustomerController(Controller):
    path = "/api/v1/customers"
    tags = ["customers"]
    guards = [authenticated]
    dependencies = {"actor": Provide(current_actor, sync_to_thread=False)}

    @get("", operation_id="customer_search", sync_to_thread=True,
         summary="Search customers by name, email or phone",
         description="Exact matches only (an email, a phone number's last ten digits, every "
                     "word of a name, accents and letter case ignored), live records only, at "
                     f"most {customer_records.MAX_RESULTS}. For the people who serve customers "
                     "(CSRs, staff, managers, directors, the privacy officer). Every search is "
                     "in the access log: each customer shown, with the fields, and a search "
                     "that found no one. Errors: 401, 403, 422, as application/problem+json.",
         responses=problem_docs(400, 401, 403, 422))
    def search(self, request: Request[Any, Any, Any], actor: Actor, desk: ServiceDesk,
               access_log: AccessLog,
               name: Annotated[str | None, Parameter(max_length=200)] = None,
               email: Annotated[str | None, Parameter(max_length=254)] = None,
               phone: Annotated[str | None, Parameter(max_length=40)] = None,
               ) -> CustomerSearch:
        found = customer_records.search(desk, actor, name=name, email=email, phone=phone)
        asked = [k for k, v in (("name", name), ("email", email), ("phone", phone)) if v]
        ids = [d.customer_id for d in found if d.customer_id is not None]
        if ids:
            access_log.record(actor, ids, route_of(request), CUSTOMER_FIELDS)
        else:
            access_log.record(actor, NO_ONE, route_of(request),
                              tuple(f"search:{k}" for k in asked))
        return CustomerSearch(items=[view(d) for d in found])

    @get("/{customer_id:uuid}", operation_id="customer_get", sync_to_thread=True,
         summary="One customer (a merged record answers with the one it was merged into)",
         responses=problem_docs(400, 401, 403, 404))
    def get_customer(self, request: Request[Any, Any, Any], customer_id: UUID, actor: Actor,
                     desk: ServiceDesk, access_log: AccessLog) -> CustomerView:
        details = customer_records.customer(desk, actor, customer_id)
        assert details.customer_id is not None
        access_log.record(actor, details.customer_id, route_of(request), CUSTOMER_FIELDS)
        return full_view(desk, details.customer_id)

    @get("/{customer_id:uuid}/cases", operation_id="customer_cases", sync_to_thread=True,
         summary="The customer's cases the caller may see, oldest first",
         responses=problem_docs(400, 401, 403, 404))
    def cases(self, request: Request[Any, Any, Any], customer_id: UUID, actor: Actor,
              desk: ServiceDesk, access_log: AccessLog) -> CustomerCases:
        found = customer_records.cases_of(desk, actor, customer_id)
        record = desk.customers.get(customer_id)
        access_log.record(actor, record.id, route_of(request), ("cases",))
        return CustomerCases(customer_id=str(record.id), items=[
            CustomerCase(id=str(c.case_id), reference=c.reference, department=c.department,
                         status=c.status, received_at=c.received_at.astimezone(UTC))
            for c in found])

    @post("/{customer_id:uuid}/merge", operation_id="customer_merge", sync_to_thread=True,
          status_code=200, summary="Merge this duplicate record into another",
          description="Both records keep resolving: this id answers with the survivor from "
                      "now on, and its cases are the survivor's. CSRs, managers, directors "
                      "and the privacy officer. Errors: 401, 403, 404, 422.",
          responses=problem_docs(400, 401, 403, 404, 422))
    def merge(self, request: Request[Any, Any, Any], customer_id: UUID, data: MergeBody,
              actor: Actor, desk: ServiceDesk, access_log: AccessLog) -> CustomerView:
        survivor = customer_records.merge(desk, actor, customer_id, data.into, data.reason)
        access_log.record(actor, survivor.id, route_of(request), CUSTOMER_FIELDS)
        return view(desk.customers.details(survivor.id))

    @post("/{customer_id:uuid}/erase", operation_id="customer_erase", sync_to_thread=True,
          status_code=200, summary="Erase a customer's personal information (privacy officer)",
          description="Destroys the customer's data key (and those of records merged into "
                      "it): their name, contact details and accessibility needs can never be "
                      "read again, anywhere, while every event and the hash chain stay whole "
                      "(`civicdesk verify` passes). The erasure is an event naming who, when "
                      "and why, never what. Errors: 401, 403 (not the privacy officer), 404.",
          responses=problem_docs(400, 401, 403, 404, 422))
    def erase(self, customer_id: UUID, data: EraseBody, actor: Actor,
              desk: ServiceDesk) -> CustomerView:
        record = customer_records.erase(desk, actor, customer_id, data.reason)
        return view(desk.customers.details(record.id))

    @post("/{customer_id:uuid}/corrections", operation_id="customer_correction_request",
          sync_to_thread=True, status_code=200,
          summary="Record the customer's request to correct a personal field (MFIPPA s.36)",
          description="The value asked for is sealed like the record; the answer is the "
                      "customer with the request (its `number`) waiting for the privacy "
                      "officer's decision. Errors: 401, 403, 404, 422.",
          responses=problem_docs(400, 401, 403, 404, 422))
    def request_correction(self, request: Request[Any, Any, Any], customer_id: UUID,
                           data: CorrectionRequestBody, actor: Actor, desk: ServiceDesk,
                           access_log: AccessLog) -> CustomerView:
        corrections.request_correction(desk, actor, customer_id, data.field, data.value)
        shown = full_view(desk, customer_id)
        access_log.record(actor, UUID(shown.id), route_of(request), CUSTOMER_FIELDS)
        return shown

    @post("/{customer_id:uuid}/corrections/{number:int}/decision",
          operation_id="customer_correction_decision", sync_to_thread=True, status_code=200,
          summary="Decide a correction request (privacy officer)",
          description="`made`: the corrected value is used from now on (the original stays "
                      "in the record's history). `refused`: the record stays as it was and "
                      "`statement_of_disagreement` (required) is attached to it. Errors: "
                      "401, 403, 404, 422.",
          responses=problem_docs(400, 401, 403, 404, 422))
    def decide_correction(self, request: Request[Any, Any, Any], customer_id: UUID,
                          number: Annotated[int, Parameter(ge=1, le=10_000)],
                          data: CorrectionDecisionBody, actor: Actor,
                          desk: ServiceDesk, access_log: AccessLog) -> CustomerView:
        corrections.decide_correction(desk, actor, customer_id, number, data.outcome,
                                      data.reason, data.statement_of_disagreement)
        shown = full_view(desk, customer_id)
        access_log.record(actor, UUID(shown.id), route_of(request), CUSTOMER_FIELDS)
        return shown
