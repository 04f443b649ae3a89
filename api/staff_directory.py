"""`PUT`/`GET /api/v1/admin/staff/{staff_id}`: administrators keep the staff directory (work
email and language), through which alerts are emailed to the people they reach. The address
is returned to administrators only and never logged."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, get, put
from litestar.di import Provide

from api.auth import current_actor
from api.problems import described_problems
from api.schemas import Body
from application.desk import ServiceDesk
from application.staff_directory import read_entry, set_entry
from domain.actors import Actor
from domain.staff_directory import ADDRESS_PATTERN, StaffEntry


class StaffEntryBody(Body, kw_only=True):
    work_email: Annotated[str, msgspec.Meta(min_length=3, max_length=254,
                                            pattern=ADDRESS_PATTERN)]
    language: Literal["en", "fr"] = "en"  # the language alerts are written in


class StaffEntryView(msgspec.Struct):
    staff_id: str
    work_email: str
    language: str
    version: int


def _view(entry: StaffEntry) -> StaffEntryView:
    assert entry.work_email is not None
    return StaffEntryView(staff_id=entry.staff_id, work_email=entry.work_email,
                          language=entry.language, version=entry.version)


@put("/api/v1/admin/staff/{staff_id:str}", operation_id="staff_directory_set",
     tags=["staff"], sync_to_thread=True,
     dependencies={"actor": Provide(current_actor, sync_to_thread=False)},
     summary="Set a member of staff's work email and language (administrators)",
     description="Alerts about cases (a target at risk, a deadline missed) are emailed to "
                 "the people they reach who have an entry here, in its language.",
     responses=described_problems(
         e400="The body is malformed, has unknown fields or an invalid work email",
         e401="No valid bearer token", e403="Only administrators keep the staff directory",
         e409="The entry was changed meanwhile",
         e422="The staff id, work email or language is not valid, or nothing changes"))
def set_staff_entry(request: Request[Any, Any, Any], staff_id: str, data: StaffEntryBody,
                    actor: Actor, desk: ServiceDesk) -> StaffEntryView:
    return _view(set_entry(desk, actor, staff_id, work_email=data.work_email,
                           language=data.language))


@get("/api/v1/admin/staff/{staff_id:str}", operation_id="staff_directory_get",
     tags=["staff"], sync_to_thread=True,
     dependencies={"actor": Provide(current_actor, sync_to_thread=False)},
     summary="A member of staff's directory entry (administrators)",
     responses=described_problems(
         e400="The staff id holds control characters", e401="No valid bearer token",
         e403="Only administrators read the staff directory",
         e404="No entry for this staff id", e422="The staff id is not valid"))
def get_staff_entry(request: Request[Any, Any, Any], staff_id: str, actor: Actor,
                    desk: ServiceDesk) -> StaffEntryView:
    return _view(read_entry(desk, actor, staff_id))
