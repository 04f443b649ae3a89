"""The end of a case's story: complaints up the escalation ladder, debriefs, closing, surveys."""

from __future__ import annotations

from domain.values import EscalationLevel
from infrastructure.demo.people import CAO, OMBUDSMAN, SURVEY_PORTAL
from infrastructure.demo.phrases import (
    DEBRIEF_ACTIONS,
    DEBRIEF_CAUSES,
    ESCALATION_REASONS,
    SURVEY_COMMENTS,
)
from infrastructure.demo.telling import Telling
from infrastructure.demo.world import hours


class Aftermath(Telling):
    """What follows a resolution: escalations, a debrief, closing, a survey, a reopening."""

    def _climb_ladder(self) -> None:
        if self.case.status == "waiting_on_customer" or self.case.status == "closed":
            return
        team = self.team
        owners = (team.manager, team.director, CAO, CAO)
        escalators = (self.handler, team.manager, team.director, CAO)
        for rung in range(self.plan.ladder):
            level = list(EscalationLevel)[rung + 1]
            owner = owners[rung]
            was_resolved = self.case.status == "resolved"
            self.case.escalate(to_level=level.value,
                               reason=self.rng.choice(ESCALATION_REASONS[level.value]),
                               owner=OMBUDSMAN if level is EscalationLevel.OMBUDSMAN else owner.id,
                               actor=escalators[rung],
                               occurred_at=self.at(self.later(4, 40)), now=self.w.end)
            self.w.promises.follow(self.case, "escalate", escalators[rung], self.t,
                                   reopened=was_resolved and self.case.status == "open")
            if level is EscalationLevel.OMBUDSMAN:
                self._resolve(CAO, self.later(120, 320), first=False,
                              resolution="The Ombudsman closed its review; the Town "
                              "accepted its recommendations.")
            else:
                self._resolve(owner, self.later(8, 60), first=False,
                              resolution=f"Reviewed at {level.value.replace('_', ' ')} level; "
                              "decision explained to the customer in writing.")
        if self.case.escalations and self.plan.debrief:
            by = team.manager if self.plan.ladder == 1 else team.director
            self.case.debrief_complaint(
                cause=self.rng.choice(DEBRIEF_CAUSES), actions=self.rng.choice(DEBRIEF_ACTIONS),
                edi_findings=self.rng.choice(("No EDI concerns identified.",
                                              "Customer's first language is not English; "
                                              "translated material recommended.")),
                accessibility_findings=self.rng.choice((
                    "None identified.", "Response letter was not offered in an accessible "
                    "format; alternate formats are now offered.")),
                actor=by, occurred_at=self.at(self.later(8, 50)), now=self.w.end)

    def _afterwards(self) -> None:
        case, plan = self.case, self.plan
        if case.status != "resolved":
            return
        closer = self.handler
        if plan.close:
            case.close(actor=closer, occurred_at=self.at(self.later(1, 24)), now=self.w.end)
        if plan.survey:
            self._survey()
        if plan.reopen:
            case.reopen(reason="Customer called back: the problem has come back.",
                        actor=self.csr, occurred_at=self.at(self.later(16, 160)),
                        now=self.w.end)
            self.w.promises.follow(case, "reopen", self.csr, self.t)
            self._resolve(self.handler, self.later(4, 40), first=False)
            if plan.close:
                case.close(actor=closer, occurred_at=self.at(self.later(1, 16)),
                           now=self.w.end)

    def _survey(self) -> None:
        case, plan, rng = self.case, self.plan, self.rng
        mood = 0.72 + (0.15 if case.resolved_at_first_contact else 0.0)
        mood -= 0.12 * len(case.transfers) + 0.15 * len(case.escalations)
        mood -= 0.15 if plan.late else 0.0
        mood = min(1.0, max(0.0, mood + rng.gauss(0, 0.15)))
        kinds = {"csat": ("csat",), "csat_nps": ("csat", "nps"), "ces": ("ces",),
                 "all": ("csat", "nps", "ces")}[plan.survey or "csat"]
        when = self.t + hours(rng, 1, 96)  # customers answer whenever they like
        csat = 1 + round(4 * mood) if "csat" in kinds else None
        nps = round(10 * mood) if "nps" in kinds else None
        ces = 1 + round(6 * mood) if "ces" in kinds else None
        comment = rng.choice(SURVEY_COMMENTS)  # drawn either way: the sample stays the same
        if case.survey_link is not None:
            # The customer's own answer, through the link their resolution gave them, when
            # they answered in the simulated year.
            case.answer_survey_by_link(csat=csat, nps=nps, ces=ces,
                                       expires_at=case.survey_link["expires_at"],
                                       now=self.at(when))
        else:
            case.answer_survey(csat=csat, nps=nps, ces=ces, comment=comment,
                               actor=SURVEY_PORTAL, occurred_at=self.at(when), now=self.w.end)
