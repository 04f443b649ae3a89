"""RFC 9457 problem details: the one table that maps every error to an HTTP status."""

from __future__ import annotations

import logging
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException

from application.desk import IdempotencyKeyReused
from domain.errors import (
    AlreadyExists,
    DomainError,
    Forbidden,
    InvalidValue,
    NotFound,
    RuleViolated,
    VersionConflict,
)

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://civicdesk.example/problems/"
log = logging.getLogger("civicdesk.api")

# Most specific first: the first class an error is an instance of decides its status.
STATUS_BY_ERROR: tuple[tuple[type[DomainError], int, str], ...] = (
    (NotFound, 404, "Not found"),
    (Forbidden, 403, "Forbidden"),
    (VersionConflict, 409, "Version conflict"),
    (AlreadyExists, 409, "Already exists"),
    (IdempotencyKeyReused, 422, "Idempotency key reused"),
    (InvalidValue, 422, "Invalid value"),
    (RuleViolated, 422, "Rule of the desk violated"),
    (DomainError, 422, "Rejected"),
)

TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
          405: "Method not allowed", 409: "Conflict", 413: "Request body too large",
          415: "Unsupported media type", 422: "Unprocessable content",
          429: "Too many requests", 503: "Service unavailable"}


def problem(status: int, detail: str, *, kind: str | None = None, title: str | None = None,
            instance: str | None = None, headers: dict[str, str] | None = None,
            **extra: Any) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": TYPE_BASE + (kind or str(status)),
        "title": title or TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update({k: v for k, v in extra.items() if v is not None})
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def domain_error_handler(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    assert isinstance(error, DomainError)
    status, title = next((s, t) for kind, s, t in STATUS_BY_ERROR if isinstance(error, kind))
    fields = [{"name": error.field, "reason": error.detail}] if error.field else None
    current = error.current_version if isinstance(error, VersionConflict) else None
    return problem(status, error.detail, kind=error.code, title=title,
                   instance=request.url.path, invalid_params=fields, current_version=current)


def validation_error_handler(request: Request[Any, Any, Any],
                             error: Exception) -> Response[Any]:
    assert isinstance(error, ValidationException)
    fields = []
    for item in error.extra if isinstance(error.extra, list) else []:
        if isinstance(item, dict):
            fields.append({"name": str(item.get("key") or item.get("source") or "body"),
                           "reason": str(item.get("message", error.detail))})
    detail = error.detail or "the request is not valid"
    if fields:
        detail = "; ".join(f"{f['name']}: {f['reason']}" for f in fields)
    return problem(400, detail, kind="validation", title="Invalid request",
                   instance=request.url.path, invalid_params=fields or None)


def http_error_handler(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    assert isinstance(error, HTTPException)
    headers = dict(error.headers or {})
    return problem(error.status_code, str(error.detail), instance=request.url.path,
                   headers=headers or None)


def unexpected_error_handler(request: Request[Any, Any, Any],
                             error: Exception) -> Response[Any]:
    log.exception("unexpected error on %s %s", request.method, request.url.path,
                  exc_info=error)
    return problem(500, "an unexpected error occurred; it has been logged",
                   kind="internal", instance=request.url.path)


EXCEPTION_HANDLERS = {
    DomainError: domain_error_handler,
    ValidationException: validation_error_handler,
    HTTPException: http_error_handler,
    Exception: unexpected_error_handler,
}
ERROR_MEDIA_TYPE = MediaType.JSON
