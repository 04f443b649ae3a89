"""`GET /api/v1/cases/{id}` reads the case from its snapshot (the case snapshots read model)
brought up to date with the events recorded since: the same case a replay gives, and never
less than a writer wrote, even while the read model lags. On SQLite and PostgreSQL."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import msgspec
import pytest
from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from api import schemas
from application.desk import ServiceDesk
from domain.actors import Actor, Role
from domain.errors import NotFound
from infrastructure.bootstrap import latest_snapshot
from infrastructure.demo import load_demo
from infrastructure.settings import Settings
from projections.case_snapshots import CASE_SNAPSHOTS
from tests.commanding import change_case
from tests.conftest import running_projections
from tests.receiving import receive

if TYPE_CHECKING:
    from tests.conftest import MovableClock

DIRECTOR = Actor(id="director-1", role=Role.DIRECTOR)
CSR = Actor(id="csr-1", role=Role.CSR)


def test_every_demo_case_viewed_from_its_snapshot_is_the_replayed_case(
        settings: Settings, desk: ServiceDesk, clock: MovableClock) -> None:
    # Given 150 demo cases, followed by the case snapshots read model
    load_demo(desk, cases=150, seed=3)
    with running_projections(settings, desk, CASE_SNAPSHOTS) as projections:
        projections.wait_for(desk.log_position(), timeout=30)
        desk.case_snapshots = partial(latest_snapshot, projections.view(CASE_SNAPSHOTS.name),
                                      desk)
        ids = [n.originator_id for n in desk.recorder.select_notifications(1, 100_000)
               if n.topic.endswith("Case.Received")]
        for case_id in ids:
            # When a case is viewed, and replayed
            viewed, replayed = desk.view_case(DIRECTOR, case_id), desk.get_case(DIRECTOR,
                                                                                  case_id)
            # Then it is the same case, and its view the same bytes
            assert viewed.__dict__ == replayed.__dict__
            at = clock()
            assert msgspec.json.encode(schemas.case_view(
                viewed, desk.target_statuses(viewed, at),
                desk.customers.details(viewed.customer_id))) == msgspec.json.encode(
                schemas.case_view(replayed, desk.target_statuses(replayed, at),
                                  desk.customers.details(replayed.customer_id)))


def test_a_writer_sees_its_write_while_the_snapshots_lag(
        settings: Settings, desk: ServiceDesk, clock: MovableClock) -> None:
    # Given a case whose snapshot was taken, then the read model stopped
    case_id = receive(desk, CSR).case.id
    with running_projections(settings, desk, CASE_SNAPSHOTS) as projections:
        projections.wait_for(desk.log_position(), timeout=30)
    view = read_view(settings)
    taken = desk.get_case(DIRECTOR, case_id).version
    desk.case_snapshots = partial(latest_snapshot, view, desk)
    # When the case is acknowledged and transferred, and viewed at once
    clock.advance(hours=1)
    change_case(desk, CSR, case_id, "acknowledge", expected_version=None, message="On it")
    change_case(desk, CSR, case_id, "transfer", expected_version=None,
                to_department="community", warm=True, handover_note="A park path",
                customer_informed=True)
    viewed = desk.view_case(DIRECTOR, case_id)
    # Then the view shows both writes (its snapshot is still the receipt's)
    assert view.latest(case_id).version == taken < viewed.version
    assert viewed.acknowledged_at is not None
    assert viewed.department == "community"
    assert viewed.__dict__ == desk.get_case(DIRECTOR, case_id).__dict__


def read_view(settings: Settings) -> Any:
    """The case snapshots' tables, read by a view of their own (no runner follows the log)."""
    factory: Any = InfrastructureFactory[Any].construct(
        Environment(CASE_SNAPSHOTS.name, settings.eventsourcing_env()))
    return CASE_SNAPSHOTS.view_class(settings)(datastore=factory.datastore)


def test_a_case_of_another_department_is_not_found_from_its_snapshot(
        settings: Settings, desk: ServiceDesk) -> None:
    # Given a public works case with a snapshot
    case_id = receive(desk, CSR).case.id
    with running_projections(settings, desk, CASE_SNAPSHOTS) as projections:
        projections.wait_for(desk.log_position(), timeout=30)
        desk.case_snapshots = partial(latest_snapshot, projections.view(CASE_SNAPSHOTS.name),
                                      desk)
        # When staff of another department view it, then it is not found for them
        planner = Actor(id="staff-1", role=Role.STAFF, departments=frozenset({"planning"}))
        with pytest.raises(NotFound):
            desk.view_case(planner, case_id)
