"""`civicdesk import`: reading another system's CSV export of cases with a column mapping
(built in for Dynamics 365 Customer Service and Salesforce Service Cloud, or a JSON file),
showing progress, and handing the rows to `application.importing`."""

from __future__ import annotations

import csv
import json
import logging
import sys
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from time import monotonic
from typing import Any
from uuid import UUID

from tqdm import tqdm  # type: ignore[import-untyped]

from application.desk import ServiceDesk
from application.importing import FIELDS, ImportSummary, Mapping, import_rows
from domain.actors import Actor
from domain.errors import InvalidValue

log = logging.getLogger("civicdesk.import")
LOG_SECONDS = 5.0

# The desk's own columns (the field names themselves).
CIVICDESK: dict[str, Any] = {"source_system": "CSV", "columns": {f: f for f in FIELDS}}

# Dynamics 365 Customer Service: the Case (incident) table exported from a view ("Export to
# Excel", saved as CSV: display names as headers). Resolved On and Resolution are the Case
# Resolution's Actual End and Resolution, added to the view as related columns.
DYNAMICS_365: dict[str, Any] = {
    "source_system": "D365",
    "columns": {"source_id": "Case Number", "subject": "Case Title",
                "description": "Description", "channel": "Origin", "purpose": "Case Type",
                "status": "Status", "received_at": "Created On",
                "resolved_at": "Resolved On", "resolution": "Resolution",
                "closed_at": "Modified On", "department": "Owning Business Unit"},
    "values": {
        "channel": {"Phone": "telephone", "Email": "email", "Web": "web_form",
                    "Facebook": "social_media", "Twitter": "social_media"},
        "purpose": {"Question": "information", "Problem": "issue_or_complaint",
                    "Request": "tangible_service"},
        "status": {"Active": "open", "Resolved": "resolved", "Cancelled": "closed",
                   "Canceled": "closed"},
    },
    "defaults": {"purpose": "information"},
    "date_format": "%m/%d/%Y %I:%M %p",
}

# Salesforce Service Cloud: the Case object exported with Data Loader or Data Export (API
# names as headers, times in UTC ISO 8601). Department__c is the custom field a town adds
# for its departments.
SALESFORCE: dict[str, Any] = {
    "source_system": "SFSC",
    "columns": {"source_id": "CaseNumber", "subject": "Subject", "description": "Description",
                "channel": "Origin", "purpose": "Type", "status": "Status",
                "received_at": "CreatedDate", "closed_at": "ClosedDate",
                "department": "Department__c"},
    "values": {
        "channel": {"Phone": "telephone", "Email": "email", "Web": "web_form"},
        "purpose": {"Question": "information", "Problem": "issue_or_complaint",
                    "Feature Request": "consultation"},
        "status": {"New": "open", "Working": "open", "Escalated": "open",
                   "On Hold": "open", "Closed": "closed"},
    },
    "defaults": {"purpose": "information"},
}

BUILT_IN = {"civicdesk": CIVICDESK, "dynamics365": DYNAMICS_365, "salesforce": SALESFORCE}


def mapping_named(name: str, source_system: str | None = None) -> Mapping:
    """A built-in mapping by name, or a JSON file's (which may start from a built-in one:
    `"extends": "dynamics365"`, its own `columns`, `values` and `defaults` laid over it).
    Raises InvalidValue (field "mapping")."""
    if name in BUILT_IN:
        spec = dict(BUILT_IN[name])
    else:
        try:
            spec = json.loads(Path(name).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise InvalidValue(f"no mapping {name!r} (built in: {', '.join(BUILT_IN)}; or a "
                               f"JSON file): {error}", "mapping") from None
        if not isinstance(spec, dict):
            raise InvalidValue(f"{name}: a mapping is a JSON object", "mapping")
        base = BUILT_IN.get(spec.pop("extends", ""), {})
        spec = {**base, **spec,
                **{k: {**base.get(k, {}), **spec.get(k, {})}
                   for k in ("columns", "defaults")},
                "values": {f: {**base.get("values", {}).get(f, {}), **table}
                           for f, table in {**base.get("values", {}),
                                            **spec.get("values", {})}.items()}}
    if source_system:
        spec["source_system"] = source_system
    try:
        mapping = Mapping(**spec)
    except TypeError as error:
        raise InvalidValue(f"{name}: {error}", "mapping") from None
    mapping.check()
    return mapping


def check_header(path: Path, mapping: Mapping) -> None:
    """Raises InvalidValue unless the export's header has every column the mapping reads."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as file:
            header = next(csv.reader(file), [])
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidValue(f"{path}: {error}", "FILE") from None
    absent = [c for c in mapping.columns.values() if c not in header]
    if absent:
        raise InvalidValue(f"{path}: no column {absent[0]!r} in the header (the mapping "
                           "reads it)", "mapping")


def csv_rows(path: Path, mapping: Mapping) -> Iterator[dict[str, str]]:
    """The rows of the export (a spreadsheet's byte order mark ignored)."""
    with path.open(newline="", encoding="utf-8-sig") as file:
        yield from csv.DictReader(file)


def count_rows(path: Path) -> int:
    with path.open(newline="", encoding="utf-8-sig") as file:
        return max(sum(1 for _ in csv.reader(file)) - 1, 0)


def recorded_among(desk: ServiceDesk, ids: list[UUID]) -> set[UUID]:
    """Which of `ids` have events in the log: one query for them all."""
    if not ids:
        return set()
    recorder: Any = desk.recorder
    from infrastructure.merkle_store import TreeTables

    tree = TreeTables(desk)
    keys: list[Any]
    if tree.postgres:
        from infrastructure.database_roles import qualified

        table, keys = qualified(recorder.datastore.schema, recorder.events_table_name), ids
    else:
        table, keys = recorder.events_table_name, [i.hex for i in ids]
    marks = ", ".join(["%s"] * len(keys))
    with tree.datastore.transaction(commit=False) as cursor:
        cursor.execute(tree.sql(f"SELECT DISTINCT originator_id FROM {table} "
                                f"WHERE originator_id IN ({marks})"), keys)
        found = [row["originator_id"] for row in cursor.fetchall()]
    return {f if isinstance(f, UUID) else UUID(str(f)) for f in found}


def import_csv(desk: ServiceDesk, path: Path, mapping: Mapping, actor: Actor, *,
               dry_run: bool = False, bar: bool | None = None) -> ImportSummary:
    """Import (or check) every row of the CSV file at `path`, with a progress bar on a
    terminal (standard error) or a log line every LOG_SECONDS otherwise."""
    check_header(path, mapping)
    total = count_rows(path)
    rows = csv_rows(path, mapping)
    if bar is None:
        bar = sys.stderr.isatty()
    shown = tqdm(total=total, unit="row", file=sys.stderr, disable=not bar,
                 desc="checking" if dry_run else "importing", dynamic_ncols=True)
    logged_at = monotonic()
    done = 0

    def on_row() -> None:
        nonlocal logged_at, done
        done += 1
        shown.update(1)
        if not bar and monotonic() - logged_at >= LOG_SECONDS:
            logged_at = monotonic()
            log.info("import: %d of %d rows", done, total)

    try:
        return import_rows(desk, mapping, rows, actor, dry_run=dry_run, on_row=on_row,
                           recorded=partial(recorded_among, desk))
    finally:
        shown.close()
