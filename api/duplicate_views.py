"""A case's likely duplicates as the API shows them: in a receipt's answer and by their route
(api/duplicates.py)."""

from __future__ import annotations

from datetime import UTC
from typing import Any
from uuid import UUID

from litestar import Request

from api import schemas
from application import duplicates
from application.desk import ServiceDesk
from domain.actors import Actor
from engine.errors import ProjectionNotReady
from infrastructure.access_log import AccessLog


def duplicate_views(found: list[duplicates.DuplicateSuggestion]) -> list[schemas.DuplicateView]:
    return [schemas.DuplicateView(
        case_id=str(s.case_id), reference=s.reference, department=s.department,
        status=s.status, received_at=s.received_at.astimezone(UTC),
        reasons=[r.value for r in s.reasons],
        distance_metres=s.distance_metres, subject_similarity=s.subject_similarity)
        for s in found]


def disclosed(request: Request[Any, Any, Any], actor: Actor, suggested: duplicates.Suggested,
              access_log: AccessLog) -> list[schemas.DuplicateView]:
    """The suggestions as the API shows them, once the access log has recorded that they
    disclose other cases of the customer (as listing a customer's cases does)."""
    if suggested.customer_id is not None:
        access_log.record(actor, suggested.customer_id,
                          f"{request.method} {request.url.path}", ("cases",))
    return duplicate_views(suggested.found)


def suggested_duplicates(request: Request[Any, Any, Any], actor: Actor, case_id: UUID,
                         desk: ServiceDesk, candidates: Any,
                         access_log: AccessLog) -> list[schemas.DuplicateView]:
    """The likely duplicates of a case just received, for the receipt's answer: from the read
    model as it stands (a receipt does not wait for it; GET .../duplicates can)."""
    try:
        suggested = duplicates.duplicates_of(desk, actor, case_id, candidates)
    except ProjectionNotReady:
        return []
    return disclosed(request, actor, suggested, access_log)
