"""The transactions that insert events, watched and broken: counted, to prove saves were
coalesced, or made to fail after writing their rows, as a process dying before its commit."""

from __future__ import annotations

from typing import Any

from application.desk import ServiceDesk


class CountingInserts:
    """Counts the transactions that insert events (one per `save`)."""

    def __init__(self, desk: ServiceDesk) -> None:
        self.count = 0
        original = desk.recorder.insert_events

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return original(*args, **kwargs)

        desk.recorder.insert_events = counted  # type: ignore[method-assign]


class InjectedCrash(Exception):
    """Stands for the process dying inside the batch's transaction, before its commit."""


def crash_the_next_insert(desk: ServiceDesk) -> None:
    """The desk's next insert writes its rows, then fails inside its transaction."""
    original, failed = desk.recorder._insert_events, []  # type: ignore[attr-defined]

    def crashing(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        if not failed:
            failed.append(True)
            raise InjectedCrash("the process died before the commit")
        return result

    desk.recorder._insert_events = crashing  # type: ignore[attr-defined]
