"""Text the desk accepts: no NUL or other control characters anywhere, in any field.

PostgreSQL `text` cannot hold U+0000, so a NUL accepted here would be stored in the event log
and then halt every read model that copies the field; other control characters (escape
sequences, form feeds, C1 codes) corrupt logs, terminals, CSV and XML exports. Multi-line
free text (a description, a message, a note) may hold tab, line feed and carriage return;
every other field (a subject, a name, a code, an assignee, a query or path parameter) is
one line. Lone surrogates (which no UTF-8 database can store) and U+FFFE/U+FFFF (which XML
cannot carry) are refused too.

`control_character` is the one rule; the JSON API (api.strict_body) and the Open311 form
(api.open311.form) both call it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import msgspec
from msgspec import inspect

# A period (2026, 2026-Q3, 2026-07) or a day (2026-07-01) as a query parameter: ASCII letters,
# digits and hyphens only, so another script's digits (fullwidth, Arabic-Indic) are a 400
# naming the parameter rather than read as a year; what they say (2026-Q5) is judged later.
PERIOD_CHARACTERS = r"^[0-9A-Za-z-]*$"
# Free text whose line breaks are part of it: `Annotated[str, ..., MULTI_LINE]`.
MULTI_LINE = msgspec.Meta(extra={"multi_line": True})
# The characters refused, written once for Python's `re` and for the OpenAPI document's
# JSON Schema `pattern` (ECMA-262): both read these \\u escapes.
_ONE_LINE_REFUSED = "\\u0000-\\u001f\\u007f-\\u009f\\ufffe\\uffff"
_MULTI_LINE_REFUSED = ("\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f"
                       "\\ufffe\\uffff")
ONE_LINE_PATTERN = f"^[^{_ONE_LINE_REFUSED}]*$"
MULTI_LINE_PATTERN = f"^[^{_MULTI_LINE_REFUSED}]*$"
# Lone surrogates too: no UTF-8 database stores one (JSON can carry one as an escape).
_REFUSED_IN_ONE_LINE = re.compile(f"[{_ONE_LINE_REFUSED}\\ud800-\\udfff]")
_REFUSED_IN_MULTI_LINE = re.compile(f"[{_MULTI_LINE_REFUSED}\\ud800-\\udfff]")


def control_character(value: str, *, multi_line: bool = False) -> str | None:
    """Why `value` is refused ("contains control characters (U+0000 at position 3)"), or
    None when it holds none."""
    pattern = _REFUSED_IN_MULTI_LINE if multi_line else _REFUSED_IN_ONE_LINE
    found = pattern.search(value)
    if found is None:
        return None
    allowed = "; line breaks and tabs only in multi-line text" if found[0] in "\t\n\r" else ""
    return (f"contains control characters (U+{ord(found[0]):04X} at position "
            f"{found.start()}{allowed})")


def unwrapped(info: inspect.Type) -> tuple[inspect.Type, bool]:
    """The type under its Annotated metadata, and whether that metadata marks it multi-line."""
    multi_line = False
    while isinstance(info, inspect.Metadata):
        multi_line = multi_line or bool((info.extra or {}).get("multi_line"))
        info = info.type
    return info, multi_line


def _member_for(info: inspect.Type, value: Any) -> tuple[inspect.Type, bool]:
    """Of a union, the member a decoded JSON value stands for."""
    info, multi_line = unwrapped(info)
    if isinstance(info, inspect.UnionType):
        for member in info.types:
            inner, marked = unwrapped(member)
            if isinstance(value, str) and isinstance(inner, inspect.StrType):
                return inner, marked
            if isinstance(value, dict) and isinstance(inner, (inspect.StructType,
                                                               inspect.DictType)):
                return inner, marked
            if isinstance(value, list) and isinstance(inner, inspect.CollectionType):
                return inner, marked
        return inspect.AnyType(), False
    return info, multi_line


def text_faults(document: Any, info: inspect.Type, path: str = "") -> Iterator[tuple[str, str]]:
    """(field path, reason) for every string in a decoded JSON document, and every object key,
    that holds a control character its field may not hold. `info` is the document's type."""
    kind, multi_line = _member_for(info, document)
    if isinstance(document, str):
        reason = control_character(document, multi_line=multi_line)
        if reason:
            yield path or "body", reason
    elif isinstance(document, dict):
        fields = ({f.encode_name: f.type for f in kind.fields}
                  if isinstance(kind, inspect.StructType) else {})
        values = kind.value_type if isinstance(kind, inspect.DictType) else inspect.AnyType()
        for key, value in document.items():
            where = f"{path}.{key}" if path else str(key)
            reason = control_character(str(key))
            if reason:
                yield where, "the field name " + reason
                continue
            yield from text_faults(value, fields.get(key, values), where)
    elif isinstance(document, list):
        items = kind.item_type if isinstance(kind, inspect.CollectionType) \
            else inspect.AnyType()
        for index, value in enumerate(document):
            yield from text_faults(value, items, f"{path}[{index}]")
