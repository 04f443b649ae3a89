"""A damaged log answered as such: an event that cannot be read back, or that does not follow
its aggregate's previous one, is a `DamagedLog` error naming it, which the API answers as a
problem and the command line as one message ("run civicdesk verify"), never a traceback.

`CheckedMapper` (eventsourcing's MAPPER_TOPIC) reads each stored event as eventsourcing's
Mapper does, and refuses one whose topic or state cannot be decoded or that lacks a field its
class requires (a row written by other means than the application).
"""

from __future__ import annotations

import dataclasses
from functools import cache
from typing import Any

from eventsourcing.domain import OriginatorVersionError
from eventsourcing.persistence import Mapper, StoredEvent

HINT = "run civicdesk verify"


class DamagedLog(Exception):
    """The stored log cannot be read back as the application wrote it."""


def damaged_message(error: BaseException) -> str | None:
    """The message of a damaged-log error, or None if `error` is not one."""
    if isinstance(error, DamagedLog):
        return str(error)
    if isinstance(error, OriginatorVersionError):
        found, expected = (*error.args, None, None)[:2]
        return (f"the log is inconsistent: an event of version {found} follows where version "
                f"{expected} was due; {HINT}")
    return None


@cache
def _required(cls: type) -> frozenset[str]:
    if not dataclasses.is_dataclass(cls):
        return frozenset()
    return frozenset(f.name for f in dataclasses.fields(cls)
                     if f.default is dataclasses.MISSING
                     and f.default_factory is dataclasses.MISSING)


class CheckedMapper(Mapper[Any]):
    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        where = (f"the event of {stored_event.originator_id} at version "
                 f"{stored_event.originator_version}")
        try:
            event = super().to_domain_event(stored_event)
        except Exception as error:
            raise DamagedLog(f"the log is inconsistent: {where} cannot be read "
                             f"({type(error).__name__}); {HINT}") from error
        missing = _required(type(event)) - set(vars(event))
        if missing:
            raise DamagedLog(f"the log is inconsistent: {where} lacks "
                             f"{', '.join(sorted(missing))}; {HINT}")
        return event
