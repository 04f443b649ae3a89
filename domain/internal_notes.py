"""Internal notes on a case: what staff write for each other, and whom a note mentions.

An internal note is for the desk's staff only: it is never part of what the public reads (the
status page, Open311), unlike a public note (`Case.publish_note`). A note may mention people
(staff ids, as their tokens name them) and departments (codes); each mention lands in that
inbox (projections/inbox.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from domain.errors import InvalidValue

NOTE_LIMIT = 4000  # characters: a note is a message to colleagues, not a document
MENTION_LIMIT = 20  # people and departments together: more is a broadcast, not a mention
STAFF_ID_LIMIT = 200


def _distinct(values: Iterable[str], field: str, limit: int) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in values:
        text = value.strip()
        if not text or len(text) > limit or not text.isprintable():
            raise InvalidValue(f"each of {field} must be 1-{limit} printable characters",
                               field)
        seen.setdefault(text, None)
    return tuple(seen)


def check_note(note: str) -> str:
    """The note as recorded (trimmed). Raises InvalidValue naming `note`."""
    text = note.strip()
    if not text:
        raise InvalidValue("note must not be empty", "note")
    if len(text) > NOTE_LIMIT:
        raise InvalidValue(f"an internal note is at most {NOTE_LIMIT} characters", "note")
    return text


def check_mentions(people: Iterable[str], departments: Iterable[str]
                   ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The people and departments mentioned, each once, in the order given. Whether a
    department exists is the application's to check (the catalogue is not here).
    Raises InvalidValue naming `mention_people` or `mention_departments`."""
    who = _distinct(people, "mention_people", STAFF_ID_LIMIT)
    where = _distinct(departments, "mention_departments", 64)
    if len(who) + len(where) > MENTION_LIMIT:
        raise InvalidValue(f"a note mentions at most {MENTION_LIMIT} people and departments",
                           "mention_people")
    return who, where
