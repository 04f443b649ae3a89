"""Importing past cases from another system's export: each row, through a column mapping,
becomes a `Case` imported with its source system and id (`Case.import_past`), received when it
was received there and resolved and closed when it was, recorded now.

A case's id comes from its source system and id (domain.references.imported_reference), so a
second run finds every case the first recorded and records nothing twice. Targets: a case
imported resolved or closed carries none (the desk never held it while a promise ran, so no
deadline can be missed or met for it); an open one is planned as a case received at the moment
of import (`Case.clocks_start`), so no deadline falls in the past. A dry run checks every row as
the import would, and reports the refusals (row, column, why) without recording anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.persistence import IntegrityError, RecordConflictError

from application.catalogue_index import Known
from application.desk import ServiceDesk
from domain.actors import Actor
from domain.cases import Case
from domain.errors import DomainError, InvalidValue

BATCH = 250  # cases saved in one transaction (the demo's bulk path; see desk.save)
STATUSES = ("open", "resolved", "closed")
# The case's fields a mapping fills from the export's columns (or a default).
FIELDS = ("source_id", "received_at", "channel", "purpose", "department", "service_code",
          "subject", "description", "status", "resolved_at", "resolution", "closed_at")
REQUIRED = ("source_id", "received_at", "channel", "purpose", "subject", "status")
# The domain's name for a field at fault, as the mapping names it.
DOMAIN_FIELDS = {"occurred_at": "received_at", "source_system": "source_id"}


@dataclass(frozen=True)
class Mapping:
    """How an export's columns become a case: `columns` (field -> column), `values` (field ->
    {export's value -> desk's value}), `defaults` (field -> value when the column is absent or
    empty), the `source_system` code (letters and digits, as in `IMP-D365-...`), the time zone
    of times written without an offset, and `date_format` (strptime) for times not in ISO 8601.
    """

    source_system: str
    columns: dict[str, str]
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)
    time_zone: str = "America/Toronto"
    date_format: str | None = None

    def check(self) -> None:
        """Raises InvalidValue for a mapping no row could be read with."""
        unknown = sorted((set(self.columns) | set(self.values) | set(self.defaults))
                         - set(FIELDS))
        if unknown:
            raise InvalidValue(f"no case field {unknown[0]!r}; the fields are: "
                               f"{', '.join(FIELDS)}", "mapping")
        missing = [f for f in REQUIRED if f not in self.columns and f not in self.defaults]
        if missing:
            raise InvalidValue(f"the mapping gives no column or default for {missing[0]}",
                               "mapping")

    def column(self, name: str) -> str:
        """The export's column that fills field `name` (the field itself if unmapped)."""
        return self.columns.get(name, name)


@dataclass(frozen=True)
class Refusal:
    row: int  # 1 is the first row after the header
    column: str
    reason: str


@dataclass
class ImportSummary:
    rows: int = 0
    imported: int = 0  # recorded now (a dry run: would be)
    already: int = 0  # recorded by an earlier run
    refused: list[Refusal] = field(default_factory=list)
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "imported": self.imported, "already_imported": self.already,
                "refused": len(self.refused), "dry_run": self.dry_run}


class RowRefused(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.reason = field, reason


class Reader:
    """One row's fields, as the mapping says to read them."""

    def __init__(self, mapping: Mapping, row: dict[str, str]) -> None:
        self.mapping, self.row = mapping, row
        self.zone: tzinfo = ZoneInfo(mapping.time_zone)

    def text(self, name: str) -> str:
        column = self.mapping.columns.get(name)
        value = (self.row.get(column) or "").strip() if column else ""
        value = value or self.mapping.defaults.get(name, "")
        table = self.mapping.values.get(name)
        if table is not None and value:
            value = table.get(value, value)
        return value

    def required(self, name: str) -> str:
        value = self.text(name)
        if not value:
            raise RowRefused(name, f"{name} is empty")
        return value

    def moment(self, name: str) -> datetime | None:
        text = self.text(name)
        if not text:
            return None
        try:
            if self.mapping.date_format:
                moment = datetime.strptime(text, self.mapping.date_format)
            else:
                moment = datetime.fromisoformat(text)
        except ValueError:
            raise RowRefused(name, f"{text!r} is not a date and time"
                             + (f" in the format {self.mapping.date_format}"
                                if self.mapping.date_format else " in ISO 8601")) from None
        return moment if moment.tzinfo else moment.replace(tzinfo=self.zone)


def prepare(desk: ServiceDesk, known: Known, mapping: Mapping, row: dict[str, str],
            actor: Actor, now: datetime) -> Case:
    """The case `row` records, with its events triggered and not yet saved. Raises
    RowRefused naming the case field at fault."""
    read = Reader(mapping, row)
    try:
        status = read.required("status")
        if status not in STATUSES:
            raise RowRefused("status", f"status {status!r} is not one of: "
                             f"{', '.join(STATUSES)} (map the export's values to them)")
        received_at = read.moment("received_at")
        if received_at is None:
            raise RowRefused("received_at", "received_at is empty")
        service_code = read.text("service_code") or None
        department = desk.department_for(service_code, read.text("department") or None, known)
        case = Case.import_past(
            source_system=mapping.source_system, source_id=read.required("source_id"),
            channel=read.required("channel"), occurred_at=received_at,
            purpose=read.required("purpose"), service_code=service_code,
            department=department, subject=read.required("subject"),
            description=read.text("description"), actor=actor, now=now)
        if status == "open":
            desk.follow_standards(case, "receive", actor=actor, occurred_at=now,
                                  standards=known.standards,
                                  calendars=known.calendars(now))
            return case
        _finish(case, read, status, actor, now)
        return case
    except DomainError as refused:
        name = getattr(refused, "field", None) or "row"
        raise RowRefused(DOMAIN_FIELDS.get(name, name), str(refused.detail)) from None


def _finish(case: Case, read: Reader, status: str, actor: Actor, now: datetime) -> None:
    """Resolve (and close) an imported case when it was, there: a case closed without a
    resolution time was resolved when it was closed, and the other way round."""
    resolved_at, closed_at = read.moment("resolved_at"), read.moment("closed_at")
    resolved_at = resolved_at or closed_at
    if resolved_at is None:
        raise RowRefused("resolved_at", f"a {status} case needs resolved_at or closed_at")
    try:
        case.resolve(resolution=read.text("resolution") or f"{status} in "
                     f"{case.source_system}", at_first_contact=False, actor=actor,
                     occurred_at=resolved_at, now=now)
    except InvalidValue as refused:
        raise RowRefused("resolved_at" if refused.field == "occurred_at" else
                         refused.field or "resolved_at", refused.detail) from None
    if status == "closed":
        try:
            case.close(actor=actor, occurred_at=closed_at or resolved_at, now=now)
        except InvalidValue as refused:
            raise RowRefused("closed_at", refused.detail) from None


Recorded = Callable[[list[UUID]], set[UUID]]


def one_by_one(desk: ServiceDesk) -> Recorded:
    """Which of the case ids are in the log, one indexed read each (the infrastructure has a
    faster way: infrastructure.case_import.recorded_among)."""
    return lambda ids: {i for i in ids if desk.recorder.select_events(i, limit=1)}


def import_rows(desk: ServiceDesk, mapping: Mapping, rows: Iterable[dict[str, str]],
                actor: Actor, *, dry_run: bool = False,
                on_row: Callable[[], None] = lambda: None,
                recorded: Recorded | None = None) -> ImportSummary:
    """Import every row (or, with `dry_run`, check it) and say what happened: how many were
    recorded, how many an earlier run had recorded (`recorded` says which of a batch's case
    ids are), and each refusal with its row and column. Rows are saved BATCH cases at a time,
    in one transaction each."""
    mapping.check()
    recorded = recorded or one_by_one(desk)
    summary = ImportSummary(dry_run=dry_run)
    now = desk.clock()
    known = desk.known()
    seen: dict[UUID, int] = {}
    pending: list[Case] = []

    def flush() -> None:
        found = recorded([case.id for case in pending])
        new = [case for case in pending if case.id not in found]
        summary.already += len(pending) - len(new)
        summary.imported += len(new)
        if new and not dry_run:
            _save(desk, [list(case.collect_events()) for case in new], summary)
        pending.clear()

    for number, row in enumerate(rows, start=1):
        summary.rows += 1
        on_row()
        try:
            case = prepare(desk, known, mapping, row, actor, now)
        except RowRefused as refused:
            summary.refused.append(Refusal(number, mapping.column(refused.field),
                                           refused.reason))
            continue
        if case.id in seen:
            summary.refused.append(Refusal(number, mapping.column("source_id"),
                                           f"{case.source_id} is also row {seen[case.id]}"))
            continue
        seen[case.id] = number
        pending.append(case)
        if len(pending) >= BATCH:
            flush()
    if pending:
        flush()
    return summary


def _save(desk: ServiceDesk, cases: list[list[Any]], summary: ImportSummary) -> None:
    """Save the events of `cases` in one transaction. If another import recorded one of them
    meanwhile, each case is saved alone, and those already recorded are counted so."""
    try:
        desk.save(*(event for events in cases for event in events))
        return
    except (IntegrityError, RecordConflictError):
        pass
    for events in cases:
        try:
            desk.save(*events)
        except (IntegrityError, RecordConflictError):
            summary.imported -= 1
            summary.already += 1
