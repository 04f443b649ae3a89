"""One case's story as it is told: the case as received, and the clock that records breaches."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

from application.public_tokens import new_public_token
from domain.actors import Actor
from domain.cases import Case
from domain.catalogue import Service
from domain.customers import Customer, search_tokens
from infrastructure.demo.people import FIRST_NAMES, LAST_NAMES, STREETS, Team
from infrastructure.demo.phrases import ACCOMMODATIONS, RESOLUTIONS, SUBJECTS
from infrastructure.demo.plans import Plan
from infrastructure.demo.world import World, hours


class PastEnd(Exception):
    """The story has reached the present: the case stays as it now stands."""


class Telling:
    """A case received, and the moves every chapter of its story makes: time passing,
    acknowledging, classifying, accommodating, resolving."""

    w: World
    rng: random.Random
    plan: Plan
    csr: Actor
    team: Team
    handler: Actor
    t: datetime  # where the story has got to
    case: Case

    def __init__(self, world: World, plan: Plan, reference: str) -> None:
        assert plan.service is not None
        self.w, self.rng, self.plan = world, world.rng, plan
        self.csr = self.rng.choice(world.csrs)
        self.team = world.teams[plan.service.department]
        self.handler = self.csr
        self.t = plan.received_at
        self.customer = self._customer(
            self._contact(), ACCOMMODATIONS[plan.accommodation][0]
            if plan.accommodation is not None else None)
        self.case = Case.receive(
            reference=reference, channel=plan.channel, occurred_at=plan.received_at,
            purpose=plan.purpose, service_code=plan.service.code,
            department=plan.service.department,
            subject=self.rng.choice(SUBJECTS[plan.purpose]).format(s=plan.service.name)[:200],
            description=self._description(plan.service),
            customer_id=self.customer.id if self.customer is not None else None,
            actor=self.csr, now=world.end, desk=plan.desk, public_token=new_public_token())
        if self.customer is not None:
            self.customer.link_case(case_id=self.case.id, reference=reference)

    # -- time --------------------------------------------------------------------------------

    def at(self, when: datetime) -> datetime:
        """Move the story on to `when`, recording every deadline that passed on the way."""
        if when < self.t:
            raise AssertionError(f"{self.case.reference}: {when} is before {self.t}")
        if when > self.w.end:
            raise PastEnd
        self.w.promises.record_breaches(self.case, self.t, when)
        self.t = when
        return when

    def later(self, low: float, high: float) -> datetime:
        """Some business hours from now: staff work while the desk is open."""
        return self.w.calendar.add(self.t, hours(self.rng, low, high))

    def minutes(self, low: float, high: float) -> datetime:
        return self.t + timedelta(seconds=round(self.rng.uniform(low, high) * 60))

    # -- moves of every chapter -------------------------------------------------------------

    def _acknowledge(self, actor: Actor, when: datetime, message: str) -> None:
        self.case.acknowledge(message=message, actor=actor, occurred_at=self.at(when),
                              now=self.w.end)

    def _classify(self) -> None:
        plan, case = self.plan, self.case
        if plan.classification:
            case.classify(classification=plan.classification,
                          reason="Customer expressed dissatisfaction" if
                          plan.classification == "complaint" else "Suggestion or compliment",
                          actor=self.csr, occurred_at=self.at(self.t), now=self.w.end)
            self.w.promises.follow(case, "classify", self.csr, self.t)

    def _provide_accommodation(self, actor: Actor) -> None:
        assert self.plan.accommodation is not None
        self.case.provide_accommodation(number=1, how=ACCOMMODATIONS[self.plan.accommodation][1],
                                        actor=actor, occurred_at=self.at(self.t),
                                        now=self.w.end)

    def _resolve(self, actor: Actor, when: datetime, *, first: bool,
                 resolution: str | None = None) -> None:
        self.at(when)
        if self.plan.channel == "written" and not first:
            self.case.log_interaction(channel="written", direction="outbound",
                                      summary="Official response mailed",
                                      effort_minutes=self.rng.randint(30, 90),
                                      wait_seconds=None, actor=actor, occurred_at=self.t,
                                      now=self.w.end)
        self.case.resolve(resolution=resolution or self.rng.choice(RESOLUTIONS[self.plan.purpose]),
                          at_first_contact=first, actor=actor, occurred_at=self.t,
                          now=self.w.end)

    # -- what the customer told us -----------------------------------------------------------

    def _customer(self, contact: dict[str, str], needs: str | None) -> Customer | None:
        """A customer record for the contact (saved with the case), its fields sealed under a
        data key of its own as intake does (application.customers); None if anonymous."""
        if not contact and needs is None:
            return None
        preferred = contact.pop("preferred_contact", None)
        personal = {**contact, **({"accessibility_needs": needs} if needs else {})}
        customer_id = uuid.UUID(int=self.rng.getrandbits(128), version=4)
        cipher = self.w.desk.cipher
        cipher.new_key(customer_id)
        customer = Customer.register(
            customer_id=customer_id, kind="person", sealed=cipher.seal(customer_id, personal),
            preferred_contact=preferred, language="fr" if self.rng.random() < 0.05 else "en",
            consent_to_contact=self.rng.random() < 0.7, actor=self.csr)
        cipher.index(customer_id, search_tokens(personal))
        return customer

    def _contact(self) -> dict[str, str]:
        rng, channel = self.rng, self.plan.channel
        if channel in {"social_media", "web_form", "telephone"} and rng.random() < 0.06:
            return {}  # anonymous
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        contact = {"name": f"{first} {last}"}
        if channel in {"telephone", "missed_call", "voicemail", "in_person"}:
            contact.update(phone=f"905-555-01{rng.randrange(100):02d}", preferred_contact="phone")
        elif channel == "written":
            contact.update(address=f"{rng.randint(1, 999)} {rng.choice(STREETS)}, Cobourg ON",
                           preferred_contact="mail")
        else:
            contact.update(email=f"{first}.{last}@example.com".lower(), preferred_contact="email")
        return contact

    def _description(self, service: Service) -> str:
        where = f" near {self.rng.randint(1, 999)} {self.rng.choice(STREETS)}" if (
            service.department in {"public-works", "community", "legislative"}) else ""
        return f"{service.description or service.name}{where}. Received by {self.plan.channel}."
