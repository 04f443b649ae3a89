"""The outbox: every message the desk owes a customer, and how far its delivery has got.

Events decide which messages exist (one per causing event: its key is unique, so a replayed
or doubled event never makes a second one) and which are already sent or skipped (the case's
log says so: the outbound interaction of a sent message names its key, `NotificationSkipped`
says why one was not sent). The mail worker (infrastructure/outbox_worker.py) keeps the
delivery state of the rest: `pending` -> `sending` -> `accepted` (the mail server took it) ->
`sent` (recorded on the case), or back to `pending` with a later `next_attempt_at` after a
failure, or `parked` with the reason after repeated failures; an administrator's
`NotificationRequeued` puts a parked one back to `pending`.

The cut-off: no email is owed for an event recorded before the outbox's email channel opened,
and no webhook delivery for one before its webhooks channel opened (`Outbox.ChannelOpened`,
domain/outbox.py), so the backlog of a desk that switches either on is not sent.

Reminders: an appointment booked or moved owes, besides its confirmation, a reminder that is
due the business day before it (`reminder_due`, domain/notices.py): its row waits, `pending`
with that `next_attempt_at`, until the worker's clock reaches it; the worker skips it if the
appointment was cancelled or moved again meanwhile (the new time owes its own reminder).

Staff alerts: a target recorded at risk or a deadline recorded missed owes a `staff_alert` row
(on the email channel), which the worker fans out into one message per person the alert
reaches (infrastructure/staff_alert_mail.py); those are marked sent here only, never recorded
on the case.

Subscribers: the customers of duplicates merged into a case (`Case.DuplicateMerged`) are kept
per case (`outbox_subscribers`); a message owed to them too (the resolution,
`owed_to_subscribers`) makes one more message per subscriber, keyed by the event and the
subscriber, so each is owed, sent and recorded once like the customer's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import singledispatch
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from domain.cases import Case
from domain.notices import (
    OUTBOX,
    Notice,
    key_in_summary,
    message_key,
    owed_to_subscribers,
    owes_reminder,
    owes_transfer_notice,
    reminder_due,
    subscriber_notice,
    version_in_key,
)
from domain.outbox import EMAIL, WEBHOOKS, Outbox
from domain.staff_alerts import STAFF_ALERT
from domain.webhooks import EVENT_NOTICE, SHARED_EVENTS, WEBHOOK_NOTICE
from engine import PostgresView, ProjectionSpec, SQLiteView

NAME = "outbox"
PENDING, SENDING, ACCEPTED, SENT = "pending", "sending", "accepted", "sent"
SKIPPED, PARKED = "skipped", "parked"
STATES = (PENDING, SENDING, ACCEPTED, SENT, SKIPPED, PARKED)


@dataclass(frozen=True)
class Message:
    key: str
    case_id: UUID
    notice: str
    state: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    accepted_at: datetime | None
    last_error: str | None


@dataclass(frozen=True)
class Change:
    """A new message (`new`), a message the log says is `state` (sent or skipped), a parked
    message to try again (`requeue`), or the outbox's start (`start`)."""

    key: str
    case_id: UUID | None
    notice: str = ""
    new: bool = False
    state: str = PENDING
    at: datetime | None = None
    reason: str | None = None
    requeue: bool = False
    opens: str | None = None  # the outbox channel this change opens
    subscriber: UUID | None = None  # a customer who subscribes to the case
    due: datetime | None = None  # when a new message is to be sent (None: at once)


class OutboxProjection(Projection["OutboxView"]):
    name = NAME
    topics = ()

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.apply(tracking, changes_of(domain_event))

    def process_batch(self, batch: Sequence[tuple[Any, Tracking]]) -> None:
        self.view.apply(batch[-1][1], [c for event, _ in batch for c in changes_of(event)])


def changes_of(event: Any) -> list[Change]:
    """The message `event` owes the customer, if any, and, for an event shared with the Town's
    systems, the row its webhook deliveries fan out from (infrastructure/webhook_delivery.py)."""
    changes = [c for c in [change_of(event), reminder_of(event)] if c]
    if isinstance(event, Case.Event) and type(event).__name__ in SHARED_EVENTS:
        key = message_key(event.originator_id, event.originator_version, EVENT_NOTICE)
        changes.append(Change(key, event.originator_id, EVENT_NOTICE, new=True,
                              at=getattr(event, "occurred_at", None) or event.timestamp))
    return changes


@singledispatch
def change_of(event: Any) -> Change | None:
    return None


def _owed(event: Any, notice: Notice) -> Change:
    key = message_key(event.originator_id, event.originator_version, notice)
    return Change(key, event.originator_id, notice.value, new=True, at=event.occurred_at)


@change_of.register(Case.Received)
def _received(event: Any) -> Change | None:
    if event.source_system is not None:
        return None  # imported from another system: acknowledged there, long ago
    return _owed(event, Notice.ACKNOWLEDGEMENT)


@change_of.register(Case.InterimResponseSent)
def _interim(event: Any) -> Change:
    return _owed(event, Notice.INTERIM_RESPONSE)


@change_of.register(Case.Transferred)
def _transferred(event: Any) -> Change | None:
    return (_owed(event, Notice.TRANSFER) if owes_transfer_notice(event.customer_informed)
            else None)


@change_of.register(Case.Resolved)
def _resolved(event: Any) -> Change:
    return _owed(event, Notice.RESOLUTION)


@change_of.register(Case.AppointmentBooked)
def _booked(event: Any) -> Change:
    return _owed(event, Notice.APPOINTMENT)


@change_of.register(Case.AppointmentRescheduled)
def _rescheduled(event: Any) -> Change:
    return _owed(event, Notice.APPOINTMENT_CHANGE)


def reminder_of(event: Any) -> Change | None:
    """An appointment booked or moved owes a reminder the business day before it, due then."""
    if not isinstance(event, Case.AppointmentBooked | Case.AppointmentRescheduled):
        return None
    due = reminder_due(date.fromisoformat(event.day), event.starts_at)
    if not owes_reminder(due, event.occurred_at):
        return None
    owed = _owed(event, Notice.APPOINTMENT_REMINDER)
    return Change(owed.key, owed.case_id, owed.notice, new=True, at=owed.at, due=due)


@change_of.register(Case.TargetAtRisk)
@change_of.register(Case.DeadlineMissed)
def _alert(event: Any) -> Change:
    # The row the staff alert emails fan out from (infrastructure/staff_alert_mail.py).
    key = message_key(event.originator_id, event.originator_version, STAFF_ALERT)
    return Change(key, event.originator_id, STAFF_ALERT, new=True, at=event.occurred_at)


@change_of.register(Case.DuplicateMerged)
def _subscribed(event: Any) -> Change | None:
    # The survivor's own customer is on the list too when the duplicate was theirs; the
    # worker sends only to the case's `subscribers` (the domain's rule), skipping the rest.
    if event.customer_id is None:
        return None
    return Change("", event.originator_id, at=event.occurred_at, subscriber=event.customer_id)


@change_of.register(Case.NotificationRequeued)
def _requeued(event: Any) -> Change:
    return Change(event.message_key, event.originator_id, state=PENDING, at=event.occurred_at,
                  requeue=True)


@change_of.register(Outbox.ChannelOpened)
def _opened(event: Any) -> Change:
    return Change("", None, at=event.occurred_at, opens=event.channel)


@change_of.register(Case.InteractionLogged)
def _interaction(event: Any) -> Change | None:
    key = key_in_summary(event.summary) if event.actor_id == OUTBOX.id else None
    return Change(key, event.originator_id, state=SENT, at=event.occurred_at) if key else None


@change_of.register(Case.NotificationSkipped)
def _skipped(event: Any) -> Change:
    return Change(event.message_key, event.originator_id, state=SKIPPED, at=event.occurred_at,
                  reason=event.reason)


class OutboxView:
    """The view's SQL, mixed into a dialect base (`SQLiteView` or `PostgresView`)."""

    name = NAME

    def view_statements(self) -> list[str]:
        table = self.table(NAME)
        return [
            f"CREATE TABLE IF NOT EXISTS {table} (message_key TEXT PRIMARY KEY, "
            f"case_id {self.uuid_type} NOT NULL, notice TEXT NOT NULL, state TEXT NOT NULL, "
            f"attempts INTEGER NOT NULL, created_at {self.time_type} NOT NULL, "
            f"next_attempt_at {self.time_type} NOT NULL, accepted_at {self.time_type}, "
            "last_error TEXT)",
            f"CREATE INDEX IF NOT EXISTS {self.table(NAME + '_due')} "
            f"ON {table} (state, next_attempt_at)",
            f"CREATE TABLE IF NOT EXISTS {self.table(NAME + '_start')} "
            f"(channel TEXT PRIMARY KEY, opened_at {self.time_type} NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {self.table(NAME + '_subscribers')} "
            f"(case_id {self.uuid_type} NOT NULL, customer_id {self.uuid_type} NOT NULL, "
            "PRIMARY KEY (case_id, customer_id))",
        ]

    def _insert(self, cursor: Any, key: str, case_id: UUID, notice: str, at: Any,
                due: Any = None) -> None:
        mark = self.placeholder
        cursor.execute(
            f"INSERT INTO {self.table(NAME)} (message_key, case_id, notice, state, attempts, "
            f"created_at, next_attempt_at) VALUES ({mark}, {mark}, {mark}, "
            f"{mark}, 0, {mark}, {mark}) ON CONFLICT (message_key) DO NOTHING",
            [key, self.id_in(case_id), notice, PENDING, at, at if due is None else due])

    def _owe_subscribers(self, cursor: Any, change: Change, at: Any) -> None:
        """One copy of `change`'s message for each subscriber of its case."""
        assert change.case_id is not None
        cursor.execute(f"SELECT customer_id FROM {self.table(NAME + '_subscribers')} "
                       f"WHERE case_id = {self.placeholder} ORDER BY customer_id",
                       [self.id_in(change.case_id)])
        version = version_in_key(change.key)
        for row in cursor.fetchall():
            notice = subscriber_notice(self.id_out(row["customer_id"]))
            self._insert(cursor, message_key(change.case_id, version, notice),
                         change.case_id, notice, at)

    def open_channels(self, cursor: Any) -> set[str]:
        cursor.execute(f"SELECT channel FROM {self.table(NAME + '_start')}")
        return {str(row["channel"]) for row in cursor.fetchall()}

    def apply(self, tracking: Tracking, changes: list[Change]) -> None:
        mark = self.placeholder
        with self.writing(tracking) as cursor:
            table = self.table(NAME)
            channels = self.open_channels(cursor) if changes else set()
            for change in changes:
                at = self.time_in(change.at) if change.at else None
                if change.opens is not None:
                    if change.opens not in channels:
                        cursor.execute(f"INSERT INTO {self.table(NAME + '_start')} "
                                       f"(channel, opened_at) VALUES ({mark}, {mark})",
                                       [change.opens, at])
                    channels.add(change.opens)
                elif change.subscriber is not None:
                    assert change.case_id is not None
                    cursor.execute(
                        f"INSERT INTO {self.table(NAME + '_subscribers')} (case_id, "
                        f"customer_id) VALUES ({mark}, {mark}) ON CONFLICT DO NOTHING",
                        [self.id_in(change.case_id), self.id_in(change.subscriber)])
                elif change.requeue:
                    cursor.execute(f"UPDATE {table} SET state = {mark}, attempts = 0, "
                                   f"next_attempt_at = {mark}, last_error = NULL "
                                   f"WHERE message_key = {mark} AND state = {mark}",
                                   [PENDING, at, change.key, PARKED])
                elif change.new:
                    channel = WEBHOOKS if change.notice == EVENT_NOTICE else EMAIL
                    if channel not in channels or change.case_id is None:
                        continue  # recorded before its channel opened: owes no message
                    self._insert(cursor, change.key, change.case_id, change.notice, at,
                                 self.time_in(change.due) if change.due else None)
                    if owed_to_subscribers(change.notice):
                        self._owe_subscribers(cursor, change, at)
                else:
                    cursor.execute(f"UPDATE {table} SET state = {mark}, accepted_at = "
                                   f"COALESCE(accepted_at, {mark}), last_error = {mark} "
                                   f"WHERE message_key = {mark}",
                                   [change.state, at if change.state == SENT else None,
                                    change.reason, change.key])

    # -- the worker's side: delivery state, untracked -----------------------------------------

    def _row(self, row: Any) -> Message:
        accepted = row["accepted_at"]
        return Message(key=row["message_key"], case_id=self.id_out(row["case_id"]),
                       notice=row["notice"], state=row["state"], attempts=int(row["attempts"]),
                       created_at=self.time_out(row["created_at"]),
                       next_attempt_at=self.time_out(row["next_attempt_at"]),
                       accepted_at=self.time_out(accepted) if accepted is not None else None,
                       last_error=row["last_error"])

    def in_states(self, states: Sequence[str], *, due_by: datetime | None = None,
                  limit: int = 100, after: str = "", order_by_key: bool = False,
                  webhooks_only: bool = False) -> list[Message]:
        """Messages in `states` (due by `due_by`, if given) after key `after`, oldest first
        (by key, for a paged listing, if `order_by_key`); only the webhooks' if
        `webhooks_only` (a desk with webhooks and no mail server)."""
        mark = self.placeholder
        marks = ", ".join(mark for _ in states)
        where, params = f"state IN ({marks}) AND message_key > {mark}", [*states, after]
        if webhooks_only:
            where += f" AND (notice = {mark} OR notice LIKE {mark})"
            params += [EVENT_NOTICE, f"{WEBHOOK_NOTICE}:%"]
        if due_by is not None:
            where += f" AND next_attempt_at <= {mark}"
            params.append(self.time_in(due_by))
        with self.reading() as cursor:
            cursor.execute(f"SELECT * FROM {self.table(NAME)} WHERE {where} "
                           f"ORDER BY {'' if order_by_key else 'created_at, '}message_key "
                           f"LIMIT {int(limit)}", params)
            return [self._row(row) for row in cursor.fetchall()]

    def state_of(self, key: str) -> tuple[UUID, str] | None:
        """The case and delivery state of message `key` (None: no such message)."""
        with self.reading() as cursor:
            cursor.execute(f"SELECT case_id, state FROM {self.table(NAME)} "
                           f"WHERE message_key = {self.placeholder}", [key])
            rows = cursor.fetchall()
        return (self.id_out(rows[0]["case_id"]), str(rows[0]["state"])) if rows else None

    def every(self, limit: int = 100, after: str = "") -> list[Message]:
        """Every message in key order after `after` (the admin listing's page)."""
        mark = self.placeholder
        with self.reading() as cursor:
            cursor.execute(f"SELECT * FROM {self.table(NAME)} WHERE message_key > {mark} "
                           f"ORDER BY message_key LIMIT {int(limit)}", [after])
            return [self._row(row) for row in cursor.fetchall()]

    def add(self, key: str, case_id: UUID, notice: str, at: datetime) -> None:
        """A message the worker made (a webhook delivery fanned out from its event's row),
        due at `at`; nothing if it exists."""
        mark = self.placeholder
        with self.updating() as cursor:
            cursor.execute(
                f"INSERT INTO {self.table(NAME)} (message_key, case_id, notice, state, "
                f"attempts, created_at, next_attempt_at) VALUES ({mark}, {mark}, {mark}, "
                f"{mark}, 0, {mark}, {mark}) ON CONFLICT (message_key) DO NOTHING",
                [key, self.id_in(case_id), notice, PENDING, self.time_in(at), self.time_in(at)])

    def move(self, key: str, from_states: Sequence[str], to_state: str, *,
             attempts: int | None = None, next_attempt_at: datetime | None = None,
             accepted_at: datetime | None = None, error: str | None = None) -> bool:
        """Move message `key` to `to_state` if it is in one of `from_states` (a compare and
        set: of two workers, only one claims a message); whether it moved."""
        mark = self.placeholder
        sets, params = [f"state = {mark}", f"last_error = {mark}"], [to_state, error]
        if attempts is not None:
            sets.append(f"attempts = {mark}")
            params.append(attempts)
        if next_attempt_at is not None:
            sets.append(f"next_attempt_at = {mark}")
            params.append(self.time_in(next_attempt_at))
        if accepted_at is not None:
            sets.append(f"accepted_at = {mark}")
            params.append(self.time_in(accepted_at))
        marks = ", ".join(mark for _ in from_states)
        with self.updating() as cursor:
            cursor.execute(f"UPDATE {self.table(NAME)} SET {', '.join(sets)} "
                           f"WHERE message_key = {mark} AND state IN ({marks}) "
                           "RETURNING message_key", [*params, key, *from_states])
            return bool(cursor.fetchall())


class SQLiteOutboxView(OutboxView, SQLiteView):
    pass


class PostgresOutboxView(OutboxView, PostgresView):
    # A message marked accepted must survive a database crash: the mail server has it.
    synchronous_commit = True


OUTBOX_MODEL = ProjectionSpec(projection=OutboxProjection, sqlite_view=SQLiteOutboxView,
                              postgres_view=PostgresOutboxView)
