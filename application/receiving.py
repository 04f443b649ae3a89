"""Receiving a contact: the case numbered in its year's lane and saved, in a batch with the
receipts queued beside it (see application/references.py and application/committer.py)."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, RecordConflictError

from application.access import check_may
from application.commands import ReceiveCase
from application.customers import Intake, NewCustomer
from application.desk import TOWN_TIME, IdempotencyKey, Outcome, ServiceDesk
from application.public_tokens import new_public_token
from application.references import Receipt, ReferenceLane, number_of
from application.routing import decide_at_receipt, route_received
from domain.actors import Actor
from domain.cases import WAIT_TIMED_CHANNELS, Case
from domain.errors import InvalidValue, VersionConflict
from domain.references import format_reference


def receive(app: ServiceDesk, actor: Actor, command: ReceiveCase,
            idempotency: IdempotencyKey | None = None) -> Outcome:
    """`ServiceDesk.handle` of a ReceiveCase: the case recorded, its answer and position."""
    replay = app._replay(actor, idempotency)
    if replay is not None:
        return replay
    now = app.clock()
    known = app.known()  # once: the catalogue, standards and calendars as of this receipt
    department = app.department_for(command.service_code, command.department, known)
    check_may(actor, command.action, department)
    calendars = known.calendars(now)
    desk = command.desk
    if desk is not None and desk not in calendars.by_desk:
        raise InvalidValue(f"no service desk {desk!r}", "desk")
    standards = known.standards
    if command.wait_seconds is not None and command.channel not in WAIT_TIMED_CHANNELS:
        raise InvalidValue("wait_seconds is measured only for telephone and in-person "
                           "contacts", "wait_seconds")
    routed = decide_at_receipt(app, known, calendars, command, desk or calendars.central_code,
                               department, now)
    department = department if routed is None else routed.department
    # The case's rules first, so that nothing is sealed for a contact that is refused.
    Case.receive(reference="SC-0000-000000", channel=command.channel,
                 occurred_at=command.received_at or now, purpose=command.purpose,
                 service_code=command.service_code, department=department,
                 subject=command.subject, description=command.description, customer_id=None,
                 actor=actor, now=now)
    confirmed, new = _customer_of(app, actor, command.customer)
    customer_id = confirmed or (new.customer_id if new is not None else None)

    def build(reference: str) -> Case:
        """The case, numbered `reference` (built again if the number is taken)."""
        case = Case.receive(
            reference=reference, channel=command.channel,
            occurred_at=command.received_at or now, purpose=command.purpose,
            service_code=command.service_code, department=department,
            subject=command.subject, description=command.description,
            customer_id=customer_id, actor=actor, now=now, desk=desk or calendars.central_code,
            public_token=new_public_token())
        if command.classification is not None:
            # Received as a complaint: classified before its targets are planned, so the
            # complaint promises run from receipt like any other.
            case.classify(classification=command.classification,
                          reason=f"received as {command.classification}", actor=actor,
                          occurred_at=case.received_at, now=now)
        route_received(app, case, routed, now)  # before its targets: they follow the route
        app.follow_standards(case, "receive", actor=actor, occurred_at=now,
                             standards=standards, calendars=calendars,
                             wait_seconds=command.wait_seconds)
        return case

    # The Town's year, not UTC's: a call at 19:30 on Dec 31 belongs to the old year.
    try:
        outcome: Outcome = app.references.submit(
            now.astimezone(TOWN_TIME).year,
            Receipt(build, actor, idempotency,
                    companions=lambda case: [new.record(case)] if new is not None else []),
            partial(record_receipts, app))
    finally:
        if new is not None:  # its key and tokens were saved with it, or are given up
            app.cipher.forget(new.customer_id)
    if confirmed is not None and not outcome.replayed:
        # A known customer learns of the case after it is saved, not with it, so that two
        # cases for one customer at once do not conflict. Should this fail, the case still
        # names its customer, and linking it again is harmless.
        app.customers.link_case(confirmed, outcome.case.id, outcome.case.reference)
    # The answer's target states are judged on the calendars the targets were planned on.
    return outcome if outcome.replayed else replace(outcome, calendars=calendars)


def _customer_of(app: ServiceDesk, actor: Actor, customer: Intake | UUID | None
                 ) -> tuple[UUID | None, NewCustomer | None]:
    """The confirmed customer (followed through merges; a live one), or a new one prepared
    from what intake knows (saved with the case), or neither when it knows nothing
    personal."""
    if isinstance(customer, UUID):
        known = app.customers.get(customer)
        known.check_live()
        return known.id, None
    if customer is None or customer.empty:
        return None, None
    return None, app.customers.prepare(actor, customer)


def record_receipts(app: ServiceDesk, lane: ReferenceLane, batch: list[Receipt]) -> None:
    """Number and save the receipts queued for `lane`: together in one transaction, or,
    should that fail (a number taken by another process, one idempotency key twice), each
    alone. A receipt whose case cannot be built (a rule) takes no number."""
    if len(batch) > 1:
        first = number_of(lane.next_reference())
        built: list[tuple[Receipt, Case]] = []
        for receipt in batch:
            try:
                case = receipt.build(format_reference(lane.year, first + len(built)))
            except BaseException as error:  # that receipt's answer, not the batch's
                receipt.fail(error)
                continue
            built.append((receipt, case))
        if not built:
            return
        try:
            receipts = [(r, case, app._receipt(r.actor, r.idempotency, case, 201))
                        for r, case in built]
            recordings = app.committer.commit(
                [case for _, case, _ in receipts] + [kept for _, _, kept in receipts]
                + [companion for r, case in built for companion in r.companions(case)],
                contexts={aggregate.id: r.context for r, case, kept in receipts
                          for aggregate in (case, kept) if aggregate is not None},
                commands=len(receipts))
        except (RecordConflictError, IntegrityError):
            lane.forget()
            batch = [receipt for receipt, _ in built]
        except BaseException as error:  # nothing of the batch was recorded: say so to all
            lane.forget()
            for receipt, _ in built:
                receipt.fail(error)
            return
        else:
            lane.recorded(built[-1][1].reference)
            positions: dict[Any, int] = {}
            for recording in recordings:
                originator = recording.domain_event.originator_id
                positions[originator] = max(positions.get(originator, 0),
                                            recording.notification.id)
            for receipt, case in built:
                receipt.succeed(Outcome(case=case, position=positions[case.id]))
            return
    for receipt in batch:
        try:
            # In the receipt's own context, so its case is saved on its behalf.
            receipt.succeed(receipt.context.run(record_alone, app, lane, receipt))
        except BaseException as error:  # that receipt's answer
            receipt.fail(error)


def record_alone(app: ServiceDesk, lane: ReferenceLane, receipt: Receipt) -> Outcome:
    """Number and save one receipt, taking the next number while another process takes
    the one it tried."""
    while True:
        case: Case = receipt.build(lane.next_reference())
        try:
            outcome = app._save_with_receipt(receipt.actor, receipt.idempotency, case, 201,
                                             *receipt.companions(case))
        except VersionConflict:
            if not app._is_recorded(case.reference):
                lane.forget()
                raise
            # Another process took this number first (the case's id is the claim to
            # it): take the next one. Each turn, some receipt was recorded.
            lane.taken_elsewhere(case.reference)
            continue
        except BaseException:
            lane.forget()
            raise
        if not outcome.replayed:
            lane.recorded(case.reference)
        return outcome
