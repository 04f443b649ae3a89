"""How far the re-planning of pending deadlines has followed the calendar's changes in the log:
a closure or hours change after this position has not yet moved the deadlines it crosses."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

CALENDAR_REPLANS_ID = uuid5(NAMESPACE_URL, "https://civicdesk.example/calendar-replans")


class CalendarReplans(Aggregate):
    """One per desk database. Its position moves only after the re-plans for every calendar
    change up to it are saved, so a crash in between leaves them to be done again."""

    @staticmethod
    def create_id() -> UUID:
        return CALENDAR_REPLANS_ID

    @event("Started")
    def __init__(self) -> None:
        self.position = 0

    def follow(self, *, position: int, changes: list[str]) -> None:
        """Record that the calendar changes up to `position` (named in `changes`) are followed.
        A position not beyond the last records nothing."""
        if position > self.position:
            self._followed(position=position, changes=changes)

    @event("Followed")
    def _followed(self, position: int, changes: list[str]) -> None:
        self.position = position
