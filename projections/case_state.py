"""A case's whole state as bytes and back, exactly: what the case snapshots read model stores.

A snapshot must give back the very `Case` a replay of its events gives (the case view and the
accountability report are computed from it and must not differ by a byte), and decoding one
must cost far less than replaying its events. So the state is msgspec JSON decoded against a
typed schema: `Target` is decoded as the dataclass it is (every field of it, whatever fields
it gains), every datetime keeps its own UTC offset (a replay keeps the offset each event was
recorded with), and the dicts of the case's lists are typed by the keys they hold.

The schema (`CaseState`) names every attribute of a case. `encode` refuses a case with an
attribute, or a list entry with a key, that the schema does not know (`UnknownCaseState`), so
a new attribute fails loudly (in the round-trip test and in the read model) instead of being
silently dropped from snapshots: add it to `CaseState` (and to the entry types) with `Case`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NotRequired, TypedDict
from uuid import UUID

import msgspec

from domain.cases import Case
from domain.targets import Target


class UnknownCaseState(ValueError):
    """A case holds state the snapshot schema does not name: it cannot be stored exactly."""


# "from" is a keyword: the functional form.
EscalationEntry = TypedDict("EscalationEntry", {"from": str, "to": str, "reason": str,
                                                "owner": str, "at": datetime}, total=False)
TransferEntry = TypedDict("TransferEntry", {"from": str, "to": str, "warm": bool,
                                            "customer_informed": bool, "at": datetime},
                          total=False)


class DebriefEntry(TypedDict, total=False):
    cause: str
    actions: str
    edi_findings: str
    accessibility_findings: str
    at: datetime


class AccommodationEntry(TypedDict, total=False):
    number: int
    need: str
    requested_at: datetime
    provided_at: datetime | None
    how: str | None
    not_made_at: datetime | None
    reason: str | None
    alternative: str | None


class SurveyEntry(TypedDict, total=False):
    csat: int | None
    nps: int | None
    ces: int | None
    at: datetime
    superseded: list[str]


# Every attribute of a `Case`, by the name it has in the case's `__dict__` (the aggregate's own
# `_id`, `_version`, `_created_on` and `_modified_on` included): decoded, it is that dict.
class PublicNoteEntry(TypedDict, total=False):
    note: str
    at: datetime


class AttachmentEntry(TypedDict, total=False):
    number: int
    name: str
    media_type: str
    size: int
    sha256: str
    stored_sha256: str
    sealed_for: str | None
    source: str
    added_at: datetime
    added_by: str


class LateEntry(TypedDict, total=False):
    fact: str
    fact_version: int
    targets: list[str]
    missed_due_at: dict[str, datetime]
    department: str
    reason: str
    occurred_at: datetime


class InternalNoteEntry(TypedDict, total=False):
    number: int
    note: str
    mention_people: list[str]
    mention_departments: list[str]
    at: datetime
    by: str


class CaseState(TypedDict):
    _id: UUID
    _version: int
    _created_on: datetime
    _modified_on: datetime
    reference: str
    desk: str | None
    public_token: str | None
    channel: str
    received_at: datetime
    purpose: str
    service_code: str | None
    department: str
    subject: str
    description: str
    # The customer's details live in the customer record, sealed (domain.customers).
    customer_id: UUID | None
    recorded_by: str
    status: str
    assignee: str | None
    classification: str | None
    escalation_level: str | None
    escalations: list[EscalationEntry]
    debrief: DebriefEntry | None
    acknowledged_at: datetime | None
    interim_response_at: datetime | None
    resolved_at: datetime | None
    resolved_at_first_contact: bool
    resolution: str | None
    closed_at: datetime | None
    transfers: list[TransferEntry]
    interactions: int
    effort_minutes: int
    accommodations: list[AccommodationEntry]
    surveys: list[SurveyEntry]
    targets: dict[str, Target]
    met_facts: dict[str, datetime]
    standards_version: int | None
    # Set on the case only once a note is published, a fact entered late or a file attached
    # (the class holds the empty defaults).
    public_notes: NotRequired[tuple[PublicNoteEntry, ...]]
    late_entries: NotRequired[tuple[LateEntry, ...]]
    attachments: NotRequired[tuple[AttachmentEntry, ...]]
    # Set only on a case merged into another, or holding merged duplicates (domain.cases).
    merged_into: NotRequired[str | None]
    merged_from: NotRequired[tuple[str, ...]]
    subscribers: NotRequired[tuple[UUID, ...]]
    # Set once a staff note is added, or a target recorded at risk (domain.cases).
    internal_notes: NotRequired[tuple[InternalNoteEntry, ...]]
    at_risk_recorded: NotRequired[tuple[tuple[str, datetime], ...]]


_FIELDS = frozenset(CaseState.__annotations__)
_ENTRY_KEYS: dict[str, frozenset[str]] = {
    "escalations": frozenset(EscalationEntry.__annotations__),
    "transfers": frozenset(TransferEntry.__annotations__),
    "accommodations": frozenset(AccommodationEntry.__annotations__),
    "surveys": frozenset(SurveyEntry.__annotations__),
    "public_notes": frozenset(PublicNoteEntry.__annotations__),
    "late_entries": frozenset(LateEntry.__annotations__),
    "attachments": frozenset(AttachmentEntry.__annotations__),
    "internal_notes": frozenset(InternalNoteEntry.__annotations__),
}
_DEBRIEF_KEYS = frozenset(DebriefEntry.__annotations__)
_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(CaseState)
_waits_decoder = msgspec.json.Decoder(dict[str, int])


def _check_known(state: dict[str, Any]) -> None:
    unknown = set(state) - _FIELDS - {"_pending_events"}
    if unknown:
        raise UnknownCaseState(f"a case has attributes the snapshot schema does not name: "
                               f"{sorted(unknown)} (add them to projections.case_state)")
    for name, keys in _ENTRY_KEYS.items():
        for entry in state.get(name, ()):
            if not keys.issuperset(entry):
                raise UnknownCaseState(f"a case's {name} entry has keys the snapshot schema "
                                       f"does not name: {sorted(set(entry) - keys)}")
    debrief = state.get("debrief")
    if debrief is not None and not _DEBRIEF_KEYS.issuperset(debrief):
        raise UnknownCaseState(f"a case's debrief has keys the snapshot schema does not "
                               f"name: {sorted(set(debrief) - _DEBRIEF_KEYS)}")


def encode(case: Case) -> bytes:
    """The case's whole state. Raises UnknownCaseState for state the schema does not name."""
    state = case.__dict__
    _check_known(state)
    return _encoder.encode({name: value for name, value in state.items()
                            if name != "_pending_events"})


def decode(data: bytes | str | memoryview) -> Case:
    """The case whose state `encode` gave, as a replay of its events gives it."""
    state = _decoder.decode(bytes(data) if isinstance(data, memoryview) else data)
    case: Case = object.__new__(Case)
    case.__dict__.update(state)
    case.__dict__["_pending_events"] = []
    return case


def waits_encode(waits: dict[str, int]) -> str:
    return _encoder.encode(waits).decode()


def waits_decode(data: str) -> dict[str, int]:
    return _waits_decoder.decode(data)
