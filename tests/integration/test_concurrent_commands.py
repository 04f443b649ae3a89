"""Concurrent writers of one case on a real database: a command without `expected_version` is
run again on the version another writer left (rules checked afresh) instead of being refused;
only a client that named a version it saw is told of a conflict."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

from application.desk import Outcome, ServiceDesk
from domain.actors import Actor, Role
from domain.errors import RuleViolated, VersionConflict
from tests.commanding import change_case
from tests.conftest import MovableClock
from tests.receiving import receive

CSR = Actor(id="csr-ana", role=Role.CSR)
THREADS = 8


def at_once(command: Callable[[int], Outcome]) -> list[Outcome | BaseException]:
    """THREADS threads released together, each running `command(i)`; what each got."""
    start = threading.Barrier(THREADS)
    answers: list[Outcome | BaseException] = [RuntimeError("not run")] * THREADS

    def one(i: int) -> None:
        start.wait()
        try:
            answers[i] = command(i)
        except BaseException as error:  # the test reports every failure
            answers[i] = error

    threads = [threading.Thread(target=one, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def interaction(desk: ServiceDesk, case_id: object, i: int, **extra: object) -> Outcome:
    return change_case(desk, CSR, case_id, "log_interaction", channel="telephone",  # type: ignore[arg-type]
                            direction="inbound", summary=f"call {i}", effort_minutes=1,
                            wait_seconds=None, **extra)


def test_eight_writers_of_one_case_without_expected_version_are_all_recorded(
        desk: ServiceDesk) -> None:
    # Given a case at version 2 (received, targets set)
    case = receive(desk).case
    # When eight clerks log an interaction on it at the same moment, naming no version
    answers = at_once(lambda i: interaction(desk, case.id, i, expected_version=None))
    # Then none is refused, and the case holds all eight, one version each
    assert [a for a in answers if not isinstance(a, Outcome)] == []
    after = desk.get_case(CSR, case.id)
    assert after.interactions == 8 and after.version == case.version + 8
    assert sorted(a.case.version for a in answers if isinstance(a, Outcome)) == \
        list(range(case.version + 1, case.version + 9))


def test_a_retried_command_meets_the_rules_of_the_version_it_is_retried_on(
        desk: ServiceDesk) -> None:
    # Given a case not yet acknowledged
    case = receive(desk).case
    # When eight clerks acknowledge it at once, naming no version
    answers = at_once(lambda i: change_case(desk, CSR, case.id, "acknowledge",
                                                 expected_version=None, message=f"ack {i}"))
    # Then one acknowledgement is recorded, and the other seven are refused by the rule
    # (already acknowledged) on the version they were retried on, not by a version conflict
    assert sum(isinstance(a, Outcome) for a in answers) == 1
    assert [type(a) for a in answers if not isinstance(a, Outcome)] == [RuleViolated] * 7
    assert desk.get_case(CSR, case.id).version == case.version + 1


def test_writers_that_named_the_version_they_saw_get_a_conflict_when_another_won(
        desk: ServiceDesk) -> None:
    # Given a case at version 2
    case = receive(desk).case
    # When eight clerks log an interaction at once, each naming version 2
    answers = at_once(lambda i: interaction(desk, case.id, i,
                                            expected_version=case.version))
    # Then exactly one is recorded and every other is told of the conflict and the version
    assert sum(isinstance(a, Outcome) for a in answers) == 1
    conflicts = [a for a in answers if isinstance(a, VersionConflict)]
    assert len(conflicts) == 7
    assert {c.current_version for c in conflicts} == {case.version + 1}


def test_the_scheduler_missing_a_deadline_does_not_refuse_a_clerks_command(
        desk: ServiceDesk, clock: MovableClock) -> None:
    # Given a case whose acknowledgement deadline has passed
    case = receive(desk).case
    [target] = [t for t in case.targets.values() if t.name == "acknowledge"]
    clock.now = target.due_at + timedelta(minutes=1)
    # When the scheduler records the missed deadline while clerks log interactions
    def both(i: int) -> Outcome:
        if i == 0:
            assert desk.record_deadline_missed(case.id, target.name, target.due_at)
            return desk.get_case(CSR, case.id)  # type: ignore[return-value]
        return interaction(desk, case.id, i, expected_version=None)

    answers = at_once(both)
    # Then every clerk's interaction is recorded beside the scheduler's fact
    assert [a for a in answers if isinstance(a, BaseException)] == []
    after = desk.get_case(CSR, case.id)
    assert after.interactions == THREADS - 1
    assert after.version == case.version + THREADS
