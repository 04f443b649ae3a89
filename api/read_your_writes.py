"""Read your writes: a query given `min_position` waits until its read model has caught up."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import ServiceUnavailableException

from application.desk import ServiceDesk
from application.queries import ReadPositions
from domain.errors import InvalidValue

LAST_POSITION = 2**63 - 1  # a PostgreSQL bigint: no log position is larger
WAIT_SECONDS = 5.0  # how long `min_position` may hold a request before 503
RETRY_AFTER = "1"


def wait_for(request: Request[Any, Any, Any], position: int | None, name: str) -> None:
    """Hold the request until read model `name` reflects `position`: 422 if the position is
    beyond the log, 503 with Retry-After if the read model does not get there in time."""
    if position is None:
        return
    desk: ServiceDesk = request.app.state.desk
    head = desk.log_position()
    if position > head:
        raise InvalidValue(f"min_position {position} is beyond the last recorded position "
                           f"{head}", "min_position")
    positions: ReadPositions = request.app.state.read_positions
    try:
        positions.wait_for(position, WAIT_SECONDS, names=[name])
    except TimeoutError:
        raise ServiceUnavailableException(
            detail=f"the {name} read model has not reached position {position} yet; retry "
                   "shortly", headers={"Retry-After": RETRY_AFTER}) from None
