"""The list of accessibility accommodation requests (AODA; section 4.2), open ones by default.

Every role that reads cases may read it, for the departments whose cases it sees: staff and
managers their own (naming another department is 403), the other roles every department.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from api.auth import authenticated, current_actor
from api.read_models import FILTER_ERRORS, After, Department, Limit, MinPosition
from api.read_your_writes import ReadYourWrites
from api.schemas import utc
from application.accommodations import (
    ACCOMMODATIONS_NAME,
    AccommodationEntry,
    AccommodationQuery,
)
from application.desk import ServiceDesk
from application.queries import DEFAULT_PAGE, visible_departments
from application.work_queues import check_sees_department
from domain.actors import Actor
from domain.errors import InvalidValue

StateFilter = Literal["open", "requested", "not_made", "provided"]


class AccommodationItem(msgspec.Struct):
    case_id: str
    reference: str
    department: str
    number: int
    need: str
    state: str  # requested, not_made (customer told, alternative offered) or provided
    requested_at: datetime
    not_made_at: datetime | None
    alternative: str | None
    provided_at: datetime | None


class AccommodationPage(msgspec.Struct):
    items: list[AccommodationItem]
    next_cursor: str | None


def accommodation_item(entry: AccommodationEntry) -> AccommodationItem:
    requested = utc(entry.requested_at)
    assert requested is not None
    return AccommodationItem(
        case_id=str(entry.case_id), reference=entry.reference, department=entry.department,
        number=entry.number, need=entry.need, state=entry.state, requested_at=requested,
        not_made_at=utc(entry.not_made_at), alternative=entry.alternative,
        provided_at=utc(entry.provided_at))


class AccommodationController(Controller):
    path = "/api/v1"
    tags = ["accessibility"]
    guards = [authenticated]
    dependencies = {"actor": Provide(current_actor, sync_to_thread=False)}

    @get("/accommodations", operation_id="accommodation_list", sync_to_thread=True,
         summary="Accessibility accommodation requests (open ones by default)",
         responses=FILTER_ERRORS,
         description=(
             "Every accommodation requested on a case, first requested first. `state`: open "
             "(requested, or not made at that time with the customer told and offered an "
             "alternative; the default), requested, not_made or provided."))
    def accommodations(self, request: Request[Any, Any, Any], actor: NamedDependency[Actor],
                       desk: NamedDependency[ServiceDesk],
                       accommodations: NamedDependency[Any],
                       read_your_writes: NamedDependency[ReadYourWrites],
                       department: Department = None,
                       wanted: Annotated[StateFilter, QueryParameter(
                           name="state", description="open (the default), requested, "
                                                     "not_made or provided")] = "open",
                       after: After = None, limit: Limit = DEFAULT_PAGE,
                       min_position: MinPosition = None) -> AccommodationPage:
        if department is not None:
            if desk.find_department(department) is None:
                raise InvalidValue(f"no department {department!r}", "department")
            check_sees_department(actor, department)
        read_your_writes.wait_for(request, min_position, ACCOMMODATIONS_NAME)
        # Typed here: Litestar checks a dependency's declared type, and a Protocol cannot be.
        query: AccommodationQuery = accommodations
        entries, cursor = query.accommodations(
            visible_departments(actor), department=department, state=wanted, after=after,
            limit=limit)
        return AccommodationPage(items=[accommodation_item(e) for e in entries],
                                 next_cursor=cursor)
