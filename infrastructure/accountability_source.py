"""Feeds the accountability report: from the case snapshots read model, or from the whole log.

`produce_report` checks who asks and what, and finds the log's last position committed at or
before `as_of` (infrastructure.commit_time). When the case snapshots read model has followed
the log that far (it is given, and reaches it in time), the report is made from it
(`application.accountability.read_models`), reading only the period's cases and the events it
must replay; otherwise, or when an auditor asks for it (`replay=True`), every event up to that
position is streamed into `application.accountability.build_report`. Both give the same
report, byte for byte.

The hash chain is then verified up to the report's head position, so a report is only ever
published over an intact log, and carries the link at that position. The first report of a
process verifies from the genesis; later ones verify only from the last position verified
(`VerifiedChain`), so a report's cost does not grow with the whole log.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from typing import Any
from weakref import WeakKeyDictionary

from application.accountability import (
    MIN_SAMPLE,
    AccountabilityReport,
    ReportRequest,
    build_report,
    check_may_report,
    parse_moment,
    parse_period,
)
from application.accountability.read_models import ReportReadModel, build_report_from
from application.desk import ServiceDesk
from domain.actors import Actor
from domain.errors import DomainError, InvalidValue
from infrastructure.chain import GENESIS, ChainRow
from infrastructure.chain import verify as verify_chain
from infrastructure.checkpoints import checkpoint_holding
from infrastructure.commit_time import cut_at
from infrastructure.ledger import chain_rows

BATCH = 1_000


class LedgerNotIntact(DomainError):
    """The hash chain fails verification at or before the report's head: nothing is certified."""

    code = "ledger-not-intact"


def recording_now() -> datetime:
    """Now, on the clock that gives events their commit times (the system clock).

    `as_of` is compared with commit times, so its default and its limit come from this
    clock, not from `desk.clock`, which tests move to date what happened in the past.
    """
    return datetime.now(UTC)


def log_events(desk: ServiceDesk, stop: int) -> Iterator[tuple[int, Any]]:
    """(position, domain event) for every event up to `stop`, a window at a time."""
    position = 0
    while position < stop:
        batch = desk.recorder.select_notifications(position + 1, BATCH, stop=stop)
        if not batch:
            return
        for notification in batch:
            yield notification.id, desk.mapper.to_domain_event(notification)
        position = batch[-1].id


def events_at(desk: ServiceDesk, positions: list[int]) -> Iterator[tuple[int, Any]]:
    """(position, domain event) at each of `positions` (ascending), read a run of consecutive
    positions at a time."""
    index = 0
    while index < len(positions):
        end = index
        while (end + 1 < len(positions) and positions[end + 1] == positions[end] + 1
               and end + 1 - index < BATCH):
            end += 1
        batch = desk.recorder.select_notifications(positions[index], end - index + 1,
                                                   stop=positions[end])
        for notification in batch:
            yield notification.id, desk.mapper.to_domain_event(notification)
        index = end + 1


def _not_intact(verdict: Any) -> LedgerNotIntact:
    return LedgerNotIntact(
        f"the event log fails verification at position {verdict.first_bad_position}: "
        f"{verdict.problem or 'the chain ends early'}; no report can be certified")


class VerifiedChain:
    """The last chain link this process verified, per desk, so the next report verifies only
    the events recorded since (or, for an earlier head, those between it and that link)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: WeakKeyDictionary[ServiceDesk, tuple[int, bytes]] = WeakKeyDictionary()

    def forget(self, desk: ServiceDesk) -> None:
        with self._lock:
            self._known.pop(desk, None)

    def link(self, desk: ServiceDesk, position: int) -> str:
        """The chain link at `position`, verified. Raises LedgerNotIntact."""
        if position == 0:
            return GENESIS.hex()
        with self._lock:
            known = self._known.get(desk)
        if known is None:
            found = self._walk(desk, GENESIS, 1, position)
        elif known[0] <= position:
            found = self._walk(desk, known[1], known[0] + 1, position) \
                if known[0] < position else self._stored(desk, position, known[1])
        else:
            # An earlier head: its stored link must lead, over the events verified since,
            # to the link verified then.
            start = self._stored(desk, position, None)
            self._walk(desk, start, position + 1, known[0], expect=known[1])
            return start.hex()
        with self._lock:
            if known is None or self._known.get(desk, (0, b""))[0] < position:
                self._known[desk] = (position, found)
        return found.hex()

    @staticmethod
    def _stored(desk: ServiceDesk, position: int, expect: bytes | None) -> bytes:
        rows = list(chain_rows(desk, position, position))
        row: ChainRow | None = rows[0] if rows and rows[0].notification_id == position else None
        if row is None or row.stored_link is None or (expect is not None
                                                      and row.stored_link != expect):
            raise LedgerNotIntact(f"the event log fails verification at position {position}: "
                                  "its chain link was altered or removed since it was "
                                  "verified; no report can be certified")
        return row.stored_link

    @staticmethod
    def _walk(desk: ServiceDesk, previous: bytes, first: int, last: int,
              expect: bytes | None = None) -> bytes:
        verdict = verify_chain(chain_rows(desk, first, last), previous=previous)
        if not verdict.ok or (first <= last and verdict.head_position != last):
            raise _not_intact(verdict)
        link = bytes.fromhex(verdict.head_hash)
        if expect is not None and link != expect:
            raise LedgerNotIntact(f"the event log fails verification between positions "
                                  f"{first} and {last}: it no longer leads to the link "
                                  "verified before; no report can be certified")
        return link


VERIFIED = VerifiedChain()


def verified_link(desk: ServiceDesk, position: int) -> str:
    """The chain link at `position`, after recomputing the chain from the genesis up to it.

    Raises LedgerNotIntact if any event or link up to there was altered, removed or reordered.
    """
    if position == 0:
        return GENESIS.hex()
    verdict = verify_chain(chain_rows(desk, 1, position))
    if not verdict.ok or verdict.head_position != position:
        raise _not_intact(verdict)
    return verdict.head_hash


def produce_report(desk: ServiceDesk, actor: Actor, *, period: str | None = None,
                   first: str | None = None, last: str | None = None,
                   department: str | None = None,
                   as_of: str | datetime | None = None,
                   min_sample: int = MIN_SAMPLE, read_model: ReportReadModel | None = None,
                   reached: Callable[[int], bool] | None = None,
                   replay: bool = False,
                   include_imported: bool = False) -> AccountabilityReport:
    """The accountability report as of `as_of` (default: now); shares and averages from fewer
    than `min_sample` results are not rated; cases imported from another system counted only
    with `include_imported`.

    From `read_model` (the case snapshots read view) when `reached(head)` says it has followed
    the log to the head; from the whole log when it has not, when none is given, or when
    `replay` is asked (an auditor's check: the whole chain is verified from the genesis too).

    Raises Forbidden (not a reporting role), InvalidValue (naming `period`, `from`, `to`,
    `department` or `as_of`) and LedgerNotIntact.
    """
    check_may_report(actor)
    chosen = parse_period(period, first, last)
    now = recording_now()
    if as_of is None:
        moment = now
    elif isinstance(as_of, datetime):
        if as_of.tzinfo is None:
            raise InvalidValue("as_of must include a time zone offset", "as_of")
        moment = as_of.astimezone(UTC)
    else:
        moment = parse_moment(as_of, "as_of")
    if moment > now:
        # Later recordings could still fall before a future as_of: the report would not last.
        raise InvalidValue("as_of must not be in the future", "as_of")
    if department is not None and desk.find_department(department) is None:
        raise InvalidValue(f"no department {department!r}", "department")
    # The log as of the moment, by commit time: a prefix that no later commit changes once
    # an event committed after the moment is in (infrastructure.commit_time).
    cut = cut_at(desk, moment)
    head = cut.position
    request = ReportRequest(period=chosen, department=department, as_of=moment,
                            min_sample=min_sample,
                            cut_by_recorded_time=cut.by_recorded_time,
                            include_imported=include_imported)
    if replay:
        report = build_report(request, log_events(desk, head),
                              lambda position: verified_link(desk, position))
    elif read_model is not None and reached is not None and reached(head):
        report = build_report_from(request, read_model, head, partial(events_at, desk),
                                   partial(VERIFIED.link, desk))
    else:
        report = build_report(request, log_events(desk, head), partial(VERIFIED.link, desk))
    # Final once a signed checkpoint holds an event committed after the moment: carry it.
    anchor = None if cut.after is None else checkpoint_holding(desk, cut.after)
    return dataclasses.replace(report, checkpoint=anchor)
