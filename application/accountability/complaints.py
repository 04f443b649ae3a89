"""The period's complaints: how far each climbed the escalation ladder, and its debrief."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from application.accountability.arithmetic import local_day
from application.accountability.replay import Replayed
from domain.values import Classification, EscalationLevel


@dataclass(frozen=True)
class EscalationStep:
    from_level: str
    to_level: str
    on: date  # Toronto date


@dataclass(frozen=True)
class Debrief:
    cause: str
    actions: str
    edi_findings: str
    accessibility_findings: str
    on: date


@dataclass(frozen=True)
class ComplaintRow:
    reference: str
    department: str
    channel: str
    received_on: date
    status: str
    level_reached: str
    escalations: list[EscalationStep]
    debrief: Debrief | None


@dataclass(frozen=True)
class LevelRow:
    level: str
    complaints: int  # complaints that reached at least this rung


def complaints(seen: Replayed) -> list[ComplaintRow]:
    rows = []
    for case in (f.case for f in seen.followed):
        if case.classification != Classification.COMPLAINT.value:
            continue
        debrief = case.debrief
        rows.append(ComplaintRow(
            reference=case.reference, department=case.department, channel=case.channel,
            received_on=local_day(case.received_at), status=case.status,
            level_reached=case.escalation_level or EscalationLevel.FRONT_LINE.value,
            escalations=[EscalationStep(e["from"], e["to"], local_day(e["at"]))
                         for e in case.escalations],
            debrief=None if debrief is None else Debrief(
                cause=debrief["cause"], actions=debrief["actions"],
                edi_findings=debrief["edi_findings"],
                accessibility_findings=debrief["accessibility_findings"],
                on=local_day(debrief["at"]))))
    return rows


def levels(seen: Replayed) -> list[LevelRow]:
    rungs = [EscalationLevel(f.case.escalation_level or EscalationLevel.FRONT_LINE).rung
             for f in seen.followed
             if f.case.classification == Classification.COMPLAINT.value]
    return [LevelRow(level.value, sum(1 for r in rungs if r >= level.rung))
            for level in EscalationLevel]
