"""Read-model answers: refused while their read model has failed, held until it has caught up
with a given `min_position` (read your writes), and marked with how far behind it is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import ServiceUnavailableException
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from application.desk import ServiceDesk
from domain.errors import InvalidValue
from engine.runner import ProjectionSet, ReadModelFailed

LAST_POSITION = 2**63 - 1  # a PostgreSQL bigint: no log position is larger
WAIT_SECONDS = 5.0  # how long `min_position` may hold a request before 503
RETRY_AFTER = "1"
LAG_HEADER = "x-civicdesk-lag"  # log positions the read model has not applied yet
_LAG = "civicdesk_lag"  # where `wait_for` leaves the lag for `lag_header_middleware`


@dataclass(frozen=True)
class ReadYourWrites:
    """The read models' progress through the log, as a route reading one needs it (given to
    routes as `read_your_writes`)."""

    desk: ServiceDesk
    positions: ProjectionSet

    def wait_for(self, request: Request[Any, Any, Any], position: int | None,
                 name: str) -> None:
        """Before read model `name` answers: 503 (ReadModelFailed) if it has failed on an
        event it has not got past; with `position`, hold the request until it reflects that
        position (422 if the position is beyond the log, 503 with Retry-After if it does not
        get there in time). Then note its lag for the `X-Civicdesk-Lag` header."""
        positions = self.positions
        head = self.desk.log_position()
        if position is not None:
            if position > head:
                raise InvalidValue(f"min_position {position} is beyond the last recorded "
                                   f"position {head}", "min_position")
            try:
                positions.wait_for(position, WAIT_SECONDS, names=[name])
            except ReadModelFailed:
                raise
            except TimeoutError as error:
                raise ServiceUnavailableException(
                    detail=f"the {name} read model has not reached position {position} "
                           "yet; retry shortly", headers={"Retry-After": RETRY_AFTER}
                ) from error
        if (failure := positions.failure(name)) is not None:
            raise ReadModelFailed(failure.summary())
        request.scope.setdefault("state", {})[_LAG] = max(head - positions.position(name), 0)


def lag_header_middleware(app: ASGIApp) -> ASGIApp:
    """Adds `X-Civicdesk-Lag` to the answer of a route that read a read model: how many log
    positions (an upper bound: ids may have gaps) it had not applied when the request began."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_with_lag(message: Message) -> None:
            lag = scope.get("state", {}).get(_LAG)
            if message["type"] == "http.response.start" and lag is not None:
                MutableScopeHeaders.from_message(message)[LAG_HEADER] = str(lag)
            await send(message)

        await app(scope, receive, send_with_lag)

    return middleware
