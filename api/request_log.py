"""Structured logs: one JSON object a line, each carrying the id of the request it belongs to."""

from __future__ import annotations

import json
import logging
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "x-request-id"
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
access = logging.getLogger("civicdesk.access")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if (rid := request_id.get()) is not None:
            entry["request_id"] = rid
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Our access line replaces uvicorn's, which has no request id.
    logging.getLogger("uvicorn.access").handlers[:] = []
    logging.getLogger("uvicorn.access").propagate = False


# Paths that carry a secret (a survey link's token): logged without it.
SECRET_PATHS = ("/survey/",)


def logged_path(path: str) -> str:
    """The path as the access log writes it: a survey link's token left out, since the log
    is read by people who must not be able to answer as the customer."""
    for prefix in SECRET_PATHS:
        if path.startswith(prefix):
            return prefix + "{token}"
    return path


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    """Takes the caller's X-Request-Id (or makes one), echoes it, and logs the request."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(REQUEST_ID_HEADER.encode(), b"").decode()
        rid = given if 0 < len(given) <= 128 and given.isprintable() else uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableScopeHeaders.from_message(message)[REQUEST_ID_HEADER] = rid
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            path = logged_path(scope["path"])
            access.info("%s %s %s", scope["method"], path, status, extra={"fields": {
                "method": scope["method"], "path": path, "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1)}})
            request_id.reset(token)

    return middleware
