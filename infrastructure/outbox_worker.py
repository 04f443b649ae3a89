"""The outbox worker: sends what the outbox holds, in a thread of the elected process (one per
database, elected like the scheduler on PostgreSQL; on SQLite the one process leads): emails
here, webhook deliveries through infrastructure/webhook_delivery.py.

Each message is claimed (`sending`, attempts counted) before it is handed to the mail server,
marked `accepted` the moment the server accepts it, then recorded on its case as an outbound
email interaction at that moment (idempotent by the message key, so recorded exactly once)
and marked `sent`. After a crash or a restart the new leader first finishes every `accepted`
message (records it, sends nothing) and puts every `sending` one back to `pending`.

The at-least-once window: a crash after the mail server accepted a message and before the
`accepted` mark was committed (one local UPDATE, milliseconds) sends that message again on
restart; its Message-ID is the same, so mail clients can tell. Nothing else sends twice.

A subscriber's copy of the resolution (the customer of a duplicate merged into the case) goes
to that customer, in their language and as their contact preferences allow, naming their own
request (the duplicate's reference and status link) and without the survey link: the survey
is the surviving case's customer's to answer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from application.commands import LogInteraction, SkipNotification
from application.customers import CustomerDetails
from application.desk import IdempotencyKey, ServiceDesk, utc_now
from application.outbox import start_outbox
from application.survey_links import SurveyLinks, survey_url
from domain.cases import Case
from domain.catalogue import Desk
from domain.customers import ERASED
from domain.notices import (
    APPOINTMENT_NOTICES,
    OUTBOX,
    Notice,
    is_parked,
    language_of,
    notice_of,
    retry_delay,
    sent_summary,
    subscriber_of,
    subscriber_summary,
    version_in_key,
    why_no_confirmation,
    why_not_by_email,
    why_not_now,
)
from domain.outbox import EMAIL, WEBHOOKS
from domain.staff_alerts import STAFF_ALERT, addressee_of
from domain.webhooks import EVENT_NOTICE, webhook_of
from infrastructure.leadership import AdvisoryLock, Election
from infrastructure.mail import MailRefused, MailServer
from infrastructure.mail_templates import Appointment, Particulars, Promise, Rendered, render
from infrastructure.settings import Settings
from infrastructure.staff_alert_mail import StaffAlertSender
from infrastructure.webhook_delivery import WebhookSender
from projections.outbox import (
    ACCEPTED,
    PARKED,
    PENDING,
    SENDING,
    SENT,
    SKIPPED,
    Message,
    OutboxView,
)

log = logging.getLogger("civicdesk.outbox")
NAME = "outbox_worker"  # its advisory lock is a read model's, named so
BATCH = 50
LATE_REASON = ("the mail server accepted the message at that moment; the outbox "
               "recorded it afterwards")

# The link to the case's survey for a resolution message, in the customer's language (None: no
# link, and the message says nothing of a survey): `survey_link_for` makes it from the signed,
# expiring links of application.survey_links.
SurveyLinkFor = Callable[[Case, str], str | None]


def no_survey_link(case: Case, language: str) -> str | None:
    return None


def survey_link_for(links: SurveyLinks | None, public_url: str | None) -> SurveyLinkFor:
    """The case's survey page under the desk's public address; none without links (no master
    key) or without a public address to put them under."""
    if links is None or public_url is None:
        return no_survey_link
    return lambda case, language: survey_url(links, case, public_url, language)


class OutboxWorker:
    def __init__(self, settings: Settings, desk: ServiceDesk, view: OutboxView,
                 mail: MailServer | None, *, clock: Callable[[], datetime] = utc_now,
                 interval: float = 5.0, election_interval: float = 2.0,
                 after_accepted: Callable[[Message], None] | None = None,
                 survey_link_for: SurveyLinkFor = no_survey_link) -> None:
        self.desk, self.view, self.mail, self.clock = desk, view, mail, clock
        self.survey_link_for = survey_link_for
        self.webhooks = WebhookSender(settings.webhooks, desk, view, clock)
        self.alerts = (StaffAlertSender(desk, view, mail, clock) if mail is not None
                       else None)
        self.public_url = settings.public_url
        self.interval = interval
        # Called between the server's acceptance and the record on the case (tests crash
        # there, to show that a restart sends nothing twice).
        self.after_accepted = after_accepted
        self._recovered = False
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        lock = (AdvisoryLock(settings.database_url, settings.database_schema or "public",
                             name=NAME) if settings.database_url else None)
        self.election = Election(lock, lead=self._lead, stand_down=self._stand_down,
                                 interval=election_interval, what="the outbox worker")

    # -- one pass -----------------------------------------------------------------------------

    def run_once(self) -> int:
        """Recover after a restart (first pass only), finish accepted messages, then send what
        is due; how many messages were handed to the mail server."""
        view = self.view
        if not self._recovered:
            for message in view.in_states([SENDING], limit=10_000):
                view.move(message.key, [SENDING], PENDING,
                          error="interrupted while sending; sending again")
            self._recovered = True
        for message in view.in_states([ACCEPTED], limit=10_000):
            self._record_sent(message)
        handed = 0
        for message in view.in_states([PENDING], due_by=self.clock(), limit=BATCH,
                                      webhooks_only=self.mail is None):
            if message.notice == EVENT_NOTICE:
                handed += self.webhooks.fan_out(message)
            elif webhook_of(message.notice) is not None:
                handed += self.webhooks.deliver(message)
            elif self.alerts is not None and message.notice == STAFF_ALERT:
                handed += self.alerts.fan_out(message)
            elif self.alerts is not None and addressee_of(message.notice) is not None:
                handed += self.alerts.deliver(message)  # marked sent, not recorded on the case
            else:
                handed += self.deliver(message)
        return handed

    def deliver(self, message: Message) -> int:
        """Email the customer (or the subscriber) the message `message`, or record on the case
        why not."""
        view, mail = self.view, self.mail
        assert mail is not None
        case = self.desk.get_case(OUTBOX, message.case_id)
        subscriber = subscriber_of(message.notice)
        if subscriber is not None and subscriber not in case.subscribers:
            # The duplicate was the case's own customer's: the case's own notice reaches them.
            view.move(message.key, [PENDING], SKIPPED,
                      error="the case's own customer, who gets the case's own notice")
            return 0
        customer = self.desk.customers.details(subscriber or case.customer_id)
        notice = notice_of(message.notice)
        reason = self._why_not(case, customer, notice, message)
        if reason is not None:
            self.desk.handle(OUTBOX, SkipNotification(
                case_id=case.id, notice=message.notice, message_key=message.key,
                reason=reason), IdempotencyKey(f"skip {message.key}", message.key))
            view.move(message.key, [PENDING], SKIPPED, error=reason)
            return 0
        attempts = message.attempts + 1
        if not view.move(message.key, [PENDING], SENDING,
                         attempts=attempts):
            return 0  # another pass claimed it
        email = mail.message(message.key, customer.fields["email"].strip(),
                                  self._rendered(case, customer, message))
        try:
            mail.send(email)
        except MailRefused as refused:
            now = self.clock()
            if is_parked(attempts):
                log.error("outbox message %s parked after %s attempts: %s", message.key,
                          attempts, refused)
                view.move(message.key, [SENDING], PARKED,
                          error=str(refused))
            else:
                view.move(message.key, [SENDING], PENDING,
                          next_attempt_at=now + retry_delay(attempts), error=str(refused))
            return 1
        accepted = self.clock()
        view.move(message.key, [SENDING], ACCEPTED,
                  accepted_at=accepted)
        if self.after_accepted is not None:
            self.after_accepted(message)
        self._record_sent(Message(**{**message.__dict__, "state": ACCEPTED,
                                     "accepted_at": accepted}))
        return 1

    def _why_not(self, case: Case, customer: CustomerDetails, notice: Notice,
                 message: Message) -> str | None:
        if notice in APPOINTMENT_NOTICES:
            then = self.desk.get_case(OUTBOX, case.id, version=version_in_key(message.key))
            confirmed = then.appointment["starts_at"] if then.appointment else None
            return why_no_confirmation(confirmed, case.appointment, self.clock()) or (
                why_not_by_email(customer.fields.get("email"), customer.preferred_contact,
                                 erased=customer.status == ERASED))
        acknowledge = case.targets.get("acknowledge")
        acknowledged = case.acknowledged_at is not None or (
            acknowledge is not None and acknowledge.met_at is not None)
        return why_not_now(notice, acknowledged=acknowledged,
                           resolved=case.resolved_at is not None) or why_not_by_email(
            customer.fields.get("email"), customer.preferred_contact,
            erased=customer.status == ERASED)

    def _own_request(self, case: Case, subscriber: UUID) -> Case:
        """The subscriber's own request: the first duplicate of theirs merged into `case`."""
        event: Any
        for event in self.desk.events.get(case.id):
            if type(event).__name__ == "DuplicateMerged" and event.customer_id == subscriber:
                return self.desk.get_case(OUTBOX, event.duplicate)
        return case  # not reached: a subscriber came from a merged duplicate

    def _rendered(self, case: Case, customer: CustomerDetails, message: Message) -> Rendered:
        notice = notice_of(message.notice)
        subscriber = subscriber_of(message.notice)
        language = language_of(customer.language)
        # A subscriber is told about their own request, by its reference and status link.
        named = case if subscriber is None else self._own_request(case, subscriber)
        link = (f"{self.public_url}/status/{named.reference}?token={named.public_token}"
                if self.public_url and named.public_token else None)
        promises = sorted((Promise(kind=target.name, due_at=target.due_at)
                           for target in case.targets.values()
                           if target.met_at is None and target.breached_at is None),
                          key=lambda promise: promise.due_at)
        # The case as the causing event left it: the department it went to, when resolved.
        then = self.desk.get_case(OUTBOX, case.id, version=version_in_key(message.key))
        department = self.desk.find_department(then.department)
        appointment = (self._appointment(then, version_in_key(message.key),
                                         moved=notice == Notice.APPOINTMENT_CHANGE)
                       if notice in APPOINTMENT_NOTICES else None)
        particulars = Particulars(
            reference=named.reference, status_link=link, promises=tuple(promises),
            department=department.name if department is not None else then.department,
            resolved_at=then.resolved_at,
            survey_link=(self.survey_link_for(case, language)
                         if notice == Notice.RESOLUTION and subscriber is None else None),
            appointment=appointment)
        return render(notice, language, particulars)

    def _appointment(self, then: Case, version: int, *, moved: bool) -> Appointment | None:
        """The appointment as the booking (or the move) at `version` left it, with its desk's
        name and time zone on that day, and if `moved`, the time it was moved from."""
        booked = then.appointment
        if booked is None:
            return None
        found = self.desk.find(Desk.create_id(booked["desk"]))
        desk = found if isinstance(found, Desk) else None
        day = booked["starts_at"].astimezone(ZoneInfo(desk.hours.timezone)).date() if desk \
            else None
        before = (self.desk.get_case(OUTBOX, then.id, version=version - 1).appointment
                  if moved else None)
        moved_from = (before["starts_at"] if before and before["state"] == "booked"
                      and before["starts_at"] != booked["starts_at"] else None)
        return Appointment(
            starts_at=booked["starts_at"], ends_at=booked["ends_at"],
            timezone=desk.hours_on(day).timezone if desk and day else "America/Toronto",
            desk=desk.name if desk else booked["desk"], mode=booked["mode"],
            meeting_link=booked["meeting_link"], previous_starts_at=moved_from)

    def _record_sent(self, message: Message) -> None:
        """Record `message` on its case as an outbound email when the server accepted it;
        the message key is the idempotency key, so a second attempt records nothing."""
        assert message.accepted_at is not None
        summary = (subscriber_summary(message.key) if subscriber_of(message.notice)
                   else sent_summary(Notice(message.notice), message.key))
        self.desk.handle(OUTBOX, LogInteraction(
            case_id=message.case_id, channel="email", direction="outbound",
            summary=summary,
            occurred_at=message.accepted_at, late_entry_reason=LATE_REASON),
            IdempotencyKey(f"sent {message.key}", message.key))
        self.view.move(message.key, [ACCEPTED], SENT)

    # -- the thread -----------------------------------------------------------------------------

    def _run(self, stopping: threading.Event) -> None:
        while True:
            try:
                self.run_once()
            except Exception:
                log.exception("the outbox worker failed a pass; trying again")
            if stopping.wait(self.interval):
                return

    def _lead(self) -> None:
        self._recovered = False
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(self._stopping,), daemon=True,
                                        name="outbox-worker")
        self._thread.start()

    def _stand_down(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
            self._thread = None

    def start(self) -> None:
        # Before any election: events recorded from now on owe messages on the channels this
        # server has, older ones none.
        start_outbox(self.desk, [channel for channel, configured in (
            (EMAIL, self.mail is not None), (WEBHOOKS, bool(self.webhooks.webhooks)))
            if configured])
        self.election.start()

    def stop(self) -> None:
        self.election.stop()
        self._stand_down()
