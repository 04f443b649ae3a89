"""The middle of a case's story: routed, transferred, assigned and worked until resolved."""

from __future__ import annotations

from datetime import datetime

from domain.actors import Actor
from infrastructure.demo.mix import RESOLUTION_HOURS
from infrastructure.demo.phrases import WAIT_REASONS
from infrastructure.demo.telling import Telling


class Handling(Telling):
    """Who handles the case, and the work until it is resolved."""

    def _route(self) -> None:
        plan = self.plan
        if plan.transfer == "intake":
            self._transfer(self.csr, self.minutes(1, 4), warm=True)
        self._assign()
        if plan.transfer in {"warm", "cold"}:
            self._transfer(self.handler, self.later(1, 12), warm=plan.transfer == "warm")
            self._assign()
        if plan.second_transfer:
            self._transfer(self.handler, self.later(1, 16), warm=self.rng.random() < 0.5)
            self._assign()

    def _assign(self) -> None:
        staff = self.rng.choice(self.team.staff)
        by = staff if self.rng.random() < 0.5 else self.team.manager
        self.case.assign(assignee=staff.id, actor=by, occurred_at=self.at(self.later(0.3, 6)),
                         now=self.w.end)
        self.handler = staff

    def _transfer(self, actor: Actor, when: datetime, *, warm: bool) -> None:
        target = self.w.other_department(self.case.department)
        note = (f"Handed over by phone to {target}; the customer knows who will call back."
                if warm else "")
        self.case.transfer(to_department=target, warm=warm, handover_note=note,
                           customer_informed=warm or self.rng.random() < 0.3, actor=actor,
                           occurred_at=self.at(when), now=self.w.end)
        self.w.promises.follow(self.case, "transfer", actor, self.t)
        self.team = self.w.teams[target]

    def _work(self) -> None:
        plan, rng = self.plan, self.rng
        if plan.accommodation is not None:
            self.at(self.later(0.5, 12))
            self._provide_accommodation(self.handler)
        low, high = map(float, RESOLUTION_HOURS[plan.purpose])
        if plan.late:
            low, high = high, high * 1.8
        steps = rng.choice((1, 1, 2, 2, 3))
        for step in range(steps):
            self._interaction(self.later(low / steps * 0.5, high / steps * 0.8))
            if step == 0 and plan.interim:
                self.case.send_interim_response(
                    explanation="The matter needs an inspection and a review; a full response "
                    "will follow within 15 business days.", actor=self.handler,
                    occurred_at=self.at(self.later(8, 30)), now=self.w.end)
            if step == 0 and plan.wait and not self._wait_on_customer():
                return  # the customer never answered; the case was resolved without them
        when = self.later(1, max(2.0, high / steps * 0.4))
        if not (plan.ladder and plan.escalate_early):
            self._resolve(self.handler, when, first=False)

    def _interaction(self, when: datetime) -> None:
        rng = self.rng
        site = self.plan.purpose in {"tangible_service", "issue_or_complaint", "approval"}
        channel, summary, effort = rng.choice((
            ("telephone", "Called the customer with an update", rng.randint(5, 15)),
            ("email", "Emailed the customer the details", rng.randint(10, 30)),
            ("in_person", "Site visit", rng.randint(45, 120)) if site else
            ("email", "Sent the requested documents", rng.randint(10, 25))))
        self.case.log_interaction(channel=channel, direction="outbound", summary=summary,
                                  effort_minutes=effort, wait_seconds=None, actor=self.handler,
                                  occurred_at=self.at(when), now=self.w.end)

    def _wait_on_customer(self) -> bool:
        """Ask the customer for something; False if they never answered and the case ended."""
        case, actor = self.case, self.handler
        reason = WAIT_REASONS.get(self.plan.purpose, "Asked the customer to confirm the details.")
        case.wait_on_customer(reason=reason, actor=actor, occurred_at=self.at(self.t),
                              now=self.w.end)
        if self.plan.wait == "silent":
            self._resolve(actor, self.later(60, 100), first=False,
                          resolution="Closed: no reply after two reminders.")
            return False
        case.record_customer_response(summary="Customer sent what was asked for.", actor=actor,
                                      occurred_at=self.at(self.later(4, 60)), now=self.w.end)
        self.w.promises.follow(case, "customer_responded", actor, self.t)
        return True
