"""Accessibility accommodations on the period's cases (AODA; section 4.2): how many were
requested, provided, and could not be made at that time (the customer told why and offered an
alternative), and how many were still open at as_of. States are the domain's
(`domain.accommodations.state_of`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from application.accountability.replay import Replayed
from domain.accommodations import AccommodationState, state_of


@dataclass(frozen=True)
class Accommodations:
    requested: int  # every request on the period's cases
    provided: int
    not_made: int  # ever recorded as not made at that time (alternative offered)
    open: int  # not provided at as_of (requested, or not made and awaiting the alternative)


def accommodations(seen: Replayed) -> Accommodations:
    requests = [a for f in seen.followed for a in f.case.accommodations]
    states = Counter(state_of(a) for a in requests)
    return Accommodations(
        requested=len(requests), provided=states[AccommodationState.PROVIDED],
        not_made=sum(1 for a in requests if a.get("not_made_at") is not None),
        open=sum(n for state, n in states.items() if state.is_open))
