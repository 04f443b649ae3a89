"""Feeds the accountability report from the event log: streamed in windows, up to a fixed head.

`produce_report` checks who asks and what, finds the log's last position committed at or before
`as_of` (infrastructure.commit_time), and streams every event up to it into
`application.accountability.build_report`. The hash chain is then verified from the genesis to
the report's head position, so a report is only ever published over an intact log, and carries
the link at that position.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from application.accountability import (
    MIN_SAMPLE,
    AccountabilityReport,
    ReportRequest,
    build_report,
    check_may_report,
    parse_moment,
    parse_period,
)
from application.desk import ServiceDesk
from domain.actors import Actor
from domain.errors import DomainError, InvalidValue
from infrastructure.chain import GENESIS
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


def verified_link(desk: ServiceDesk, position: int) -> str:
    """The chain link at `position`, after recomputing the chain from the genesis up to it.

    Raises LedgerNotIntact if any event or link up to there was altered, removed or reordered.
    """
    if position == 0:
        return GENESIS.hex()
    verdict = verify_chain(chain_rows(desk, 1, position))
    if not verdict.ok or verdict.head_position != position:
        raise LedgerNotIntact(
            f"the event log fails verification at position {verdict.first_bad_position}: "
            f"{verdict.problem or 'the chain ends early'}; no report can be certified")
    return verdict.head_hash


def produce_report(desk: ServiceDesk, actor: Actor, *, period: str | None = None,
                   first: str | None = None, last: str | None = None,
                   department: str | None = None,
                   as_of: str | datetime | None = None,
                   min_sample: int = MIN_SAMPLE) -> AccountabilityReport:
    """The accountability report as of `as_of` (default: now); shares and averages from fewer
    than `min_sample` results are not rated.

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
                            cut_by_recorded_time=cut.by_recorded_time)
    report = build_report(request, log_events(desk, head),
                          lambda position: verified_link(desk, position))
    # Final once a signed checkpoint holds an event committed after the moment: carry it.
    anchor = None if cut.after is None else checkpoint_holding(desk, cut.after)
    return dataclasses.replace(report, checkpoint=anchor)
