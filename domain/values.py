"""Value vocabularies of the desk: channels, purposes, statuses, escalation levels, scores."""

from __future__ import annotations

from datetime import datetime
from enum import Enum, StrEnum
from typing import TypeVar

from domain.errors import InvalidValue


class Channel(StrEnum):
    TELEPHONE = "telephone"
    MISSED_CALL = "missed_call"
    VOICEMAIL = "voicemail"
    EMAIL = "email"
    SOCIAL_MEDIA = "social_media"
    WEB_FORM = "web_form"
    WRITTEN = "written"
    IN_PERSON = "in_person"
    VIRTUAL_MEETING = "virtual_meeting"


class Purpose(StrEnum):
    """The customer's purpose for interacting (the strategy's section 4 inventory)."""

    INFORMATION = "information"
    ISSUE_OR_COMPLAINT = "issue_or_complaint"
    PAYMENT = "payment"
    APPROVAL = "approval"
    TANGIBLE_SERVICE = "tangible_service"
    CONSULTATION = "consultation"


class Status(StrEnum):
    OPEN = "open"
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Classification(StrEnum):
    COMPLAINT = "complaint"
    FEEDBACK = "feedback"


class EscalationLevel(StrEnum):
    """The complaint ladder of recommendation 1D, climbed one rung at a time."""

    FRONT_LINE = "front_line"
    DEPARTMENT_MANAGER = "department_manager"
    DIRECTOR = "director"
    CAO = "cao"
    OMBUDSMAN = "ombudsman"

    @property
    def rung(self) -> int:
        return list(EscalationLevel).index(self)

    def next(self) -> EscalationLevel | None:
        ladder = list(EscalationLevel)
        return ladder[self.rung + 1] if self.rung + 1 < len(ladder) else None


E = TypeVar("E", bound=Enum)

SURVEY_RANGES = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7)}


def parse_enum(kind: type[E], value: str, field: str) -> E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(str(member.value) for member in kind)
        raise InvalidValue(f"{field} must be one of: {allowed}; got {value!r}", field) from None


def check_aware(moment: datetime, field: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidValue(f"{field} must include a time zone offset", field)


def check_survey_score(name: str, score: int | None) -> None:
    if score is None:
        return
    low, high = SURVEY_RANGES[name]
    if not low <= score <= high:
        raise InvalidValue(f"{name} must be between {low} and {high}; got {score}", name)
