"""Case references on a real database: in order, gap-free, never reused, at a constant cost,
and without conflicts between concurrent receipts (threads of one process, or two processes'
desks on one database)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from application.desk import Outcome, ServiceDesk
from domain.actors import Actor, Role
from domain.cases import Case
from domain.references import ReferenceBook, format_reference
from infrastructure.bootstrap import build_desk
from infrastructure.settings import Settings
from tests.conftest import MovableClock
from tests.receiving import POTHOLE_EMAIL, receive

CSR = Actor(id="csr-ana", role=Role.CSR)


def receive_at_once(desks: list[ServiceDesk], receipts: int) -> list[Outcome | BaseException]:
    """`receipts` threads, released together, each receiving one case on desks[i % len]."""
    start = threading.Barrier(receipts)
    answers: list[Outcome | BaseException] = [RuntimeError("not run")] * receipts

    def one(i: int) -> None:
        start.wait()
        try:
            answers[i] = receive(desks[i % len(desks)])
        except BaseException as error:  # the test reports every failure
            answers[i] = error

    threads = [threading.Thread(target=one, args=(i,)) for i in range(receipts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def numbers(answers: list[Outcome | BaseException]) -> list[int]:
    failures = [a for a in answers if not isinstance(a, Outcome)]
    assert failures == []
    return sorted(int(a.case.reference.rsplit("-", 1)[1])
                  for a in answers if isinstance(a, Outcome))


def test_sixteen_concurrent_receipts_all_succeed_with_distinct_contiguous_references(
        desk: ServiceDesk) -> None:
    # Given one case already received this year
    receive(desk)
    # When sixteen threads receive a case at the same moment
    answers = receive_at_once([desk], 16)
    # Then every one is recorded, numbered 2 to 17 without a gap or a repeat
    assert numbers(answers) == list(range(2, 18))


@pytest.fixture
def second_desk(settings: Settings, desk: ServiceDesk, clock: MovableClock
                ) -> Iterator[ServiceDesk]:
    """Another application on the same database, as another server process would be."""
    other = build_desk(settings, clock=clock)
    yield other
    other.close()


def test_two_processes_receiving_at_once_take_turns_by_the_uniqueness_of_the_case(
        desk: ServiceDesk, second_desk: ServiceDesk) -> None:
    # Given two desks on one database that have each numbered a case (so each remembers a
    # last number the other will move past)
    receive(desk)
    receive(second_desk)
    # When both receive cases at once from eight threads each
    answers = receive_at_once([desk, second_desk], 16)
    # Then none fails, and the numbers are 3 to 18 without a gap or a repeat
    assert numbers(answers) == list(range(3, 19))


def test_a_database_numbered_by_the_old_reference_book_continues_after_its_last_number(
        desk: ServiceDesk) -> None:
    # Given a year whose first three cases were numbered by the retired ReferenceBook
    book = ReferenceBook(year=2026)
    cases = [Case.receive(reference=book.issue(), actor=CSR, now=desk.clock(),
                          occurred_at=desk.clock(), desk=None,
                          customer_id=None, **{k: v for k, v in POTHOLE_EMAIL.items()
                             if k not in ("received_at", "customer")})
             for _ in range(3)]
    desk.save(*cases, book)
    # When the desk receives the next case, then it continues the book's numbering
    assert receive(desk).case.reference == "SC-2026-000004"
    # and the book is left as it was: nothing writes it any more
    assert desk.repository.get(ReferenceBook.create_id(2026)).last_number == 3


class CountingReads:
    """Counts the desk's reads of this year's cases' events (a reference's probe is one)."""

    CASES = frozenset(Case.create_id(format_reference(2026, n)) for n in range(1, 5000))

    def __init__(self, desk: ServiceDesk) -> None:
        self.count = 0
        original = desk.recorder.select_events

        def counted(originator_id: Any, *args: Any, **kwargs: Any) -> Any:
            self.count += originator_id in self.CASES
            return original(originator_id, *args, **kwargs)

        desk.recorder.select_events = counted  # type: ignore[method-assign]


def test_numbering_the_next_case_costs_the_same_however_many_the_year_holds(
        desk: ServiceDesk, settings: Settings, clock: MovableClock) -> None:
    # Given 2,000 cases already received this year (saved in bulk, numbered 1 to 2,000)
    for start in range(1, 2001, 500):
        desk.save(*[Case.receive(reference=format_reference(2026, n), actor=CSR,
                                 now=desk.clock(), occurred_at=desk.clock(), desk=None,
                                 customer_id=None,
                                 **{k: v for k, v in POTHOLE_EMAIL.items()
                                    if k not in ("received_at", "customer")})
                    for n in range(start, start + 500)])
    # When a newly started desk receives its first case, it finds the last number by a few
    # probes (galloping then bisecting: 2 log2(2000), about 22), not by reading 2,000 cases
    restarted = build_desk(settings, clock=clock)
    reads = CountingReads(restarted)
    assert receive(restarted).case.reference == "SC-2026-002001"
    first = reads.count
    assert first < 40
    # and each later case costs the same reads as the one before, and fewer than the first
    reads.count = 0
    receive(restarted)
    second = reads.count
    reads.count = 0
    assert receive(restarted).case.reference == "SC-2026-002003"
    assert reads.count == second < first
    restarted.close()
