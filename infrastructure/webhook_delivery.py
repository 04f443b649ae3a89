"""Delivering webhooks from the outbox: each shared case event's row fans out into one
delivery per configured webhook subscribed to its kind, and each delivery is POSTed as JSON,
signed (domain.webhooks), by the outbox worker's thread.

At least once: a receiver answering 2xx has the delivery; a timeout, a 5xx, 408 or 429 is
tried again after the outbox's backoff and parked after repeated failures; another 4xx parks
it at once. A crash after the receiver's 2xx and before the `sent` mark sends it again with
the same `Civicdesk-Delivery` id, which receivers use to drop duplicates (so does a rebuilt
outbox, which fans the log's shared events out again)."""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from datetime import datetime

from application.desk import ServiceDesk
from domain.notices import OUTBOX, is_parked, message_key, retry_delay, version_in_key
from domain.webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    delivery_notice,
    is_refused_for_good,
    payload,
    signature,
    webhook_of,
)
from infrastructure.webhook_settings import Webhook
from projections.outbox import PARKED, PENDING, SENDING, SENT, SKIPPED, Message, OutboxView

log = logging.getLogger("civicdesk.webhooks")
TIMEOUT_SECONDS = 10


class DeliveryFailed(Exception):
    def __init__(self, reason: str, *, for_good: bool = False) -> None:
        super().__init__(reason)
        self.for_good = for_good


class WebhookSender:
    def __init__(self, webhooks: Sequence[Webhook], desk: ServiceDesk, view: OutboxView,
                 clock: Callable[[], datetime]) -> None:
        self.webhooks = {hook.name: hook for hook in webhooks}
        self.desk, self.view, self.clock = desk, view, clock

    def fan_out(self, message: Message) -> int:
        """One delivery for each webhook subscribed to the kind of the event `message` is
        the row of; the row is then `sent` (or `skipped`: no webhook wants it)."""
        version = version_in_key(message.key)
        [event] = self.desk.events.get(message.case_id, gt=version - 1, lte=version)
        kind = type(event).__name__
        wanting = [hook for hook in self.webhooks.values() if kind in hook.events]
        for hook in wanting:
            self.view.add(message_key(message.case_id, version, delivery_notice(hook.name)),
                          message.case_id, delivery_notice(hook.name), message.created_at)
        if wanting:
            self.view.move(message.key, [PENDING], SENT, accepted_at=self.clock())
        else:
            self.view.move(message.key, [PENDING], SKIPPED,
                           error=f"no webhook subscribes to {kind}")
        return 0

    def deliver(self, message: Message) -> int:
        """POST the delivery `message`; 1 if it was handed to the receiver (or tried)."""
        name = webhook_of(message.notice) or ""
        hook = self.webhooks.get(name)
        if hook is None:
            self.view.move(message.key, [PENDING], SKIPPED,
                           error=f"webhook {name} is no longer configured")
            return 0
        attempts = message.attempts + 1
        if not self.view.move(message.key, [PENDING], SENDING, attempts=attempts):
            return 0  # another pass claimed it
        version = version_in_key(message.key)
        [event] = self.desk.events.get(message.case_id, gt=version - 1, lte=version)
        case = self.desk.get_case(OUTBOX, message.case_id, version=version)
        body = payload(delivery=message.key, event=event, case=case)
        try:
            self._post(hook, message.key, type(event).__name__, body)
        except DeliveryFailed as failed:
            if failed.for_good or is_parked(attempts):
                log.error("webhook delivery %s to %s parked after %s attempts: %s",
                          message.key, hook.name, attempts, failed)
                self.view.move(message.key, [SENDING], PARKED, error=str(failed))
            else:
                self.view.move(message.key, [SENDING], PENDING, error=str(failed),
                               next_attempt_at=self.clock() + retry_delay(attempts))
            return 1
        self.view.move(message.key, [SENDING], SENT, accepted_at=self.clock())
        return 1

    def _post(self, hook: Webhook, delivery: str, kind: str, body: bytes) -> None:
        timestamp = int(self.clock().timestamp())
        request = urllib.request.Request(hook.url, data=body, method="POST", headers={
            "Content-Type": "application/json", "User-Agent": "civicdesk-webhooks",
            DELIVERY_HEADER: delivery, EVENT_HEADER: kind,
            SIGNATURE_HEADER: signature(hook.secret(), timestamp, body)})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:
                answer.read(1024)
        except urllib.error.HTTPError as error:
            raise DeliveryFailed(f"the receiver answered {error.code} {error.reason}",
                                 for_good=is_refused_for_good(error.code)) from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise DeliveryFailed(f"cannot reach the receiver {hook.name}: {reason}") from None
