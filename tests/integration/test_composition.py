"""The composition root: `compose` builds what a process serves with, the same way for
`civicdesk serve`, the command line and the tests."""

from __future__ import annotations

from dataclasses import replace

from application.desk import ServiceDesk
from infrastructure.bootstrap import SERVED_READ_MODELS, compose
from infrastructure.settings import Settings
from projections.case_index import CASE_INDEX
from tests.receiving import receive


def test_compose_builds_a_seeded_desk_its_read_models_and_no_scheduler_unless_asked(
        settings: Settings) -> None:
    # Given settings without the scheduler (the fixture's)
    services = compose(settings)
    try:
        # Then the desk is seeded (a case can be received), every served read model has a
        # view, and there is no scheduler
        assert receive(services.desk).case.reference.endswith("000001")
        assert all(services.view(spec) is not None for spec in SERVED_READ_MODELS)
        assert services.scheduler is None
        assert services.access_log is not None
    finally:
        services.close()
    # And with the scheduler asked for, it is built beside them (not started)
    with_scheduler = compose(replace(settings, run_scheduler=True))
    try:
        assert with_scheduler.scheduler is not None
    finally:
        with_scheduler.close()


def test_a_desk_handed_to_compose_is_left_open_for_whoever_made_it(
        settings: Settings, desk: ServiceDesk) -> None:
    # Given services composed around a desk the test made
    services = compose(settings, desk=desk, read_models=[CASE_INDEX])
    # When they are closed
    services.close()
    # Then the desk still works
    assert receive(desk).case.version >= 1
