"""Receipts that queue while another is being saved are saved together in one transaction
(group commit), each with its own answer, number and position; a batch whose save fails is
saved receipt by receipt, so one receipt's conflict does not fail the others."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from application.desk import IdempotencyKey, Outcome, ServiceDesk
from domain.actors import Actor, Role
from infrastructure.access_log import AccessLog
from tests.inserts import CountingInserts, InjectedCrash, crash_the_next_insert
from tests.receiving import CSR, receive

LIMIT_SECONDS = 30.0


@contextmanager
def queued_behind_a_busy_lane(desk: ServiceDesk, receipts: list[Callable[[], Outcome]],
                              queued: int | None = None
                              ) -> Iterator[list[Outcome | BaseException]]:
    """Runs each receipt in a thread while the year's lane is held (as by a receipt being
    saved), until all (or `queued` of them: the others refused before queueing) are queued;
    then frees the lane. The block sees their answers after."""
    answers: list[Outcome | BaseException] = [RuntimeError("not run")] * len(receipts)

    def one(i: int) -> None:
        try:
            answers[i] = receipts[i]()
        except BaseException as error:  # the test reports every failure
            answers[i] = error

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(receipts))]
    with desk.references.lane(2026) as lane:
        for thread in threads:
            thread.start()
        limit = time.monotonic() + LIMIT_SECONDS
        while len(lane.queue) < (len(receipts) if queued is None else queued):  # polling
            assert time.monotonic() < limit, "the receipts did not queue"
            time.sleep(0.01)
    for thread in threads:
        thread.join()
    yield answers


def test_receipts_queued_behind_a_save_are_saved_together_each_with_its_own_answer(
        desk: ServiceDesk) -> None:
    # Given one case received, and eight receipts queued while the lane is busy
    receive(desk)
    inserts = CountingInserts(desk)
    with queued_behind_a_busy_lane(desk, [lambda: receive(desk)] * 8) as answers:
        # Then all eight are recorded in one transaction, numbered 2 to 9
        outcomes = [a for a in answers if isinstance(a, Outcome)]
        assert len(outcomes) == 8, answers
        assert inserts.count == 1
        assert desk.committer.batches == 1  # counted as a batched commit (metrics)
        assert sorted(o.case.reference for o in outcomes) == \
            [f"SC-2026-{n:06d}" for n in range(2, 10)]
        # and each answer carries its own case, as saved, and a position that reached it
        for outcome in outcomes:
            saved = desk.get_case(CSR, outcome.case.id)
            assert saved.version == outcome.case.version
            events = desk.recorder.select_notifications(outcome.position, 1)
            assert events[0].originator_id == outcome.case.id


def test_a_receipt_the_rules_refuse_takes_no_number_from_its_batch(
        desk: ServiceDesk) -> None:
    # Given three receipts sent while the lane is busy, the middle one breaking a rule of the
    # case (received in the future), which is checked before it queues
    future = desk.clock() + timedelta(hours=1)
    receipts = [lambda: receive(desk), lambda: receive(desk, received_at=future),
                lambda: receive(desk)]
    with queued_behind_a_busy_lane(desk, receipts, queued=2) as answers:
        # Then it alone is refused, and the two others are numbered 1 and 2, without a gap
        refused = [a for a in answers if not isinstance(a, Outcome)]
        assert len(refused) == 1 and "received_at" in str(refused[0])
        assert sorted(a.case.reference for a in answers if isinstance(a, Outcome)) == \
            ["SC-2026-000001", "SC-2026-000002"]


def test_a_conflict_inside_a_batch_is_isolated_and_the_others_are_recorded(
        desk: ServiceDesk) -> None:
    # Given four receipts queued behind a busy lane, two of them one client's retry (the same
    # Idempotency-Key and request), so the batch's save conflicts on that key
    key = IdempotencyKey(key="retry-7", fingerprint="same request")
    receipts = [lambda: receive(desk), lambda: receive(desk, idempotency=key),
                lambda: receive(desk, idempotency=key), lambda: receive(desk)]
    inserts = CountingInserts(desk)
    with queued_behind_a_busy_lane(desk, receipts) as answers:
        # Then every one is answered: the retry gets the first answer, not a second case
        outcomes = [a for a in answers if isinstance(a, Outcome)]
        assert len(outcomes) == 4, answers
        first, again = outcomes[1], outcomes[2]
        assert again.case.id == first.case.id and (first.replayed or again.replayed)
        # and three cases are recorded, numbered 1 to 3, each alone after the failed batch
        assert sorted({o.case.reference for o in outcomes}) == \
            ["SC-2026-000001", "SC-2026-000002", "SC-2026-000003"]
        assert inserts.count == 1 + 4  # the batch (rolled back), then each alone


def test_a_crash_inside_a_batch_records_none_of_it_and_answers_none_as_recorded(
        desk: ServiceDesk) -> None:
    # Given a database whose next insert fails after writing its rows, inside the transaction
    crash_the_next_insert(desk)
    # When four receipts queued behind a busy lane are saved together
    with queued_behind_a_busy_lane(desk, [lambda: receive(desk)] * 4) as answers:
        # Then every client is told its receipt failed (none is acknowledged)
        assert all(isinstance(a, InjectedCrash) for a in answers), answers
    # and nothing of the batch is in the log
    assert desk.recorder.select_notifications(desk.log_position() + 1, 10) == []
    assert not desk._is_recorded("SC-2026-000001")
    # and the next receipt takes the first number: no gap, no duplicate
    assert receive(desk).case.reference == "SC-2026-000001"


def test_each_receipt_of_a_batch_logs_its_own_disclosure(desk: ServiceDesk) -> None:
    # Given two people receiving a case each while the year's lane is busy, so that one
    # of them saves both receipts in one batch
    log = AccessLog(desk)
    ana, raj = Actor(id="ana", role=Role.CSR), Actor(id="raj", role=Role.CSR)

    def disclosing(actor: Actor) -> Callable[[], Outcome]:
        def run() -> Outcome:
            with log.disclosing_writes(actor, "POST /api/v1/cases", ("contact",)):
                return receive(desk, actor=actor)
        return run

    with queued_behind_a_busy_lane(desk, [disclosing(ana), disclosing(raj)]) as answers:
        outcomes = [a for a in answers if isinstance(a, Outcome)]
        assert len(outcomes) == 2, answers
    # Then each new case's disclosure names the person who received it
    for actor, outcome in zip((ana, raj), outcomes, strict=True):
        assert [d.actor_id for _, d in log.disclosures(case_id=outcome.case.id)] == [actor.id]
