"""`/api/v1/cases/{id}/internal-notes`: staff add notes for each other, mentioning people and
departments (their inboxes get the note), and read a case's notes.

Internal notes are for the desk's staff: Open311 and the public status page never show them
(they show only published notes, api/public_notes.py).
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated, Any
from uuid import UUID

import anyio.to_thread
import msgspec
from litestar import Request, Response, get, post
from litestar.di import Provide

from api import schemas
from api.auth import current_actor
from api.cases import answered_command, idempotency
from api.openapi_contract import IDEMPOTENT
from api.plain_text import MULTI_LINE
from api.problems import described_problems
from application.desk import ServiceDesk
from application.internal_notes import add_internal_note, internal_notes
from domain.actors import Actor
from domain.internal_notes import MENTION_LIMIT, NOTE_LIMIT
from infrastructure.access_log import AccessLog


class InternalNoteBody(schemas.Command, kw_only=True):
    note: Annotated[str, msgspec.Meta(min_length=1, max_length=NOTE_LIMIT), MULTI_LINE]
    # Staff ids, as their tokens name them (`sub`): each gets the note in their inbox.
    mention_people: Annotated[list[schemas.Short], msgspec.Meta(max_length=MENTION_LIMIT)] = []
    # Department codes: everyone acting for the department sees the note in its inbox.
    mention_departments: Annotated[list[schemas.Code],
                                   msgspec.Meta(max_length=MENTION_LIMIT)] = []


class InternalNote(msgspec.Struct):
    number: int
    note: str
    mention_people: list[str]
    mention_departments: list[str]
    at: datetime
    by: str


class InternalNoteList(msgspec.Struct):
    items: list[InternalNote]


@post("/api/v1/cases/{case_id:uuid}/internal-notes", operation_id="case_add_internal_note",
      tags=["case commands"], status_code=200, opt={IDEMPOTENT: True},
      dependencies={"actor": Provide(current_actor, sync_to_thread=False)},
      summary="Add an internal note for staff, mentioning people or departments",
      description="The note is for staff only: never shown on the status page or through "
                  "Open311. Each person (staff id) and department mentioned gets it in "
                  "their inbox (`GET /api/v1/inbox`).",
      responses=described_problems(
          e400="The body is malformed or has unknown fields", e401="No valid bearer token",
          e403="The role may not add notes on this department's cases",
          e404="No such case, or not one the caller may see",
          e409="expected_version is not the case's version",
          e413="The body is larger than CIVICDESK_MAX_BODY_BYTES",
          e422="The note, a mention (an unknown department) or occurred_at breaks a rule"))
async def add_note(request: Request[Any, Any, Any], case_id: UUID, data: InternalNoteBody,
                   actor: Actor, desk: ServiceDesk,
                   access_log: AccessLog) -> Response[schemas.CaseView]:
    # Async with an explicit worker thread, as api.cases.receive_case says why: Litestar 2.25
    # loses the response of a sync_to_thread handler sharing its path with another.
    return await anyio.to_thread.run_sync(partial(
        answered_command, request, actor, partial(
            add_internal_note, desk, actor, case_id, data.note,
            mention_people=tuple(data.mention_people),
            mention_departments=tuple(data.mention_departments),
            expected_version=data.expected_version, occurred_at=data.occurred_at,
            idempotency=idempotency(request, data)), 200, desk, access_log))


@get("/api/v1/cases/{case_id:uuid}/internal-notes", operation_id="case_internal_notes",
     tags=["cases"],
     dependencies={"actor": Provide(current_actor, sync_to_thread=False)},
     summary="A case's internal notes, oldest first",
     responses=described_problems(e401="No valid bearer token",
                                  e404="No such case, or not one the caller may see"))
async def list_notes(case_id: UUID, actor: Actor, desk: ServiceDesk) -> InternalNoteList:
    notes = await anyio.to_thread.run_sync(internal_notes, desk, actor, case_id)
    return InternalNoteList(items=[InternalNote(
        number=n["number"], note=n["note"], mention_people=list(n["mention_people"]),
        mention_departments=list(n["mention_departments"]), at=n["at"], by=n["by"])
        for n in notes])
