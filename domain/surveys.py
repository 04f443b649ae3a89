"""Satisfaction survey answers (recommendation 1C): which answers count, and when one may be given.

A customer may answer again (a second link, a call to the desk). One answer per case per survey
kind counts, the latest; an earlier answer of that kind stays in the case's history, marked
superseded by the later one, so the figures count each case once per kind and an auditor still
sees every answer. Answers are taken only once the matter is resolved or closed: a survey asks
how the matter was handled, and an answer on an open case could be replaced by the outcome.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.errors import RuleViolated
from domain.values import Status

KINDS = ("csat", "nps", "ces")
ANSWERABLE = frozenset({Status.RESOLVED.value, Status.CLOSED.value})


class CaseNotResolved(RuleViolated):
    """A survey answer on a case that is not resolved or closed."""

    code = "case-not-resolved"


def check_answerable(status: str, reference: str) -> None:
    """Raises CaseNotResolved unless a case in `status` may take a survey answer."""
    if status not in ANSWERABLE:
        raise CaseNotResolved(
            f"case {reference} is {status.replace('_', ' ')}: a survey is answered only once "
            "the case is resolved or closed", "status")


def record_answer(answers: list[dict[str, Any]], scores: dict[str, int | None],
                  at: datetime) -> None:
    """Appends an answer to a case's `answers`, marking each earlier answer of a kind the new
    one gives as superseded in that kind."""
    given = {kind for kind in KINDS if scores.get(kind) is not None}
    for earlier in answers:
        earlier["superseded"] = sorted(set(earlier["superseded"])
                                       | (given & _kinds_of(earlier)))
    answers.append({**{kind: scores.get(kind) for kind in KINDS}, "at": at,
                    "superseded": []})


def standing_scores(answers: list[dict[str, Any]]) -> dict[str, int]:
    """The score of each kind that counts: the latest answer's, per kind."""
    standing: dict[str, int] = {}
    for answer in answers:
        for kind in _kinds_of(answer) - set(answer["superseded"]):
            standing[kind] = answer[kind]
    return standing


def _kinds_of(answer: dict[str, Any]) -> set[str]:
    return {kind for kind in KINDS if answer.get(kind) is not None}
