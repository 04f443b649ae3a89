"""The columns the queues and the case index keep alike for a case, and how events set them.

Both read models keep a row per case with these eleven columns (and, by
`projections.target_rows`, the same table of targets): its id, reference, status, department,
assignee, channel, when it was received, transfers, version, and the soonest due time of its
live targets (`due_key`) and that target's name. Each adds its own columns; this module is the
one place the shared ones are set: at receipt (`received_row`) and by every later event
(`changed_row`), the status by the domain's rule (`projections.case_status`).
"""

from __future__ import annotations

from typing import Any

from domain.case_status import status_after
from domain.cases import Case
from engine import Sql
from projections.case_status import status_values
from projections.target_rows import NEVER

SHARED_COLUMNS = ("id", "reference", "status", "department", "assignee", "channel",
                  "received_at", "transfers", "version", "due_key", "next_target")
Events: Any = Case  # the event classes are made at import time; see projections.case_index


def received_row(event: Any) -> dict[str, Any]:
    """The shared columns of a case just received (`Case.Received`)."""
    return {"id": event.originator_id, "reference": event.reference,
            "status": status_after("", "Received"), "department": event.department,
            "assignee": None, "channel": event.channel, "received_at": event.occurred_at,
            "transfers": 0, "version": event.originator_version, "due_key": NEVER,
            "next_target": None}


def changed_row(event: Any, *, active: str | None = None,
                reopened: dict[str, Any] | None = None) -> dict[str, Any]:
    """What a later case event changes in the shared columns (the due key follows the targets,
    `TargetRows.change_targets`): its status (and `active`, `reopened`: see
    `projections.case_status.status_values`), assignee, department, transfers and version."""
    values = status_values(type(event).__name__, active=active, reopened=reopened)
    match event:
        case Events.Assigned():
            values["assignee"] = event.assignee
        case Events.Transferred():
            values.update(department=event.to_department, assignee=None,
                          transfers=Sql("transfers + 1"))
    values["version"] = event.originator_version
    return values
