"""GeoReport v2's two formats: a payload or an error rendered as JSON or XML, times in w3."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import anyio
import msgspec
from litestar import Request, Response

from api.open311.errors import Open311Error, as_open311_error

# Litestar adds "; charset=utf-8" to text/* types itself.
MEDIA_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml"}
# Spark convention: an XML list is a plural element of singular ones.
ITEM_TAGS = {"services": "service", "service_requests": "request", "errors": "error",
             "endpoints": "endpoint", "formats": "format", "attributes": "attribute",
             "values": "value"}
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def w3(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def split_format(segment: str) -> tuple[str, str]:
    stem, dot, fmt = segment.rpartition(".")
    if not dot or fmt not in MEDIA_TYPES or not stem:
        raise Open311Error(404, f"{segment} is not a resource of this endpoint: add .json or "
                                ".xml")
    return stem, fmt


def format_of(path: str) -> str:
    return "xml" if path.endswith(".xml") else "json"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return w3(value)
    return NOT_XML.sub("", str(value))


def _element(tag: str, value: Any) -> ET.Element:
    element = ET.Element(tag)
    if isinstance(value, dict):
        element.extend(_element(key, item) for key, item in value.items())
    elif isinstance(value, list):
        element.extend(_element(ITEM_TAGS[tag], item) for item in value)
    else:
        element.text = _text(value)
    return element


def render(fmt: str, root: str, payload: Any, status: int = 200,
           headers: dict[str, str] | None = None) -> Response[bytes]:
    if fmt == "xml":
        body = (b'<?xml version="1.0" encoding="utf-8"?>\n'
                + ET.tostring(_element(root, payload), encoding="utf-8", xml_declaration=False))
    else:
        body = msgspec.json.encode(_w3_times(payload))
    return Response(body, status_code=status, media_type=MEDIA_TYPES[fmt], headers=headers)


def _w3_times(value: Any) -> Any:
    """The payload with every datetime as GeoReport v2 writes it (msgspec would keep the
    microseconds)."""
    if isinstance(value, dict):
        return {key: _w3_times(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_w3_times(item) for item in value]
    return w3(value) if isinstance(value, datetime) else value


def error_response(fmt: str, error: Exception) -> Response[bytes]:
    error = as_open311_error(error)
    errors = [{"code": error.status, "description": text} for text in error.descriptions]
    return render(fmt, "errors", errors, error.status, error.headers)


def exception_handler(request: Request[Any, Any, Any], error: Exception) -> Response[bytes]:
    return error_response(format_of(request.url.path), error)


async def respond(fmt: str, produce: Callable[[], tuple[str, Any]],
                  status: int = 200) -> Response[bytes]:
    """Runs `produce` (blocking) in a worker thread; renders its (root, payload) or its error.

    Async with an explicit worker thread: Litestar 2.25 wraps a sync_to_thread handler twice
    when another handler shares its path (GET and POST requests.json do).
    """
    try:
        root, payload = await anyio.to_thread.run_sync(produce)
    except Exception as error:
        return error_response(fmt, error)
    return render(fmt, root, payload, status)
