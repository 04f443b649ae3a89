"""A merged duplicate's withdrawn targets leave every place deadlines are watched from: the
pending deadlines read model the scheduler loads at start, and the watched due times its log
follower re-reads. On SQLite and PostgreSQL."""

from __future__ import annotations

from application.desk import ServiceDesk
from application.duplicates import merge
from domain.actors import Actor, Role
from infrastructure.deadline_follower import TARGET_EVENTS, watched_due_times
from infrastructure.settings import Settings
from projections.pending_deadlines import PENDING_DEADLINES
from tests.conftest import running_projections
from tests.receiving import receive

DIRECTOR = Actor(id="director-1", role=Role.DIRECTOR)


def pending_of(projections: object) -> set[tuple[str, str]]:
    view = projections.view(PENDING_DEADLINES.name)  # type: ignore[attr-defined]
    _, rows = view.pending()
    return {(str(case_id), target) for case_id, target, _ in rows}


def test_a_merged_duplicates_deadlines_are_no_longer_watched(settings: Settings,
                                                             desk: ServiceDesk) -> None:
    # given two emails, each with an acknowledgement deadline pending
    survivor = receive(desk).case
    duplicate = receive(desk).case
    with running_projections(settings, desk, PENDING_DEADLINES) as projections:
        projections.wait_for(desk.log_position(), 30.0)
        assert (str(duplicate.id), "acknowledge") in pending_of(projections)
        # when the second is merged into the first
        merge(desk, DIRECTOR, duplicate.id, survivor.id, reason="The same pothole")
        projections.wait_for(desk.log_position(), 30.0)
        # then only the survivor's deadline is pending, for the scheduler's start ...
        pending = pending_of(projections)
        assert (str(duplicate.id), "acknowledge") not in pending
        assert (str(survivor.id), "acknowledge") in pending
    # ... and for its follower, which re-reads the case after a merge
    assert "MergedInto" in TARGET_EVENTS
    watched = watched_due_times(desk, duplicate.id)
    assert watched is not None and watched["acknowledge"] is None
