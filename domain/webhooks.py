"""Webhooks: which case events the desk shares with the Town's other systems, what each
delivery says about the case (no personal information: no name, contact, subject or
description), how it is signed, and which receiver answers mean "try again later".

Pure rules: the outbox read model and its worker follow them."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

# The events a webhook may subscribe to, by the event's name; the values name the event's own
# fields a delivery carries besides the case's identity (each chosen to name no person).
SHARED_EVENTS: dict[str, tuple[str, ...]] = {
    "Received": ("channel", "purpose"),
    "Assigned": (),
    "Transferred": ("from_department", "to_department", "warm"),
    "Acknowledged": (),
    "InterimResponseSent": (),
    "Resolved": ("at_first_contact",),
    "Reopened": (),
    "Closed": (),
    "Classified": ("classification",),
    "ComplaintEscalated": ("from_level", "to_level"),
    "DeadlineMissed": ("target", "due_at"),
    "PublicNotePublished": ("note",),
}
SIGNATURE_HEADER = "Civicdesk-Signature"
DELIVERY_HEADER = "Civicdesk-Delivery"
EVENT_HEADER = "Civicdesk-Event"
WEBHOOK_NOTICE = "webhook"  # the notice of a fanned-out delivery: "webhook:<name>"
EVENT_NOTICE = "event"  # the notice of a shared event awaiting fan-out to its webhooks


def delivery_notice(webhook: str) -> str:
    return f"{WEBHOOK_NOTICE}:{webhook}"


def webhook_of(notice: str) -> str | None:
    """The webhook a delivery's notice names (None: not a webhook delivery)."""
    kind, _, name = notice.partition(":")
    return name if kind == WEBHOOK_NOTICE and name else None


def payload(*, delivery: str, event: Any, case: Any) -> bytes:
    """The JSON body of a delivery of `event` (a case event) about `case` as that event left
    it: compact, keys sorted, so its signature covers exactly these bytes."""
    name = type(event).__name__
    details = {field: _plain(getattr(event, field, None)) for field in SHARED_EVENTS[name]}
    occurred: datetime | None = getattr(event, "occurred_at", None)
    body = {
        "delivery": delivery, "event": name, "case_id": str(event.originator_id),
        "version": event.originator_version, "reference": case.reference,
        "department": case.department, "service_code": case.service_code,
        "status": case.status, "occurred_at": _plain(occurred),
        "recorded_at": _plain(event.timestamp), "details": details,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def signature(secret: bytes, timestamp: int, body: bytes) -> str:
    """The signature header's value: `t=<unix seconds>,v1=<hex HMAC-SHA-256 of "t." + body>`;
    the time inside the signed text lets a receiver refuse an old delivery replayed."""
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def is_refused_for_good(status: int) -> bool:
    """A receiver's 4xx (but 408 Request Timeout and 429 Too Many Requests) refuses this
    delivery for good: trying again sends the same bytes, so the delivery is parked at once.
    Server errors (5xx) and unreachable receivers are tried again with backoff."""
    return 400 <= status < 500 and status not in (408, 429)
