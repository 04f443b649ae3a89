"""Staff inboxes: who gets an item for what, and an item marked read.

An inbox item is addressed to a person (a staff id) or to a department (everyone acting for it
sees it). Items come from facts on cases: a note mentioning someone, a target that became at
risk, a deadline missed. The rules deciding the addressees are here, once; the inbox read model
(projections/inbox.py) stores what they decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

INBOX_NAMESPACE = uuid5(NAMESPACE_URL, "https://civicdesk.example/inbox")


class ItemKind(StrEnum):
    MENTION = "mention"
    AT_RISK = "at_risk"
    DEADLINE_MISSED = "deadline_missed"


class AddresseeKind(StrEnum):
    PERSON = "person"
    DEPARTMENT = "department"


@dataclass(frozen=True, order=True)
class Addressee:
    kind: AddresseeKind
    id: str

    @property
    def key(self) -> str:
        """As stored: `person:<staff id>` or `department:<code>`."""
        return f"{self.kind.value}:{self.id}"


def person(staff_id: str) -> Addressee:
    return Addressee(AddresseeKind.PERSON, staff_id)


def department(code: str) -> Addressee:
    return Addressee(AddresseeKind.DEPARTMENT, code)


def mention_addressees(people: tuple[str, ...], departments: tuple[str, ...],
                       author: str) -> list[Addressee]:
    """Whom a note's mentions reach: each person and department named, once; not its author,
    who wrote it."""
    found = [person(p) for p in people if p != author] + [department(d) for d in departments]
    return list(dict.fromkeys(found))


def alert_addressees(assignee: str | None, owner: str, manager: str | None) -> list[Addressee]:
    """Whom an alert about a case's target reaches: its assignee, and the manager of the
    department owning it; a department with no manager named gets the alert in its own inbox
    (so someone who acts for it sees it), and so does an unassigned case's department."""
    found: list[Addressee] = []
    if assignee:
        found.append(person(assignee))
    if manager:
        found.append(person(manager))
    if not assignee or not manager:
        found.append(department(owner))
    return list(dict.fromkeys(found))


def item_id(case_id: UUID, case_version: int, addressee: Addressee) -> UUID:
    """One item per fact and addressee: a replayed fact makes the same item again."""
    return uuid5(INBOX_NAMESPACE, f"{case_id}/{case_version}/{addressee.key}")


class InboxItemRead(Aggregate):
    """One reader having read one inbox item: made once, never changed, so marking an item
    read twice records nothing new and no aggregate grows with a person's reading."""

    @staticmethod
    def create_id(item: UUID, reader: str) -> UUID:
        return uuid5(INBOX_NAMESPACE, f"read/{item}/{reader}")

    @event("Marked")
    def __init__(self, item: UUID, reader: str, read_at: datetime) -> None:
        self.item = item
        self.reader = reader
        self.read_at = read_at
