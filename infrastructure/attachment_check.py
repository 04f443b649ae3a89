"""`civicdesk verify`'s check of the attachment file store: every file an `AttachmentAdded`
event names is still there, and its bytes still hash to what the event recorded (the log's
chain and checkpoints cover the events, so a file changed, replaced or deleted behind the
desk's back is found here, by case reference and attachment number)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from application.attachments import FileStore
from application.desk import ServiceDesk
from domain.cases import Case

ADDED_TOPIC = f"{get_topic(Case)}.AttachmentAdded"
PAGE = 1_000


@dataclass
class AttachmentVerdict:
    files: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_attachments(desk: ServiceDesk, store: FileStore) -> AttachmentVerdict:
    """Every recorded attachment against the store. Needs no key: a sealed file is checked by
    the hash of what is stored, which the event also holds."""
    verdict, start = AttachmentVerdict(), 1
    references: dict[UUID, str] = {}
    while True:
        page = desk.recorder.select_notifications(start, PAGE, topics=[ADDED_TOPIC])
        for notification in page:
            added = desk.mapper.to_domain_event(StoredEvent(
                originator_id=notification.originator_id,
                originator_version=notification.originator_version,
                topic=notification.topic, state=notification.state))
            assert isinstance(added, Case.Event)
            verdict.files += 1
            case_id = UUID(str(notification.originator_id))
            if case_id not in references:
                references[case_id] = desk.repository.get(case_id, version=1).reference
            digest: str = added.stored_sha256  # type: ignore[attr-defined]
            stored = store.get(digest)
            where = (f"attachment {added.number} of {references[case_id]} "  # type: ignore[attr-defined]
                     f"(position {notification.id})")
            if stored is None:
                verdict.problems.append(f"{where}: the file is missing from the store")
            elif hashlib.sha256(stored).hexdigest() != digest:
                verdict.problems.append(f"{where}: the stored bytes no longer match the "
                                        f"recorded SHA-256 {digest}")
        if len(page) < PAGE:
            return verdict
        start = page[-1].id + 1
