"""`POST /api/v1/cases/{id}/public-notes`: staff publish a note the public may read.

Published notes are the request's `status_notes` in Open311 and appear on its status page,
so they must name no one. Like every case command it records one event and answers the case.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, Response, post
from litestar.di import Provide

from api import schemas
from api.auth import current_actor
from api.cases import answered_command, idempotency
from api.openapi_contract import IDEMPOTENT
from api.plain_text import MULTI_LINE
from api.problems import described_problems
from application.desk import ServiceDesk
from application.open311 import publish_note
from domain.actors import Actor
from domain.cases import PUBLIC_NOTE_LIMIT
from infrastructure.access_log import AccessLog


class PublicNoteBody(schemas.Command, kw_only=True):
    note: Annotated[str, msgspec.Meta(min_length=1, max_length=PUBLIC_NOTE_LIMIT), MULTI_LINE]


@post("/api/v1/cases/{case_id:uuid}/public-notes", operation_id="case_publish_note",
      tags=["case commands"], status_code=200, sync_to_thread=True, opt={IDEMPOTENT: True},
      dependencies={"actor": Provide(current_actor, sync_to_thread=False)},
      summary="Publish a note the public may read",
      description="The note becomes the request's Open311 `status_notes` and shows on its "
                  "status page: write it for everyone, naming no one.",
      responses=described_problems(
          e400="The body is malformed or has unknown fields", e401="No valid bearer token",
          e403="The role may not publish notes on this department's cases",
          e404="No such case, or not one the caller may see",
          e409="expected_version is not the case's version",
          e413="The body is larger than CIVICDESK_MAX_BODY_BYTES",
          e422="The note or occurred_at breaks a rule of the desk"))
def publish_public_note(request: Request[Any, Any, Any], case_id: UUID, data: PublicNoteBody,
                        actor: Actor, desk: ServiceDesk,
                        access_log: AccessLog) -> Response[schemas.CaseView]:
    return answered_command(request, actor, partial(
        publish_note, desk, actor, case_id, data.note,
        expected_version=data.expected_version, occurred_at=data.occurred_at,
        idempotency=idempotency(request, data)), 200, desk, access_log)
