"""Alerts emailed to staff through the outbox: which outbox messages an alert owes, to whom,
and why one is not sent. Whom an alert reaches is domain.inbox's rule (`alert_addressees`),
written once; here only what email adds: a person with a staff directory entry gets an email,
a department (no one in particular) or a person without an entry does not.

A sent alert is not an interaction with the customer: it is marked sent in the outbox and
recorded as its own fact (`StaffAlertSent`), nowhere on the case, so it never meets the target
it warns about; the fact keeps a rebuilt outbox from sending it again."""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.inbox import Addressee, AddresseeKind, ItemKind

# The outbox row of an alert event: it fans out into one message per addressee,
# `staff_alert:person:<staff id>` or `staff_alert:department:<code>`.
STAFF_ALERT = "staff_alert"
ALERT_KINDS = {"TargetAtRisk": ItemKind.AT_RISK, "DeadlineMissed": ItemKind.DEADLINE_MISSED}


def recipient_notice(addressee: Addressee) -> str:
    return f"{STAFF_ALERT}:{addressee.key}"


def addressee_of(notice: str) -> Addressee | None:
    """The addressee a staff alert message is for (None: not a staff alert message)."""
    kind, _, rest = notice.partition(":")
    if kind != STAFF_ALERT or not rest:
        return None
    which, _, name = rest.partition(":")
    try:
        return Addressee(AddresseeKind(which), name)
    except ValueError:
        return None


def why_not_emailed(addressee: Addressee, work_email: str | None) -> str | None:
    """Why the alert is not emailed to `addressee` (None: email it to `work_email`)."""
    if addressee.kind == AddresseeKind.DEPARTMENT:
        return (f"addressed to department {addressee.id}, not a person (no manager named or "
                "no assignee): the department's inbox has the alert")
    if not work_email:
        return f"{addressee.id} has no staff directory entry: the inbox has the alert"
    return None


class StaffAlertSent(Aggregate):
    """One alert message accepted by the mail server: made once per message key, never
    changed, so no aggregate grows with the alerts sent and a second record conflicts."""

    @staticmethod
    def create_id(message_key: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"https://civicdesk.example/staff-alerts/sent/{message_key}")

    @event("Recorded")
    def __init__(self, message_key: str, case_id: UUID, staff_id: str,
                 sent_at: datetime) -> None:
        self.message_key = message_key
        self.case_id = case_id
        self.staff_id = staff_id
        self.sent_at = sent_at
