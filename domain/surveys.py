"""Satisfaction survey answers (recommendation 1C): which answers count, and when one may be given.

A customer may answer again (a second link, a call to the desk). One answer per case per survey
kind counts, the latest; an earlier answer of that kind stays in the case's history, marked
superseded by the later one, so the figures count each case once per kind and an auditor still
sees every answer. Answers are taken only once the matter is resolved or closed: a survey asks
how the matter was handled, and an answer on an open case could be replaced by the outcome.

Who gave an answer is part of it (`given_by`): the customer, through the survey link the case
was given when it was first resolved (one link per case, valid for `LINK_LIFETIME`, answered
once), or staff, who typed what the customer told them. The figures show the two apart; each
source's latest answer per kind counts for that source, and the latest of either counts in the
combined figure.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from domain.actors import Actor, Role
from domain.errors import NotFound, RuleViolated
from domain.values import Status

KINDS = ("csat", "nps", "ces")
ANSWERABLE = frozenset({Status.RESOLVED.value, Status.CLOSED.value})
# Long enough for a customer back from a month away, short enough that an old email in a shared
# mailbox stops being a way to speak for them.
LINK_LIFETIME = timedelta(days=30)
# The actor a customer's own answer is recorded as: the link, not a person on staff.
SURVEY_LINK = Actor(id="survey-link", role=Role.SYSTEM)


def link_expiry(issued_at: datetime) -> datetime:
    """When a link issued at `issued_at` expires (whole seconds: the link carries them)."""
    return (issued_at + LINK_LIFETIME).replace(microsecond=0)


class GivenBy(StrEnum):
    CUSTOMER = "customer"  # through the case's survey link
    STAFF = "staff"  # typed in by staff, from what the customer told them


class SurveyLinkUnknown(NotFound):
    """A survey link the case never issued (forged, or for another issue of it)."""

    code = "survey-link-unknown"


class SurveyLinkExpired(RuleViolated):
    code = "survey-link-expired"


class SurveyAlreadyAnswered(RuleViolated):
    code = "survey-already-answered"


class CaseNotResolved(RuleViolated):
    """A survey answer on a case that is not resolved or closed."""

    code = "case-not-resolved"


def check_answerable(status: str, reference: str) -> None:
    """Raises CaseNotResolved unless a case in `status` may take a survey answer."""
    if status not in ANSWERABLE:
        raise CaseNotResolved(
            f"case {reference} is {status.replace('_', ' ')}: a survey is answered only once "
            "the case is resolved or closed", "status")


def check_link(issued: dict[str, Any] | None, expires_at: datetime, now: datetime,
               reference: str) -> None:
    """Raises unless a customer may answer now through a link that expires at `expires_at`:
    SurveyLinkUnknown (the case issued no link, or not this one), SurveyLinkExpired, or
    SurveyAlreadyAnswered (the link was used)."""
    if issued is None or issued["expires_at"] != expires_at:
        raise SurveyLinkUnknown("this survey link is not one the Town issued")
    if now >= expires_at:
        raise SurveyLinkExpired(f"the survey link of {reference} expired at "
                                f"{expires_at.isoformat()}", "token")
    if issued.get("answered_at") is not None:
        raise SurveyAlreadyAnswered(f"the survey of {reference} was already answered through "
                                    "its link", "token")


def record_answer(answers: list[dict[str, Any]], scores: dict[str, int | None],
                  at: datetime, given_by: str = GivenBy.STAFF.value) -> None:
    """Appends an answer to a case's `answers`, marking each earlier answer of a kind the new
    one gives as superseded in that kind."""
    given = {kind for kind in KINDS if scores.get(kind) is not None}
    for earlier in answers:
        earlier["superseded"] = sorted(set(earlier["superseded"])
                                       | (given & _kinds_of(earlier)))
    answers.append({**{kind: scores.get(kind) for kind in KINDS}, "at": at,
                    "superseded": [], "given_by": given_by})


def standing_scores(answers: list[dict[str, Any]],
                    given_by: str | None = None) -> dict[str, int]:
    """The score of each kind that counts: the latest answer's, per kind; with `given_by`,
    the latest answer's of that source (customer or staff), per kind."""
    standing: dict[str, int] = {}
    for answer in answers:
        if given_by is None:
            kinds = _kinds_of(answer) - set(answer["superseded"])
        elif answer.get("given_by", GivenBy.STAFF.value) == given_by:
            kinds = _kinds_of(answer)
        else:
            continue
        for kind in kinds:
            standing[kind] = answer[kind]
    return standing


def _kinds_of(answer: dict[str, Any]) -> set[str]:
    return {kind for kind in KINDS if answer.get(kind) is not None}
