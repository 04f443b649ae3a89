"""The in-memory catalogue commands read: it follows what this process saves without reading it
back, and still sees a revision another process saved (on the next read)."""

from __future__ import annotations

from typing import Any

from application.catalogue import revise_department
from application.desk import ServiceDesk
from domain.actors import Actor, Role
from infrastructure.bootstrap import build_desk
from infrastructure.settings import Settings
from tests.conftest import MovableClock
from tests.receiving import receive

ADMIN = Actor(id="admin-al", role=Role.ADMIN)


class CountingCatchUps:
    """Counts the catalogue's reads of events between what it followed and the log's head."""

    def __init__(self, desk: ServiceDesk) -> None:
        self.count = 0
        original = desk.recorder.select_notifications

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += "topics" in kwargs
            return original(*args, **kwargs)

        desk.recorder.select_notifications = counted  # type: ignore[method-assign]


def test_the_catalogue_follows_this_process_s_receipts_without_reading_them_back(
        desk: ServiceDesk) -> None:
    # Given a desk that has read its catalogue
    desk.known()
    catch_ups = CountingCatchUps(desk)
    # When it receives three cases (each reads the catalogue, then saves)
    for _ in range(3):
        receive(desk)
    # Then it never read the log's new events to keep the catalogue current
    assert catch_ups.count == 0


def test_a_revision_saved_by_another_process_is_seen_on_the_next_read(
        desk: ServiceDesk, settings: Settings, clock: MovableClock) -> None:
    # Given a desk that has read its catalogue and saved a case
    receive(desk)
    assert desk.known().department("planning").name != "Planning and Growth"  # type: ignore[union-attr]
    # When another process renames a department, and this one then saves another case
    other = build_desk(settings, clock=clock)
    try:
        revise_department(other, ADMIN, "planning", name="Planning and Growth")
    finally:
        other.close()
    receive(desk)
    # Then this desk's next read has the new name (its own save did not skip the revision)
    assert desk.known().department("planning").name == "Planning and Growth"  # type: ignore[union-attr]
