"""The `ServiceDesk` application: one method per command on cases, and the case queries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, RecordConflictError, Recording

from application.access import can_see_department, check_may
from application.appointments import AppointmentPlaces, OpenSlot, open_slots
from application.case_handlers import HANDLERS, By
from application.catalogue_index import CatalogueIndex, Known
from application.commands import (
    CaseCommand,
    ClassifyCase,
    Command,
    LogInteraction,
    ReceiveCase,
    TransferCase,
)
from application.committer import Committer
from application.customers import Customers
from application.knowledge import KnowledgeBase
from application.personal_data import LockedCipher, PersonalCipher
from application.queries import OpenWorkQuery
from application.references import ReferenceNumbers
from domain.actors import SCHEDULER, Actor
from domain.calendar import BusinessCalendar
from domain.cases import WAIT_TIMED_CHANNELS, Case
from domain.catalogue import Department, Desk, Service
from domain.closures import CalendarBook, DeskCalendars
from domain.customers import Customer
from domain.errors import InvalidValue, NotFound, RuleViolated, VersionConflict
from domain.knowledge import Article
from domain.receipts import CommandReceipt
from domain.standards import ServiceStandards, TargetKind
from domain.targets import TargetStatus, status

TOWN_TIME = ZoneInfo("America/Toronto")
T = TypeVar("T", bound=Aggregate)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class IdempotencyKey:
    """The client's key for one request, and a fingerprint of what it asked for."""

    key: str
    fingerprint: str


@dataclass(frozen=True)
class Outcome:
    """What a command left behind: the case as saved, and the log position it reached; and,
    when the command read them, the calendars its targets run on (so the answer need not read
    them again)."""

    case: Case
    position: int
    replayed: bool = False
    calendars: DeskCalendars | None = None


class IdempotencyKeyReused(RuleViolated):
    code = "idempotency-key-reused"


class ServiceDesk(Application[UUID]):
    """Holds every aggregate, so the notification log is one total order of the desk's facts."""

    name = "civicdesk"
    is_snapshotting_enabled = False

    def __init__(self, env: dict[str, str] | None = None,
                 clock: Callable[[], datetime] = utc_now) -> None:
        super().__init__(env)
        self.clock = clock
        self.references = ReferenceNumbers(self._is_recorded)
        self.catalogue = CatalogueIndex()
        self.committer = Committer(self.save)
        # The case now from its latest snapshot, or None (see `view_case`).
        self.case_snapshots: Callable[[UUID], Case | None] | None = None
        # Replaced by the composition root when a master key is configured: until then every
        # personal field is refused, never written or read in clear.
        self.cipher: PersonalCipher = LockedCipher()
        self.customers = Customers(self)
        # How many open cases each member of staff holds (the queues read model), for
        # auto-assignment by least open work; set by the composition root. None: all alike.
        self.open_work: OpenWorkQuery | None = None
        self.knowledge = KnowledgeBase(self)

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        # What this process saved need not be read back to keep the catalogue current.
        self.catalogue.saw(recordings)

    # -- loading -----------------------------------------------------------------------------

    def _get(self, kind: type[T], aggregate_id: UUID, what: str,
                           version: int | None = None) -> T:
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            raise NotFound(f"no {what} {aggregate_id}") from None
        if not isinstance(aggregate, kind):
            raise NotFound(f"no {what} {aggregate_id}")
        return aggregate

    def load_customer(self, customer_id: UUID) -> Customer:
        return self._get(Customer, customer_id, "customer")

    def save_customers(self, *customers: Customer) -> int:
        return self._save(*customers)

    def load_article(self, article_id: UUID) -> Article:
        """A knowledge base article. Raises NotFound."""
        return self._get(Article, article_id, "article")

    def save_article(self, article: Article) -> int:
        return self._save(article)

    def find_department(self, code: str) -> Department | None:
        try:
            return self._get(Department, Department.create_id(code), "department")
        except NotFound:
            return None

    def find_service(self, code: str) -> Service | None:
        try:
            return self._get(Service, Service.create_id(code), "service")
        except NotFound:
            return None

    def known(self) -> Known:
        """The catalogue, standards and calendar as now recorded (shared: never change them)."""
        return self.catalogue.known(self)

    def _active_department(self, code: str, field: str, known: Known | None = None
                           ) -> Department:
        department = (known or self.known()).department(code)
        if department is None or not department.active:
            raise InvalidValue(f"no active department {code!r}", field)
        return department

    def _save(self, *aggregates: Aggregate | None) -> int:
        """Save one command's aggregates, with concurrent commands' (group commit); the log
        position reached. Raises VersionConflict."""
        try:
            recordings = self.committer.commit(aggregates)
        except (RecordConflictError, IntegrityError) as conflict:
            raise VersionConflict("the case was changed by someone else; reload and retry"
                                  ) from conflict
        if not recordings:
            return self.log_position()
        return max(r.notification.id for r in recordings)

    def log_position(self) -> int:
        return self.recorder.max_notification_id() or 0

    # -- idempotency -------------------------------------------------------------------------

    def _replay(self, actor: Actor, idempotency: IdempotencyKey | None) -> Outcome | None:
        if idempotency is None:
            return None
        receipt_id = CommandReceipt.create_id(actor.id, idempotency.key)
        try:
            receipt: Aggregate = self.repository.get(receipt_id)
        except AggregateNotFoundError:
            return None
        assert isinstance(receipt, CommandReceipt)
        if receipt.fingerprint != idempotency.fingerprint:
            raise IdempotencyKeyReused("this Idempotency-Key was already used for a different "
                                       "request", "Idempotency-Key")
        # Access is judged on the case as it is now, as a plain read would: a case that moved
        # to a department the actor does not act for is not found, its answer not replayed.
        self.get_case(actor, receipt.subject_id)
        case = self._get(Case, receipt.subject_id, "case", version=receipt.subject_version)
        return Outcome(case=case, position=self.log_position(), replayed=True)

    def _receipt(self, actor: Actor, idempotency: IdempotencyKey | None, case: Case,
                 status_code: int) -> CommandReceipt | None:
        if idempotency is None:
            return None
        return CommandReceipt(actor_id=actor.id, key=idempotency.key,
                              fingerprint=idempotency.fingerprint, subject_id=case.id,
                              subject_version=case.version, status_code=status_code)

    def _save_with_receipt(self, actor: Actor, idempotency: IdempotencyKey | None,
                           case: Case, status_code: int, *others: Aggregate) -> Outcome:
        try:
            position = self._save(case, *others,
                                  self._receipt(actor, idempotency, case, status_code))
        except VersionConflict:
            # A concurrent retry with the same key won the race: answer as it did.
            replay = self._replay(actor, idempotency)
            if replay is None:
                raise
            return replay
        return Outcome(case=case, position=position)

    # -- commands ----------------------------------------------------------------------------

    def department_for(self, service_code: str | None, department: str | None,
                        known: Known | None = None) -> str:
        """The department a receipt belongs to (read from `known`, default: as now known)."""
        known = known or self.known()
        if service_code is not None:
            service = known.service(service_code)
            if service is None or not service.active:
                raise InvalidValue(f"no active service {service_code!r}", "service_code")
            if department is not None and department != service.department:
                raise InvalidValue(f"service {service_code} belongs to {service.department}, "
                                   f"not {department}", "department")
            department = service.department
        if department is None:
            raise InvalidValue("department or service_code is required", "department")
        return self._active_department(department, "department", known).code

    def _is_recorded(self, reference: str) -> bool:
        """Whether the case numbered `reference` is in the log (one indexed read)."""
        return bool(self.recorder.select_events(Case.create_id(reference), limit=1))

    def handle(self, actor: Actor, command: Command,
               idempotency: IdempotencyKey | None = None) -> Outcome:
        """Run one command under the access policy: a ReceiveCase records a new case (numbered
        in its year's lane, see application/receiving.py), a CaseCommand changes one.

        Without `expected_version`, a concurrent writer (another user, the deadline scheduler)
        is no reason to refuse: the command is run again on the case as that writer left it,
        access and rules checked afresh, up to COMMAND_ATTEMPTS times. With it, a case at
        another version is a VersionConflict, as the client asked.

        Raises NotFound (invisible or unknown case), Forbidden, VersionConflict,
        InvalidValue, RuleViolated and IdempotencyKeyReused.
        """
        if isinstance(command, ReceiveCase):
            # Imported here: receiving builds on this module.
            from application.receiving import receive

            return receive(self, actor, command, idempotency)
        replay = self._replay(actor, idempotency)
        if replay is not None:
            return replay
        for attempt in range(1, COMMAND_ATTEMPTS + 1):
            case, others = self._run(actor, command)
            try:
                return self._save_with_receipt(actor, idempotency, case, 200, *others)
            except VersionConflict as conflict:
                if command.expected_version is None and attempt < COMMAND_ATTEMPTS:
                    continue  # someone else wrote first: run it again on their version
                current = self._get(Case, command.case_id, "case").version
                raise VersionConflict(conflict.detail, current) from conflict
        raise AssertionError("unreachable")

    def _run(self, actor: Actor, command: CaseCommand) -> tuple[Case, tuple[Aggregate, ...]]:
        """The case as it now stands, with the command's events triggered (not yet saved),
        and the other aggregates the command changed (an appointment's desk days)."""
        case = self.get_case(actor, command.case_id)
        check_may(actor, command.action, case.department)
        expected = command.expected_version
        if expected is not None and expected != case.version:
            raise VersionConflict(f"expected version {expected}, but the case is at "
                                  f"version {case.version}", case.version)
        if isinstance(command, TransferCase):
            self._active_department(command.to_department, "to_department")
        if isinstance(command, LogInteraction):
            for article_id in command.article_ids:
                try:
                    article = self.load_article(article_id)
                except NotFound:
                    raise InvalidValue(f"no article {article_id}", "article_ids") from None
                article.check_usable()
        now = self.clock()
        occurred_at = command.occurred_at or now
        was_resolved = case.status == "resolved"
        places = (AppointmentPlaces(self.find, self.calendars(now), now)
                  if command.action in APPOINTMENT_COMMANDS else None)
        HANDLERS[type(command)](case, command, By(actor=actor, occurred_at=occurred_at, now=now,
                                                  places=places))
        if isinstance(command, ClassifyCase):
            from application.routing import reroute  # imported here: routing builds on this

            reroute(self, case, now)
        if command.action in FOLLOWED_BY_STANDARDS:
            known = self.known()
            self.follow_standards(case, command.action, actor=actor, occurred_at=occurred_at,
                                  standards=known.standards, calendars=known.calendars(now),
                                  wait_seconds=command.wait_seconds
                                  if isinstance(command, LogInteraction) else None,
                                  reopened=was_resolved and case.status == "open")
        return case, places.pending() if places is not None else ()

    def find(self, aggregate_id: UUID) -> Aggregate | None:
        """The aggregate, or None if none has that id."""
        try:
            found: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return found

    def save_aggregates(self, *aggregates: Aggregate) -> int:
        """Save aggregates other than cases (group commit); raises VersionConflict."""
        return self._save(*aggregates)

    def open_slots(self, *, desk: str, service_code: str, mode: str, first_day: date,
                   last_day: date) -> list[OpenSlot]:
        """The slots with a place left (application.appointments.open_slots), as now known.
        Raises InvalidValue (an unknown desk or service, a bad mode or range)."""
        service = self.known().service(service_code)
        if service is None or not service.active:
            raise InvalidValue(f"no active service {service_code!r}", "service")
        now = self.clock()
        return open_slots(self.find, self.calendars(now), desk=desk,
                          service_code=service_code, mode=mode, first_day=first_day,
                          last_day=last_day, now=now)

    def follow_standards(self, case: Case, command: str, *, actor: Actor,
                         occurred_at: datetime, standards: ServiceStandards,
                         calendars: DeskCalendars, wait_seconds: int | None = None,
                         reopened: bool = False) -> None:
        """Record, each as an explaining event, what the standards say `command` (a case
        command, or "receive") changes on the case's targets: plan them at receipt, replan on
        transfer, classification and reopening, measure a wait, resume after a pause.

        Business time runs on the hours of the case's desk in `calendars`, which should be as
        known when the command is recorded. Takes the standards and calendars rather than
        reading them, so a bulk load (the demo) reads them once for every case.
        """
        version = case.standards_version or standards.current_version
        if command == "receive":
            case.plan_targets(standards.in_force(version), version, calendars,
                              reason="received", actor=actor, occurred_at=occurred_at)
        if command in {"receive", "log_interaction"} and wait_seconds is not None:
            self._measure_wait(case, actor, wait_seconds,
                               case.received_at if command == "receive" else occurred_at,
                               standards)
        elif command == "customer_responded":
            case.resume_targets(calendars, actor=actor, occurred_at=occurred_at)
        elif command in {"transfer", "classify", "reopen"} or (
                command == "escalate" and reopened):
            reason = {"transfer": f"transferred to {case.department}",
                      "classify": f"classified as {case.classification}",
                      "reopen": "reopened",
                      "escalate": "an escalation reopened the resolved complaint"}[command]
            case.plan_targets(standards.in_force(version), version, calendars,
                              reason=reason, actor=actor, occurred_at=occurred_at,
                              restart=command in {"reopen", "escalate"})

    def _measure_wait(self, case: Case, actor: Actor, wait_seconds: int,
                      arrived_at: datetime, standards: ServiceStandards) -> None:
        if case.channel not in WAIT_TIMED_CHANNELS:
            return
        version = case.standards_version or standards.current_version
        for standard in standards.in_force(version):
            if standard.target in {TargetKind.ANSWER_WAIT, TargetKind.SERVE_WAIT} and \
                    standard.applies_to(channel=case.channel, department=case.department,
                                        service_code=case.service_code,
                                        is_complaint=case.classification == "complaint"):
                case.measure_wait(standard, version, wait_seconds=wait_seconds, actor=actor,
                                  occurred_at=arrived_at)

    def record_deadline_missed(self, case_id: UUID, target: str, due_at: datetime) -> bool:
        """Called by the scheduler when a due time passes: records DeadlineMissed, stamped with
        the due time, only if the target is still unmet and still due then."""
        try:
            case = self._get(Case, case_id, "case")
        except NotFound:
            return False
        if not case.miss_deadline(target=target, due_at=due_at, now=self.clock(),
                                  actor=SCHEDULER):
            return False
        try:
            self._save(case)
        except VersionConflict:
            # The case moved on meanwhile (perhaps the target was just met): judge it afresh.
            return self.record_deadline_missed(case_id, target, due_at)
        return True

    def target_statuses(self, case: Case, at: datetime | None = None,
                        calendars: DeskCalendars | None = None) -> list[TargetStatus]:
        """Every target of the case as staff see it at `at` (default now), soonest due first,
        on `calendars` (default: as known at `at`)."""
        now = at or self.clock()
        calendars = calendars or self.calendars(now)
        return sorted((status(t, now, calendars.of(t.desk)) for t in case.targets.values()),
                      key=lambda s: (s.due_at, s.name))

    # -- standards and calendar --------------------------------------------------------------

    def standards(self) -> ServiceStandards:
        return self._get(ServiceStandards, ServiceStandards.create_id(), "service standards")

    def calendar_book(self) -> CalendarBook:
        return self._get(CalendarBook, CalendarBook.create_id(), "calendar")

    def calendar(self, as_known_at: datetime | None = None) -> BusinessCalendar:
        """The central desk's business calendar as it was known at a moment (default: now)."""
        return self.calendars(as_known_at).central

    def calendars(self, as_known_at: datetime | None = None) -> DeskCalendars:
        """Every desk's business calendar as it was known at a moment (default: now)."""
        return self.known().calendars(as_known_at or self.clock())

    # -- queries -----------------------------------------------------------------------------

    def get_case(self, actor: Actor, case_id: UUID, version: int | None = None) -> Case:
        """The case as the actor may see it. Raises NotFound for another department's case."""
        case = self._get(Case, case_id, "case", version=version)
        if not can_see_department(actor, case.department):
            raise NotFound(f"no case {case_id}")
        return case

    def view_case(self, actor: Actor, case_id: UUID) -> Case:
        """The case now, as `get_case` gives it, from its latest snapshot with the case's
        events stored since applied (`case_snapshots`, which the composition root sets to
        read the case snapshots read model and the log in one statement), where `get_case`
        replays every event. The events since come from the log itself, so a snapshot that
        lags never shows a writer less than it wrote; without a snapshot the case is
        replayed. Raises NotFound."""
        case = self.case_snapshots(case_id) if self.case_snapshots is not None else None
        if case is None:
            return self.get_case(actor, case_id)
        if not can_see_department(actor, case.department):
            raise NotFound(f"no case {case_id}")
        return case

    def case_events(self, actor: Actor, case_id: UUID) -> list[Any]:
        self.get_case(actor, case_id)
        return list(self.events.get(case_id))

    def case_id_for(self, reference: str) -> UUID:
        return Case.create_id(reference)

    def __repr__(self) -> str:
        return f"ServiceDesk({self.factory.__class__.__name__})"


# How many times a command without `expected_version` is run before a conflict is answered:
# each lost race means another writer's command was recorded, so this bounds the wait on one
# busy case, not the desk's throughput.
COMMAND_ATTEMPTS = 20

# The commands (by `action`) whose effect on the targets the standards decide (see
# `follow_standards`).
APPOINTMENT_COMMANDS = frozenset({"book_appointment", "reschedule_appointment",
                                  "cancel_appointment"})
FOLLOWED_BY_STANDARDS = frozenset({"log_interaction", "customer_responded", "transfer",
                                   "classify", "reopen", "escalate"})


__all__ = ["Department", "Desk", "IdempotencyKey", "Outcome", "Service", "ServiceDesk"]
