"""Who works a department's cases (its team, kept by an administrator) and who is away
(absence cover): what auto-assignment needs to know about staff."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.actors import Actor
from domain.errors import InvalidValue, RuleViolated

TEAMS_NAMESPACE = uuid5(NAMESPACE_URL, "https://civicdesk.example/teams")
MAX_MEMBERS = 200


class Team(Aggregate):
    """A department's team: the staff, in order, among whom its cases are auto-assigned."""

    @staticmethod
    def create_id(department: str) -> UUID:
        return uuid5(TEAMS_NAMESPACE, f"team:{department}")

    @classmethod
    def form(cls, *, department: str) -> Team:
        return cls(department=department)

    @event("Formed")
    def __init__(self, department: str) -> None:
        self.department = department
        self.members: tuple[str, ...] = ()

    def set_members(self, members: Sequence[str], *, actor: Actor) -> None:
        """Raises InvalidValue (`members[i]`) for a blank or repeated member."""
        if len(members) > MAX_MEMBERS:
            raise InvalidValue(f"at most {MAX_MEMBERS} members", "members")
        for index, member in enumerate(members):
            if not member.strip() or len(member) > 200:
                raise InvalidValue("a member is a staff id of 1-200 characters",
                                   f"members[{index}]")
            if member in members[:index]:
                raise InvalidValue(f"{member!r} is listed twice", f"members[{index}]")
        self._members_set(members=list(members), actor_id=actor.id,
                          actor_role=actor.role.value)

    @event("MembersSet")
    def _members_set(self, members: list[str], actor_id: str, actor_role: str) -> None:
        self.members = tuple(members)


class StaffAvailability(Aggregate):
    """Whether one member of staff is away (absence cover): auto-assignment skips them.
    They, or an administrator, mark it; each change is an event with who and why."""

    @staticmethod
    def create_id(staff_id: str) -> UUID:
        return uuid5(TEAMS_NAMESPACE, f"staff:{staff_id}")

    @classmethod
    def begin(cls, *, staff_id: str) -> StaffAvailability:
        if not staff_id.strip() or len(staff_id) > 200:
            raise InvalidValue("a staff id is 1-200 characters", "staff_id")
        return cls(staff_id=staff_id)

    @event("Begun")
    def __init__(self, staff_id: str) -> None:
        self.staff_id = staff_id
        self.away = False
        self.reason = ""

    def mark_away(self, *, reason: str, actor: Actor) -> None:
        if self.away:
            raise RuleViolated(f"{self.staff_id} is already marked away", "staff_id")
        if not reason.strip():
            raise InvalidValue("say why (leave, training, ...)", "reason")
        self._marked_away(reason=reason, actor_id=actor.id, actor_role=actor.role.value)

    @event("MarkedAway")
    def _marked_away(self, reason: str, actor_id: str, actor_role: str) -> None:
        self.away = True
        self.reason = reason

    def mark_back(self, *, actor: Actor) -> None:
        if not self.away:
            raise RuleViolated(f"{self.staff_id} is not marked away", "staff_id")
        self._marked_back(actor_id=actor.id, actor_role=actor.role.value)

    @event("MarkedBack")
    def _marked_back(self, actor_id: str, actor_role: str) -> None:
        self.away = False
        self.reason = ""
