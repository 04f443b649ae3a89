"""Facts entered after the scheduler recorded a deadline missed that happened before it: each
met its targets on time, and each is listed, with why it was entered late, per department (they
are how a desk could improve its figures after the fact)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from application.accountability.replay import Replayed


@dataclass(frozen=True)
class LateEntryRow:
    department: str  # owning the case at as_of, as every figure of the report
    reference: str
    fact: str  # Acknowledged, InterimResponseSent, OutboundContact or Resolved
    targets: str  # the targets it met on time after their misses were recorded, comma-separated
    occurred_at: datetime  # when the fact happened
    missed_due_at: datetime  # the earliest deadline recorded missed that it met on time
    recorded_at: datetime  # when it was entered
    entered_by_department: str  # owning the case when it was entered
    reason: str  # why it was entered late, as the staff member gave it


def late_entries(seen: Replayed) -> list[LateEntryRow]:
    """Every late entry recorded by as_of on the report's cases, by department, then reference,
    then when entered."""
    rows = [LateEntryRow(
        department=f.case.department, reference=f.case.reference, fact=entry["fact"],
        targets=", ".join(entry["targets"]), occurred_at=entry["occurred_at"].astimezone(UTC),
        missed_due_at=min(entry["missed_due_at"].values()).astimezone(UTC),
        recorded_at=recorded_at.astimezone(UTC), entered_by_department=entry["department"],
        reason=entry["reason"])
        for f in seen.followed for recorded_at, entry in f.late_entries]
    return sorted(rows, key=lambda r: (r.department, r.reference, r.recorded_at))
