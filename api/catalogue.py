"""Catalogue routes: the department directory, the service catalogue and the service desks
with their opening hours.

Every signed-in role may read the catalogue; only administrators change it.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Literal, TypeVar

import msgspec
from litestar import Controller, Request, Response, get, patch, post
from litestar.connection import ASGIConnection
from litestar.di import Provide
from litestar.handlers.base import BaseRouteHandler
from litestar.params import Parameter

from api.auth import authenticated, current_actor
from api.problems import described_problems
from api.schemas import Body, Code, PurposeName, Short, Text
from application import catalogue
from application.access import check_admin
from application.desk import ServiceDesk
from application.queries import DEFAULT_PAGE, MAX_PAGE
from domain.actors import Actor
from domain.calendar import OpeningHours
from domain.catalogue import Department, Desk, Service
from domain.errors import InvalidValue

T = TypeVar("T")
Keyword = Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
Keywords = Annotated[list[Keyword], msgspec.Meta(max_length=50)]
BusinessUnits = Annotated[dict[Code, Short], msgspec.Meta(max_length=100)]
Cents = Annotated[int, msgspec.Meta(ge=0, le=100_000_000)]
ServiceType = Literal["service_delivery", "service_support", "internal"]
SubType = Literal["individual", "cross_functional", "sub_contracted", "not_applicable"]
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[Weekday, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday",
                                 "saturday", "sunday")
WallClock = Annotated[str, msgspec.Meta(
    pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$",
    description="local wall-clock time, HH:MM (24-hour)", examples=["08:30"])]


# -- wire types -----------------------------------------------------------------------------------

class DepartmentView(msgspec.Struct):
    code: str
    name: str
    business_units: dict[str, str]
    hourly_rate_cents: int
    active: bool
    version: int


class DepartmentList(msgspec.Struct):
    items: list[DepartmentView]
    next_cursor: str | None


class ServiceView(msgspec.Struct):
    code: str
    name: str
    department: str
    business_unit: str
    service_type: str
    sub_type: str
    purpose: str | None
    description: str
    keywords: list[str]
    active: bool
    public: bool
    version: int


class ServiceList(msgspec.Struct):
    items: list[ServiceView]
    next_cursor: str | None


class HoursView(msgspec.Struct):
    """Weekly opening hours in local wall-clock time."""

    opens: str
    closes: str
    weekdays: list[str]
    timezone: str


class HoursChangeView(msgspec.Struct):
    effective_from: date
    hours: HoursView
    reason: str
    recorded_at: datetime


class DeskView(msgspec.Struct):
    code: str
    name: str
    central: bool
    hours: HoursView  # in force today
    scheduled_changes: list[HoursChangeView]  # recorded, effective after today
    version: int


class DeskList(msgspec.Struct):
    items: list[DeskView]
    next_cursor: str | None


class NewDepartment(Body, kw_only=True):
    code: Code
    name: Short
    business_units: BusinessUnits = msgspec.field(default_factory=dict)
    hourly_rate_cents: Cents = catalogue.DEFAULT_HOURLY_RATE_CENTS


class DepartmentRevision(Body, kw_only=True):
    """Only the fields given change; at least one must be given."""

    name: Short | None = None
    business_units: BusinessUnits | None = None
    hourly_rate_cents: Cents | None = None
    active: bool | None = None


class NewService(Body, kw_only=True):
    code: Code
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
    department: Code
    business_unit: Code
    service_type: ServiceType
    sub_type: SubType = "individual"
    purpose: PurposeName | None = None
    description: Text = ""
    keywords: Keywords = msgspec.field(default_factory=list)


class HoursChange(Body, kw_only=True):
    """New opening hours from `effective_from` (today or later, the desk's local date) on."""

    opens: WallClock
    closes: WallClock
    weekdays: Annotated[list[Weekday], msgspec.Meta(min_length=1, max_length=7)]
    effective_from: date
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    timezone: Annotated[str, msgspec.Meta(
        min_length=1, max_length=64, description="an IANA time zone; default the desk's",
        examples=["America/Toronto"])] | None = None


class ServiceRevision(Body, kw_only=True):
    """Only the fields given change; at least one must be given."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=300)] | None = None
    description: Text | None = None
    keywords: Keywords | None = None
    active: bool | None = None


def department_view(department: Department) -> DepartmentView:
    return DepartmentView(code=department.code, name=department.name,
                          business_units=dict(department.business_units),
                          hourly_rate_cents=department.hourly_rate_cents,
                          active=department.active, version=department.version)


def service_view(service: Service) -> ServiceView:
    return ServiceView(code=service.code, name=service.name, department=service.department,
                       business_unit=service.business_unit, service_type=service.service_type,
                       sub_type=service.sub_type, purpose=service.purpose,
                       description=service.description, keywords=list(service.keywords),
                       active=service.active, public=service.is_public, version=service.version)


def hours_view(hours: OpeningHours) -> HoursView:
    return HoursView(opens=hours.opens.isoformat("minutes"),
                     closes=hours.closes.isoformat("minutes"),
                     weekdays=[WEEKDAYS[day] for day in sorted(hours.weekdays)],
                     timezone=hours.timezone)


def desk_view(desk: Desk, now: datetime) -> DeskView:
    today = desk.today(now)
    scheduled = sorted((c for c in desk.hours_changes if c.effective_from > today),
                       key=lambda c: (c.effective_from, c.recorded_at))
    return DeskView(code=desk.code, name=desk.name, central=desk.central,
                    hours=hours_view(desk.hours_on(today)),
                    scheduled_changes=[HoursChangeView(
                        effective_from=c.effective_from, hours=hours_view(c.hours),
                        reason=c.reason, recorded_at=c.recorded_at.astimezone(UTC))
                        for c in scheduled],
                    version=desk.version)


# -- paging, access and documentation -------------------------------------------------------------

def page(items: Sequence[T], code_of: Any, after: str | None,
         limit: int) -> tuple[list[T], str | None]:
    """One page of `items` (already in code order) after the cursor, and the next cursor.

    The cursor is the last code seen, opaque to clients, so a page never repeats or skips an
    entry even when entries are added between requests. Raises InvalidValue (field `after`).
    """
    if after is not None:
        try:
            last = base64.b64decode(after + "=" * (-len(after) % 4), altchars=b"-_",
                                    validate=True).decode()
        except ValueError:  # not base64 (binascii.Error), not ASCII, or not UTF-8 inside
            raise InvalidValue("after must be a next_cursor this list returned",
                               "after") from None
        items = [item for item in items if code_of(item) > last]
    chosen = list(items[:limit])
    more = len(items) > limit
    cursor = (base64.urlsafe_b64encode(code_of(chosen[-1]).encode()).decode().rstrip("=")
              if more and chosen else None)
    return chosen, cursor


def admin_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: 401 without a valid token, 403 for any role but admin, before the body is read."""
    check_admin(current_actor(connection))  # type: ignore[arg-type]


UNAUTHENTICATED = "No valid bearer token"
READ_LIST_ERRORS = described_problems(e400="A parameter is malformed", e401=UNAUTHENTICATED,
                             e422="The cursor or a filter value is not valid")
READ_ONE_ERRORS = described_problems(e400="The code is malformed", e401=UNAUTHENTICATED,
                            e404="No entry with this code")
WRITE_ERRORS = {"e400": "The body is malformed or has unknown fields", "e401": UNAUTHENTICATED,
                "e403": "Only administrators change the catalogue",
                "e409": "The code is taken, or the entry changed meanwhile",
                "e413": "The body is larger than CIVICDESK_MAX_BODY_BYTES",
                "e422": "A value breaks a rule of the catalogue"}
CREATE_ERRORS = described_problems(**WRITE_ERRORS)
REVISE_ERRORS = described_problems(**WRITE_ERRORS, e404="No entry with this code")
AFTER = Parameter(query="after", default=None, max_length=512,
                  description="the `next_cursor` of the previous page")
LIMIT = Parameter(query="limit", default=DEFAULT_PAGE, ge=1, le=MAX_PAGE)
INCLUDE_INACTIVE = Parameter(query="include_inactive", default=False,
                             description="also list entries an administrator deactivated")


# -- routes ---------------------------------------------------------------------------------------

class CatalogueController(Controller):
    path = "/api/v1"
    tags = ["catalogue"]
    guards = [authenticated]
    dependencies = {"actor": Provide(current_actor, sync_to_thread=False)}

    @get("/departments", operation_id="department_list", sync_to_thread=True,
         summary="List departments", responses=READ_LIST_ERRORS,
         description="Departments in code order, in opaque-cursor pages: pass `next_cursor` "
                     "as `after` for the next page.")
    def list_departments(self, request: Request[Any, Any, Any], actor: Actor,
                         desk: ServiceDesk,
                         include_inactive: bool = INCLUDE_INACTIVE,
                         after: str | None = AFTER, limit: int = LIMIT) -> DepartmentList:
        found = catalogue.list_departments(desk, include_inactive=include_inactive)
        items, cursor = page(found, lambda d: d.code, after, limit)
        return DepartmentList(items=[department_view(d) for d in items], next_cursor=cursor)

    @get("/departments/{code:str}", operation_id="department_get", sync_to_thread=True,
         summary="One department", responses=READ_ONE_ERRORS)
    def get_department(self, request: Request[Any, Any, Any], actor: Actor,
                       desk: ServiceDesk,
                       code: str) -> DepartmentView:
        return department_view(catalogue.get_department(desk, code))

    @post("/departments", operation_id="department_register", sync_to_thread=True,
          status_code=201, guards=[admin_only], responses=CREATE_ERRORS,
          summary="Register a department (administrators)")
    def register_department(self, request: Request[Any, Any, Any], actor: Actor,
                            desk: ServiceDesk,
                            data: NewDepartment) -> Response[DepartmentView]:
        department = catalogue.register_department(desk, actor, catalogue.DepartmentSpec(
            code=data.code, name=data.name, business_units=dict(data.business_units),
            hourly_rate_cents=data.hourly_rate_cents))
        return Response(department_view(department), status_code=201,
                        headers={"Location": f"/api/v1/departments/{department.code}"})

    @patch("/departments/{code:str}", operation_id="department_revise", sync_to_thread=True,
           guards=[admin_only], responses=REVISE_ERRORS,
           summary="Revise a department (administrators)")
    def revise_department(self, request: Request[Any, Any, Any], actor: Actor,
                          desk: ServiceDesk, code: str,
                          data: DepartmentRevision) -> DepartmentView:
        return department_view(catalogue.revise_department(
            desk, actor, code, name=data.name,
            business_units=None if data.business_units is None else dict(data.business_units),
            hourly_rate_cents=data.hourly_rate_cents, active=data.active))

    @get("/services", operation_id="service_list", sync_to_thread=True,
         summary="List services", responses=READ_LIST_ERRORS,
         description="Services in code order, in opaque-cursor pages. By default only the "
                     "active services customers can ask for; `include_internal` adds the "
                     "Town's internal services.")
    def list_services(self, request: Request[Any, Any, Any], actor: Actor,
                      desk: ServiceDesk,
                      department: str | None = Parameter(query="department", default=None,
                                                         min_length=1, max_length=64),
                      include_internal: bool = Parameter(query="include_internal",
                                                         default=False),
                      include_inactive: bool = INCLUDE_INACTIVE,
                      after: str | None = AFTER, limit: int = LIMIT) -> ServiceList:
        if department is not None and desk.find_department(department) is None:
            raise InvalidValue(f"no department {department!r}", "department")
        found = catalogue.list_services(desk, department=department,
                                        include_internal=include_internal,
                                        include_inactive=include_inactive)
        items, cursor = page(found, lambda s: s.code, after, limit)
        return ServiceList(items=[service_view(s) for s in items], next_cursor=cursor)

    @get("/services/{code:str}", operation_id="service_get", sync_to_thread=True,
         summary="One service", responses=READ_ONE_ERRORS)
    def get_service(self, request: Request[Any, Any, Any], actor: Actor,
                    desk: ServiceDesk,
                    code: str) -> ServiceView:
        return service_view(catalogue.get_service(desk, code))

    @post("/services", operation_id="service_register", sync_to_thread=True, status_code=201,
          guards=[admin_only], responses=CREATE_ERRORS,
          summary="Register a service (administrators)")
    def register_service(self, request: Request[Any, Any, Any], actor: Actor,
                         desk: ServiceDesk,
                         data: NewService) -> Response[ServiceView]:
        service = catalogue.register_service(desk, actor, catalogue.ServiceSpec(
            code=data.code, name=data.name, department=data.department,
            business_unit=data.business_unit, service_type=data.service_type,
            sub_type=data.sub_type, purpose=data.purpose, description=data.description,
            keywords=tuple(data.keywords)))
        return Response(service_view(service), status_code=201,
                        headers={"Location": f"/api/v1/services/{service.code}"})

    @patch("/services/{code:str}", operation_id="service_revise", sync_to_thread=True,
           guards=[admin_only], responses=REVISE_ERRORS,
           summary="Revise a service (administrators)")
    def revise_service(self, request: Request[Any, Any, Any], actor: Actor,
                       desk: ServiceDesk, code: str,
                       data: ServiceRevision) -> ServiceView:
        return service_view(catalogue.revise_service(
            desk, actor, code, name=data.name, description=data.description,
            keywords=data.keywords, active=data.active))

    @get("/desks", operation_id="desk_list", sync_to_thread=True,
         summary="List the service desks", responses=READ_LIST_ERRORS,
         description="Victoria Hall (Service Cobourg, the central desk) and the satellite "
                     "desks, in code order.")
    def list_desks(self, request: Request[Any, Any, Any], actor: Actor,
                   desk: ServiceDesk,
                   after: str | None = AFTER, limit: int = LIMIT) -> DeskList:
        items, cursor = page(catalogue.list_desks(desk), lambda d: d.code, after, limit)
        now = desk.clock()
        return DeskList(items=[desk_view(d, now) for d in items], next_cursor=cursor)

    @get("/desks/{code:str}", operation_id="desk_get", sync_to_thread=True,
         summary="One service desk, with its opening hours", responses=READ_ONE_ERRORS)
    def get_desk(self, request: Request[Any, Any, Any], actor: Actor,
                 desk: ServiceDesk, code: str) -> DeskView:
        return desk_view(catalogue.get_desk(desk, code), desk.clock())

    @post("/desks/{code:str}/hours", operation_id="desk_hours_change", sync_to_thread=True,
          status_code=201, guards=[admin_only], responses=REVISE_ERRORS,
          summary="Change a desk's opening hours from a date on (administrators)",
          description="Records new weekly hours from `effective_from` (today or later, in the "
                      "desk's local date; never retroactive). Deadlines computed from now on "
                      "follow them; deadlines already fixed do not move. Of two changes from "
                      "the same date, the later one stands.")
    def change_hours(self, request: Request[Any, Any, Any], actor: Actor,
                     desk: ServiceDesk, code: str,
                     data: HoursChange) -> Response[DeskView]:
        changed = catalogue.change_desk_hours(
            desk, actor, code, opens=time.fromisoformat(data.opens),
            closes=time.fromisoformat(data.closes),
            weekdays=[WEEKDAYS.index(day) for day in data.weekdays], timezone=data.timezone,
            effective_from=data.effective_from, reason=data.reason)
        return Response(desk_view(changed, desk.clock()), status_code=201,
                        headers={"Location": f"/api/v1/desks/{changed.code}"})
