"""Strict JSON bodies: "2" is not a number, "false" is not a boolean, 1772636400 is not a date.

Litestar converts request bodies in msgspec's lax mode; a desk that records what it was told
must refuse what it was not told. This hook decodes the body strictly before the handler's own
parsing, and leaves malformed JSON to Litestar's usual 400.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import ValidationException

WRITE_METHODS = {"POST", "PUT", "PATCH"}


async def decode_strictly(request: Request[Any, Any, Any]) -> None:
    field = request.route_handler.parsed_data_field
    if (field is None or request.method not in WRITE_METHODS
            or "json" not in request.headers.get("content-type", "")):
        return
    try:
        document = msgspec.json.decode(await request.body())
    except msgspec.DecodeError:
        return  # malformed JSON: Litestar's own parsing answers it as a malformed body
    try:
        msgspec.convert(document, type=field.annotation, strict=True)
    except msgspec.ValidationError as error:
        # Shaped like Litestar's own, so api.problems names the field at fault the same way.
        raise ValidationException(str(error), extra=[{
            "message": str(error), "key": "data", "source": "body"}]) from None
