"""The public channel: Open311 apps' keys, the requests they submit, and what anyone may read
of a case (its status, its department, the promises that apply, the notes staff published),
never anyone's personal information.

Requests arrive as cases on the web channel, recorded by the app's actor
(`open311:<app name>`, see `application.access.public_client`); the resident's name, email and
phone go on the case's contact, the place and media on a `ServiceRequestRecord` beside it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, RecordConflictError
from eventsourcing.utils import get_topic

from application.access import PUBLIC_CLIENT_PREFIX, check_admin, public_client
from application.catalogue import list_departments, list_services
from application.desk import TOWN_TIME, IdempotencyKey, Outcome, ServiceDesk
from application.queries import MAX_PAGE, CaseIndexQuery
from domain.actors import Actor
from domain.api_keys import ApiKey, key_id_of
from domain.cases import Case
from domain.catalogue import Service
from domain.errors import AlreadyExists, Forbidden, InvalidValue, NotFound
from domain.open311 import Location, ServiceRequestRecord
from domain.standards import TargetKind
from domain.targets import TargetState
from domain.values import Channel, Purpose, Status

JURISDICTION_ID = "cobourg.ca"
OPEN311_STATUS = {Status.OPEN.value: "open", Status.WAITING_ON_CUSTOMER.value: "open",
                  Status.RESOLVED.value: "closed", Status.CLOSED.value: "closed"}
# Most services in Appendix IV name the customer's purpose; a report about a place without one
# is someone addressing an issue.
DEFAULT_PURPOSE = Purpose.ISSUE_OR_COMPLAINT.value
WINDOW = timedelta(days=90)  # GeoReport v2: the default span of GET requests, and its maximum
MAX_RESULTS = 1000  # GeoReport v2: "first 1000 requests returned"
SUBJECT_LIMIT = 200
A = TypeVar("A", bound=Aggregate)


# -- keys ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class IssuedKey:
    name: str
    key: str  # shown once; only its hash is kept


@dataclass(frozen=True)
class Client:
    """An app whose key was accepted, and the actor it records requests as."""

    key_id: UUID
    name: str
    actor: Actor


def issue_api_key(desk: ServiceDesk, actor: Actor, name: str) -> IssuedKey:
    """Raises Forbidden, InvalidValue, AlreadyExists."""
    check_admin(actor)
    key_id = ApiKey.create_id(name)
    raw_key = f"{key_id.hex}.{secrets.token_urlsafe(32)}"
    key = ApiKey.issue(name=name, raw_key=raw_key, actor=actor, now=desk.clock())
    try:
        desk.save(key)
    except (RecordConflictError, IntegrityError):
        raise AlreadyExists(f"an app named {key.name!r} already has a key", "name") from None
    return IssuedKey(name=key.name, key=raw_key)


def revoke_api_key(desk: ServiceDesk, actor: Actor, name: str, reason: str) -> ApiKey:
    """Raises Forbidden, NotFound, InvalidValue, RuleViolated."""
    check_admin(actor)
    key = _load(desk, ApiKey, ApiKey.create_id(name), f"no key for an app named {name!r}")
    key.revoke(reason=reason, actor=actor, now=desk.clock())
    desk.save(key)
    return key


def list_api_keys(desk: ServiceDesk, actor: Actor) -> list[ApiKey]:
    """Every key ever issued, by name. Raises Forbidden."""
    check_admin(actor)
    topics = (f"{get_topic(ApiKey)}.Issued",)
    ids: list[UUID] = []
    position, head = 0, desk.log_position()
    while position < head:
        batch = desk.recorder.select_notifications(position + 1, 500, stop=head, topics=topics)
        ids += [n.originator_id if isinstance(n.originator_id, UUID)
                else UUID(str(n.originator_id)) for n in batch]
        position = batch[-1].id if len(batch) == 500 else head
    keys = [_load(desk, ApiKey, key_id, "no such key") for key_id in ids]
    return sorted(keys, key=lambda k: k.name.casefold())


def authenticate(desk: ServiceDesk, raw_key: str | None) -> Client:
    """The app a presented key belongs to. Raises Forbidden (missing, unknown or revoked)."""
    if not raw_key:
        raise Forbidden("api_key was not provided", "api_key")
    key_id = key_id_of(raw_key)
    try:
        key = _load(desk, ApiKey, key_id, "no such key") if key_id else None
    except NotFound:
        key = None
    if key is None or not key.accepts(raw_key):
        revoked = key is not None and not key.active
        raise Forbidden("api_key was revoked" if revoked else "api_key is not valid",
                        "api_key")
    return Client(key_id=key.id, name=key.name, actor=public_client(key.name))


# -- services -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class PublicService:
    code: str
    name: str
    description: str
    keywords: tuple[str, ...]
    group: str  # the business unit that delivers it, e.g. "Roads and Sewers"


def public_services(desk: ServiceDesk) -> list[PublicService]:
    return [_public_service(desk, service) for service in list_services(desk)]


def public_service(desk: ServiceDesk, code: str) -> PublicService:
    """Raises NotFound for an unknown, internal or inactive service."""
    service = desk.find_service(code)
    if service is None or not service.is_public:
        raise NotFound(f"service_code {code} was not found", "service_code")
    return _public_service(desk, service)


def _public_service(desk: ServiceDesk, service: Service) -> PublicService:
    department = desk.find_department(service.department)
    units = department.business_units if department else {}
    return PublicService(code=service.code, name=service.name,
                         description=service.description, keywords=tuple(service.keywords),
                         group=units.get(service.business_unit, service.business_unit))


# -- submitting ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class RequestForm:
    """A POST Service Request as the API parsed it (each field already within its limits)."""

    service_code: str
    location: Location
    description: str = ""
    media_url: str | None = None
    attributes: dict[str, list[str]] = field(default_factory=dict)
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    device_id: str | None = None
    account_id: str | None = None

    def contact(self) -> dict[str, str]:
        """The personal information, for the case's contact and nowhere public."""
        name = " ".join(p for p in (self.first_name, self.last_name) if p)
        details = {"name": name, "first_name": self.first_name, "last_name": self.last_name,
                   "email": self.email, "phone": self.phone, "device_id": self.device_id,
                   "account_id": self.account_id}
        return {key: value for key, value in details.items() if value}


@dataclass(frozen=True)
class Submitted:
    token: str
    reference: str
    service_notice: str


def submit_request(desk: ServiceDesk, client: Client, form: RequestForm) -> Submitted:
    """Record the request as a web-channel case. Raises NotFound (service), InvalidValue."""
    service = desk.find_service(form.service_code)
    if service is None or not service.is_public:
        raise NotFound(f"service_code {form.service_code} was not found", "service_code")
    if form.attributes:  # no service of the catalogue defines attributes (yet)
        code = next(iter(form.attributes))
        raise InvalidValue(f"service {service.code} asks for no attribute {code!r}",
                           f"attribute[{code}]")
    form.location.check()
    subject = f"{service.name} at {form.location.describe()}"
    if len(subject) > SUBJECT_LIMIT:
        subject = subject[:SUBJECT_LIMIT - 1] + "…"
    outcome = desk.receive(
        client.actor, channel=Channel.WEB_FORM.value, received_at=None,
        purpose=service.purpose or DEFAULT_PURPOSE, service_code=service.code, department=None,
        subject=subject, description=form.description, contact=form.contact(),
        accessibility_needs=None)
    case = outcome.case
    # A second save: should it fail, the case stands (staff see the place in its subject) and
    # the public views show the request without its place.
    desk.save(ServiceRequestRecord.submit(
        reference=case.reference, app=client.name, location=form.location,
        media_url=form.media_url, attributes=form.attributes, actor=client.actor))
    return Submitted(token=str(case.id), reference=case.reference,
                     service_notice=_notice(case, Names.of(desk)))


# -- reading, as the public --------------------------------------------------------------------

@dataclass(frozen=True)
class PublicRequest:
    """A request as GeoReport v2 shows it: nothing personal (no name, email, phone, ids)."""

    service_request_id: str
    status: str
    status_notes: str | None
    service_name: str | None
    service_code: str | None
    description: str | None
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: datetime
    updated_datetime: datetime
    expected_datetime: datetime | None
    address: str | None
    address_id: str | None
    lat: float | None
    long: float | None
    media_url: str | None
    zipcode: str | None = None


def token_reference(desk: ServiceDesk, token: str) -> str:
    """The service_request_id a POST's token stands for. Raises NotFound."""
    try:
        case_id = UUID(token)
    except ValueError:
        raise NotFound(f"token {token} was not found", "token") from None
    case = _open311_case(desk, case_id, f"token {token} was not found")
    return case.reference


def request_view(desk: ServiceDesk, reference: str) -> PublicRequest:
    """Raises NotFound, also for a case that did not come through Open311."""
    case = _open311_case(desk, Case.create_id(reference),
                         f"service_request_id {reference} was not found")
    return _request(desk, case, Names.of(desk))


def requests_by_id(desk: ServiceDesk, references: Iterable[str]) -> list[PublicRequest]:
    found = []
    for reference in dict.fromkeys(references):
        try:
            found.append(request_view(desk, reference))
        except NotFound:
            continue  # GeoReport v2 lists what exists
    return found


def list_requests(desk: ServiceDesk, index: CaseIndexQuery, *, start: datetime,
                  end: datetime, service_codes: frozenset[str] | None = None,
                  statuses: frozenset[str] | None = None,
                  after: str | None = None) -> list[PublicRequest]:
    """Open311 requests received in [start, end], newest first, at most MAX_RESULTS.

    `after` is a case-index cursor at `end`, so the scan starts there, not at the newest case.
    """
    found: list[PublicRequest] = []
    names = Names.of(desk)
    while len(found) < MAX_RESULTS:
        rows, after = index.list_cases(None, channel=Channel.WEB_FORM.value, after=after,
                                       limit=MAX_PAGE)
        for row in rows:
            if row.received_at < start:
                return found
            if (row.received_at > end or (service_codes and row.service_code not in
                                          service_codes)
                    or (statuses and OPEN311_STATUS[row.status] not in statuses)):
                continue
            case = _load(desk, Case, row.id, f"no case {row.id}")
            if is_public_client_case(case):
                found.append(_request(desk, case, names))
                if len(found) == MAX_RESULTS:
                    break
        if after is None:
            break
    return found


def is_public_client_case(case: Case) -> bool:
    """Whether an Open311 app submitted the case (only those are Open311 requests)."""
    return case.recorded_by.startswith(PUBLIC_CLIENT_PREFIX)


def _open311_case(desk: ServiceDesk, case_id: UUID, missing: str) -> Case:
    case = _load(desk, Case, case_id, missing)
    if not is_public_client_case(case):
        raise NotFound(missing)
    return case


@dataclass(frozen=True)
class Names:
    """Service and department names by code, read once for a whole list."""

    services: dict[str, str]
    departments: dict[str, str]

    @classmethod
    def of(cls, desk: ServiceDesk) -> Names:
        services = list_services(desk, include_internal=True, include_inactive=True)
        return cls(services={s.code: s.name for s in services},
                   departments={d.code: d.name
                                for d in list_departments(desk, include_inactive=True)})

    def department(self, code: str) -> str:
        return self.departments.get(code, code)


def _request(desk: ServiceDesk, case: Case, names: Names) -> PublicRequest:
    try:
        record: ServiceRequestRecord | None = _load(
            desk, ServiceRequestRecord, ServiceRequestRecord.create_id(case.reference), "record")
    except NotFound:
        record = None
    location = record.location if record else Location()
    status = OPEN311_STATUS[case.status]
    resolve = case.targets.get(TargetKind.RESOLVE.value)
    notes = "\n".join(f"{n['at'].astimezone(TOWN_TIME):%Y-%m-%d}: {n['note']}"
                      for n in case.public_notes)
    return PublicRequest(
        service_request_id=case.reference, status=status, status_notes=notes or None,
        service_name=names.services.get(case.service_code or ""),
        service_code=case.service_code,
        description=case.description or None,
        agency_responsible=names.department(case.department),
        service_notice=_notice(case, names), requested_datetime=case.received_at,
        # "For requests with status=closed, this will be the date the request was closed."
        updated_datetime=(case.resolved_at if status == "closed" and case.resolved_at
                          else case.modified_on),
        expected_datetime=resolve.due_at if resolve else None,
        address=location.address_string, address_id=location.address_id, lat=location.lat,
        long=location.long, media_url=record.media_url if record else None)


def _notice(case: Case, names: Names) -> str:
    """What the Town will do: who handles the request, and the promises that apply to it."""
    notice = f"{names.department(case.department)} is responsible for this request."
    promises = sorted(t.title for t in case.targets.values())
    if promises:
        notice += f" Our promise: {'; '.join(promises)}."
    return notice


# -- the status of any case, by its reference --------------------------------------------------

@dataclass(frozen=True)
class Promise:
    title: str
    due_at: datetime
    met_at: datetime | None
    state: str  # pending, paused, met, met_late or breached
    kept: bool | None  # None while it can still be kept


@dataclass(frozen=True)
class PublicNote:
    note: str
    published_at: datetime


@dataclass(frozen=True)
class PublicStatus:
    reference: str
    status: str
    open311_status: str
    received_at: datetime
    updated_at: datetime
    department_code: str
    department_name: str
    service_code: str | None  # None when the service is internal
    service_name: str | None
    promises: list[Promise]
    notes: list[PublicNote]


def public_status(desk: ServiceDesk, reference: str) -> PublicStatus:
    """What anyone holding a reference may know of its case. Raises NotFound."""
    try:
        case = _load(desk, Case, Case.create_id(reference), f"no request {reference}")
    except NotFound:
        raise NotFound(f"no request {reference}", "reference") from None
    service = desk.find_service(case.service_code) if case.service_code else None
    public = service if service is not None and service.service_type != "internal" else None
    promises = []
    for target in desk.target_statuses(case):
        state = {TargetState.AT_RISK: "pending"}.get(target.state, target.state.value)
        if target.paused:
            state = "paused"
        kept = {TargetState.MET: True, TargetState.MET_LATE: False,
                TargetState.BREACHED: False}.get(target.state)
        promises.append(Promise(title=target.title, due_at=target.due_at,
                                met_at=target.met_at, state=state, kept=kept))
    return PublicStatus(
        reference=case.reference, status=case.status,
        open311_status=OPEN311_STATUS[case.status], received_at=case.received_at,
        updated_at=case.modified_on, department_code=case.department,
        department_name=_department_name(desk, case.department),
        service_code=public.code if public else None,
        service_name=public.name if public else None, promises=promises,
        notes=[PublicNote(note=n["note"], published_at=n["at"]) for n in case.public_notes])


def publish_note(desk: ServiceDesk, actor: Actor, case_id: UUID, note: str, *,
                 expected_version: int | None = None, occurred_at: datetime | None = None,
                 idempotency: IdempotencyKey | None = None) -> Outcome:
    """Publish a note on the case for the public. Raises NotFound, Forbidden, InvalidValue,
    VersionConflict and IdempotencyKeyReused, as every case command does."""
    return desk.change_case(actor, case_id, "publish_note", expected_version=expected_version,
                            idempotency=idempotency, note=note, occurred_at=occurred_at)


def _department_name(desk: ServiceDesk, code: str) -> str:
    department = desk.find_department(code)
    return department.name if department else code


def _load(desk: ServiceDesk, kind: type[A], aggregate_id: UUID, missing: str) -> A:
    """The aggregate of that kind, or NotFound(missing)."""
    try:
        aggregate: Aggregate = desk.repository.get(aggregate_id)
    except AggregateNotFoundError:
        raise NotFound(missing) from None
    if not isinstance(aggregate, kind):
        raise NotFound(missing)
    return aggregate
