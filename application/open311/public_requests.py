"""Service requests as GeoReport v2 shows them to anyone: by token, by id, or listed by date."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from application.access import PUBLIC_CLIENT_PREFIX
from application.desk import TOWN_TIME, ServiceDesk
from application.open311.aggregates import load
from application.open311.notice import Names, service_notice
from application.queries import MAX_PAGE, CaseIndexQuery
from domain.cases import Case
from domain.errors import NotFound
from domain.open311 import Location, ServiceRequestRecord
from domain.standards import TargetKind
from domain.values import Channel, Status

JURISDICTION_ID = "cobourg.ca"
OPEN311_STATUS = {Status.OPEN.value: "open", Status.WAITING_ON_CUSTOMER.value: "open",
                  Status.RESOLVED.value: "closed", Status.CLOSED.value: "closed"}
WINDOW = timedelta(days=90)  # GeoReport v2: the default span of GET requests, and its maximum
MAX_RESULTS = 1000  # GeoReport v2: "first 1000 requests returned"


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
            case = load(desk, Case, row.id, f"no case {row.id}")
            if is_public_client_case(case):
                found.append(_request(desk, case, names))
                if len(found) == MAX_RESULTS:
                    break
        if after is None:
            break
    return found


def merged_note(case: Case) -> list[str]:
    """A duplicate's pointer to the request that carries it on (GeoReport v2 has no field for
    it, so it is the last status note)."""
    if case.merged_into is None:
        return []
    return [f"Merged into {case.merged_into}, a request about the same matter: follow that "
            "one"]


def is_public_client_case(case: Case) -> bool:
    """Whether an Open311 app submitted the case (only those are Open311 requests)."""
    return case.recorded_by.startswith(PUBLIC_CLIENT_PREFIX)


def _open311_case(desk: ServiceDesk, case_id: UUID, missing: str) -> Case:
    case = load(desk, Case, case_id, missing)
    if not is_public_client_case(case):
        raise NotFound(missing)
    return case


def _request(desk: ServiceDesk, case: Case, names: Names) -> PublicRequest:
    try:
        record: ServiceRequestRecord | None = load(
            desk, ServiceRequestRecord, ServiceRequestRecord.create_id(case.reference), "record")
    except NotFound:
        record = None
    location = record.location if record else Location()
    status = OPEN311_STATUS[case.status]
    resolve = case.targets.get(TargetKind.RESOLVE.value)
    notes = "\n".join([*(f"{n['at'].astimezone(TOWN_TIME):%Y-%m-%d}: {n['note']}"
                        for n in case.public_notes), *merged_note(case)])
    return PublicRequest(
        service_request_id=case.reference, status=status, status_notes=notes or None,
        service_name=names.services.get(case.service_code or ""),
        service_code=case.service_code,
        description=case.description or None,
        agency_responsible=names.department(case.department),
        service_notice=service_notice(case, names), requested_datetime=case.received_at,
        # "For requests with status=closed, this will be the date the request was closed."
        updated_datetime=(case.resolved_at if status == "closed" and case.resolved_at
                          else case.modified_on),
        expected_datetime=resolve.due_at if resolve else None,
        address=location.address_string, address_id=location.address_id, lat=location.lat,
        long=location.long, media_url=record.media_url if record else None)
