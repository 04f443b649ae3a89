"""The deadline index: pending deadlines by (case, target), earliest first, with lazy deletion.

Times are plain UTC instants; T is an arbitrary Friday 10:00 EST and T+n is n minutes later.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from uuid import UUID

from infrastructure.deadline_index import COMPACT_SLACK, DeadlineIndex, PendingDeadline

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
        assert not index.add_if_absent(taken)
        assert index.as_dict() == {(A, ACK): at(60)}
        index.remove(A, ACK)
        assert index.add_if_absent(taken)
        assert index.as_dict() == {(A, ACK): at(10)}


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
    for _ in range(5000):
        roll, key = rng.random(), rng.choice(keys)
        if roll < 0.6:
            due = at(now + rng.randint(0, 500))
            index.put(*key, due)
            model[key] = due
        elif roll < 0.85:
            index.remove(*key)
            model.pop(key, None)
        else:
            now += rng.randint(0, 50)
            popped = index.pop_due(at(now))
            expected = sorted((due, k) for k, due in model.items() if due <= at(now))
            assert [(d.due_at, (d.case_id, d.target)) for d in popped] == expected
            for _, k in expected:
                del model[k]
        # Then after each step it holds what the model holds, and knows its earliest
        assert index.as_dict() == model
        assert index.earliest() == min(model.values(), default=None)
