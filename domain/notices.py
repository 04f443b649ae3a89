"""Messages the desk sends customers by itself: who may be written to, in which language, how
often a failed delivery is tried again, and how a sent message is named in the case's log.

Pure rules: the outbox read model (projections/outbox.py) and the mail worker
(infrastructure/outbox_worker.py) both follow them, so each rule is written once, here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.actors import Actor, Role
from domain.calendar import BusinessCalendar

# The actor the outbox records its facts as (sent interactions, skipped messages).
OUTBOX = Actor(id="civicdesk-outbox", role=Role.SYSTEM)


class Notice(StrEnum):
    ACKNOWLEDGEMENT = "acknowledgement"
    INTERIM_RESPONSE = "interim_response"  # staff recorded an interim response
    TRANSFER = "transfer"  # another department owns the case now
    RESOLUTION = "resolution"
    APPOINTMENT = "appointment"  # an appointment was booked: when, where, how
    APPOINTMENT_CHANGE = "appointment_change"  # it was moved to another time
    APPOINTMENT_REMINDER = "appointment_reminder"  # the business day before it


# How a sent message is named in the case's log (its outbound interaction).
SENT_WORDS = {Notice.ACKNOWLEDGEMENT: "Acknowledgement",
              Notice.INTERIM_RESPONSE: "Interim response",
              Notice.TRANSFER: "Transfer notice", Notice.RESOLUTION: "Resolution notice",
              Notice.APPOINTMENT: "Appointment confirmation",
              Notice.APPOINTMENT_CHANGE: "Appointment change",
              Notice.APPOINTMENT_REMINDER: "Appointment reminder"}


class Language(StrEnum):
    ENGLISH = "en"
    FRENCH = "fr"


# A failed delivery is tried again after 1, 2, 4, 8 minutes...; after MAX_ATTEMPTS failures the
# message is parked with its last reason for an administrator (the mail server is refusing it).
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
MAX_ATTEMPTS = 5

PREFERRED_WAYS = {"phone": "by telephone", "mail": "by post", "in_person": "in person"}
_MARK = re.compile(r"\[outbox ([A-Za-z0-9:/._-]+)\]$")


def message_key(case_id: object, version: int, notice: Notice | str) -> str:
    """The message's unique key: the event that caused it (its case and version) and what it
    is, so the same event never makes a second message."""
    return f"{case_id}/{version}/{notice}"


def version_in_key(key: str) -> int:
    """The version of the event that caused message `key` (see `message_key`)."""
    return int(key.split("/")[1])


def retry_delay(failures: int) -> timedelta:
    """How long to wait after the `failures`-th failed attempt (doubling, at most an hour)."""
    doubled: timedelta = FIRST_RETRY * (2 ** max(failures - 1, 0))
    return min(doubled, LONGEST_RETRY)


def is_parked(failures: int) -> bool:
    return failures >= MAX_ATTEMPTS


def why_not_by_email(email: str | None, preferred_contact: str | None, *,
                     erased: bool = False) -> str | None:
    """Why the customer cannot be written to by email (None: they can). A customer who named
    another way to be contacted asked for that way, not for email. Consent to be contacted is
    not asked for: an acknowledgement answers the customer's own request (a transactional
    message), not an invitation they did not seek."""
    if erased:
        return "the customer's record was erased"
    if preferred_contact and preferred_contact != "email":
        way = PREFERRED_WAYS.get(preferred_contact, f"by {preferred_contact.replace('_', ' ')}")
        return f"the customer asked to be contacted {way}, not by email"
    if not (email or "").strip():
        return "the customer gave no email address"
    return None


def owes_transfer_notice(customer_informed: bool) -> bool:
    """Whether the customer is emailed about a transfer to another department: yes, unless
    the staff who transferred it recorded that they told the customer themselves (a warm
    hand-over on the telephone, say): the customer should know who now owns their request."""
    return not customer_informed


def why_not_now(notice: Notice, *, acknowledged: bool, resolved: bool) -> str | None:
    """Why a message that was owed is no longer worth sending when its turn comes (None: send
    it). An acknowledgement is pointless once the customer was answered; an update about
    progress (interim response, transfer) is overtaken by the resolution, which says more; a
    resolution reopened before its notice went out is not resolved."""
    if notice == Notice.ACKNOWLEDGEMENT and (acknowledged or resolved):
        return "the customer was already answered before the acknowledgement was sent"
    if notice in (Notice.INTERIM_RESPONSE, Notice.TRANSFER) and resolved:
        return "the request was resolved before this update was sent; the resolution says more"
    if notice == Notice.RESOLUTION and not resolved:
        return "the request was reopened before the resolution notice was sent"
    return None


APPOINTMENT_NOTICES = (Notice.APPOINTMENT, Notice.APPOINTMENT_CHANGE,
                       Notice.APPOINTMENT_REMINDER)
# The days a reminder skips: weekends and Ontario's statutory holidays. The outbox knows no
# desk's own closures or hours (they are other aggregates' events): a reminder due on a day
# the Town closed is still sent that day, which harms no one.
_REMINDER_DAYS = BusinessCalendar()


def reminder_due(day: date, starts_at: datetime) -> datetime:
    """When the customer is reminded of an appointment at `starts_at` on the desk's local
    `day`: at the same time of day on the business day before (a Monday's on the Friday). The
    same inputs always give the same time, so a rebuilt outbox agrees."""
    before = day - timedelta(days=1)
    for _ in range(30):  # no month without a business day; bounded all the same
        if _REMINDER_DAYS.is_business_day(before):
            break
        before -= timedelta(days=1)
    # The wall-clock time in the Town's zone, so a change to or from daylight saving time in
    # between does not move it by an hour (every Cobourg desk keeps the Town's zone).
    zone = ZoneInfo(_REMINDER_DAYS.hours.timezone)
    local = starts_at.astimezone(zone)
    return datetime.combine(before, local.time(), tzinfo=zone).astimezone(UTC)


def owes_reminder(due: datetime, booked_at: datetime) -> bool:
    """Whether a booking (or a move) recorded at `booked_at` owes a reminder due at `due`:
    not when it was made after that moment (its confirmation arrives closer to the day than
    a reminder would)."""
    return due > booked_at


def why_no_confirmation(confirmed_start: datetime | None, current: Mapping[str, Any] | None,
                        now: datetime) -> str | None:
    """Why an appointment's message (the confirmation of the booking or of a new time, or
    the reminder) that was owed is no longer worth sending (None: send it): the appointment
    was cancelled, or moved again (the later time has its own messages), or has begun."""
    if current is None or confirmed_start is None or current.get("state") == "cancelled":
        return "the appointment was cancelled before this message was sent"
    if current.get("starts_at") != confirmed_start:
        return ("the appointment was moved again before this message was sent; the later "
                "one says when")
    if current.get("state") != "booked" or confirmed_start <= now:  # attended, no-show
        return "the appointment had begun before this message was sent"
    return None


def language_of(language: str | None) -> Language:
    """The customer's language where known (English or French), else English."""
    if language and language.lower().startswith("fr"):
        return Language.FRENCH
    return Language.ENGLISH


def sent_summary(notice: Notice, key: str) -> str:
    """The summary of the outbound interaction a sent message is recorded as; it ends with
    the message's key, so a rebuilt outbox knows the message was sent."""
    return f"{SENT_WORDS[notice]} emailed to the customer [outbox {key}]"


# The notice of the resolution emailed to a subscriber of the case (the customer of a duplicate
# merged into it, domain.cases `DuplicateMerged`): "subscriber_resolution:<customer id>". Only
# the resolution reaches subscribers: the survivor's interim updates and transfers are its own
# customer's business, and its survey is its own customer's to answer.
SUBSCRIBER_NOTICE = "subscriber_resolution"


def owed_to_subscribers(notice: Notice | str) -> bool:
    """Whether the case's subscribers get a copy of `notice` (the resolution only)."""
    return notice == Notice.RESOLUTION


def subscriber_notice(customer_id: UUID) -> str:
    return f"{SUBSCRIBER_NOTICE}:{customer_id}"


def subscriber_of(notice: str) -> UUID | None:
    """The subscriber a message with `notice` is for (None: the case's own customer, or a
    webhook)."""
    kind, _, customer = notice.partition(":")
    if kind != SUBSCRIBER_NOTICE or not customer:
        return None
    try:
        return UUID(customer)
    except ValueError:
        return None


def notice_of(notice: str) -> Notice:
    """What a customer's message says: a subscriber's copy says what the resolution says."""
    return Notice.RESOLUTION if subscriber_of(notice) is not None else Notice(notice)


def subscriber_summary(key: str) -> str:
    """The outbound interaction a resolution emailed to a subscriber is recorded as (on the
    surviving case; it ends with the key, as `sent_summary`)."""
    return (f"{SENT_WORDS[Notice.RESOLUTION]} emailed to a subscriber (the customer of a "
            f"merged duplicate) [outbox {key}]")


def key_in_summary(summary: str) -> str | None:
    match = _MARK.search(summary)
    return match[1] if match else None
