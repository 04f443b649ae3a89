"""The first chapter of a case's story: the first contact, the first response, any accommodation."""

from __future__ import annotations

from domain.cases import WAIT_TIMED_CHANNELS
from infrastructure.demo.mix import FIRST_RESPONSE_HOURS
from infrastructure.demo.phrases import ACCOMMODATIONS
from infrastructure.demo.telling import Telling


class FirstContact(Telling):
    """How the case came in and was first answered."""

    def _first_contact(self) -> None:
        channel, case, rng = self.plan.channel, self.case, self.rng
        if channel in WAIT_TIMED_CHANNELS:
            wait = (int(rng.lognormvariate(3.2, 0.6)) if channel == "telephone"
                    else int(rng.lognormvariate(5.4, 0.55)))
            how = "Answered the call" if channel == "telephone" else "Served at the counter"
            case.log_interaction(channel=channel, direction="inbound", summary=how,
                                 effort_minutes=rng.randint(3, 18), wait_seconds=wait,
                                 actor=self.csr, occurred_at=self.at(self.t), now=self.w.end)
            self.w.promises.follow(case, "log_interaction", self.csr, self.t,
                                   wait_seconds=wait)
            self.at(self.minutes(wait / 60 + 3, wait / 60 + 15))
            self._classify()
            if not self.plan.first_contact:
                self._acknowledge(self.csr, self.t, f"Gave the customer reference "
                                  f"{case.reference}.")
        elif channel == "virtual_meeting":
            self.at(self.minutes(2, 30))
            self._classify()
            self._acknowledge(self.csr, self.t, "Virtual meeting booked.")
            meeting = self.later(6, 40)
            case.log_interaction(channel=channel, direction="outbound",
                                 summary="Held the virtual meeting",
                                 effort_minutes=rng.randint(30, 60), wait_seconds=None,
                                 actor=self.csr, occurred_at=self.at(meeting), now=self.w.end)
        elif channel == "written":
            case.log_interaction(channel=channel, direction="inbound",
                                 summary="Letter date-stamped Received and entered",
                                 effort_minutes=rng.randint(5, 10), wait_seconds=None,
                                 actor=self.csr, occurred_at=self.at(self.t), now=self.w.end)
            self._first_response("written", "Acknowledgement letter mailed.")
        else:
            if self.plan.failed_callback and channel in {"missed_call", "voicemail"}:
                case.log_interaction(channel="telephone", direction="outbound",
                                     summary="No answer; left a message", effort_minutes=2,
                                     wait_seconds=None, actor=self.csr,
                                     occurred_at=self.at(self.later(0.2, 3)), now=self.w.end)
            reply = {"missed_call": "telephone", "voicemail": "telephone",
                     "social_media": "social_media"}.get(channel, "email")
            self._first_response(reply, "Replied to the customer.")

    def _first_response(self, reply_channel: str, summary: str) -> None:
        owed = FIRST_RESPONSE_HOURS[self.plan.channel]
        low, high = (owed * 1.05, owed * 2) if self.plan.late else (0.3, owed * 0.9)
        when = self.at(self.later(low, high))
        self._classify()  # triage comes before the reply, so the right promise applies
        self.case.log_interaction(channel=reply_channel, direction="outbound", summary=summary,
                                  effort_minutes=self.rng.randint(4, 20), wait_seconds=None,
                                  actor=self.csr, occurred_at=when, now=self.w.end)
        self._acknowledge(self.csr, when, summary)

    def _request_accommodation(self) -> None:
        plan, case = self.plan, self.case
        if plan.accommodation is not None:
            case.request_accommodation(need=ACCOMMODATIONS[plan.accommodation][0],
                                       actor=self.csr, occurred_at=self.at(self.t),
                                       now=self.w.end)
            if plan.first_contact:
                self._provide_accommodation(self.csr)
