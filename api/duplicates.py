"""Duplicate cases: the likely duplicates of a case, and merging a duplicate into the case
that carries the matter on (`application.duplicates`)."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide

from api import schemas
from api.auth import authenticated, current_actor
from api.cases import COMMAND_ERRORS, answered_command, idempotency
from api.duplicate_views import disclosed
from api.openapi_contract import IDEMPOTENT
from api.problems import problem_doc, problem_docs
from api.read_models import LIST_ERRORS, MinPosition
from api.read_your_writes import ReadYourWrites
from application import duplicates
from application.desk import ServiceDesk
from domain.actors import Actor
from infrastructure.access_log import AccessLog


class MergeBody(schemas.Body, kw_only=True):
    into: UUID  # the case that carries the matter on (the survivor)
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
    occurred_at: datetime | None = None


class DuplicatePage(msgspec.Struct):
    items: list[schemas.DuplicateView]


class DuplicateController(Controller):
    path = "/api/v1/cases"
    tags = ["duplicates"]
    guards = [authenticated]
    dependencies = {"actor": Provide(current_actor, sync_to_thread=False)}

    @get("/{case_id:uuid}/duplicates", operation_id="case_duplicates", sync_to_thread=True,
         summary="Open cases this case likely repeats",
         description="Open cases of the same service within 50 metres of this one (Open311 "
                     "lat/long, great-circle distance), and open cases of the same customer "
                     "with a similar subject (for the roles that serve customers); nearest "
                     "first, then most alike, at most 10; only cases the caller may see. "
                     "Errors: 401, 404 (no such case, or another department's), 422, 503 "
                     "(the read model is behind `min_position`), as application/problem+json.",
         responses={**LIST_ERRORS, 404: problem_doc("No such case, or another department's")})
    def duplicates(self, request: Request[Any, Any, Any], case_id: UUID,
                   actor: NamedDependency[Actor], desk: NamedDependency[ServiceDesk],
                   duplicate_candidates: NamedDependency[Any],
                   read_your_writes: NamedDependency[ReadYourWrites],
                   access_log: NamedDependency[AccessLog],
                   min_position: MinPosition = None) -> DuplicatePage:
        desk.get_case(actor, case_id)  # unknown or invisible: 404 before any wait
        read_your_writes.wait_for(request, min_position, duplicates.DUPLICATES_NAME)
        query: duplicates.CandidateQuery = duplicate_candidates
        return DuplicatePage(items=disclosed(
            request, actor, duplicates.duplicates_of(desk, actor, case_id, query), access_log))

    @post("/{case_id:uuid}/merge-into", operation_id="case_merge_into", status_code=200,
          sync_to_thread=True, opt={IDEMPOTENT: True},
          summary="Merge this case, a duplicate, into another",
          description="Records `MergedInto` on this case (closed, its undecided targets "
                      "withdrawn: counted neither met nor breached) and `DuplicateMerged` on "
                      "`into`, whose subscribers gain this case's customer. Both references "
                      "keep resolving. Answers this case. Errors: "
                      f"{COMMAND_ERRORS} (422 for merging into itself, into a closed or "
                      "merged case, or a case holding merged duplicates).",
          responses=problem_docs(400, 401, 403, 404, 409, 413, 422))
    def merge_into(self, request: Request[Any, Any, Any], case_id: UUID, data: MergeBody,
                   actor: NamedDependency[Actor], desk: NamedDependency[ServiceDesk],
                   access_log: NamedDependency[AccessLog]) -> Response[schemas.CaseView]:
        return answered_command(request, actor, partial(
            duplicates.merge, desk, actor, case_id, data.into, reason=data.reason,
            occurred_at=data.occurred_at, idempotency=idempotency(request, data)), 200, desk,
            access_log)
