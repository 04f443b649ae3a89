"""Open311 GeoReport v2 under /open311/v2: discovery, services, requests and tokens, each in
`.json` and `.xml`, with the specification's error format (a list of code and description)
and statuses (404 for what does not exist, 403 for a missing or wrong api_key, 400 for the
rest; 429 when a client is over its rate).

Paths carry their format as a suffix (`services.json`), and Litestar's path parameters are
whole segments, so each route takes the last segment and splits the format off itself. These
routes stay out of the OpenAPI document: GeoReport v2 is their contract, and discovery.json
is their index.

Rate limits count POST Service Request per API key and per client address, in this process
only (several server processes each allow the full rate).
"""

from __future__ import annotations

import logging
import math
import re
import time
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from threading import Lock
from typing import Any
from urllib.parse import urlparse
from uuid import UUID

import anyio
import msgspec
from litestar import HttpMethod, Request, Response, Router, get, post, route
from litestar.datastructures import UploadFile
from litestar.exceptions import HTTPException, ValidationException

from application import open311
from application.catalogue import list_services
from application.desk import ServiceDesk
from application.open311 import PublicRequest, RequestForm
from application.queries import CaseIndexQuery
from domain.errors import DomainError, Forbidden, NotFound
from domain.open311 import Location, location_problems
from projections.keyset import encode_cursor

log = logging.getLogger("civicdesk.open311")

BASE = "/open311/v2"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# Litestar adds "; charset=utf-8" to text/* types itself.
MEDIA_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml"}
# Spark convention: an XML list is a plural element of singular ones.
ITEM_TAGS = {"services": "service", "service_requests": "request", "errors": "error",
             "endpoints": "endpoint", "formats": "format", "attributes": "attribute",
             "values": "value"}
CONTACT = ("Service Cobourg, Victoria Hall, 55 King Street West, Cobourg, Ontario. Ask there "
           "about this API.")
KEY_SERVICE = ("API keys are issued by the Town's civicdesk administrator "
               "(civicdesk apikey create --name APP); ask Service Cobourg for one.")
CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]{1,64})\](\[\])?$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9().\-\s]{7,30}(?:\s*(?:x|ext\.?)\s*[0-9]{1,6})?$")
HTML = re.compile(r"<\s*/?\s*[A-Za-z!?]")
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
DESCRIPTION_LIMIT = 4000  # GeoReport v2
FIELD_LIMITS = {"first_name": 100, "last_name": 100, "email": 254, "phone": 40,
                "device_id": 200, "account_id": 200, "media_url": 2000,
                "address_string": 500, "address_id": 100, "service_code": 64, "lat": 40,
                "long": 40, "description": DESCRIPTION_LIMIT, "api_key": 200,
                "jurisdiction_id": 200}
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class Open311Error(Exception):
    """An answer in GeoReport v2's error format: one status, one or more (code, description)."""

    def __init__(self, status: int, *descriptions: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = descriptions
        self.headers = headers


# -- formats ------------------------------------------------------------------------------------

def w3(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def split_format(segment: str) -> tuple[str, str]:
    stem, dot, fmt = segment.rpartition(".")
    if not dot or fmt not in MEDIA_TYPES or not stem:
        raise Open311Error(404, f"{segment} is not a resource of this endpoint: add .json or "
                                ".xml")
    return stem, fmt


def format_of(path: str) -> str:
    return "xml" if path.endswith(".xml") else "json"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return w3(value)
    return NOT_XML.sub("", str(value))


def _element(tag: str, value: Any) -> ET.Element:
    element = ET.Element(tag)
    if isinstance(value, dict):
        element.extend(_element(key, item) for key, item in value.items())
    elif isinstance(value, list):
        element.extend(_element(ITEM_TAGS[tag], item) for item in value)
    else:
        element.text = _text(value)
    return element


def render(fmt: str, root: str, payload: Any, status: int = 200,
           headers: dict[str, str] | None = None) -> Response[bytes]:
    if fmt == "xml":
        body = (b'<?xml version="1.0" encoding="utf-8"?>\n'
                + ET.tostring(_element(root, payload), encoding="utf-8", xml_declaration=False))
    else:
        body = msgspec.json.encode(_w3_times(payload))
    return Response(body, status_code=status, media_type=MEDIA_TYPES[fmt], headers=headers)


def _w3_times(value: Any) -> Any:
    """The payload with every datetime as GeoReport v2 writes it (msgspec would keep the
    microseconds)."""
    if isinstance(value, dict):
        return {key: _w3_times(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_w3_times(item) for item in value]
    return w3(value) if isinstance(value, datetime) else value


def error_response(fmt: str, error: Exception) -> Response[bytes]:
    if not isinstance(error, Open311Error):
        error = as_open311_error(error)
    errors = [{"code": error.status, "description": text} for text in error.descriptions]
    return render(fmt, "errors", errors, error.status, error.headers)


def as_open311_error(error: Exception) -> Open311Error:
    if isinstance(error, Open311Error):
        return error
    if isinstance(error, NotFound):
        return Open311Error(404, error.detail)
    if isinstance(error, Forbidden):
        return Open311Error(403, error.detail)
    if isinstance(error, DomainError):
        field = f"{error.field}: " if error.field and error.field not in error.detail else ""
        return Open311Error(400, field + error.detail)
    if isinstance(error, HTTPException) and 400 <= error.status_code < 500:
        status = error.status_code if error.status_code in {403, 404, 429} else 400
        return Open311Error(status, str(error.detail))
    log.exception("Open311 request failed", exc_info=error)
    return Open311Error(400, "general service error: the request could not be processed; "
                             "it has been logged")


def exception_handler(request: Request[Any, Any, Any], error: Exception) -> Response[bytes]:
    return error_response(format_of(request.url.path), error)


async def respond(fmt: str, produce: Callable[[], tuple[str, Any]],
                  status: int = 200) -> Response[bytes]:
    """Runs `produce` (blocking) in a worker thread; renders its (root, payload) or its error.

    Async with an explicit worker thread: Litestar 2.25 wraps a sync_to_thread handler twice
    when another handler shares its path (GET and POST requests.json do).
    """
    try:
        root, payload = await anyio.to_thread.run_sync(produce)
    except Exception as error:
        return error_response(fmt, error)
    return render(fmt, root, payload, status)


def check_jurisdiction(value: str | None) -> None:
    if value and value != open311.JURISDICTION_ID:
        raise Open311Error(404, f"jurisdiction_id {value} was not found; this endpoint serves "
                                f"{open311.JURISDICTION_ID} only")


def desk_of(request: Request[Any, Any, Any]) -> ServiceDesk:
    desk: ServiceDesk = request.app.state.desk
    return desk


# -- payloads ---------------------------------------------------------------------------------

def service_payload(service: open311.PublicService) -> dict[str, Any]:
    return {"service_code": service.code, "service_name": service.name,
            "description": service.description, "metadata": False, "type": "batch",
            "keywords": ", ".join(service.keywords), "group": service.group}


def request_payload(item: PublicRequest) -> dict[str, Any]:
    return {"service_request_id": item.service_request_id, "status": item.status,
            "status_notes": item.status_notes, "service_name": item.service_name,
            "service_code": item.service_code, "description": item.description,
            "agency_responsible": item.agency_responsible,
            "service_notice": item.service_notice,
            "requested_datetime": item.requested_datetime,
            "updated_datetime": item.updated_datetime,
            "expected_datetime": item.expected_datetime, "address": item.address,
            "address_id": item.address_id, "zipcode": item.zipcode, "lat": item.lat,
            "long": item.long, "media_url": item.media_url}


def discovery_payload(request: Request[Any, Any, Any], desk: ServiceDesk) -> dict[str, Any]:
    services = list_services(desk, include_internal=True, include_inactive=True)
    changed = max((s.modified_on for s in services), default=datetime(2026, 1, 1, tzinfo=UTC))
    return {"changeset": w3(changed), "contact": CONTACT, "key_service": KEY_SERVICE,
            "endpoints": [{"specification": SPECIFICATION,
                           "url": str(request.base_url).rstrip("/") + BASE,
                           "changeset": w3(changed), "type": "production",
                           "formats": ["text/xml", "application/json"]}]}


# -- GET ----------------------------------------------------------------------------------------

@get("/{document:str}", operation_id="open311_document", include_in_schema=False)
async def document(request: Request[Any, Any, Any], document: str) -> Response[bytes]:
    """discovery, services and requests (GET Service Requests), each .json or .xml."""
    fmt = format_of(document)
    desk = desk_of(request)

    def produce() -> tuple[str, Any]:
        name, _ = split_format(document)
        check_jurisdiction(request.query_params.get("jurisdiction_id"))
        if name == "discovery":
            return "discovery", discovery_payload(request, desk)
        if name == "services":
            return "services", [service_payload(s) for s in open311.public_services(desk)]
        if name == "requests":
            found = find_requests(request, desk)
            return "service_requests", [request_payload(item) for item in found]
        raise Open311Error(404, f"{document} is not a resource of this endpoint")

    return await respond(fmt, produce)


@get("/services/{name:str}", operation_id="open311_service_definition",
     include_in_schema=False)
async def service_definition(request: Request[Any, Any, Any], name: str) -> Response[bytes]:
    def produce() -> tuple[str, Any]:
        code, _ = split_format(name)
        check_jurisdiction(request.query_params.get("jurisdiction_id"))
        service = open311.public_service(desk_of(request), code)
        # No service of the catalogue asks for extra fields, so every definition is empty.
        return "service_definition", {"service_code": service.code, "attributes": []}

    return await respond(format_of(name), produce)


@get("/requests/{name:str}", operation_id="open311_request", include_in_schema=False)
async def one_request(request: Request[Any, Any, Any], name: str) -> Response[bytes]:
    def produce() -> tuple[str, Any]:
        reference, _ = split_format(name)
        check_jurisdiction(request.query_params.get("jurisdiction_id"))
        item = open311.request_view(desk_of(request), reference)
        return "service_requests", [request_payload(item)]

    return await respond(format_of(name), produce)


@get("/tokens/{name:str}", operation_id="open311_token", include_in_schema=False)
async def token(request: Request[Any, Any, Any], name: str) -> Response[bytes]:
    def produce() -> tuple[str, Any]:
        value, _ = split_format(name)
        check_jurisdiction(request.query_params.get("jurisdiction_id"))
        reference = open311.token_reference(desk_of(request), value)
        return "service_requests", [{"service_request_id": reference, "token": value}]

    return await respond(format_of(name), produce)


def listed(request: Request[Any, Any, Any], name: str) -> list[str]:
    """A parameter that "can be declared multiple times, comma delimited"."""
    return [item.strip() for value in request.query_params.getall(name, [])
            for item in value.split(",") if item.strip()]


def parse_moment(name: str, value: str | None) -> datetime | None:
    if not value:
        return None
    # A '+' offset sent unencoded in a query string arrives as a space.
    text = re.sub(r" (\d\d:?\d\d)$", r"+\1", value.strip())
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or "T" not in text.upper() or moment.tzinfo is None:
        raise Open311Error(400, f"{name} must be a w3 date and time with a time zone, e.g. "
                                f"2026-01-01T00:00:00Z; got {value!r}")
    return moment


def find_requests(request: Request[Any, Any, Any], desk: ServiceDesk) -> list[PublicRequest]:
    ids = listed(request, "service_request_id")
    if ids:  # "This overrides all other arguments."
        if len(ids) > open311.MAX_RESULTS:
            raise Open311Error(400, f"at most {open311.MAX_RESULTS} service_request_id")
        return open311.requests_by_id(desk, ids)
    problems = []
    codes = listed(request, "service_code")
    problems += [f"service_code {code!r} is not a service code" for code in codes
                 if not CODE.match(code)]
    statuses = listed(request, "status")
    problems += [f"status must be open or closed; got {status!r}" for status in statuses
                 if status not in {"open", "closed"}]
    start = end = None
    try:
        start = parse_moment("start_date", request.query_params.get("start_date"))
    except Open311Error as error:
        problems += error.descriptions
    try:
        end = parse_moment("end_date", request.query_params.get("end_date"))
    except Open311Error as error:
        problems += error.descriptions
    if start and end and start > end:
        problems.append("start_date must not be after end_date")
    if start and end and end - start > open311.WINDOW:
        problems.append(f"start_date to end_date may not span more than "
                        f"{open311.WINDOW.days} days")
    if problems:
        raise Open311Error(400, *problems)
    if start is None and end is None:
        end = desk.clock()
    if end is None:
        assert start is not None
        end = start + open311.WINDOW
    start = start or end - open311.WINDOW
    index: CaseIndexQuery = request.app.state.case_index
    return open311.list_requests(
        desk, index, start=start, end=end, service_codes=frozenset(codes) or None,
        statuses=frozenset(statuses) or None,
        after=encode_cursor(end, UUID(int=2**128 - 1)))


# -- POST Service Request -----------------------------------------------------------------------

@dataclass
class RateLimiter:
    """At most `limit` submissions per `window` seconds for each bucket (a key, an address),
    counted in this process. A refused attempt does not count."""

    per_key: int = 30
    per_address: int = 60
    window: float = 60.0
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self._hits: dict[str, deque[float]] = {}
        self._lock = Lock()

    def admit(self, bucket: str, limit: int) -> None:
        """Count one attempt, or raise Open311Error 429 with Retry-After."""
        with self._lock:
            now = self.clock()
            hits = self._hits.setdefault(bucket, deque())
            while hits and now - hits[0] >= self.window:
                hits.popleft()
            if len(hits) >= limit:
                retry = max(1, math.ceil(self.window - (now - hits[0])))
                raise Open311Error(429, f"too many requests: at most {limit} each "
                                        f"{self.window:g} seconds; retry in {retry} s",
                                   headers={"Retry-After": str(retry)})
            hits.append(now)
            if len(self._hits) > 10_000:  # forget buckets that went quiet
                self._hits = {b: h for b, h in self._hits.items()
                              if h and now - h[-1] < self.window}


def limiter_of(request: Request[Any, Any, Any]) -> RateLimiter:
    limiter: RateLimiter | None = request.app.state.get("open311_limiter")
    if limiter is None:
        limiter = request.app.state.open311_limiter = RateLimiter()
    return limiter


@post("/{document:str}", operation_id="open311_create_request", include_in_schema=False,
      status_code=200)
async def create_request(request: Request[Any, Any, Any], document: str) -> Response[bytes]:
    fmt = format_of(document)
    limiter = limiter_of(request)
    try:
        name, fmt = split_format(document)
        if name != "requests":
            raise Open311Error(404, f"POST {document} is not a resource of this endpoint")
        limiter.admit(f"address:{request.client.host if request.client else '?'}",
                      limiter.per_address)
        fields = await read_form(request)
    except Exception as error:
        return error_response(fmt, error)
    desk = desk_of(request)

    def produce() -> tuple[str, Any]:
        client = open311.authenticate(desk, single(fields, "api_key"))
        limiter.admit(f"key:{client.key_id}", limiter.per_key)
        check_jurisdiction(single(fields, "jurisdiction_id"))
        submitted = open311.submit_request(desk, client, parse_request(fields))
        return "service_requests", [{"token": submitted.token,
                                     "service_notice": submitted.service_notice,
                                     "account_id": None}]

    return await respond(fmt, produce)


async def read_form(request: Request[Any, Any, Any]) -> dict[str, list[str]]:
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(FORM_TYPES):
        raise Open311Error(400, "POST Service Request takes "
                                "Content-Type: application/x-www-form-urlencoded")
    form = await request.form()
    fields: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            raise Open311Error(400, f"{key}: files are not accepted; send media_url")
        fields.setdefault(key, []).append(value)
    return fields


def single(fields: dict[str, list[str]], name: str) -> str | None:
    """A field sent at most once; empty counts as absent ("Optional Arguments")."""
    values = [v.strip() for v in fields.get(name, []) if v.strip()]
    if len(values) > 1:
        raise Open311Error(400, f"{name} was sent more than once")
    return values[0] if values else None


def parse_request(fields: dict[str, list[str]]) -> RequestForm:
    """Every field checked; every problem reported at once."""
    problems: list[str] = []
    attributes: dict[str, list[str]] = {}
    for key, sent in fields.items():
        attribute = ATTRIBUTE.match(key)
        if attribute:
            attributes.setdefault(attribute[1], []).extend(v.strip() for v in sent)
        elif key not in FIELD_LIMITS:
            problems.append(f"{key} is not a field of POST Service Request")

    def text(name: str) -> str | None:
        try:
            value = single(fields, name)
        except Open311Error as error:
            problems.extend(error.descriptions)
            return None
        if value is None:
            return None
        if len(value) > FIELD_LIMITS[name]:
            problems.append(f"{name} is at most {FIELD_LIMITS[name]} characters")
        elif NOT_XML.search(value) or (name != "description" and not value.isprintable()):
            problems.append(f"{name} contains control characters")
        return value

    unreadable: list[str] = []

    def number(name: str) -> float | None:
        value = text(name)
        if value is None:
            return None
        try:
            return float(value)
        except ValueError:
            problems.append(f"{name} must be a decimal number (WGS84); got {value!r}")
            unreadable.append(name)
            return None

    given = {name: text(name) for name in ("service_code", "address_string", "address_id",
                                            "email", "first_name", "last_name", "phone",
                                            "device_id", "account_id", "media_url",
                                            "description")}
    lat, long = number("lat"), number("long")
    code = given["service_code"]
    if code is None:
        problems.append("service_code was not provided")
    elif not CODE.match(code):
        problems.append(f"service_code {code!r} is not a service code")
    if not unreadable:
        problems += [p.detail if (p.field or "") in p.detail else f"{p.field}: {p.detail}"
                     for p in location_problems(lat, long, given["address_string"],
                                                given["address_id"])]
    if given["email"] and not EMAIL.match(given["email"]):
        problems.append("email is not an email address")
    if given["phone"] and not PHONE.match(given["phone"]):
        problems.append("phone is not a phone number")
    if given["media_url"]:
        url = urlparse(given["media_url"])
        if url.scheme not in {"http", "https"} or not url.netloc:
            problems.append("media_url must be an http or https URL")
    if given["description"] and HTML.search(given["description"]):
        problems.append("description may contain line breaks, but not HTML or code")
    if problems:
        raise Open311Error(400, *problems)
    assert code is not None
    return RequestForm(
        service_code=code,
        location=Location(lat=lat, long=long, address_string=given["address_string"],
                          address_id=given["address_id"]),
        description=given["description"] or "", media_url=given["media_url"],
        attributes=attributes, first_name=given["first_name"],
        last_name=given["last_name"], email=given["email"], phone=given["phone"],
        device_id=given["device_id"], account_id=given["account_id"])


@route(["/services", "/requests", "/tokens"], http_method=[HttpMethod.GET, HttpMethod.POST],
       operation_id="open311_no_format", include_in_schema=False)
async def no_format(request: Request[Any, Any, Any]) -> Response[bytes]:
    """These words are also folders of the tree, so without a format they would miss the
    `/{document}` route and get the desk's own 404."""
    return error_response("json", Open311Error(404, f"{request.url.path} is not a resource of "
                                                    "this endpoint: add .json or .xml"))


OPEN311_HANDLERS = {HTTPException: exception_handler, ValidationException: exception_handler,
                    DomainError: exception_handler, Exception: exception_handler}

open311_router = Router(
    path=BASE, tags=["open311"], exception_handlers=OPEN311_HANDLERS,  # type: ignore[arg-type]
    route_handlers=[document, service_definition, one_request, token, create_request,
                    no_format])
