"""GeoReport v2's errors: one status and a list of descriptions, from any error raised."""

from __future__ import annotations

import logging

from litestar.exceptions import HTTPException

from domain.errors import DomainError, Forbidden, NotFound

log = logging.getLogger("civicdesk.open311")


class Open311Error(Exception):
    """An answer in GeoReport v2's error format: one status, one or more (code, description)."""

    def __init__(self, status: int, *descriptions: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = descriptions
        self.headers = headers


def as_open311_error(error: Exception) -> Open311Error:
    """404 for what does not exist, 403 for a missing or wrong api_key, 429 when over the rate,
    400 for the rest (a server fault is logged and told as "general service error")."""
    if isinstance(error, Open311Error):
        return error
    if isinstance(error, NotFound):
        return Open311Error(404, error.detail)
    if isinstance(error, Forbidden):
        return Open311Error(403, error.detail)
    if isinstance(error, DomainError):
        field = f"{error.field}: " if error.field and error.field not in error.detail else ""
        return Open311Error(400, field + error.detail)
    if isinstance(error, HTTPException) and 400 <= error.status_code < 500:
        status = error.status_code if error.status_code in {403, 404, 429} else 400
        return Open311Error(status, str(error.detail))
    log.exception("Open311 request failed", exc_info=error)
    return Open311Error(400, "general service error: the request could not be processed; "
                             "it has been logged")
