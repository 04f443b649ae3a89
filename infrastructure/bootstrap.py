"""The composition root: builds the ServiceDesk on the configured database and seeds it, and
with `compose` everything a process serves with: the desk, its read models, the deadline
scheduler and the access log, for `civicdesk serve`, the command line and the tests."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, partial
from sqlite3 import DatabaseError
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.persistence import PersistenceError, StoredEvent

from application import catalogue
from application.attachments import FileStore
from application.catalogue import DepartmentSpec, DeskSpec, ServiceSpec
from application.desk import ServiceDesk, utc_now
from application.service_levels import seed_service_levels
from application.survey_links import SurveyLinks
from domain.actors import Actor, Role
from domain.cases import Case
from engine.runner import ProjectionNotReady, ProjectionSet, ProjectionSpec
from infrastructure.access_log import AccessLog
from infrastructure.catalogue_seed import load_appendix_iv
from infrastructure.checkpointer import Checkpointer, elected_checkpointer
from infrastructure.file_store import attachment_store
from infrastructure.mail import MailServer
from infrastructure.master_key import has_master_key, master_key
from infrastructure.outbox_worker import OutboxWorker, survey_link_for
from infrastructure.personal_vault import PersonalVault
from infrastructure.scheduler import SchedulerService
from infrastructure.settings import Settings
from infrastructure.survey_link_key import survey_links
from projections.accommodations import ACCOMMODATIONS
from projections.appointments import APPOINTMENTS
from projections.case_index import CASE_INDEX
from projections.case_snapshots import CASE_SNAPSHOTS
from projections.complaint_register import COMPLAINT_REGISTER
from projections.duplicate_candidates import DUPLICATE_CANDIDATES
from projections.inbox import INBOX
from projections.knowledge import KNOWLEDGE
from projections.outbox import OUTBOX_MODEL
from projections.pending_at_risk import PENDING_AT_RISK
from projections.pending_deadlines import PENDING_DEADLINES
from projections.queues import QUEUES
from projections.scorecard import SCORECARD

SEEDER = Actor(id="civicdesk-seed", role=Role.SYSTEM)


def build_desk(settings: Settings, clock: Callable[[], datetime] = utc_now) -> ServiceDesk:
    """The desk on the configured database; where a checkpoint key is configured, its
    recorder signs every batch it appends (infrastructure.event_signatures)."""
    from infrastructure.checkpoint_keys import NoCheckpointKey, checkpoint_signer

    desk = ServiceDesk(env=settings.eventsourcing_env(), clock=clock)
    # Without a key, appended unsigned: `serve` refuses to start without one anyway.
    with contextlib.suppress(NoCheckpointKey):
        desk.recorder.signer = checkpoint_signer(settings)  # type: ignore[attr-defined]
    if has_master_key(settings):
        # A key that is configured but unreadable, malformed or wrong stops here
        # (NoMasterKey); with none, personal information is refused, never kept in clear.
        vault = PersonalVault(desk.recorder.datastore,  # type: ignore[attr-defined]
                              master_key(settings), clock=clock)
        desk.cipher = vault
        # A new customer's key and tokens are written with the customer's first event.
        desk.recorder.staged_writer = vault.write_staged  # type: ignore[attr-defined]
    return desk


def seed_catalogue(desk: ServiceDesk) -> int:
    """Load Appendix IV and the section 4.2 standards (adds only what is missing)."""
    departments, services, desks = load_appendix_iv()
    added = seed_service_levels(desk, SEEDER, [(s.code, s.purpose) for s in services
                                               if s.type != "internal"])
    return added + catalogue.seed(
        desk,
        SEEDER,
        [DepartmentSpec(code=d.code, name=d.name, business_units=dict(d.business_units))
         for d in departments],
        [ServiceSpec(code=s.code, name=s.name, department=s.department_code,
                     business_unit=s.business_unit_code, service_type=s.type,
                     sub_type=s.sub_type, purpose=s.purpose,
                     description=f"{s.business_unit_name}: {s.name}")
         for s in services],
        [DeskSpec(code=d.code, name=d.name, central=d.central, hours=d.hours) for d in desks],
    )


# The read models the API queries (the scheduler follows pending deadlines).
SERVED_READ_MODELS = (CASE_INDEX, PENDING_DEADLINES, QUEUES, COMPLAINT_REGISTER, SCORECARD,
                      ACCOMMODATIONS, CASE_SNAPSHOTS, OUTBOX_MODEL, DUPLICATE_CANDIDATES,
                      INBOX, PENDING_AT_RISK, KNOWLEDGE, APPOINTMENTS)


def latest_snapshot(view: Any, desk: ServiceDesk, case_id: UUID) -> Case | None:
    """The case now: its latest snapshot with the case's events stored since applied, read in
    one statement; None when it has no snapshot or the snapshot cannot be read (tables being
    rebuilt or replaced), and the case is then replayed."""
    try:
        table = desk.recorder.events_table_name  # type: ignore[attr-defined]
        found = view.latest_and_since(case_id, table)
    except (ProjectionNotReady, PersistenceError, msgspec.MsgspecError, DatabaseError):
        return None
    if found is None:
        return None
    case, since = found
    for version, topic, state in since:
        event = desk.mapper.to_domain_event(StoredEvent(
            originator_id=case_id, originator_version=version, topic=topic, state=state))
        assert isinstance(event, Case.Event)
        event.mutate(case)
    assert isinstance(case, Case)
    return case


@dataclass
class Services:
    """What one process runs: the desk, its read models and, if settings say so, the
    scheduler. `start` and `close` run them; `owns_desk` says whether `close` closes the desk
    (a desk handed to `compose` is closed by whoever made it)."""

    settings: Settings
    desk: ServiceDesk
    projections: ProjectionSet
    scheduler: SchedulerService | None
    access_log: AccessLog
    owns_desk: bool
    checkpointer: Checkpointer | None = None
    outbox_worker: OutboxWorker | None = None
    # Signs and reads customers' survey links (None without a master key).
    survey_links: SurveyLinks | None = None

    def view(self, spec: ProjectionSpec) -> Any:
        return self.projections.view(spec.name)

    @cached_property
    def file_store(self) -> FileStore:
        """Where attachments' bytes are kept: a directory, or an S3-compatible bucket."""
        return attachment_store(self.settings)

    def start(self) -> None:
        if self.settings.run_projections:
            self.projections.start()
        if self.scheduler is not None:
            self.scheduler.start()
        if self.checkpointer is not None:
            self.checkpointer.start()
        if self.outbox_worker is not None:
            self.outbox_worker.start()

    def close(self) -> None:
        if self.outbox_worker is not None:
            self.outbox_worker.stop()
        if self.checkpointer is not None:
            self.checkpointer.stop()
        if self.scheduler is not None:
            self.scheduler.stop()
        self.projections.close()
        if self.owns_desk:
            self.desk.close()


def compose(settings: Settings, *, clock: Callable[[], datetime] = utc_now,
            desk: ServiceDesk | None = None,
            read_models: Sequence[ProjectionSpec] = SERVED_READ_MODELS, seed: bool = True,
            **scheduler_options: Any) -> Services:
    """Build (not start) what a process serves with on `settings`' database: the desk (seeded
    if `seed`, unless one is handed in), the read models `read_models`, the scheduler when
    `settings.run_scheduler` (it needs PENDING_DEADLINES among them), and the access log."""
    owns_desk = desk is None
    if desk is None:
        desk = build_desk(settings, clock=clock)
        if seed:
            seed_catalogue(desk)
    projections = ProjectionSet(settings, desk, list(read_models))
    if CASE_SNAPSHOTS in read_models:
        desk.case_snapshots = partial(latest_snapshot, projections.view(CASE_SNAPSHOTS.name),
                                      desk)
    if PENDING_AT_RISK in read_models:  # targets at risk recorded too (application.alerts)
        scheduler_options.setdefault("at_risk_view", projections.view(PENDING_AT_RISK.name))
    if QUEUES in read_models:  # auto-assignment by least open work counts from the queues
        desk.open_work = projections.view(QUEUES.name)
    scheduler = (SchedulerService(settings, desk, projections.view(PENDING_DEADLINES.name),
                                  **scheduler_options)
                 if settings.run_scheduler else None)
    # Signs checkpoints of the log when elected, like the scheduler (needs a checkpoint key).
    checkpointer = elected_checkpointer(settings, desk) if settings.run_scheduler else None
    # Sends what the outbox holds when elected, where a mail server or webhooks are configured.
    mail = MailServer(settings) if settings.smtp_host is not None else None
    links = survey_links(settings)
    outbox_worker = (OutboxWorker(settings, desk, projections.view(OUTBOX_MODEL.name), mail,
                                  clock=clock,
                                  survey_link_for=survey_link_for(links, settings.public_url))
                     if settings.run_scheduler and (mail is not None or settings.webhooks)
                     and OUTBOX_MODEL in read_models else None)
    return Services(settings=settings, desk=desk, projections=projections,
                    scheduler=scheduler, access_log=AccessLog(desk), owns_desk=owns_desk,
                    checkpointer=checkpointer, outbox_worker=outbox_worker,
                    survey_links=links)
