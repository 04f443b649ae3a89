"""Liveness and readiness probes for load balancers and the Docker healthcheck.

`/health` says only that the process answers. `/ready` says whether its answers are worth
having: the database answers, every read model has caught up with the head of the log as it
was when the process started, and none has failed on an event (engine.failures). In a
process that runs no read models (CIVICDESK_RUN_PROJECTIONS=false) the same holds of the
tracking tables and failure records the processes that run them write.

`/ready` also carries what this process's checkpointer found wrong with the ledger (`ledger`:
an event the application did not sign, or a broken chain, with its position). That alone does
not make the process unready: its answers are still those of the log as it is, and an outage
would punish the public for a forger's row; it is an alert for the operator (also logged at
ERROR and in /metrics).
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Response, get
from litestar.openapi.datastructures import ResponseSpec

from api.public_status import PublicOperation
from application.desk import ServiceDesk
from engine.runner import ProjectionSet
from infrastructure.checkpointer import Checkpointer
from infrastructure.settings import Settings


class Health(msgspec.Struct):
    status: str


class Readiness(msgspec.Struct):
    status: str  # ok, unavailable (the database) or not_ready (the read models)
    database: str
    position: int | None = None
    detail: str | None = None
    read_models: list[str] = []  # why the read models are not ready, one line each
    ledger: str | None = None  # what the checkpointer found wrong with the ledger, if anything


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
def ready(desk: ServiceDesk, settings: Settings, projections: ProjectionSet,
          checkpointer: Checkpointer | None) -> Response[Readiness]:
    kind = "postgresql" if settings.is_postgres else "sqlite"
    try:
        position = desk.log_position()
        unready = projections.unready()
    except Exception as error:  # any database failure means "not ready", never a 500
        detail = f"{type(error).__name__}: {error}"
        return Response(Readiness(status="unavailable", database=kind, detail=detail),
                        status_code=503)
    ledger = ledger_alert(checkpointer)
    if unready:
        return Response(Readiness(status="not_ready", database=kind, position=position,
                                  detail="; ".join(unready), read_models=unready,
                                  ledger=ledger), status_code=503)
    return Response(Readiness(status="ok", database=kind, position=position, ledger=ledger))


def ledger_alert(checkpointer: Any) -> str | None:
    """What this process's checkpointer found wrong with the ledger (None: nothing, or it runs
    no checkpointer)."""
    last = getattr(checkpointer, "last", None)
    if last is None:
        return None
    if last.unsigned_position is not None:
        return (f"an event the application did not sign is at position "
                f"{last.unsigned_position}: checkpoints stop before it; run civicdesk verify")
    if last.broken_position is not None:
        return (f"the log is inconsistent at position {last.broken_position}: checkpoints "
                "stop before it; run civicdesk verify")
    if last.access_problem is not None:
        return (f"the access log is inconsistent at entry {last.access_bad_id}; run "
                "civicdesk verify")
    return None
