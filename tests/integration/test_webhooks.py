"""Webhooks: the case events a configured webhook subscribes to are delivered through the
outbox to a real HTTP receiver in the test process, as JSON naming no person, signed with
HMAC-SHA-256 so the receiver verifies them; a 5xx is tried again with backoff, a 4xx parks
the delivery at once. On SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from application.commands import ResolveCase, TransferCase
from application.customers import Intake
from application.desk import ServiceDesk
from application.outbox import start_outbox
from domain.notices import MAX_ATTEMPTS
from domain.webhooks import EVENT_NOTICE
from engine.runner import ProjectionSet
from infrastructure.outbox_worker import OutboxWorker
from infrastructure.settings import Settings
from infrastructure.webhook_settings import Webhook
from projections.outbox import OUTBOX_MODEL, PARKED, PENDING, SENT, Message
from tests.conftest import MovableClock, running_projections
from tests.receiving import CSR, receive
from tests.webhook_receiver import Receiver, verify, webhook_receiver

SECRET = b"whsec-0123456789abcdef0123456789abcdef"
ANN = Intake(personal={"name": "Ann Smith", "email": "ann@example.org",
                       "phone": "905-555-0100"})


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as running:
        yield running


@pytest.fixture
def hooked(settings: Settings, receiver: Receiver, tmp_path: Path) -> Settings:
    """Settings with one webhook, `gis`, for receipts and resolutions, and no mail server."""
    secret = tmp_path / "webhook-gis"
    secret.write_bytes(SECRET + b"\n")
    return dataclasses.replace(settings, webhooks=(Webhook(
        name="gis", url=receiver.url, events=frozenset({"Received", "Resolved"}),
        secret_file=secret),))


@pytest.fixture
def outbox(settings: Settings, desk: ServiceDesk) -> Iterator[ProjectionSet]:
    start_outbox(desk)
    with running_projections(settings, desk, OUTBOX_MODEL) as running:
        yield running


def run(settings: Settings, desk: ServiceDesk, outbox: ProjectionSet, clock: MovableClock,
        passes: int = 2) -> OutboxWorker:
    """A worker with no mail server, run `passes` times (the first fans out, the next
    delivers)."""
    worker = OutboxWorker(settings, desk, outbox.view(OUTBOX_MODEL.name), None, clock=clock)
    for _ in range(passes):
        outbox.wait_for(desk.log_position())
        worker.run_once()
    return worker


def deliveries(outbox: ProjectionSet) -> list[Message]:
    return [m for m in outbox.view(OUTBOX_MODEL.name).every() if m.notice == "webhook:gis"]


class TestSignedDeliveries:
    def test_the_receiver_verifies_each_subscribed_event_and_learns_no_personal_details(
            self, hooked: Settings, desk: ServiceDesk, outbox: ProjectionSet,
            clock: MovableClock, receiver: Receiver) -> None:
        # given a case received, transferred (not subscribed) and resolved
        case = receive(desk, customer=ANN).case
        desk.handle(CSR, TransferCase(case_id=case.id, to_department="planning", warm=False))
        desk.handle(CSR, ResolveCase(case_id=case.id, resolution="Filled by crew 4"))
        # when the outbox worker runs (no mail server: webhooks only)
        run(hooked, desk, outbox, clock)
        # then the receiver got the receipt and the resolution, each signed with the secret
        kinds = [d.headers["Civicdesk-Event"] for d in receiver.received]
        assert kinds == ["Received", "Resolved"]
        for delivery in receiver.received:
            assert verify(SECRET, delivery.headers["Civicdesk-Signature"], delivery.body,
                          now=clock().timestamp())
            assert not verify(b"another secret of the same length, 32+ bytes",
                              delivery.headers["Civicdesk-Signature"], delivery.body,
                              now=clock().timestamp())
            assert not verify(SECRET, delivery.headers["Civicdesk-Signature"],
                              delivery.body.replace(case.reference.encode(), b"SC-2026-999999"),
                              now=clock().timestamp())
        resolved: dict[str, Any] = json.loads(receiver.received[1].body)
        assert resolved["reference"] == case.reference
        assert resolved["case_id"] == str(case.id)
        assert (resolved["event"], resolved["department"], resolved["status"]) == (
            "Resolved", "planning", "resolved")
        assert resolved["details"] == {"at_first_contact": False}
        assert resolved["delivery"] == receiver.received[1].headers["Civicdesk-Delivery"]
        raw = b"".join(d.body for d in receiver.received)
        for personal in (b"Ann", b"ann@example.org", b"905-555", b"Pothole", b"King St",
                         b"crew"):
            assert personal not in raw
        assert [m.state for m in deliveries(outbox)] == [SENT, SENT]

    def test_a_second_run_delivers_nothing_again(
            self, hooked: Settings, desk: ServiceDesk, outbox: ProjectionSet,
            clock: MovableClock, receiver: Receiver) -> None:
        receive(desk, customer=ANN)
        worker = run(hooked, desk, outbox, clock)
        outbox.wait_for(desk.log_position())
        assert worker.run_once() == 0
        assert len(receiver.received) == 1

    def test_events_before_the_outbox_started_are_not_delivered(
            self, hooked: Settings, settings: Settings, desk: ServiceDesk, clock: MovableClock,
            receiver: Receiver) -> None:
        receive(desk, customer=ANN)  # before any server ran with webhooks
        start_outbox(desk)
        later = receive(desk, customer=ANN).case
        with running_projections(settings, desk, OUTBOX_MODEL) as outbox:
            run(hooked, desk, outbox, clock)
        assert [json.loads(d.body)["reference"] for d in receiver.received] == [later.reference]


class TestFailedDeliveries:
    def test_a_server_error_is_tried_again_after_the_backoff_then_delivered(
            self, hooked: Settings, desk: ServiceDesk, outbox: ProjectionSet,
            clock: MovableClock, receiver: Receiver) -> None:
        # given a receiver that answers 503 twice, then 204
        receiver.answers = [503, 503]
        receive(desk, customer=ANN)
        worker = run(hooked, desk, outbox, clock)
        [delivery] = deliveries(outbox)
        assert (delivery.state, delivery.attempts) == (PENDING, 1)
        assert delivery.last_error == "the receiver answered 503 Service Unavailable"
        # waits after failures 1, 2: 1 then 2 minutes
        assert worker.run_once() == 0  # not due before a minute
        clock.advance(minutes=1)
        assert worker.run_once() == 1
        clock.advance(minutes=2)
        assert worker.run_once() == 1
        # then the third attempt was delivered, with the same delivery id each time
        assert [m.state for m in deliveries(outbox)] == [SENT]
        assert len({d.headers["Civicdesk-Delivery"] for d in receiver.received}) == 1
        assert len(receiver.received) == 3

    def test_a_receiver_that_keeps_failing_parks_the_delivery(
            self, hooked: Settings, desk: ServiceDesk, outbox: ProjectionSet,
            clock: MovableClock, receiver: Receiver) -> None:
        receiver.answers = [500] * MAX_ATTEMPTS
        receive(desk, customer=ANN)
        worker = run(hooked, desk, outbox, clock)
        for _ in range(MAX_ATTEMPTS - 1):
            clock.advance(hours=1)
            worker.run_once()
        [delivery] = deliveries(outbox)
        assert (delivery.state, delivery.attempts) == (PARKED, MAX_ATTEMPTS)

    def test_a_client_error_parks_the_delivery_at_once(
            self, hooked: Settings, desk: ServiceDesk, outbox: ProjectionSet,
            clock: MovableClock, receiver: Receiver) -> None:
        receiver.answers = [410]
        receive(desk, customer=ANN)
        run(hooked, desk, outbox, clock)
        [delivery] = deliveries(outbox)
        assert (delivery.state, delivery.attempts) == (PARKED, 1)
        assert delivery.last_error == "the receiver answered 410 Gone"
        assert SECRET.decode() not in (delivery.last_error or "")

    def test_an_unreachable_receiver_is_tried_again(
            self, hooked: Settings, desk: ServiceDesk, outbox: ProjectionSet,
            clock: MovableClock, tmp_path: Path) -> None:
        gone = dataclasses.replace(hooked, webhooks=(dataclasses.replace(
            hooked.webhooks[0], url="http://127.0.0.1:9/nobody-listens"),))
        receive(desk, customer=ANN)
        run(gone, desk, outbox, clock)
        [delivery] = deliveries(outbox)
        assert (delivery.state, delivery.attempts) == (PENDING, 1)
        assert (delivery.last_error or "").startswith("cannot reach the receiver gis")


def test_without_webhooks_shared_events_are_skipped_and_nothing_is_delivered(
        settings: Settings, desk: ServiceDesk, outbox: ProjectionSet, clock: MovableClock,
        receiver: Receiver) -> None:
    receive(desk, customer=ANN)
    run(settings, desk, outbox, clock)
    rows = [m for m in outbox.view(OUTBOX_MODEL.name).every() if m.notice == EVENT_NOTICE]
    assert [(m.state, m.last_error) for m in rows] == [
        ("skipped", "no webhook subscribes to Received")]
    assert receiver.received == []
