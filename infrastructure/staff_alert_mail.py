"""Emailing alerts to staff from the outbox (the worker's thread, infrastructure/outbox_worker.py).

An alert event's row (`staff_alert`) fans out into one message per addressee the domain's rule
names (domain.inbox `alert_addressees`: the case's assignee and its department's manager as
they stood when the alert was recorded), keyed by the event and the addressee, so each is owed
and sent once. A department addressee, or a person with no staff directory entry, is skipped
with the reason the admin outbox listing shows. A sent alert is marked sent in the outbox and
recorded as its own fact (`StaffAlertSent`), nowhere on the case: it is not an interaction
with the customer, and must not meet the target it warns about. A message whose fact exists
(a rebuilt outbox fanning the alert out again) is marked sent without sending. The window of
a second send is a crash between the server's acceptance and the fact (as for customers'
messages: the same Message-ID). Work addresses are never logged."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
from typing import Any

from eventsourcing.persistence import IntegrityError, RecordConflictError

from application.desk import ServiceDesk
from application.staff_directory import entry_of
from domain.catalogue import Department
from domain.inbox import AddresseeKind, alert_addressees
from domain.notices import OUTBOX, is_parked, language_of, message_key, retry_delay, version_in_key
from domain.staff_alerts import (
    ALERT_KINDS,
    StaffAlertSent,
    addressee_of,
    recipient_notice,
    why_not_emailed,
)
from infrastructure.mail import MailRefused, MailServer
from infrastructure.staff_alert_templates import render_alert
from projections.outbox import PARKED, PENDING, SENDING, SENT, SKIPPED, Message, OutboxView

log = logging.getLogger("civicdesk.outbox")


class StaffAlertSender:
    def __init__(self, desk: ServiceDesk, view: OutboxView, mail: MailServer,
                 clock: Callable[[], datetime]) -> None:
        self.desk, self.view, self.mail, self.clock = desk, view, mail, clock

    def _alert(self, message: Message) -> Any:
        version = version_in_key(message.key)
        [event] = self.desk.events.get(message.case_id, gt=version - 1, lte=version)
        return event

    def _manager_then(self, code: str, at: datetime) -> str | None:
        """The department's manager as named when the alert was recorded (at `at`)."""
        found = self.desk.find_department(code)
        if found is None:
            return None
        manager: str | None = None
        event: Any
        for event in self.desk.events.get(Department.create_id(code)):
            if event.timestamp > at:
                break
            if type(event).__name__ == "ManagerNamed":
                manager = event.manager
        return manager

    def fan_out(self, message: Message) -> int:
        """One message per addressee of the alert `message` is the row of; the row is sent."""
        alert = self._alert(message)
        then = self.desk.get_case(OUTBOX, message.case_id, version=alert.originator_version)
        addressees = alert_addressees(then.assignee, then.department,
                                      self._manager_then(then.department, alert.timestamp))
        for addressee in addressees:
            notice = recipient_notice(addressee)
            self.view.add(message_key(message.case_id, alert.originator_version, notice),
                          message.case_id, notice, message.created_at)
        self.view.move(message.key, [PENDING], SENT, accepted_at=self.clock())
        return 0

    def deliver(self, message: Message) -> int:
        """Email the alert to its addressee, or skip it saying why; 1 if handed to the server."""
        addressee = addressee_of(message.notice)
        assert addressee is not None
        entry = (entry_of(self.desk, addressee.id) if addressee.kind == AddresseeKind.PERSON
                 else None)
        reason = why_not_emailed(addressee, entry.work_email if entry else None)
        if reason is not None or entry is None or entry.work_email is None:
            self.view.move(message.key, [PENDING], SKIPPED, error=reason)
            return 0
        if StaffAlertSent.create_id(message.key) in self.desk.repository:
            self.view.move(message.key, [PENDING], SENT, error="sent before (its fact is in "
                           "the log)")
            return 0
        attempts = message.attempts + 1
        if not self.view.move(message.key, [PENDING], SENDING, attempts=attempts):
            return 0  # another pass claimed it
        alert = self._alert(message)
        then = self.desk.get_case(OUTBOX, message.case_id, version=alert.originator_version)
        rendered = render_alert(ALERT_KINDS[type(alert).__name__], language_of(entry.language),
                                reference=then.reference, target=alert.target,
                                due_at=alert.due_at)
        try:
            self.mail.send(self.mail.message(message.key, entry.work_email, rendered))
        except MailRefused as refused:
            if is_parked(attempts):
                log.error("outbox staff alert %s parked after %s attempts: %s", message.key,
                          attempts, refused)
                self.view.move(message.key, [SENDING], PARKED, error=str(refused))
            else:
                self.view.move(message.key, [SENDING], PENDING, error=str(refused),
                               next_attempt_at=self.clock() + retry_delay(attempts))
            return 1
        sent_at = self.clock()
        with suppress(RecordConflictError, IntegrityError):  # recorded already: made once
            self.desk.save(StaffAlertSent(message_key=message.key, case_id=message.case_id,
                                          staff_id=addressee.id, sent_at=sent_at))
        self.view.move(message.key, [SENDING], SENT, accepted_at=sent_at)
        return 1
