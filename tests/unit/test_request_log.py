"""Structured logs carry the request id, and every response echoes it."""

from __future__ import annotations

import json
import logging

from litestar import Litestar, get
from litestar.testing import TestClient

from api.request_log import JsonFormatter, request_id, request_id_middleware


@get("/ping")
async def ping() -> str:
    logging.getLogger("civicdesk.test").info("inside the request")
    return "pong"


def test_a_callers_request_id_is_echoed_and_a_missing_one_is_made() -> None:
    with TestClient(Litestar([ping], middleware=[request_id_middleware])) as client:
        assert client.get("/ping", headers={"X-Request-Id": "trace-7"}).headers[
            "x-request-id"] == "trace-7"
        made = client.get("/ping").headers["x-request-id"]
    assert len(made) == 32


def test_a_log_line_is_one_json_object_with_the_request_id() -> None:
    token = request_id.set("trace-8")
    try:
        record = logging.LogRecord("civicdesk.test", logging.INFO, __file__, 1, "hello %s",
                                   ("desk",), None)
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id.reset(token)
    assert line["message"] == "hello desk"
    assert line["request_id"] == "trace-8"
    assert line["level"] == "info"
