"""RFC 9457 problem details: the one table that maps every error to an HTTP status."""

from __future__ import annotations

import logging
import re
from typing import Any

import msgspec
from eventsourcing.domain import OriginatorVersionError
from litestar import MediaType, Request, Response
from litestar.exceptions import (
    ClientException,
    HTTPException,
    SerializationException,
    ValidationException,
)
from litestar.openapi.datastructures import ResponseSpec

from application.attachments import (
    FileErased,
    FileTooLarge,
    FileUnavailable,
    UnsupportedFile,
)
from application.desk import IdempotencyKeyReused
from application.personal_data import PersonalDataLocked
from domain.errors import (
    AlreadyExists,
    DomainError,
    Forbidden,
    InvalidValue,
    NotFound,
    RuleViolated,
    VersionConflict,
)
from engine.views import ProjectionNotReady, ReadModelFailed
from infrastructure.access_log import DisclosureNotRecorded
from infrastructure.damaged_log import DamagedLog, damaged_message

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://civicdesk.example/problems/"
log = logging.getLogger("civicdesk.api")
NOT_READY_RETRY_AFTER = "5"  # seconds: a rebuild or a lagging read model catches up in that
FAILED_RETRY_AFTER = "30"  # seconds: a failed read model is retried with backoff

# Most specific first: the first class an error is an instance of decides its status.
STATUS_BY_ERROR: tuple[tuple[type[DomainError], int, str], ...] = (
    (NotFound, 404, "Not found"),
    (FileTooLarge, 413, "File too large"),
    (UnsupportedFile, 422, "Not a file the desk keeps"),
    (FileErased, 410, "File erased"),
    (FileUnavailable, 503, "File unavailable"),
    (PersonalDataLocked, 503, "Personal information unavailable"),
    (Forbidden, 403, "Forbidden"),
    (VersionConflict, 409, "Version conflict"),
    (AlreadyExists, 409, "Already exists"),
    (IdempotencyKeyReused, 422, "Idempotency key reused"),
    (InvalidValue, 422, "Invalid value"),
    (RuleViolated, 422, "Rule of the desk violated"),
    (DomainError, 422, "Rejected"),
)

class InvalidParam(msgspec.Struct):
    name: str
    reason: str


class Problem(msgspec.Struct, omit_defaults=True):
    """The RFC 9457 body every error answers with, as documented in the OpenAPI schema."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    invalid_params: list[InvalidParam] | None = None
    current_version: int | None = None


def problem_doc(description: str) -> ResponseSpec:
    return ResponseSpec(data_container=Problem, media_type=PROBLEM_JSON,
                        description=description, generate_examples=False)


def described_problems(**described: str) -> dict[int, ResponseSpec]:
    """Problem responses, each with its own description: `e404="No such case"`, ..."""
    return {int(status.removeprefix("e")): problem_doc(description)
            for status, description in described.items()}


def problem_docs(*statuses: int) -> dict[int, ResponseSpec]:
    """The documented error responses of a route, by status."""
    return {status: problem_doc(ERROR_DESCRIPTIONS[status]) for status in statuses}


ERROR_DESCRIPTIONS = {
    400: "The request is malformed or a field has the wrong type (names the field)",
    401: "No valid bearer token",
    403: "The role may not do this",
    404: "No such thing, or not visible to this role",
    409: "A stale expected_version, or a duplicate",
    413: "The body is larger than CIVICDESK_MAX_BODY_BYTES",
    422: "A rule of the desk refused it (names the field)",
}

TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
          405: "Method not allowed", 409: "Conflict", 413: "Request body too large",
          415: "Unsupported media type", 422: "Unprocessable content",
          429: "Too many requests", 500: "Internal server error",
          503: "Service unavailable"}


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


# msgspec names the field at fault in two ways: a location suffix ("... - at `$.contact.name`",
# which Litestar strips into the error's `key`) and, for unknown or missing fields, the field
# itself inside the message ("Object contains unknown field `messag`").
LOCATION = re.compile(r"\s+-\s+at\s+`\$(?P<path>[^`]*)`$")
NAMED_FIELD = re.compile(r"(?:unknown|missing required) field `(?P<field>[^`]+)`")
MISSING_PARAMETER = re.compile(r"Missing required (?P<kind>\w+) parameter '(?P<name>[^']+)'")
BODY = "data"  # the handler argument Litestar decodes the request body into


def field_path(*parts: str) -> str:
    """`contact` + `name` -> `contact.name`; `items[0]` + `x` -> `items[0].x`."""
    path = ".".join(part.lstrip(".") for part in parts if part)
    return path.replace(".[", "[").strip(".")


def invalid_param(item: dict[str, Any], fallback: str) -> dict[str, str]:
    """One entry of `invalid_params`: the JSON path of the field at fault, and why."""
    reason = str(item.get("message") or fallback)
    key = str(item.get("key") or "")
    from_body = item.get("source") == "body" or key == BODY
    if reason == repr(key):  # Litestar reports an absent argument as its KeyError
        if from_body:
            return {"name": "body", "reason": "a JSON request body is required"}
        return {"name": key, "reason": "a value is required"}
    location = LOCATION.search(reason)
    if location:
        reason, key = reason[:location.start()], location["path"]
    elif from_body and key == BODY:
        key = ""  # the body as a whole, or a field named in the message
    named = NAMED_FIELD.search(reason)
    name = field_path(key, named["field"] if named else "")
    return {"name": name or ("body" if from_body else "request"), "reason": reason}


def wire_names(handler: Any) -> dict[str, str]:
    """A route handler's arguments -> their parameters' names on the wire (`first` -> `from`),
    where they differ: Litestar names a parameter at fault by the argument."""
    signature = getattr(handler, "parsed_fn_signature", None)
    names = {}
    for argument, field in (signature.parameters.items() if signature else ()):
        kwarg = field.kwarg_definition
        alias = getattr(kwarg, "name", None) or getattr(kwarg, "query", None)
        if isinstance(alias, str) and alias != argument:
            names[argument] = alias
    return names


def validation_error_handler(request: Request[Any, Any, Any],
                             error: Exception) -> Response[Any]:
    assert isinstance(error, ValidationException)
    detail = error.detail or "the request is not valid"
    items = error.extra if isinstance(error.extra, list) else []
    fields = [invalid_param(item, detail) for item in items if isinstance(item, dict)]
    aliases = wire_names(request.scope.get("route_handler"))
    fields = [{**f, "name": aliases.get(f["name"], f["name"])} for f in fields]
    if not fields and (missing := MISSING_PARAMETER.search(detail)):
        fields = [{"name": missing["name"], "reason": f"the {missing['kind']} parameter "
                   "is required"}]
    if fields:
        detail = "; ".join(f"{f['name']}: {f['reason']}" for f in fields)
    return problem(400, detail, kind="validation", title="Invalid request",
                   instance=request.url.path, invalid_params=fields or None)


def http_error_handler(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    assert isinstance(error, HTTPException)
    headers = dict(error.headers or {})
    if isinstance(error, ClientException) and isinstance(error.__cause__,
                                                         SerializationException):
        # Litestar wraps a body msgspec could not parse ("JSON is malformed: ...").
        return problem(400, str(error.detail), kind="malformed-body", title="Malformed body",
                       instance=request.url.path, headers=headers or None,
                       invalid_params=[{"name": "body", "reason": str(error.detail)}])
    return problem(error.status_code, str(error.detail), instance=request.url.path,
                   headers=headers or None)


def not_ready_handler(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    # A read model that lags, is rebuilding, or whose tables another version of civicdesk
    # made (engine.views.TablesOfAnotherVersion) answers once it has caught up.
    return problem(503, f"{error}; retry shortly", kind="read-model-not-ready",
                   title="Read model not ready", instance=request.url.path,
                   headers={"Retry-After": NOT_READY_RETRY_AFTER})


def failed_read_model_handler(request: Request[Any, Any, Any],
                              error: Exception) -> Response[Any]:
    # A read model stopped on an event it cannot apply (engine.failures): it stays
    # behind until a fixed version runs or an operator skips that event.
    return problem(503, f"{error}; its answers would be stale until an operator fixes it or "
                   "skips that event (see GET /api/v1/admin/projections)",
                   kind="read-model-failed", title="Read model failed",
                   instance=request.url.path, headers={"Retry-After": FAILED_RETRY_AFTER})


def access_log_handler(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    # Nothing personal was disclosed and nothing saved: the client may simply retry.
    log.error("access log not written on %s %s: %s", request.method, request.url.path,
              error.__cause__ or error)
    return problem(503, str(error), kind="access-log-unavailable",
                   title="Access log unavailable", instance=request.url.path,
                   headers={"Retry-After": NOT_READY_RETRY_AFTER})


def damaged_log_handler(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    # The stored log does not read back as the application wrote it: say so and where,
    # rather than a 500 (infrastructure.damaged_log).
    detail = damaged_message(error) or str(error)
    log.error("%s %s: %s", request.method, request.url.path, detail)
    return problem(503, detail, kind="log-inconsistent", title="The log is inconsistent",
                   instance=request.url.path)


def unexpected_error_handler(request: Request[Any, Any, Any],
                             error: Exception) -> Response[Any]:
    log.exception("unexpected error on %s %s", request.method, request.url.path,
                  exc_info=error)
    return problem(500, "an unexpected error occurred; it has been logged",
                   kind="internal", instance=request.url.path)


EXCEPTION_HANDLERS = {
    DomainError: domain_error_handler,
    ReadModelFailed: failed_read_model_handler,
    ProjectionNotReady: not_ready_handler,
    DisclosureNotRecorded: access_log_handler,
    DamagedLog: damaged_log_handler,
    OriginatorVersionError: damaged_log_handler,
    ValidationException: validation_error_handler,
    HTTPException: http_error_handler,
    Exception: unexpected_error_handler,
}
ERROR_MEDIA_TYPE = MediaType.JSON
