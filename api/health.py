"""Liveness and readiness probes for load balancers and the Docker healthcheck."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get
from litestar.openapi.datastructures import ResponseSpec

from api.public_status import PublicOperation
from application.desk import ServiceDesk


class Health(msgspec.Struct):
    status: str


class Readiness(msgspec.Struct):
    status: str
    database: str
    position: int | None = None
    detail: str | None = None


@get("/health", operation_id="health", tags=["operations"], summary="Liveness",
     operation_class=PublicOperation)
async def health() -> Health:
    return Health(status="ok")


@get("/ready", operation_id="ready", tags=["operations"], sync_to_thread=True,
     summary="Readiness: the database answers", operation_class=PublicOperation,
     responses={503: ResponseSpec(data_container=Readiness, description="The database does "
                                  "not answer", generate_examples=False)})
def ready(request: Request[Any, Any, Any]) -> Response[Readiness]:
    desk: ServiceDesk = request.app.state.desk
    kind = "postgresql" if request.app.state.settings.is_postgres else "sqlite"
    try:
        position = desk.log_position()
    except Exception as error:  # any database failure means "not ready", never a 500
        detail = f"{type(error).__name__}: {error}"
        return Response(Readiness(status="unavailable", database=kind, detail=detail),
                        status_code=503)
    return Response(Readiness(status="ok", database=kind, position=position))
