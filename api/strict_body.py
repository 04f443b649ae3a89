"""What every request must be before a handler sees it, checked in one place for every route.

- Path and query parameters hold no control characters (api.plain_text).
- A JSON route's body comes as JSON (`Content-Type: application/json`, UTF-8), else 415
  (an empty body is a 400: the body is required).
- A body nests at most MAX_DEPTH arrays and objects deep: a deeper one is refused before
  anything recurses over it (msgspec would raise RecursionError, a 500).
- It is typed strictly: "2" is not a number, "false" is not a boolean, 1772636400 is not a
  date (but 2.0 is the integer 2, as in JSON Schema). Litestar converts request bodies in
  msgspec's lax mode; a desk that records what it was told must refuse what it was not told.
- Its text holds no control characters, except line breaks and tabs in multi-line text.

Malformed JSON is left to Litestar's usual 400.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import HTTPException, ValidationException

from api.plain_text import control_character, text_faults

WRITE_METHODS = {"POST", "PUT", "PATCH"}
MAX_DEPTH = 32  # no request body of the API nests deeper than 4
JSON_TYPES = ("application/json",)


def refuse(faults: list[tuple[str, str]], source: str) -> None:
    """A 400 naming every field at fault, shaped like Litestar's own validation errors so that
    api.problems names them the same way."""
    if faults:
        detail = "; ".join(f"{name}: {reason}" for name, reason in faults)
        raise ValidationException(detail, extra=[
            {"message": reason, "key": name, "source": source} for name, reason in faults])


def check_parameters(request: Request[Any, Any, Any]) -> None:
    refuse([(name, reason) for name, value in request.path_params.items()
            if isinstance(value, str) and (reason := control_character(value))], "path")
    faults = []
    for name, value in request.query_params.multi_items():
        reason = control_character(name)
        if reason:
            faults.append((name, "the parameter name " + reason))
        elif reason := control_character(value):
            faults.append((name, reason))
    refuse(faults, "query")


def check_media_type(request: Request[Any, Any, Any]) -> None:
    media_type, options = request.content_type
    is_json = media_type in JSON_TYPES or (media_type.startswith("application/")
                                           and media_type.endswith("+json"))
    charset = options.get("charset", "utf-8").lower()
    if not is_json or charset not in {"utf-8", "utf8"}:
        sent = request.headers.get("content-type")
        raise HTTPException(status_code=415, detail=(
            "the body must be JSON: Content-Type: application/json (UTF-8); "
            + (f"got {sent!r}" if sent else "no Content-Type was sent")))


def depth(document: Any) -> int:
    """How many arrays and objects deep a decoded JSON document nests (no recursion)."""
    deepest, stack = 0, [(document, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, level)
            if level > MAX_DEPTH:
                break
            items = value.values() if isinstance(value, dict) else value
            stack.extend((item, level + 1) for item in items)
    return deepest


def integral_numbers(document: Any) -> Any:
    """The document with 3.0 read as 3: JSON has one number type, and JSON Schema's `integer`
    (what the OpenAPI document promises) includes 3.0. "3" stays a string."""
    if isinstance(document, float) and document.is_integer():
        return int(document)
    if isinstance(document, dict):
        return {key: integral_numbers(value) for key, value in document.items()}
    if isinstance(document, list):
        return [integral_numbers(value) for value in document]
    return document


def too_deep() -> ValidationException:
    reason = f"nested more than {MAX_DEPTH} arrays or objects deep"
    return ValidationException(reason, extra=[{"message": reason, "key": "data",
                                               "source": "body"}])


async def decode_strictly(request: Request[Any, Any, Any]) -> None:
    check_parameters(request)
    field = request.route_handler.parsed_data_field
    if field is None or request.method not in WRITE_METHODS:
        return
    body = await request.body()
    if not body:
        return  # no body at all: Litestar's own parsing answers that one is required (400)
    check_media_type(request)
    try:
        document = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return  # malformed JSON: Litestar's own parsing answers it as a malformed body
    except RecursionError:
        raise too_deep() from None
    if depth(document) > MAX_DEPTH:
        raise too_deep()
    try:
        msgspec.convert(integral_numbers(document), type=field.annotation, strict=True)
    except msgspec.ValidationError as error:
        # Shaped like Litestar's own, so api.problems names the field at fault the same way.
        raise ValidationException(str(error), extra=[{
            "message": str(error), "key": "data", "source": "body"}]) from None
    refuse(list(text_faults(document, msgspec.inspect.type_info(field.annotation))), "body")
