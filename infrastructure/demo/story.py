"""One case's story, told from receipt to wherever it stands at the end of the year."""

from __future__ import annotations

from datetime import timedelta

from domain.cases import Case
from infrastructure.demo.aftermath import Aftermath
from infrastructure.demo.first_contact import FirstContact
from infrastructure.demo.handling import Handling
from infrastructure.demo.telling import PastEnd


class Story(FirstContact, Handling, Aftermath):
    """Tells one case from receipt to wherever it stands at the end, one command at a time."""

    def tell(self) -> Case:
        plan = self.plan
        try:
            self.w.promises.follow(self.case, "receive", self.csr, self.at(plan.entered_at))
            self._first_contact()
            self._request_accommodation()
            if plan.first_contact:
                self._resolve(self.csr, self.t, first=True)
            else:
                self._route()
                self._work()
            self._climb_ladder()
            self._afterwards()
        except PastEnd:
            pass
        self.w.promises.record_breaches(self.case, self.t, self.w.end + timedelta(seconds=1))
        return self.case
