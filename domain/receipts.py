"""A receipt for a request sent with an Idempotency-Key: the retry returns the first answer."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

RECEIPT_NAMESPACE = uuid5(NAMESPACE_URL, "https://civicdesk.example/receipts")


class CommandReceipt(Aggregate):
    """Saved in the same transaction as the command's events, so a key is used exactly once."""

    @staticmethod
    def create_id(actor_id: str, key: str) -> UUID:
        return uuid5(RECEIPT_NAMESPACE, f"{actor_id}\x00{key}")

    @event("Issued")
    def __init__(self, actor_id: str, key: str, fingerprint: str, subject_id: UUID,
                 subject_version: int, status_code: int) -> None:
        self.actor_id = actor_id
        self.key = key
        self.fingerprint = fingerprint
        self.subject_id = subject_id
        self.subject_version = subject_version
        self.status_code = status_code
