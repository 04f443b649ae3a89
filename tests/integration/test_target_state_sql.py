"""The target-state rule in SQL says what the domain's rule says, on SQLite and PostgreSQL.

`domain.targets.state_at` is the rule; `TargetRows.state_condition` (and `at_risk`, the
at-risk list's index ranges) are the same rule over the instants a read model stores. Random
targets of every shape (running, paused, met on time or late, recorded missed, met by a fact
entered after a recorded miss, not measured) are written as
the read models write them, and at many moments each state's SQL must select exactly the
targets `state_at` puts in that state.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.persistence import Tracking

from application.desk import ServiceDesk
from domain.targets import Target, TargetState, state_at
from engine.runner import ProjectionSet
from infrastructure.settings import Settings
from projections.queues import QUEUES
from projections.target_rows import NEVER, TargetChange

START = datetime(2026, 3, 2, 14, tzinfo=UTC)
HOUR = 3600


def random_target(rng: random.Random, name: str) -> Target:
    """A target with instants in any order the domain allows: started, due a few hours to a
    few days later, at risk from some time before that, maybe paused before its due time, met
    (on time or late), recorded missed at its due time."""
    started = START + timedelta(minutes=rng.randrange(0, 3 * 24 * 60))
    due = started + timedelta(minutes=rng.randrange(60, 5 * 24 * 60))
    at_risk_from = due - timedelta(minutes=rng.randrange(0, 24 * 60))
    paused = (started + (due - started) * rng.random()) if rng.random() < 0.2 else None
    met = (started + timedelta(minutes=rng.randrange(0, 7 * 24 * 60))
           if rng.random() < 0.4 else None)
    # Recorded missed at its due time; a fact entered later may still meet it, on time or not
    missed = due if rng.random() < 0.25 else None
    return Target(name=name, standard_code="s", standard_version=1, title="t",
                  started_at=started, due_at=due, seconds=8 * HOUR, basis="business",
                  pausable=True, at_risk_share=0.25, paused_at=paused, met_at=met,
                  breached_at=missed, at_risk_from=at_risk_from,
                  not_measured=rng.random() < 0.05)


@pytest.fixture
def queues(settings: Settings, desk: ServiceDesk) -> Iterator[Any]:
    views = ProjectionSet(settings, desk, [QUEUES])
    try:
        yield views.view(QUEUES.name)
    finally:
        views.close()


def write(view: Any, targets: dict[Any, Target]) -> None:
    """Each target as the only target of a case of its own, as the projection writes it."""
    for position, (case_id, target) in enumerate(targets.items(), start=1):
        with view.writing(Tracking(QUEUES.name, position)) as cursor:
            view.insert_row(cursor, "queues", ("id", "reference", "status", "department",
                                               "assignee", "channel", "complaint",
                                               "received_at", "transfers", "version",
                                               "in_queue", "intake", "due_key",
                                               "next_target", "desk"),
                            {"id": case_id, "reference": f"R-{position}", "status": "open",
                             "department": "d", "assignee": None, "channel": "email",
                             "complaint": False, "received_at": target.started_at,
                             "transfers": 0, "version": 1, "in_queue": True,
                             "intake": False, "due_key": NEVER, "next_target": None,
                             "desk": None})
            view.change_targets(cursor, case_id, TargetChange(targets=(target,),
                                                              replace_all=True))


def selected(view: Any, state: TargetState, now: datetime) -> set[Any]:
    with view.reading() as cursor:
        condition, values = view.state_condition(state, now)
        cursor.execute(f"SELECT t.case_id FROM {view.table('queues_targets')} t "
                       f"WHERE {condition}", values)
        return {view.id_out(row["case_id"]) for row in cursor.fetchall()}


def at_risk_listed(view: Any, now: datetime) -> set[Any]:
    with view.reading() as cursor:
        query, values = view.at_risk(cursor, now)
        cursor.execute(query, values)
        return {view.id_out(row["case_id"]) for row in cursor.fetchall()}


def test_each_states_sql_selects_exactly_the_targets_the_domain_puts_in_it(
        queues: Any) -> None:
    # Given 300 random targets (fixed seed), each a case's acknowledgement
    rng = random.Random(13)
    targets = {uuid4(): random_target(rng, "acknowledge") for _ in range(300)}
    write(queues, targets)
    # When each state is selected in SQL at 40 moments over the targets' lives, and at
    # each one's own boundaries (due, at risk from, a second after each)
    moments = [START + timedelta(minutes=rng.randrange(0, 9 * 24 * 60)) for _ in range(40)]
    sample = list(targets.values())[:10]
    moments += [moment + delta for t in sample for moment in (t.due_at, t.at_risk_from)
                if moment is not None for delta in (timedelta(0), timedelta(seconds=1))]
    for now in moments:
        expected = {state: {case for case, t in targets.items() if state_at(t, now) is state}
                    for state in TargetState}
        # Then each state's SQL selects exactly the domain's
        for state in TargetState:
            assert selected(queues, state, now) == expected[state], (state, now)
        # And the at-risk list's index ranges find exactly the at-risk ones
        assert at_risk_listed(queues, now) == expected[TargetState.AT_RISK], now
    # (and the random targets cover every state somewhere)
    assert {state_at(t, now) for t in targets.values() for now in moments} == set(TargetState)
