"""Group commit of case commands on a real database: commands on different cases that arrive
while a save is under way are saved together in one transaction, each with its own answer and
position; a batch that conflicts is saved command by command, so only the real conflict is
retried; a failure inside the batch's transaction records none of it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from application.desk import Outcome, ServiceDesk
from domain.actors import Actor, Role
from infrastructure.access_log import AccessLog
from tests.commanding import change_case
from tests.inserts import CountingInserts, InjectedCrash, crash_the_next_insert
from tests.receiving import CSR, receive

LIMIT_SECONDS = 30.0


@contextmanager
def queued_behind_a_save(desk: ServiceDesk, commands: list[Callable[[], Outcome]]
                         ) -> Iterator[list[Outcome | BaseException]]:
    """Runs each command in a thread while the committer is held (as by a batch being
    saved), until all are queued; then frees it. The block sees their answers after."""
    answers: list[Outcome | BaseException] = [RuntimeError("not run")] * len(commands)

    def one(i: int) -> None:
        try:
            answers[i] = commands[i]()
        except BaseException as error:  # the test reports every failure
            answers[i] = error

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(commands))]
    with desk.committer.held():
        for thread in threads:
            thread.start()
        limit = time.monotonic() + LIMIT_SECONDS
        while desk.committer.queued < len(commands):  # polling for the queue, not a deadline
            assert time.monotonic() < limit, "the commands did not queue"
            time.sleep(0.01)
    for thread in threads:
        thread.join()
    yield answers


def acknowledge(desk: ServiceDesk, case_id: Any, **extra: Any) -> Callable[[], Outcome]:
    return lambda: change_case(desk, CSR, case_id, "acknowledge", message="on it", **extra)


def interaction(desk: ServiceDesk, case_id: Any,
                expected_version: int | None = None) -> Callable[[], Outcome]:
    return lambda: change_case(desk, CSR, case_id, "log_interaction",
                               expected_version=expected_version, channel="telephone",
                               direction="inbound", summary="call", effort_minutes=1)


def test_commands_on_different_cases_are_saved_in_one_transaction(desk: ServiceDesk) -> None:
    # Given six cases, and a command on each queued while a save is under way
    cases = [receive(desk).case for _ in range(6)]
    inserts = CountingInserts(desk)
    commands = [acknowledge(desk, case.id, expected_version=case.version) for case in cases]
    with queued_behind_a_save(desk, commands) as answers:
        # Then all six are recorded by one insert
        assert all(isinstance(a, Outcome) for a in answers), answers
        assert inserts.count == 1 and desk.committer.batches == 1
        # and each client gets its own case, one version on, at a position its event reached
        for case, answer in zip(cases, answers, strict=True):
            assert isinstance(answer, Outcome)
            assert answer.case.id == case.id and answer.case.version == case.version + 1
            [event] = desk.recorder.select_notifications(answer.position, 1)
            assert event.originator_id == case.id and event.topic.endswith("Acknowledged")


def test_a_conflict_inside_a_batch_is_retried_alone_and_the_rest_are_recorded(
        desk: ServiceDesk) -> None:
    # Given two cases; queued in one batch: two interactions on the first (so the batch
    # conflicts on its version) and an acknowledgement of the second naming its version
    first, second = receive(desk).case, receive(desk).case
    commands = [interaction(desk, first.id), interaction(desk, first.id),
                acknowledge(desk, second.id, expected_version=second.version)]
    with queued_behind_a_save(desk, commands) as answers:
        # Then none fails: the batch is rolled back and saved command by command, and the
        # interaction that lost is run again on the new version (it named none)
        assert all(isinstance(a, Outcome) for a in answers), answers
    assert desk.get_case(CSR, first.id).interactions == 2
    assert desk.get_case(CSR, second.id).version == second.version + 1
    assert desk.committer.batches == 0


def test_in_a_batch_only_the_command_that_really_conflicts_gets_the_conflict(
        desk: ServiceDesk) -> None:
    # Given a case, and two clerks' commands naming the same version of it, queued in one
    # batch with commands on two other cases
    contested = receive(desk).case
    others = [receive(desk).case for _ in range(2)]
    commands = [interaction(desk, contested.id, expected_version=contested.version),
                acknowledge(desk, contested.id, expected_version=contested.version),
                *(acknowledge(desk, case.id, expected_version=case.version) for case in others)]
    with queued_behind_a_save(desk, commands) as answers:
        # Then one of the two is recorded and the other told of the conflict, and the
        # commands on the other cases are recorded
        assert sorted(type(a).__name__ for a in answers[:2]) == ["Outcome", "VersionConflict"]
        assert all(isinstance(a, Outcome) for a in answers[2:]), answers
    assert desk.get_case(CSR, contested.id).version == contested.version + 1


def test_a_crash_inside_a_coalesced_commit_records_none_of_it(desk: ServiceDesk) -> None:
    # Given three cases, and a database whose next insert fails after writing its rows
    cases = [receive(desk).case for _ in range(3)]
    position = desk.log_position()
    crash_the_next_insert(desk)
    # When a command on each is saved in one batch
    commands = [acknowledge(desk, case.id, expected_version=None) for case in cases]
    with queued_behind_a_save(desk, commands) as answers:
        # Then every client is told it failed: nothing acknowledged is lost
        assert all(isinstance(a, InjectedCrash) for a in answers), answers
    # and nothing of the batch is in the log, so a retry records each once
    assert desk.log_position() == position
    for case in cases:
        assert acknowledge(desk, case.id, expected_version=None)().case.version == \
            case.version + 1


def test_each_command_of_a_batch_logs_its_own_disclosure(desk: ServiceDesk) -> None:
    # Given two cases, and two people, each acknowledging one case in a disclosing request,
    # queued behind a save so that one of their threads saves both commands in one batch
    log = AccessLog(desk)
    first, second = receive(desk).case, receive(desk).case
    ana, raj = Actor(id="ana", role=Role.CSR), Actor(id="raj", role=Role.CSR)

    def disclosing(actor: Actor, case_id: Any) -> Callable[[], Outcome]:
        def run() -> Outcome:
            with log.disclosing_writes(actor, "POST acknowledge", ("contact",)):
                return change_case(desk, actor, case_id, "acknowledge", message="on it",
                                   expected_version=None)
        return run

    with queued_behind_a_save(desk, [disclosing(ana, first.id),
                                     disclosing(raj, second.id)]) as answers:
        assert all(isinstance(a, Outcome) for a in answers), answers
        assert desk.committer.batches == 1
    # Then each case's disclosure names the person whose answer showed it, not the saver
    assert [d.actor_id for _, d in log.disclosures(case_id=first.id)] == ["ana"]
    assert [d.actor_id for _, d in log.disclosures(case_id=second.id)] == ["raj"]

