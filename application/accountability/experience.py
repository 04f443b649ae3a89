"""How customers fared: transfers, resolution at first contact, and what their surveys said."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from application.accountability.arithmetic import CENT, Rated, average, percent, rated
from application.accountability.replay import Replayed
from domain.surveys import GivenBy, standing_scores
from domain.values import Status


@dataclass(frozen=True)
class Transfers:
    """Every transfer of the cases reported, whichever department made it (the scorecard's
    `transfers_made` counts a department's own transfers instead)."""

    transfers: int
    warm: int
    cold: int
    warm_share: Rated  # percent of the transfers
    customer_informed: int
    informed_share: Rated  # percent of the transfers where the customer was told
    cases_transferred: int
    per_case: Rated  # transfers / cases reported


@dataclass(frozen=True)
class FirstContact:
    resolved: int
    at_first_contact: int
    rate: Rated


@dataclass(frozen=True)
class SourceSatisfaction:
    """The answers of one source: the customers' own (through their survey link) or those staff
    typed in; the response rate is cases given a link with an answer of this source / cases
    given a link, in percent."""

    csat_responses: int
    csat_average: Rated  # 1-5
    nps_responses: int
    promoters: int
    passives: int
    detractors: int
    nps: Rated  # -100 to 100
    ces_responses: int
    ces_average: Rated  # 1-7
    cases_answered: int
    response_rate: Rated


@dataclass(frozen=True)
class Satisfaction:
    """Every answer (the latest per case and kind, whoever gave it), then each source apart."""

    csat_responses: int
    csat_average: Rated  # 1-5
    nps_responses: int
    promoters: int
    passives: int
    detractors: int
    nps: Rated  # -100 to 100
    ces_responses: int
    ces_average: Rated  # 1-7
    survey_links: int  # cases given a survey link
    customer_given: SourceSatisfaction
    staff_entered: SourceSatisfaction


def transfers(seen: Replayed) -> Transfers:
    moves = [t for f in seen.followed for t in f.case.transfers]
    warm = sum(1 for t in moves if t["warm"])
    informed = sum(1 for t in moves if t.get("customer_informed"))
    cases, minimum = len(seen.followed), seen.request.min_sample
    return Transfers(
        transfers=len(moves), warm=warm, cold=len(moves) - warm,
        warm_share=rated(percent(warm, len(moves)), len(moves), minimum),
        customer_informed=informed,
        informed_share=rated(percent(informed, len(moves)), len(moves), minimum),
        cases_transferred=sum(1 for f in seen.followed if f.case.transfers),
        per_case=rated((Decimal(len(moves)) / cases).quantize(CENT, ROUND_HALF_UP)
                       if cases else None, cases, minimum))


def first_contact(seen: Replayed) -> FirstContact:
    resolved = [f.case for f in seen.followed
                if f.case.status in {Status.RESOLVED.value, Status.CLOSED.value}]
    first = sum(1 for c in resolved if c.resolved_at_first_contact)
    return FirstContact(resolved=len(resolved), at_first_contact=first,
                        rate=rated(percent(first, len(resolved)), len(resolved),
                                   seen.request.min_sample))


def _scores(scores: list[dict[str, int]], minimum: int) -> dict[str, Any]:
    csat = [s["csat"] for s in scores if "csat" in s]
    nps = [s["nps"] for s in scores if "nps" in s]
    ces = [s["ces"] for s in scores if "ces" in s]
    promoters = sum(1 for n in nps if n >= 9)
    detractors = sum(1 for n in nps if n <= 6)
    return {"csat_responses": len(csat), "csat_average": rated(average(csat), len(csat),
                                                                minimum),
            "nps_responses": len(nps), "promoters": promoters,
            "passives": len(nps) - promoters - detractors, "detractors": detractors,
            "nps": rated(percent(promoters - detractors, len(nps)), len(nps), minimum),
            "ces_responses": len(ces),
            "ces_average": rated(average(ces), len(ces), minimum)}


def _source(seen: Replayed, given_by: GivenBy) -> SourceSatisfaction:
    minimum = seen.request.min_sample
    cases = [f.case for f in seen.followed]
    scores = [standing_scores(c.surveys, given_by.value) for c in cases]
    linked = [s for c, s in zip(cases, scores, strict=True) if c.survey_link is not None]
    answered = sum(1 for s in linked if s)
    return SourceSatisfaction(**_scores(scores, minimum), cases_answered=answered,
                              response_rate=rated(percent(answered, len(linked)), len(linked),
                                                  minimum))


def satisfaction(seen: Replayed) -> Satisfaction:
    # One answer per case per kind counts, the latest (domain.surveys); per source, that
    # source's latest.
    scores = [f.case.survey_scores for f in seen.followed]
    return Satisfaction(
        **_scores(scores, seen.request.min_sample),
        survey_links=sum(1 for f in seen.followed if f.case.survey_link is not None),
        customer_given=_source(seen, GivenBy.CUSTOMER),
        staff_entered=_source(seen, GivenBy.STAFF))
