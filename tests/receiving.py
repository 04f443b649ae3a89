"""A case received at the desk in a test: a CSR's email about a pothole, to public works,
unless the test says otherwise (`overrides` are fields of `ReceiveCase`, `desk=` among them:
the service desk's code, hence the application is passed by position only; and
`idempotency=`, the request's `IdempotencyKey`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from application.commands import ReceiveCase
from application.customers import Intake
from application.desk import IdempotencyKey, Outcome, ServiceDesk
from domain.actors import Actor, Role
from domain.cases import Case

if TYPE_CHECKING:
    from tests.conftest import MovableClock

CSR = Actor(id="csr-ana", role=Role.CSR)
POTHOLE_EMAIL: dict[str, Any] = dict(
    channel="email", received_at=None, purpose="issue_or_complaint", service_code=None,
    department="public-works", subject="Pothole", description="Deep hole on King St",
    customer=Intake(personal={"name": "Ann"}))


def receive(desk: ServiceDesk, /, actor: Actor = CSR, **overrides: Any) -> Outcome:
    """The desk's answer to the contact received now, on its clock: the case and the log
    position its creation reached."""
    idempotency: IdempotencyKey | None = overrides.pop("idempotency", None)
    return desk.handle(actor, ReceiveCase(**{**POTHOLE_EMAIL, **overrides}), idempotency)


def receive_at(desk: ServiceDesk, clock: MovableClock, at: datetime, /,
               **overrides: Any) -> Case:
    """The case of a contact received when the movable clock is moved to `at` (in any zone)."""
    clock.now = at.astimezone(UTC)
    return receive(desk, **overrides).case
