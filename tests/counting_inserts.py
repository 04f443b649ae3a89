"""Counting the transactions that insert events, to prove saves were coalesced."""

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
