"""A case event's effect on a read model's status column (and what reopening undoes), as
column values for `View.update_row`, from the domain's one rule (`domain.case_status`).

A change that applies from any status is a plain value. One that applies only from some
statuses (escalating a resolved complaint reopens it) is an SQL CASE over the row's current
status, so no projection reads the row before it writes it.
"""

from __future__ import annotations

from typing import Any

from domain.case_status import change_of, is_active
from engine import Sql


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _when(statuses: frozenset[str], then: Any, otherwise: str) -> Sql:
    listed = ", ".join(_literal(status) for status in sorted(statuses))
    return Sql(f"CASE WHEN status IN ({listed}) THEN {_literal(then)} ELSE {otherwise} END")


def status_values(event_name: str, *, active: str | None = None,
                  reopened: dict[str, Any] | None = None) -> dict[str, Any]:
    """The columns the event named `event_name` sets: `status`; `active` (a boolean column
    named so, if given), whether the case is in the work queues; and, where the event reopens
    the case, each column of `reopened` to its value (a constant)."""
    change = change_of(event_name)
    if change is None:
        return {}
    values: dict[str, Any] = {}
    if change.only_from is None:
        values["status"] = change.to
        if active is not None:
            values[active] = is_active(change.to)
    else:
        values["status"] = _when(change.only_from, change.to, "status")
        if active is not None:
            values[active] = _when(change.only_from, is_active(change.to), active)
    reopening = change.reopening_from
    if reopening:
        for column, value in (reopened or {}).items():
            values[column] = _when(reopening, value, column)
    return values
