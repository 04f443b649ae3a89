"""What a demo load recorded, counted for the command line: cases by kind, events, references."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.cases import Case
from domain.values import EscalationLevel


@dataclass
class Summary:
    seed: int
    start: datetime
    end: datetime
    events: int = 0
    cases: int = 0
    by_channel: Counter[str] = field(default_factory=Counter)
    by_purpose: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    escalations_by_level: Counter[str] = field(default_factory=Counter)
    transfers: Counter[str] = field(default_factory=Counter)
    counts: Counter[str] = field(default_factory=Counter)
    references: list[str] = field(default_factory=list)

    def add(self, case: Case) -> None:
        self.cases += 1
        self.references.append(case.reference)
        self.by_channel[case.channel] += 1
        self.by_purpose[case.purpose] += 1
        self.by_status[case.status] += 1
        for escalation in case.escalations:
            self.escalations_by_level[escalation["to"]] += 1
        for transfer in case.transfers:
            self.transfers["warm" if transfer["warm"] else "cold"] += 1
        self.counts.update({
            "complaints": case.classification == "complaint",
            "feedback": case.classification == "feedback",
            "first_contact_resolutions": case.resolved_at_first_contact,
            "debriefs": case.debrief is not None,
            "accommodations": len(case.accommodations),
            "surveys": len(case.surveys),
            "effort_minutes": case.effort_minutes,
            "deadlines_missed": sum(1 for t in case.targets.values() if t.breached_at),
        })

    def as_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed, "from": self.start.isoformat(), "to": self.end.isoformat(),
            "cases": self.cases, "events": self.events,
            "first_reference": self.references[0] if self.references else None,
            "last_reference": self.references[-1] if self.references else None,
            "by_channel": dict(sorted(self.by_channel.items())),
            "by_purpose": dict(sorted(self.by_purpose.items())),
            "by_status": dict(sorted(self.by_status.items())),
            "complaints": self.counts["complaints"],
            "feedback": self.counts["feedback"],
            "escalations": sum(self.escalations_by_level.values()),
            "escalations_by_level": {level.value: self.escalations_by_level[level.value]
                                     for level in list(EscalationLevel)[1:]},
            "transfers": {"warm": self.transfers["warm"], "cold": self.transfers["cold"]},
            **{name: self.counts[name] for name in (
                "first_contact_resolutions", "debriefs", "accommodations", "surveys",
                "deadlines_missed", "effort_minutes")},
        }
