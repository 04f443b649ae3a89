"""The deadline index: pending deadlines by (case, target), earliest first, with lazy deletion;
and the backoff that sets the retry times of deadlines whose firing failed.

Times are plain UTC instants; T is an arbitrary Friday 10:00 EST and T+n is n minutes later.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from uuid import UUID

from infrastructure.deadline_index import COMPACT_SLACK, DeadlineIndex, PendingDeadline
from infrastructure.deadline_retries import RETRY_MAX_SECONDS, Retries, retry_delay

T = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)
A, B, C = UUID(int=1), UUID(int=2), UUID(int=3)
ACK, RESPOND = "acknowledge", "respond"


def at(minutes: int) -> datetime:
    return T + timedelta(minutes=minutes)


class TestLoad:
    def test_a_bulk_load_puts_the_earliest_on_top(self) -> None:
        index = DeadlineIndex([PendingDeadline(A, ACK, at(30)), PendingDeadline(B, ACK, at(10)),
                               PendingDeadline(A, RESPOND, at(20))])
        assert len(index) == 3
        assert index.earliest() == at(10)
        assert index.get(A, RESPOND) == at(20)

    def test_loading_again_replaces_everything(self) -> None:
        index = DeadlineIndex([PendingDeadline(A, ACK, at(10))])
        index.load([PendingDeadline(B, ACK, at(50))])
        assert index.as_dict() == {(B, ACK): at(50)}
        assert index.earliest() == at(50)

    def test_an_empty_index_has_no_earliest_and_nothing_due(self) -> None:
        index = DeadlineIndex()
        assert (len(index), index.earliest(), index.pop_due(at(1000))) == (0, None, [])


class TestChanges:
    def test_moving_a_deadline_earlier_makes_it_the_earliest(self) -> None:
        index = DeadlineIndex([PendingDeadline(A, ACK, at(30)), PendingDeadline(B, ACK, at(20))])
        assert index.put(A, ACK, at(5))
        assert index.earliest() == at(5)

    def test_moving_the_earliest_later_skips_its_stale_entry(self) -> None:
        index = DeadlineIndex([PendingDeadline(A, ACK, at(10)), PendingDeadline(B, ACK, at(20))])
        index.put(A, ACK, at(40))
        assert index.earliest() == at(20)
        # and at 40 it comes due once, at its new time, not at the old one
        assert index.pop_due(at(15)) == []
        assert index.pop_due(at(40)) == [PendingDeadline(B, ACK, at(20)),
                                         PendingDeadline(A, ACK, at(40))]

    def test_putting_the_same_due_time_again_changes_nothing(self) -> None:
        index = DeadlineIndex([PendingDeadline(A, ACK, at(10))])
        assert not index.put(A, ACK, at(10))

    def test_a_removed_deadline_never_comes_due(self) -> None:
        index = DeadlineIndex([PendingDeadline(A, ACK, at(10)), PendingDeadline(B, ACK, at(20))])
        assert index.remove(A, ACK)
        assert index.earliest() == at(20)
        assert index.pop_due(at(100)) == [PendingDeadline(B, ACK, at(20))]
        assert not index.remove(A, ACK)

    def test_removing_at_a_due_time_leaves_a_deadline_moved_elsewhere(self) -> None:
        index = DeadlineIndex([PendingDeadline(A, ACK, at(10))])
        index.put(A, ACK, at(40))
        assert not index.remove(A, ACK, at(10))
        assert index.as_dict() == {(A, ACK): at(40)}
        assert index.remove(A, ACK, at(40))

    def test_a_deadline_moved_away_and_back_comes_due_once(self) -> None:
        index = DeadlineIndex([PendingDeadline(A, ACK, at(10))])
        index.put(A, ACK, at(40))
        index.put(A, ACK, at(10))  # two heap entries now say (10, A, ack)
        assert index.pop_due(at(100)) == [PendingDeadline(A, ACK, at(10))]
        assert len(index) == 0 and index.earliest() is None

    def test_a_deadline_taken_out_goes_back_only_if_nothing_replaced_it(self) -> None:
        index = DeadlineIndex([PendingDeadline(A, ACK, at(10))])
        [taken] = index.pop_due(at(10))
        index.put(A, ACK, at(60))  # a sync moved it meanwhile
        assert not index.retry(taken, at(11))
        assert index.as_dict() == {(A, ACK): at(60)}
        assert index.earliest() == at(60)
        index.remove(A, ACK)
        assert index.retry(taken, at(11))
        assert index.as_dict() == {(A, ACK): at(10)}


class TestRetries:
    """A deadline whose firing failed is tried again at its retry time, keeping its due time."""

    def test_a_retried_deadline_is_tried_at_its_retry_time_with_its_due_time(self) -> None:
        index = DeadlineIndex([PendingDeadline(A, ACK, at(10)), PendingDeadline(B, ACK, at(30))])
        [failed] = index.pop_due(at(10))
        assert index.retry(failed, at(40))
        # Then B comes first, and A is tried at 40, still as the deadline due at 10
        assert (index.earliest(), index.get(A, ACK), index.try_at(A, ACK)) == (
            at(30), at(10), at(40))
        assert index.pop_due(at(39)) == [PendingDeadline(B, ACK, at(30))]
        assert index.earliest() == at(40)
        assert index.pop_due(at(40)) == [PendingDeadline(A, ACK, at(10))]
        assert index.try_at(A, ACK) is None

    def test_retrying_a_deadline_still_watched_moves_its_try_not_its_due_time(self) -> None:
        index = DeadlineIndex([PendingDeadline(A, ACK, at(10))])
        assert index.retry(PendingDeadline(A, ACK, at(10)), at(15))
        assert index.retry(PendingDeadline(A, ACK, at(10)), at(25))
        assert (index.as_dict(), index.earliest()) == ({(A, ACK): at(10)}, at(25))
        assert index.pop_due(at(20)) == []

    def test_moving_a_retried_deadline_drops_its_retry(self) -> None:
        index = DeadlineIndex([PendingDeadline(A, ACK, at(10))])
        index.retry(PendingDeadline(A, ACK, at(10)), at(500))
        assert index.put(A, ACK, at(60))
        assert (index.try_at(A, ACK), index.earliest()) == (at(60), at(60))
        # and putting the same due time again keeps a retry
        index.retry(PendingDeadline(A, ACK, at(60)), at(90))
        assert not index.put(A, ACK, at(60))
        assert index.earliest() == at(90)

    def test_a_removed_retry_never_comes_due(self) -> None:
        index = DeadlineIndex()
        index.retry(PendingDeadline(A, ACK, at(10)), at(20))
        assert index.remove(A, ACK)
        assert (index.earliest(), index.pop_due(at(100))) == (None, [])


class TestBackoff:
    def test_the_wait_doubles_with_each_failure_in_a_row_up_to_its_cap(self) -> None:
        waits = [retry_delay(n).total_seconds() for n in range(1, 10)]
        assert waits == [5, 10, 20, 40, 80, 160, 300, 300, 300]  # 5 x 2^(n-1), at most 300
        assert RETRY_MAX_SECONDS == 300
        assert retry_delay(100_000).total_seconds() == 300  # failing for a year: no overflow

    def test_failures_are_counted_per_deadline_and_a_success_clears_them(self) -> None:
        retries = Retries()
        a, b = PendingDeadline(A, ACK, at(10)), PendingDeadline(B, ACK, at(10))
        assert [retries.failed(a), retries.failed(a), retries.failed(b)] == [1, 2, 1]
        retries.succeeded(a)
        assert (retries.failures(a), retries.failures(b), retries.failed(a)) == (0, 1, 1)

    def test_a_target_moved_to_another_due_time_starts_counting_again(self) -> None:
        retries = Retries()
        retries.failed(PendingDeadline(A, ACK, at(10)))
        retries.failed(PendingDeadline(A, ACK, at(10)))
        assert retries.failed(PendingDeadline(A, ACK, at(60))) == 1
        retries.forget(A, ACK, unless_due=at(60))  # still watched at 60: kept
        assert retries.failures(PendingDeadline(A, ACK, at(60))) == 1
        retries.forget(A, ACK)  # met
        assert len(retries) == 0


class TestDue:
    def test_every_deadline_due_by_now_comes_out_earliest_first_including_ties(self) -> None:
        index = DeadlineIndex([PendingDeadline(C, ACK, at(20)), PendingDeadline(A, ACK, at(10)),
                               PendingDeadline(B, ACK, at(10)), PendingDeadline(A, RESPOND,
                                                                                at(11))])
        due = index.pop_due(at(11))
        assert due == [PendingDeadline(A, ACK, at(10)), PendingDeadline(B, ACK, at(10)),
                       PendingDeadline(A, RESPOND, at(11))]
        assert index.as_dict() == {(C, ACK): at(20)}
        assert index.earliest() == at(20)


class TestCompaction:
    def test_stale_entries_do_not_pile_up(self) -> None:
        index = DeadlineIndex([PendingDeadline(A, ACK, at(0))])
        for minute in range(1, 10 * COMPACT_SLACK):
            index.put(A, ACK, at(minute))  # each move leaves a stale entry behind
        assert len(index._heap) <= 2 * len(index) + COMPACT_SLACK + 1
        assert index.pop_due(at(10 * COMPACT_SLACK)) == [
            PendingDeadline(A, ACK, at(10 * COMPACT_SLACK - 1))]


def test_it_agrees_with_a_plain_dict_after_random_changes() -> None:
    # Given a dict as the model and random puts, removals and pops over 50 targets
    rng = random.Random(11)
    keys = [(UUID(int=rng.getrandbits(128)), rng.choice([ACK, RESPOND])) for _ in range(50)]
    model: dict[tuple[UUID, str], datetime] = {}
    index = DeadlineIndex()
    now = 0
    tries: dict[tuple[UUID, str], datetime] = {}  # the model's retry times
    for _ in range(5000):
        roll, key = rng.random(), rng.choice(keys)
        if roll < 0.5:
            due = at(now + rng.randint(0, 500))
            if index.put(*key, due):
                tries.pop(key, None)
            model[key] = due
        elif roll < 0.6:
            # a firing that failed: tried again later, if nothing else is watched for it
            due = model.get(key, at(now - rng.randint(0, 50)))
            retry_at = at(now + rng.randint(1, 300))
            assert index.retry(PendingDeadline(*key, due), retry_at)
            model[key], tries[key] = due, retry_at
        elif roll < 0.85:
            index.remove(*key)
            model.pop(key, None)
            tries.pop(key, None)
        else:
            now += rng.randint(0, 50)
            popped = index.pop_due(at(now))
            expected = sorted((tries.get(k, due), due, k) for k, due in model.items()
                              if tries.get(k, due) <= at(now))
            assert [(d.due_at, (d.case_id, d.target)) for d in popped] == [
                (due, k) for _, due, k in expected]
            for _, _, k in expected:
                del model[k]
                tries.pop(k, None)
        # Then after each step it holds what the model holds, and knows its earliest try
        assert index.as_dict() == model
        assert index.earliest() == min((tries.get(k, due) for k, due in model.items()),
                                       default=None)
