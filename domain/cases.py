"""The `Case` aggregate: one customer matter and every immutable thing that happens to it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.actors import Actor
from domain.appointments import AppointmentState, Mode, Slot, check_meeting_link
from domain.attachments import ACCEPTED_TYPES, Attachment, check_digest, clean_name
from domain.calendar import BusinessCalendar
from domain.case_status import CHANGES, status_after
from domain.closures import DeskCalendars
from domain.errors import (
    CaseIsClosed,
    CaseMerged,
    InvalidValue,
    NotAComplaint,
    NotFound,
    RuleViolated,
)
from domain.internal_notes import check_mentions, check_note
from domain.references import imported_reference
from domain.routing import RoutingDecision
from domain.standards import ServiceStandard, TargetKind
from domain.surveys import (
    SURVEY_LINK,
    GivenBy,
    check_answerable,
    check_link,
    link_expiry,
    record_answer,
    standing_scores,
)
from domain.targets import (
    MET_BY,
    Target,
    measured_wait,
    meets,
    overturns_recorded_miss,
    pause,
    plan,
    replan,
    resume,
    timed_on,
    wait_as_measured,
)
from domain.values import (
    Channel,
    Classification,
    Direction,
    EscalationLevel,
    Purpose,
    Status,
    check_aware,
    check_survey_score,
    parse_enum,
)

MAX_BACKDATING = timedelta(days=366)
CASE_NAMESPACE = uuid5(NAMESPACE_URL, "https://civicdesk.example/cases")
RESTARTED_BY_REOPENING = {TargetKind.RESPOND.value, TargetKind.RESOLVE.value,
                          TargetKind.INTERIM_RESPONSE.value}
WAIT_TARGETS = {TargetKind.ANSWER_WAIT.value, TargetKind.SERVE_WAIT.value}
WAIT_TIMED_CHANNELS = {Channel.TELEPHONE.value, Channel.IN_PERSON.value}


def _who(actor: Actor) -> dict[str, str]:
    return {"actor_id": actor.id, "actor_role": actor.role.value}


def _required(value: str, field: str) -> str:
    if not value.strip():
        raise InvalidValue(f"{field} must not be empty", field)
    return value


class Case(Aggregate):
    """A customer matter. Public methods check the desk's rules, then record one event."""

    class Received(Aggregate.Created):
        """Version 2 added `desk`, the service desk the case was received at (None: received
        before desks were recorded, so the central desk's hours). Version 3 added
        `public_token`, the unguessable secret that, with the reference, shows the case's
        public status (None: received before tokens were issued; no public status page).
        Version 4 replaced the customer's `contact` and `accessibility_needs`, held in clear,
        by `customer_id`: the customer record holds them, sealed (domain.customers). Older
        events read as if no customer was recorded: their clear text is not carried forward.
        Version 5 added `source_system`, `source_id` and `imported_at`: a case imported from
        another system (`Case.import_past`) names it, its id there and when it was imported
        (its targets' clocks start then); None for a case received at the desk."""

        reference: str
        channel: str
        occurred_at: datetime
        purpose: str
        service_code: str | None
        department: str
        subject: str
        description: str
        customer_id: UUID | None
        actor_id: str
        actor_role: str
        desk: str | None
        public_token: str | None
        source_system: str | None
        source_id: str | None
        imported_at: datetime | None
        class_version = 5

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["desk"] = None

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state["public_token"] = None

        @staticmethod
        def upcast_v3_v4(state: dict[str, Any]) -> None:
            state.pop("contact", None)
            state.pop("accessibility_needs", None)
            state["customer_id"] = None

        @staticmethod
        def upcast_v4_v5(state: dict[str, Any]) -> None:
            state.update(source_system=None, source_id=None, imported_at=None)

    @staticmethod
    def create_id(reference: str) -> UUID:
        """Derived from the reference, so a reference finds its case without an index."""
        return uuid5(CASE_NAMESPACE, reference)

    @classmethod
    def receive(cls, *, reference: str, channel: str, occurred_at: datetime, purpose: str,
                service_code: str | None, department: str, subject: str, description: str,
                customer_id: UUID | None, actor: Actor, now: datetime, desk: str | None = None,
                public_token: str | None = None) -> Case:
        """Record a new contact at `desk` (its code; None: no desk recorded, the central one's
        hours). A letter's Received stamp may be earlier than its entry. `public_token` is
        made by the caller (the domain draws no randomness)."""
        parse_enum(Channel, channel, "channel")
        parse_enum(Purpose, purpose, "purpose")
        check_aware(occurred_at, "received_at")
        if occurred_at > now:
            raise InvalidValue("received_at must not be in the future", "received_at")
        if occurred_at < now - MAX_BACKDATING:
            raise InvalidValue("received_at may be at most a year in the past: older "
                               "correspondence is entered with the date it is entered",
                               "received_at")
        return cls(reference=reference, channel=channel, occurred_at=occurred_at,
                   purpose=purpose, service_code=service_code, department=department,
                   subject=_required(subject, "subject"), description=description,
                   customer_id=customer_id, desk=desk, public_token=public_token,
                   source_system=None, source_id=None, imported_at=None,
                   actor_id=actor.id, actor_role=actor.role.value)

    @classmethod
    def import_past(cls, *, source_system: str, source_id: str, channel: str,
                    occurred_at: datetime, purpose: str, service_code: str | None,
                    department: str, subject: str, description: str, actor: Actor,
                    now: datetime) -> Case:
        """A case received by another system (`source_system`, where it is `source_id`),
        brought over as it was: received when it was received there (any time before now;
        no limit on backdating, unlike `receive`), recorded now, and numbered by its source
        (`imported_reference`, so importing it again finds it)."""
        parse_enum(Channel, channel, "channel")
        parse_enum(Purpose, purpose, "purpose")
        check_aware(occurred_at, "received_at")
        if occurred_at > now:
            raise InvalidValue("received_at must not be in the future", "received_at")
        return cls(reference=imported_reference(source_system, source_id), channel=channel,
                   occurred_at=occurred_at, purpose=purpose, service_code=service_code,
                   department=department, subject=_required(subject, "subject"),
                   description=description, customer_id=None, desk=None, public_token=None,
                   source_system=source_system,
                   source_id=source_id, imported_at=now, actor_id=actor.id,
                   actor_role=actor.role.value)

    # Set only on an imported case (the class holds the defaults of every other one).
    source_system: str | None = None
    source_id: str | None = None
    imported_at: datetime | None = None

    @property
    def imported(self) -> bool:
        return self.source_system is not None

    @property
    def clocks_start(self) -> datetime:
        """When the standards' clocks start: at receipt, or at import for an imported case
        (a promise is not broken before the desk held the case)."""
        return self.imported_at or self.received_at

    @event(Received)
    def __init__(
        self,
        *,
        reference: str,
        channel: str,
        occurred_at: datetime,
        purpose: str,
        service_code: str | None,
        department: str,
        subject: str,
        description: str,
        customer_id: UUID | None,
        actor_id: str,
        actor_role: str,
        desk: str | None = None,
        public_token: str | None = None,
        source_system: str | None = None,
        source_id: str | None = None,
        imported_at: datetime | None = None,
    ) -> None:
        self.reference = reference
        if source_system is not None:
            self.source_system = source_system
            self.source_id = source_id
            self.imported_at = imported_at
        self.desk = desk
        self.public_token = public_token
        self.channel = channel
        self.received_at = occurred_at
        self.purpose = purpose
        self.service_code = service_code
        self.department = department
        self.subject = subject
        self.description = description
        self.customer_id = customer_id
        self.recorded_by = actor_id
        self.status = status_after("", "Received")
        self.assignee: str | None = None
        self.classification: str | None = None
        self.escalation_level: str | None = None
        self.escalations: list[dict[str, Any]] = []
        self.debrief: dict[str, Any] | None = None
        self.acknowledged_at: datetime | None = None
        self.interim_response_at: datetime | None = None
        self.resolved_at: datetime | None = None
        self.resolved_at_first_contact = False
        self.resolution: str | None = None
        self.closed_at: datetime | None = None
        self.transfers: list[dict[str, Any]] = []
        self.interactions = 0
        self.effort_minutes = 0
        self.accommodations: list[dict[str, Any]] = []
        # Every answer, oldest first, with the kinds a later answer superseded (domain.surveys).
        self.surveys: list[dict[str, Any]] = []
        self.targets: dict[str, Target] = {}
        # When each fact that meets targets first happened, for targets planned afterwards.
        self.met_facts: dict[str, datetime] = {}
        self.standards_version: int | None = None

    # -- checks shared by the commands -------------------------------------------------------

    def check_when(self, occurred_at: datetime, now: datetime) -> None:
        check_aware(occurred_at, "occurred_at")
        if occurred_at > now:
            raise InvalidValue("occurred_at must not be in the future", "occurred_at")
        if occurred_at < self.received_at:
            raise InvalidValue("occurred_at must not be before the case was received",
                               "occurred_at")

    def check_not_closed(self) -> None:
        if self.status == Status.CLOSED.value:
            raise CaseIsClosed(f"case {self.reference} is closed; reopen it first")

    def check_complaint(self) -> None:
        if self.classification != Classification.COMPLAINT.value:
            raise NotAComplaint(f"case {self.reference} is not classified as a complaint")

    @property
    def is_escalated(self) -> bool:
        return bool(self.escalations)

    # -- commands -----------------------------------------------------------------------------

    def log_interaction(self, *, channel: str, direction: str, summary: str,
                        effort_minutes: int, wait_seconds: int | None, actor: Actor,
                        occurred_at: datetime, now: datetime,
                        late_entry_reason: str = "",
                        article_ids: tuple[UUID, ...] = ()) -> None:
        """`article_ids`: the knowledge base articles the interaction used (the caller
        checks each is published: domain.knowledge.Article.check_usable)."""
        self.check_when(occurred_at, now)
        if len(set(article_ids)) != len(article_ids):
            raise InvalidValue("an article is named once per interaction", "article_ids")
        if effort_minutes < 0:
            raise InvalidValue("effort_minutes must not be negative", "effort_minutes")
        if wait_seconds is not None:
            if wait_seconds < 0:
                raise InvalidValue("wait_seconds must not be negative", "wait_seconds")
            if channel not in WAIT_TIMED_CHANNELS:
                raise InvalidValue("wait_seconds is measured only for telephone and in-person "
                                   "contacts", "wait_seconds")
        parse_enum(Direction, direction, "direction")
        parse_enum(Channel, channel, "channel")
        outbound = direction == Direction.OUTBOUND.value
        overturned = self._late_entry("OutboundContact" if outbound else None, occurred_at,
                                      late_entry_reason)
        self._interaction_logged(channel=channel, direction=direction,
                                 summary=_required(summary, "summary"),
                                 effort_minutes=effort_minutes, wait_seconds=wait_seconds,
                                 occurred_at=occurred_at,
                                 article_ids=[str(a) for a in article_ids], **_who(actor))
        self._record_late_entry("OutboundContact", overturned, occurred_at, late_entry_reason,
                                actor)

    class InteractionLogged(Aggregate.Event):
        """A contact with the customer. Version 2 added `article_ids`, the knowledge base
        articles it used (as strings; none in events recorded before)."""

        channel: str
        direction: str
        summary: str
        effort_minutes: int
        wait_seconds: int | None
        occurred_at: datetime
        actor_id: str
        actor_role: str
        article_ids: list[str]
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["article_ids"] = []

    @event(InteractionLogged)
    def _interaction_logged(self, channel: str, direction: str, summary: str,
                            effort_minutes: int, wait_seconds: int | None,
                            occurred_at: datetime, actor_id: str, actor_role: str,
                            article_ids: list[str]) -> None:
        self.interactions += 1
        self.effort_minutes += effort_minutes
        if direction == Direction.OUTBOUND.value:
            self._meet("OutboundContact", occurred_at)

    def assign(self, *, assignee: str, actor: Actor, occurred_at: datetime,
               now: datetime) -> None:
        self.check_when(occurred_at, now)
        self.check_not_closed()
        if assignee == self.assignee:
            raise RuleViolated(f"case {self.reference} is already assigned to {assignee}",
                               "assignee")
        self._assigned(assignee=_required(assignee, "assignee"), occurred_at=occurred_at,
                       **_who(actor))

    @event("Assigned")
    def _assigned(self, assignee: str, occurred_at: datetime, actor_id: str,
                  actor_role: str) -> None:
        self.assignee = assignee

    def transfer(self, *, to_department: str, warm: bool, handover_note: str,
                 customer_informed: bool, actor: Actor, occurred_at: datetime,
                 now: datetime) -> None:
        self.check_when(occurred_at, now)
        self.check_not_closed()
        if to_department == self.department:
            raise RuleViolated(f"case {self.reference} is already owned by {to_department}",
                               "to_department")
        if warm and not handover_note.strip():
            raise InvalidValue("a warm transfer hands over context: handover_note is required",
                               "handover_note")
        self._transferred(from_department=self.department, to_department=to_department,
                          warm=warm, handover_note=handover_note,
                          customer_informed=customer_informed, occurred_at=occurred_at,
                          **_who(actor))

    @event("Transferred")
    def _transferred(self, from_department: str, to_department: str, warm: bool,
                     handover_note: str, customer_informed: bool, occurred_at: datetime,
                     actor_id: str, actor_role: str) -> None:
        self.department = to_department
        self.assignee = None
        self.transfers.append({"from": from_department, "to": to_department, "warm": warm,
                               "customer_informed": customer_informed, "at": occurred_at})

    def acknowledge(self, *, message: str, actor: Actor, occurred_at: datetime,
                    now: datetime, late_entry_reason: str = "") -> None:
        self.check_when(occurred_at, now)
        self.check_not_closed()
        if self.acknowledged_at is not None:
            raise RuleViolated(f"case {self.reference} was already acknowledged")
        overturned = self._late_entry("Acknowledged", occurred_at, late_entry_reason)
        self._acknowledged(message=message, occurred_at=occurred_at, **_who(actor))
        self._record_late_entry("Acknowledged", overturned, occurred_at, late_entry_reason,
                                actor)

    @event("Acknowledged")
    def _acknowledged(self, message: str, occurred_at: datetime, actor_id: str,
                      actor_role: str) -> None:
        self.acknowledged_at = occurred_at
        self._meet("Acknowledged", occurred_at)

    def send_interim_response(self, *, explanation: str, actor: Actor,
                              occurred_at: datetime, now: datetime,
                              late_entry_reason: str = "") -> None:
        self.check_when(occurred_at, now)
        self.check_not_closed()
        if self.status == Status.RESOLVED.value:
            raise RuleViolated(f"case {self.reference} is resolved; no interim response needed")
        overturned = self._late_entry("InterimResponseSent", occurred_at, late_entry_reason)
        self._interim_response_sent(explanation=_required(explanation, "explanation"),
                                    occurred_at=occurred_at, **_who(actor))
        self._record_late_entry("InterimResponseSent", overturned, occurred_at,
                                late_entry_reason, actor)

    @event("InterimResponseSent")
    def _interim_response_sent(self, explanation: str, occurred_at: datetime, actor_id: str,
                               actor_role: str) -> None:
        if self.interim_response_at is None:
            self.interim_response_at = occurred_at
        self._meet("InterimResponseSent", occurred_at)

    def wait_on_customer(self, *, reason: str, actor: Actor, occurred_at: datetime,
                         now: datetime) -> None:
        self.check_when(occurred_at, now)
        if self.status != Status.OPEN.value:
            raise RuleViolated(f"case {self.reference} is {self.status}; only an open case can "
                               "wait on the customer")
        self._waiting_on_customer(reason=_required(reason, "reason"), occurred_at=occurred_at,
                                  **_who(actor))

    @event("WaitingOnCustomer")
    def _waiting_on_customer(self, reason: str, occurred_at: datetime, actor_id: str,
                             actor_role: str) -> None:
        self.status = status_after(self.status, "WaitingOnCustomer")
        self.targets = {name: pause(t, occurred_at) for name, t in self.targets.items()}

    def record_customer_response(self, *, summary: str, actor: Actor, occurred_at: datetime,
                                 now: datetime) -> None:
        self.check_when(occurred_at, now)
        if self.status != Status.WAITING_ON_CUSTOMER.value:
            raise RuleViolated(f"case {self.reference} is not waiting on the customer")
        self._customer_responded(summary=summary, occurred_at=occurred_at, **_who(actor))

    @event("CustomerResponded")
    def _customer_responded(self, summary: str, occurred_at: datetime, actor_id: str,
                            actor_role: str) -> None:
        self.status = status_after(self.status, "CustomerResponded")

    def resolve(self, *, resolution: str, at_first_contact: bool, actor: Actor,
                occurred_at: datetime, now: datetime, late_entry_reason: str = "") -> None:
        self.check_when(occurred_at, now)
        self.check_not_closed()
        if self.status == Status.RESOLVED.value:
            raise RuleViolated(f"case {self.reference} is already resolved")
        if at_first_contact and (self.transfers or self.interactions > 1):
            raise RuleViolated("a case transferred or contacted more than once was not "
                               "resolved at first contact", "at_first_contact")
        overturned = self._late_entry("Resolved", occurred_at, late_entry_reason)
        self._resolved(resolution=_required(resolution, "resolution"),
                       at_first_contact=at_first_contact, occurred_at=occurred_at,
                       **_who(actor))
        self._record_late_entry("Resolved", overturned, occurred_at, late_entry_reason, actor)
        if self.survey_link is None and self.customer_id is not None:
            # One link per case, made at its first resolution, for the customer on record.
            # Issued with the resolution (a resolution entered late keeps its order among the
            # case's facts); valid from when it is recorded, so it is never born expired.
            self._survey_link_issued(expires_at=link_expiry(now), occurred_at=occurred_at,
                                     **_who(actor))

    @event("Resolved")
    def _resolved(self, resolution: str, at_first_contact: bool, occurred_at: datetime,
                  actor_id: str, actor_role: str) -> None:
        self.status = status_after(self.status, "Resolved")
        self.resolved_at = occurred_at
        self.resolution = resolution
        self.resolved_at_first_contact = at_first_contact
        self._meet("Resolved", occurred_at)

    def reopen(self, *, reason: str, actor: Actor, occurred_at: datetime,
               now: datetime) -> None:
        self.check_when(occurred_at, now)
        self.check_not_merged()
        if self.status not in {Status.RESOLVED.value, Status.CLOSED.value}:
            raise RuleViolated(f"case {self.reference} is {self.status}; only a resolved or "
                               "closed case can be reopened")
        self._reopened(reason=_required(reason, "reason"), occurred_at=occurred_at,
                       **_who(actor))

    @event("Reopened")
    def _reopened(self, reason: str, occurred_at: datetime, actor_id: str,
                  actor_role: str) -> None:
        self._reopened_state()
        self.status = status_after(self.status, "Reopened")

    def _reopened_state(self) -> None:
        """What reopening undoes (`domain.case_status`): the resolution and its facts."""
        self.resolved_at = None
        self.closed_at = None
        self.resolution = None
        self.resolved_at_first_contact = False
        for fact in ("Resolved", "InterimResponseSent"):
            self.met_facts.pop(fact, None)

    def close(self, *, actor: Actor, occurred_at: datetime, now: datetime) -> None:
        self.check_when(occurred_at, now)
        self.check_not_closed()
        if self.status != Status.RESOLVED.value:
            raise RuleViolated(f"case {self.reference} must be resolved before it is closed")
        self._closed(occurred_at=occurred_at, **_who(actor))

    @event("Closed")
    def _closed(self, occurred_at: datetime, actor_id: str, actor_role: str) -> None:
        self.status = status_after(self.status, "Closed")
        self.closed_at = occurred_at

    # -- duplicates merged into a surviving case ---------------------------------------------

    # Class defaults rather than lines in __init__: cases received before merging existed
    # replay to none. `merged_into` is the survivor's reference; `merged_from` the duplicates'
    # references; `subscribers` the customers of merged duplicates, who hear this case's outcome.
    merged_into: str | None = None
    merged_from: tuple[str, ...] = ()
    subscribers: tuple[UUID, ...] = ()

    def check_not_merged(self) -> None:
        if self.merged_into is not None:
            raise CaseMerged(f"case {self.reference} was merged into {self.merged_into}; "
                             "work on that case")

    def merge_into(self, survivor: Case, *, reason: str, actor: Actor, occurred_at: datetime,
                   now: datetime) -> None:
        """Close this case as a duplicate of `survivor`: this case records `MergedInto`, the
        survivor `DuplicateMerged` (save both together). The targets still undecided here are
        withdrawn, neither met nor breached: the survivor's targets are the promise now. A
        target already met or recorded missed stays as it was: that is a published fact.

        Raises InvalidValue (`into`: this case itself) and RuleViolated (either case closed
        or merged; this case already holding merged duplicates, which would make a chain)."""
        self.check_when(occurred_at, now)
        if survivor.id == self.id:
            raise InvalidValue(f"case {self.reference} cannot be merged into itself", "into")
        self.check_not_merged()
        self.check_not_closed()
        if self.merged_from:
            raise RuleViolated(f"case {self.reference} already holds the merged duplicates "
                               f"{', '.join(self.merged_from)}: merge the other case into it "
                               "instead", "into")
        if survivor.merged_into is not None:
            raise CaseMerged(f"case {survivor.reference} was itself merged into "
                             f"{survivor.merged_into}: merge into that case", "into")
        if survivor.status in (Status.RESOLVED.value, Status.CLOSED.value):
            raise RuleViolated(f"case {survivor.reference} is {survivor.status}: a duplicate "
                               "is merged into a case still being worked on", "into")
        withdrawn = sorted(name for name, target in self.targets.items()
                           if target.met_at is None and target.breached_at is None
                           and not target.not_measured)
        text = _required(reason, "reason")
        self._merged_into(into=survivor.id, into_reference=survivor.reference, reason=text,
                          withdrawn_targets=withdrawn, occurred_at=occurred_at, **_who(actor))
        survivor._duplicate_merged(duplicate=self.id, duplicate_reference=self.reference,
                                   customer_id=self.customer_id, reason=text,
                                   occurred_at=occurred_at, **_who(actor))

    @event("MergedInto")
    def _merged_into(self, into: UUID, into_reference: str, reason: str,
                     withdrawn_targets: list[str], occurred_at: datetime, actor_id: str,
                     actor_role: str) -> None:
        """Closed as a duplicate of `into_reference`; `withdrawn_targets` no longer count."""
        self.status = status_after(self.status, "MergedInto")
        self.closed_at = occurred_at
        self.merged_into = into_reference
        self.targets = {name: t for name, t in self.targets.items()
                        if name not in withdrawn_targets}

    @event("DuplicateMerged")
    def _duplicate_merged(self, duplicate: UUID, duplicate_reference: str,
                          customer_id: UUID | None, reason: str, occurred_at: datetime,
                          actor_id: str, actor_role: str) -> None:
        """The duplicate's customer (if any, and not this case's own) subscribes here."""
        self.merged_from = (*self.merged_from, duplicate_reference)
        if customer_id is not None and customer_id != self.customer_id \
                and customer_id not in self.subscribers:
            self.subscribers = (*self.subscribers, customer_id)

    def classify(self, *, classification: str, reason: str, actor: Actor,
                 occurred_at: datetime, now: datetime) -> None:
        self.check_when(occurred_at, now)
        self.check_not_closed()
        parse_enum(Classification, classification, "classification")
        if classification == self.classification:
            raise RuleViolated(f"case {self.reference} is already classified as "
                               f"{classification}", "classification")
        if self.is_escalated:
            raise RuleViolated("an escalated complaint cannot be reclassified",
                               "classification")
        self._classified(classification=classification, reason=reason,
                         occurred_at=occurred_at, **_who(actor))

    @event("Classified")
    def _classified(self, classification: str, reason: str, occurred_at: datetime,
                    actor_id: str, actor_role: str) -> None:
        self.classification = classification
        self.escalation_level = (EscalationLevel.FRONT_LINE.value
                                 if classification == Classification.COMPLAINT.value else None)

    # -- routing (domain.routing): a rule's decision, then its effects as the usual events --

    # A class default rather than a line in __init__: cases received before routing existed
    # have no priority, nor a routing decision.
    priority: str | None = None
    routed_by: dict[str, Any] | None = None  # the latest decision: its rule, version, trigger

    def route(self, decision: RoutingDecision, *, trigger: str, actor: Actor,
              occurred_at: datetime, now: datetime) -> bool:
        """Record why the rules send the case where they do (`RoutedByRule`, naming the rule
        and its version), then the transfer and assignment it makes, as those events, so
        every read model follows them. Records nothing, and says so (False), when the
        decision changes nothing about the case."""
        self.check_when(occurred_at, now)
        self.check_not_closed()
        assignee = decision.assignee
        if assignee is None and decision.department == self.department:
            assignee = self.assignee  # nobody chosen: whoever has it keeps it
        if (decision.department, assignee, decision.priority or self.priority) == \
                (self.department, self.assignee, self.priority):
            return False
        self._routed_by_rule(
            rule_id=decision.rule_id, rule_version=decision.rule_version,
            rules_version=decision.rules_version, trigger=trigger,
            department=decision.department, assignee=decision.assignee,
            assigned_by=decision.assigned_by, skipped_away=list(decision.skipped_away),
            priority=decision.priority, occurred_at=occurred_at, **_who(actor))
        if decision.department != self.department:
            self._transferred(from_department=self.department,
                              to_department=decision.department, warm=False,
                              handover_note=f"routed by rule {decision.rule_id} "
                                            f"v{decision.rule_version}",
                              customer_informed=False, occurred_at=occurred_at,
                              **_who(actor))
        if decision.assignee is not None and decision.assignee != self.assignee:
            self._assigned(assignee=decision.assignee, occurred_at=occurred_at,
                           **_who(actor))
        return True

    @event("RoutedByRule")
    def _routed_by_rule(self, rule_id: str, rule_version: int, rules_version: int,
                        trigger: str, department: str, assignee: str | None,
                        assigned_by: str | None, skipped_away: list[str],
                        priority: str | None, occurred_at: datetime, actor_id: str,
                        actor_role: str) -> None:
        if priority is not None:
            self.priority = priority
        self.routed_by = {"rule_id": rule_id, "rule_version": rule_version,
                          "rules_version": rules_version, "trigger": trigger,
                          "assigned_by": assigned_by, "at": occurred_at}

    def escalate(self, *, to_level: str, reason: str, owner: str, actor: Actor,
                 occurred_at: datetime, now: datetime) -> None:
        self.check_when(occurred_at, now)
        self.check_not_closed()
        self.check_complaint()
        current = EscalationLevel(self.escalation_level or EscalationLevel.FRONT_LINE.value)
        expected = current.next()
        if expected is None:
            raise RuleViolated("the complaint is already with the Ontario Ombudsman", "to_level")
        if to_level != expected.value:
            raise RuleViolated(f"escalation goes one level at a time: from {current.value} the "
                               f"next level is {expected.value}, not {to_level}", "to_level")
        self._complaint_escalated(from_level=current.value, to_level=to_level,
                                  reason=_required(reason, "reason"),
                                  owner=_required(owner, "owner"), occurred_at=occurred_at,
                                  **_who(actor))

    @event("ComplaintEscalated")
    def _complaint_escalated(self, from_level: str, to_level: str, reason: str, owner: str,
                             occurred_at: datetime, actor_id: str, actor_role: str) -> None:
        self.escalation_level = to_level
        self.escalations.append({"from": from_level, "to": to_level, "reason": reason,
                                 "owner": owner, "at": occurred_at})
        change = CHANGES["ComplaintEscalated"]  # may reopen (domain.case_status)
        if change.reopens(self.status):
            self._reopened_state()
        self.status = change.after(self.status)

    def debrief_complaint(self, *, cause: str, actions: str, edi_findings: str,
                          accessibility_findings: str, actor: Actor, occurred_at: datetime,
                          now: datetime) -> None:
        self.check_when(occurred_at, now)
        self.check_complaint()
        if not self.is_escalated:
            raise RuleViolated("only an escalated complaint is debriefed")
        if self.status not in {Status.RESOLVED.value, Status.CLOSED.value}:
            raise RuleViolated("a complaint is debriefed after it is resolved")
        if self.debrief is not None:
            raise RuleViolated(f"complaint {self.reference} was already debriefed")
        self._complaint_debriefed(cause=_required(cause, "cause"),
                                  actions=_required(actions, "actions"),
                                  edi_findings=edi_findings,
                                  accessibility_findings=accessibility_findings,
                                  occurred_at=occurred_at, **_who(actor))

    @event("ComplaintDebriefed")
    def _complaint_debriefed(self, cause: str, actions: str, edi_findings: str,
                             accessibility_findings: str, occurred_at: datetime,
                             actor_id: str, actor_role: str) -> None:
        self.debrief = {"cause": cause, "actions": actions, "edi_findings": edi_findings,
                        "accessibility_findings": accessibility_findings, "at": occurred_at}

    def request_accommodation(self, *, need: str, actor: Actor, occurred_at: datetime,
                              now: datetime) -> None:
        self.check_when(occurred_at, now)
        self.check_not_closed()
        self._accommodation_requested(number=len(self.accommodations) + 1,
                                      need=_required(need, "need"), occurred_at=occurred_at,
                                      **_who(actor))

    @event("AccommodationRequested")
    def _accommodation_requested(self, number: int, need: str, occurred_at: datetime,
                                 actor_id: str, actor_role: str) -> None:
        self.accommodations.append({"number": number, "need": need, "requested_at": occurred_at,
                                    "provided_at": None, "how": None, "not_made_at": None,
                                    "reason": None, "alternative": None})

    def _open_accommodation(self, number: int) -> dict[str, Any]:
        if not 1 <= number <= len(self.accommodations):
            raise InvalidValue(f"no accommodation number {number} was requested", "number")
        accommodation = self.accommodations[number - 1]
        if accommodation["provided_at"] is not None:
            raise RuleViolated(f"accommodation {number} was already provided", "number")
        return accommodation

    def provide_accommodation(self, *, number: int, how: str, actor: Actor,
                              occurred_at: datetime, now: datetime) -> None:
        """The accommodation (or the alternative offered) is provided: the request closes."""
        self.check_when(occurred_at, now)
        self._open_accommodation(number)
        self._accommodation_provided(number=number, how=_required(how, "how"),
                                     occurred_at=occurred_at, **_who(actor))

    def report_accommodation_not_made(self, *, number: int, reason: str, alternative: str,
                                      actor: Actor, occurred_at: datetime,
                                      now: datetime) -> None:
        """Section 4.2: the accommodation cannot be made at that time; the customer is told
        (`reason`) and offered an alternative solution to follow up with. The request stays
        open until something is provided."""
        self.check_when(occurred_at, now)
        accommodation = self._open_accommodation(number)
        if accommodation["not_made_at"] is not None:
            raise RuleViolated(f"accommodation {number} was already reported as not made; "
                               "provide it or the alternative offered", "number")
        self._accommodation_not_made(number=number, reason=_required(reason, "reason"),
                                     alternative=_required(alternative, "alternative"),
                                     occurred_at=occurred_at, **_who(actor))

    @event("AccommodationNotMade")
    def _accommodation_not_made(self, number: int, reason: str, alternative: str,
                                occurred_at: datetime, actor_id: str,
                                actor_role: str) -> None:
        """The customer was informed that the accommodation could not be made then, with
        why, and offered `alternative`."""
        self.accommodations[number - 1].update(not_made_at=occurred_at, reason=reason,
                                               alternative=alternative)

    @event("AccommodationProvided")
    def _accommodation_provided(self, number: int, how: str, occurred_at: datetime,
                                actor_id: str, actor_role: str) -> None:
        self.accommodations[number - 1].update(provided_at=occurred_at, how=how)

    # -- satisfaction surveys (domain.surveys) ------------------------------------------------

    # The survey link the case was given at its first resolution: when it was issued, when it
    # expires, and when the customer answered through it (None: not yet). A class default
    # rather than a line in __init__: cases resolved before links were issued replay to none.
    survey_link: dict[str, Any] | None = None

    @event("SurveyLinkIssued")
    def _survey_link_issued(self, expires_at: datetime, occurred_at: datetime, actor_id: str,
                            actor_role: str) -> None:
        """The customer's survey link was made: a link signed for this case and `expires_at`
        (application.survey_links), answered once, until then."""
        self.survey_link = {"issued_at": occurred_at, "expires_at": expires_at,
                            "answered_at": None}

    def answer_survey(self, *, csat: int | None, nps: int | None, ces: int | None,
                      comment: str, actor: Actor, occurred_at: datetime,
                      now: datetime) -> None:
        """Staff record what the customer told them (the answer is marked staff-entered)."""
        self.check_when(occurred_at, now)
        check_answerable(self.status, self.reference)
        self._check_scores(csat, nps, ces)
        self._survey_answered(csat=csat, nps=nps, ces=ces, comment=comment,
                              occurred_at=occurred_at, given_by=GivenBy.STAFF.value,
                              **_who(actor))

    def check_survey_link(self, expires_at: datetime, now: datetime) -> None:
        """Raises unless the customer may answer now through the link expiring at
        `expires_at`: SurveyLinkUnknown, SurveyLinkExpired, SurveyAlreadyAnswered or
        CaseNotResolved (reopened since)."""
        check_link(self.survey_link, expires_at, now, self.reference)
        check_answerable(self.status, self.reference)

    def answer_survey_by_link(self, *, csat: int | None, nps: int | None, ces: int | None,
                              expires_at: datetime, now: datetime) -> None:
        """The customer's own answer, through the link expiring at `expires_at` (the caller
        checked its signature): recorded once, marked customer-given."""
        self.check_survey_link(expires_at, now)
        self._check_scores(csat, nps, ces)
        self._survey_answered(csat=csat, nps=nps, ces=ces, comment="", occurred_at=now,
                              given_by=GivenBy.CUSTOMER.value, **_who(SURVEY_LINK))

    @staticmethod
    def _check_scores(csat: int | None, nps: int | None, ces: int | None) -> None:
        if csat is None and nps is None and ces is None:
            raise InvalidValue("a survey answer needs at least one of csat, nps, ces", "csat")
        for name, score in (("csat", csat), ("nps", nps), ("ces", ces)):
            check_survey_score(name, score)

    class SurveyAnswered(Aggregate.Event):
        """A satisfaction survey answer. Version 2 added `given_by`: "customer" (through the
        case's survey link) or "staff" (typed in by staff). Before version 2 every answer was
        typed in through the staff route, so a version 1 answer reads as staff-entered."""

        csat: int | None
        nps: int | None
        ces: int | None
        comment: str
        occurred_at: datetime
        actor_id: str
        actor_role: str
        given_by: str
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["given_by"] = GivenBy.STAFF.value

    @event(SurveyAnswered)
    def _survey_answered(self, csat: int | None, nps: int | None, ces: int | None,
                         comment: str, occurred_at: datetime, actor_id: str,
                         actor_role: str, given_by: str) -> None:
        record_answer(self.surveys, {"csat": csat, "nps": nps, "ces": ces}, occurred_at,
                      given_by)
        if given_by == GivenBy.CUSTOMER.value and self.survey_link is not None:
            self.survey_link = {**self.survey_link, "answered_at": occurred_at}

    @property
    def survey_scores(self) -> dict[str, int]:
        """The answer that counts per survey kind (csat, nps, ces): the latest given."""
        return standing_scores(self.surveys)

    # -- facts entered after a deadline was recorded missed ----------------------------------

    # Every such entry, oldest first (`LateEntryRecorded`). A class default rather than a line
    # in __init__: cases received before late entries were recorded replay to none.
    late_entries: tuple[dict[str, Any], ...] = ()

    def _late_entry(self, fact: str | None, occurred_at: datetime, reason: str) -> list[str]:
        """The targets the fact `fact` (a name in MET_BY; None: a fact that meets none) meets
        on time although the scheduler already recorded their deadlines missed. Such an entry
        changes published figures after the fact, so it must say why it is entered late.

        Raises InvalidValue naming `late_entry_reason` when one is needed and missing."""
        if fact is None:
            return []
        at = occurred_at.astimezone(UTC)
        overturned = sorted(name for name, target in self.targets.items()
                            if overturns_recorded_miss(target, fact, at))
        if overturned and not reason.strip():
            raise InvalidValue(
                f"this happened before the deadline of {', '.join(overturned)}, which was "
                "already recorded missed: say why it is entered late (late_entry_reason)",
                "late_entry_reason")
        return overturned

    def _record_late_entry(self, fact: str, overturned: list[str], occurred_at: datetime,
                           reason: str, actor: Actor) -> None:
        if overturned:
            self._late_entry_recorded(
                fact=fact, fact_version=self.version, targets=overturned,
                missed_due_at={name: self.targets[name].due_at for name in overturned},
                reference=self.reference, department=self.department, reason=reason.strip(),
                occurred_at=occurred_at, **_who(actor))

    @event("LateEntryRecorded")
    def _late_entry_recorded(self, fact: str, fact_version: int, targets: list[str],
                             missed_due_at: dict[str, datetime], reference: str,
                             department: str, reason: str, occurred_at: datetime,
                             actor_id: str, actor_role: str) -> None:
        """The fact recorded just before (the case's version `fact_version`) happened at
        `occurred_at`, before the deadlines of `targets` that the scheduler had already
        recorded missed: they are met on time, the recorded misses stay in the log, and this
        entry says so, with why it was entered late and the case's reference and owning
        department (so auditors list entries per department from these events alone)."""
        self.late_entries = (*self.late_entries, {
            "fact": fact, "fact_version": fact_version, "targets": list(targets),
            "missed_due_at": dict(missed_due_at), "department": department, "reason": reason,
            "occurred_at": occurred_at})

    # -- service-level targets ---------------------------------------------------------------

    def _meet(self, fact: str, at: datetime) -> None:
        self.met_facts.setdefault(fact, at.astimezone(UTC))
        self.targets = {
            name: replace(t, met_at=at.astimezone(UTC)) if meets(fact, name, t.met_at) else t
            for name, t in self.targets.items()}

    def open_targets(self) -> list[Target]:
        return [t for t in self.targets.values() if t.is_open]

    def calendar_of(self, calendars: BusinessCalendar | DeskCalendars) -> BusinessCalendar:
        """The calendar this case's targets run on: its desk's."""
        return calendars if isinstance(calendars, BusinessCalendar) else calendars.of(self.desk)

    def plan_targets(self, standards: tuple[ServiceStandard, ...], version: int,
                     calendars: BusinessCalendar | DeskCalendars, *, reason: str, actor: Actor,
                     occurred_at: datetime, restart: bool = False) -> bool:
        """Fix (or refix) the targets the standards promise for this case as it now stands.

        Business time runs on the hours of the desk the case was received at (given the
        desks' calendars) or on the one calendar given.

        Clocks start at receipt: an internal transfer does not restart the customer's wait.
        Decided targets stay as they were. A reopening (`restart`) starts the response and
        resolution clocks again from now. Records nothing if nothing changes; returns whether
        it recorded a change.
        """
        calendar = self.calendar_of(calendars)

        def planned_from(start: datetime) -> dict[str, Target]:
            return plan(standards, version, channel=self.channel, department=self.department,
                        service_code=self.service_code,
                        is_complaint=self.classification == Classification.COMPLAINT.value,
                        start=start, calendar=calendar, desk=self.desk)

        fresh, current = planned_from(self.clocks_start), self.targets
        if restart:
            fresh.update({name: target for name, target in planned_from(occurred_at).items()
                          if name in RESTARTED_BY_REOPENING})
            current = {n: t for n, t in current.items() if n not in RESTARTED_BY_REOPENING}
        if self.status == Status.WAITING_ON_CUSTOMER.value:
            fresh = {name: pause(target, occurred_at) for name, target in fresh.items()}
        targets = replan(current, fresh, calendar)
        for name, target in targets.items():
            if name not in current and target.met_at is None:
                # Planned after the fact: a complaint classified after its acknowledgement was
                # acknowledged then, not never.
                done = [at for fact, at in self.met_facts.items()
                        if name in {kind.value for kind in MET_BY[fact]}]
                if done:
                    targets[name] = replace(target, met_at=min(done))
        targets.update({n: t for n, t in self.targets.items() if n in WAIT_TARGETS})
        if targets == self.targets and self.standards_version is not None:
            return False
        self._targets_set(targets=[t.as_data() for t in targets.values()],
                          standards_version=version, reason=reason, occurred_at=occurred_at,
                          **_who(actor))
        return True

    @event("TargetsSet")
    def _targets_set(self, targets: list[dict[str, Any]], standards_version: int, reason: str,
                     occurred_at: datetime, actor_id: str, actor_role: str) -> None:
        self.targets = {t["name"]: Target.from_data(t) for t in targets}
        self.standards_version = standards_version

    def measure_wait(self, standard: ServiceStandard, version: int, *, wait_seconds: int,
                     actor: Actor, occurred_at: datetime) -> None:
        """Judge a telephone or in-person wait against its standard (once per case)."""
        planned = self.targets.get(standard.target.value)
        if planned is not None and not planned.not_measured:
            return  # judged once: the first wait recorded
        target = measured_wait(standard, version, occurred_at, wait_seconds, desk=self.desk)
        self._wait_measured(target=target.as_data(), wait_seconds=wait_seconds,
                            occurred_at=occurred_at, **_who(actor))

    class WaitMeasured(Aggregate.Event):
        """A telephone or in-person wait judged against its standard. Version 2: a wait longer
        than the standard is met late, when the wait ended; version 1 recorded it breached and
        never met, and is read as version 2 says (`domain.targets.wait_as_measured`)."""

        target: dict[str, Any]
        wait_seconds: int
        occurred_at: datetime
        actor_id: str
        actor_role: str
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            wait_as_measured(state["target"], state["wait_seconds"])

    @event(WaitMeasured)
    def _wait_measured(self, target: dict[str, Any], wait_seconds: int, occurred_at: datetime,
                       actor_id: str, actor_role: str) -> None:
        measured = Target.from_data(target)
        self.targets = {**self.targets, measured.name: measured}

    def resume_targets(self, calendars: BusinessCalendar | DeskCalendars, *, actor: Actor,
                       occurred_at: datetime) -> None:
        """Move paused targets' due times on by exactly the business time they were paused,
        each on its own desk's hours (given the desks' calendars) or on the one given."""
        def calendar(target: Target) -> BusinessCalendar:
            if isinstance(calendars, BusinessCalendar):
                return calendars
            return calendars.of(target.desk)

        resumed = {name: resume(t, occurred_at, calendar(t)) for name, t in self.targets.items()
                   if t.paused_at is not None and t.met_at is None}
        if resumed:
            self._targets_rescheduled(
                targets=[t.as_data() for t in resumed.values()],
                reason="the customer responded; paused targets resume",
                occurred_at=occurred_at,
                previous_due_at={name: self.targets[name].due_at for name in resumed},
                **_who(actor))

    def follow_calendar(self, calendars: DeskCalendars, *, cause: str, actor: Actor,
                        occurred_at: datetime) -> bool:
        """Re-plan every watched target (pending: not met, not paused, not recorded missed) on
        the calendars as now known, after a closure or an hours change (`cause` names it).

        A target whose due time the change does not cross keeps it; a missed one never moves;
        a paused one is re-planned when it resumes. Records nothing if nothing moves; returns
        whether it recorded a change.
        """
        moved: dict[str, Target] = {}
        for name, target in self.targets.items():
            if target.watched_due_at is None:
                continue
            timed = timed_on(target, calendars.of(target.desk))
            if timed.due_at != target.due_at:
                moved[name] = timed
        if not moved:
            return False
        self._targets_rescheduled(
            targets=[t.as_data() for t in moved.values()], reason=cause,
            occurred_at=occurred_at,
            previous_due_at={name: self.targets[name].due_at for name in moved},
            **_who(actor))
        return True

    class TargetsRescheduled(Aggregate.Event):
        """Targets' due times moved: by a resumption after a pause, or by a closure or an hours
        change recorded while they were pending. Version 2 added `previous_due_at`, each moved
        target's due time before (empty in events recorded before it was kept)."""

        targets: list[dict[str, Any]]
        reason: str
        occurred_at: datetime
        actor_id: str
        actor_role: str
        previous_due_at: dict[str, datetime]
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["previous_due_at"] = {}

    @event(TargetsRescheduled)
    def _targets_rescheduled(self, targets: list[dict[str, Any]], reason: str,
                             occurred_at: datetime, actor_id: str, actor_role: str,
                             previous_due_at: dict[str, datetime]) -> None:
        self.targets = {**self.targets,
                        **{t["name"]: Target.from_data(t) for t in targets}}

    def miss_deadline(self, *, target: str, due_at: datetime, now: datetime,
                      actor: Actor) -> bool:
        """Record the breach of `target` at `due_at`, if it is still unmet and still due then.

        Firing twice, late, or after a pause moved the deadline records nothing.
        """
        current = self.targets.get(target)
        if current is None or current.watched_due_at != due_at or now < due_at:
            return False
        self._deadline_missed(target=target, due_at=due_at,
                              standard_code=current.standard_code,
                              standard_version=current.standard_version, occurred_at=due_at,
                              **_who(actor))
        return True

    @event("DeadlineMissed")
    def _deadline_missed(self, target: str, due_at: datetime, standard_code: str,
                         standard_version: int, occurred_at: datetime, actor_id: str,
                         actor_role: str) -> None:
        self.targets = {**self.targets, target: replace(self.targets[target], breached_at=due_at)}

    # -- targets becoming at risk (alerts) ---------------------------------------------------

    # Each (target, at-risk instant) recorded at risk (`TargetAtRisk`). A class default rather
    # than a line in __init__: cases received before it was recorded replay to none.
    at_risk_recorded: tuple[tuple[str, datetime], ...] = ()

    def watched_at_risk_from(self, name: str) -> datetime | None:
        """The instant the scheduler should record target `name` at risk at, or None: it is
        not watched (met, paused, recorded missed, not measured), has no time at risk before
        its due time, or was already recorded at risk from that instant."""
        target = self.targets.get(name)
        if target is None or target.watched_due_at is None or target.at_risk_from is None:
            return None
        if target.at_risk_from >= target.due_at:
            return None
        if (name, target.at_risk_from) in self.at_risk_recorded:
            return None
        return target.at_risk_from

    def record_at_risk(self, *, target: str, at_risk_from: datetime, now: datetime,
                       actor: Actor) -> bool:
        """Record that `target` is at risk from `at_risk_from` (less than its standard's share
        of time left), if that is still the target's watched at-risk instant and its deadline
        has not passed (then only the miss is recorded). Firing twice, late, or after a pause
        or a re-plan moved it records nothing."""
        current = self.targets.get(target)
        if (current is None or self.watched_at_risk_from(target) != at_risk_from
                or now < at_risk_from or now >= current.due_at):
            return False
        self._target_at_risk(target=target, at_risk_from=at_risk_from, due_at=current.due_at,
                             standard_code=current.standard_code,
                             standard_version=current.standard_version,
                             occurred_at=at_risk_from, **_who(actor))
        return True

    @event("TargetAtRisk")
    def _target_at_risk(self, target: str, at_risk_from: datetime, due_at: datetime,
                        standard_code: str, standard_version: int, occurred_at: datetime,
                        actor_id: str, actor_role: str) -> None:
        """From `at_risk_from` less than the standard's share of `target`'s time was left
        before `due_at`: recorded by the scheduler then, so the alert it raises is a fact."""
        self.at_risk_recorded = (*self.at_risk_recorded, (target, at_risk_from))

    # -- internal notes (staff only) ----------------------------------------------------------

    # Notes staff write for each other, oldest first: never shown to the public. A class
    # default rather than a line in __init__: cases received before notes replay to none.
    internal_notes: tuple[dict[str, Any], ...] = ()

    def add_internal_note(self, *, note: str, mention_people: tuple[str, ...],
                          mention_departments: tuple[str, ...], actor: Actor,
                          occurred_at: datetime, now: datetime) -> None:
        """Add a note for staff, mentioning people and departments (their inboxes get it)."""
        self.check_when(occurred_at, now)
        people, departments = check_mentions(mention_people, mention_departments)
        self._internal_note_added(note=check_note(note), mention_people=list(people),
                                  mention_departments=list(departments),
                                  occurred_at=occurred_at, **_who(actor))

    @event("InternalNoteAdded")
    def _internal_note_added(self, note: str, mention_people: list[str],
                             mention_departments: list[str], occurred_at: datetime,
                             actor_id: str, actor_role: str) -> None:
        self.internal_notes = (*self.internal_notes, {
            "number": len(self.internal_notes) + 1, "note": note,
            "mention_people": list(mention_people),
            "mention_departments": list(mention_departments), "at": occurred_at,
            "by": actor_id})

    # -- what the public may read ------------------------------------------------------------

    # Notes staff publish for the public (Open311 status_notes, the status page), oldest first.
    # A class default rather than a line in __init__: cases received before notes existed
    # replay to no notes.
    public_notes: tuple[dict[str, Any], ...] = ()

    def publish_note(self, *, note: str, actor: Actor, occurred_at: datetime,
                     now: datetime) -> None:
        """Publish a note anyone may read: it must name no one, since the public sees it."""
        self.check_when(occurred_at, now)
        text = _required(note, "note").strip()
        if len(text) > PUBLIC_NOTE_LIMIT:
            raise InvalidValue(f"a public note is at most {PUBLIC_NOTE_LIMIT} characters",
                               "note")
        self._public_note_published(note=text, occurred_at=occurred_at, **_who(actor))

    @event("PublicNotePublished")
    def _public_note_published(self, note: str, occurred_at: datetime, actor_id: str,
                               actor_role: str) -> None:
        self.public_notes = (*self.public_notes, {"note": note, "at": occurred_at})

    def skip_notification(self, *, notice: str, message_key: str, reason: str,
                          actor: Actor, occurred_at: datetime, now: datetime) -> None:
        """Say why the message `message_key` (domain.notices), which the desk would send by
        itself, was not sent."""
        self.check_when(occurred_at, now)
        self._notification_skipped(notice=_required(notice, "notice"),
                                   message_key=_required(message_key, "message_key"),
                                   reason=_required(reason, "reason"),
                                   occurred_at=occurred_at, **_who(actor))

    @event("NotificationSkipped")
    def _notification_skipped(self, notice: str, message_key: str, reason: str,
                              occurred_at: datetime, actor_id: str, actor_role: str) -> None:
        pass

    # Files on the case, in the order added (domain.attachments). A class default: cases
    # received before attachments existed replay to none.
    attachments: tuple[dict[str, Any], ...] = ()

    def attach(self, *, name: str, media_type: str, size: int, sha256: str,
               stored_sha256: str, sealed_for: UUID | None, source: str, actor: Actor,
               occurred_at: datetime, now: datetime) -> int:
        """Record a file already kept in the file store (its bytes checked by the caller);
        returns its number on the case. A closed case takes no new files."""
        self.check_when(occurred_at, now)
        self.check_not_closed()
        if media_type not in ACCEPTED_TYPES:
            raise InvalidValue(f"{media_type} is not a kind of file the desk keeps", "media_type")
        if size <= 0:
            raise InvalidValue("the file is empty", "size")
        if sealed_for is not None and sealed_for != self.customer_id:
            raise InvalidValue("a file is sealed for the case's own customer", "sealed_for")
        number = len(self.attachments) + 1
        self._attachment_added(number=number, name=clean_name(name), media_type=media_type,
                               size=size, sha256=check_digest(sha256, "sha256"),
                               stored_sha256=check_digest(stored_sha256, "stored_sha256"),
                               sealed_for=str(sealed_for) if sealed_for else None,
                               source=source, occurred_at=occurred_at, **_who(actor))
        return number

    @event("AttachmentAdded")
    def _attachment_added(self, number: int, name: str, media_type: str, size: int,
                          sha256: str, stored_sha256: str, sealed_for: str | None, source: str,
                          occurred_at: datetime, actor_id: str, actor_role: str) -> None:
        self.attachments = (*self.attachments, {
            "number": number, "name": name, "media_type": media_type, "size": size,
            "sha256": sha256, "stored_sha256": stored_sha256, "sealed_for": sealed_for,
            "source": source, "added_at": occurred_at, "added_by": actor_id})

    def attachment(self, number: int) -> Attachment:
        """The case's file `number`; NotFound if it has none."""
        if not 1 <= number <= len(self.attachments):
            raise NotFound(f"case {self.reference} has no attachment {number}")
        return Attachment.of(self.attachments[number - 1])

    def requeue_notification(self, *, message_key: str, reason: str, actor: Actor,
                             occurred_at: datetime, now: datetime) -> None:
        """An administrator asks the outbox to try the parked message `message_key` again
        (the mail server or the receiver is fixed); the outbox, not the case, knows whether
        it is parked, so the application checks that before."""
        self.check_when(occurred_at, now)
        self._notification_requeued(message_key=_required(message_key, "message_key"),
                                    reason=reason, occurred_at=occurred_at, **_who(actor))

    @event("NotificationRequeued")
    def _notification_requeued(self, message_key: str, reason: str, occurred_at: datetime,
                               actor_id: str, actor_role: str) -> None:
        pass

    # -- appointments (domain.appointments) --------------------------------------------------

    # The case's appointment, latest booking (None: none booked). A class default rather than
    # a line in __init__: cases received before appointments replay to none.
    appointment: dict[str, Any] | None = None

    def _check_booked(self) -> dict[str, Any]:
        if self.appointment is None or self.appointment["state"] != AppointmentState.BOOKED:
            raise RuleViolated(f"case {self.reference} has no booked appointment",
                               "appointment")
        return self.appointment

    def book_appointment(self, *, desk: str, service_code: str, mode: str, slot: Slot,
                         meeting_link: str | None, actor: Actor, occurred_at: datetime,
                         now: datetime, late_entry_reason: str = "") -> None:
        """Book `slot` (checked on the desk's hours by domain.appointments). Booking a virtual
        meeting confirms the request (the draft standard "virtual meeting requests confirmed
        within 2 business days"): on a case not yet acknowledged it records the
        acknowledgement too, so every read model and report counts it as one."""
        self.check_when(occurred_at, now)
        self.check_not_closed()
        if self.appointment is not None and self.appointment["state"] == "booked":
            raise RuleViolated(f"case {self.reference} already has an appointment booked: "
                               "reschedule or cancel it", "starts_at")
        link = check_meeting_link(mode, meeting_link)
        confirms = mode == Mode.VIRTUAL and self.acknowledged_at is None
        self._appointment_booked(desk=desk, service_code=service_code, mode=mode,
                                 day=slot.day.isoformat(), starts_at=slot.starts_at,
                                 ends_at=slot.ends_at,
                                 meeting_link=link, occurred_at=occurred_at, **_who(actor))
        if confirms:
            self.acknowledge(message=f"Virtual meeting booked for {slot.starts_at.isoformat()}",
                             actor=actor, occurred_at=occurred_at, now=now,
                             late_entry_reason=late_entry_reason)

    @event("AppointmentBooked")
    def _appointment_booked(self, desk: str, service_code: str, mode: str, day: str,
                            starts_at: datetime, ends_at: datetime, meeting_link: str | None,
                            occurred_at: datetime, actor_id: str, actor_role: str) -> None:
        self.appointment = {"desk": desk, "service_code": service_code, "mode": mode,
                            "starts_at": starts_at, "ends_at": ends_at,
                            "meeting_link": meeting_link, "state": "booked",
                            "booked_at": occurred_at}

    def reschedule_appointment(self, *, slot: Slot, meeting_link: str | None, reason: str,
                               actor: Actor, occurred_at: datetime, now: datetime) -> None:
        self.check_when(occurred_at, now)
        booked = self._check_booked()
        if slot.starts_at == booked["starts_at"]:
            raise RuleViolated("the appointment is already at that time", "starts_at")
        link = check_meeting_link(booked["mode"], meeting_link or booked["meeting_link"])
        self._appointment_rescheduled(day=slot.day.isoformat(), starts_at=slot.starts_at,
                                      ends_at=slot.ends_at,
                                      previous_starts_at=booked["starts_at"],
                                      meeting_link=link, reason=reason,
                                      occurred_at=occurred_at, **_who(actor))

    @event("AppointmentRescheduled")
    def _appointment_rescheduled(self, day: str, starts_at: datetime, ends_at: datetime,
                                 previous_starts_at: datetime, meeting_link: str | None,
                                 reason: str, occurred_at: datetime, actor_id: str,
                                 actor_role: str) -> None:
        assert self.appointment is not None
        self.appointment = {**self.appointment, "starts_at": starts_at, "ends_at": ends_at,
                            "meeting_link": meeting_link}

    def cancel_appointment(self, *, reason: str, actor: Actor, occurred_at: datetime,
                           now: datetime) -> None:
        self.check_when(occurred_at, now)
        self._check_booked()
        self._appointment_cancelled(reason=_required(reason, "reason"),
                                    occurred_at=occurred_at, **_who(actor))

    @event("AppointmentCancelled")
    def _appointment_cancelled(self, reason: str, occurred_at: datetime, actor_id: str,
                               actor_role: str) -> None:
        assert self.appointment is not None
        self.appointment = {**self.appointment, "state": "cancelled"}

    def record_attendance(self, *, attended: bool, actor: Actor, occurred_at: datetime,
                          now: datetime) -> None:
        """The customer came (or joined the call), or did not: once the appointment began."""
        self.check_when(occurred_at, now)
        booked = self._check_booked()
        if occurred_at < booked["starts_at"]:
            raise RuleViolated("attendance is recorded once the appointment has begun, at "
                               f"{booked['starts_at'].isoformat()}", "occurred_at")
        if attended:
            self._appointment_attended(occurred_at=occurred_at, **_who(actor))
        else:
            self._appointment_no_show(occurred_at=occurred_at, **_who(actor))

    @event("AppointmentAttended")
    def _appointment_attended(self, occurred_at: datetime, actor_id: str,
                              actor_role: str) -> None:
        assert self.appointment is not None
        self.appointment = {**self.appointment, "state": "attended"}

    @event("AppointmentNoShow")
    def _appointment_no_show(self, occurred_at: datetime, actor_id: str,
                             actor_role: str) -> None:
        assert self.appointment is not None
        self.appointment = {**self.appointment, "state": "no_show"}


PUBLIC_NOTE_LIMIT = 1000
