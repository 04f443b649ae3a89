"""Liveness and readiness probes for load balancers and the Docker healthcheck.

`/health` says only that the process answers. `/ready` says whether its answers are worth
having: the database answers, every read model has caught up with the head of the log as it
was when the process started, and none has failed on an event (engine.failures). In a
process that runs no read models (CIVICDESK_RUN_PROJECTIONS=false) the same holds of the
tracking tables and failure records the processes that run them write.
"""

from __future__ import annotations

import msgspec
from litestar import Response, get
from litestar.openapi.datastructures import ResponseSpec

from api.public_status import PublicOperation
from application.desk import ServiceDesk
from engine.runner import ProjectionSet
from infrastructure.settings import Settings


class Health(msgspec.Struct):
    status: str


class Readiness(msgspec.Struct):
    status: str  # ok, unavailable (the database) or not_ready (the read models)
    database: str
    position: int | None = None
    detail: str | None = None
    read_models: list[str] = []  # why the read models are not ready, one line each


@get("/health", operation_id="health", tags=["operations"], summary="Liveness",
     operation_class=PublicOperation)
async def health() -> Health:
    return Health(status="ok")


@get("/ready", operation_id="ready", tags=["operations"], sync_to_thread=True,
     summary="Readiness: the database answers and the read models are caught up",
     operation_class=PublicOperation,
     responses={503: ResponseSpec(data_container=Readiness, description="The database does "
                                  "not answer, a read model is still catching up with the log "
                                  "as it was at start, or has failed on an event",
                                  generate_examples=False)})
def ready(desk: ServiceDesk, settings: Settings,
          projections: ProjectionSet) -> Response[Readiness]:
    kind = "postgresql" if settings.is_postgres else "sqlite"
    try:
        position = desk.log_position()
        unready = projections.unready()
    except Exception as error:  # any database failure means "not ready", never a 500
        detail = f"{type(error).__name__}: {error}"
        return Response(Readiness(status="unavailable", database=kind, detail=detail),
                        status_code=503)
    if unready:
        return Response(Readiness(status="not_ready", database=kind, position=position,
                                  detail="; ".join(unready), read_models=unready),
                        status_code=503)
    return Response(Readiness(status="ok", database=kind, position=position))
