"""The scorecard (recommendation 2A): a department's, or the Town's, figures for a month, quarter
or year, optionally for one channel, service or business unit.

The scorecard is read from the `scorecard` projection (`ScorecardQuery`), which keeps the facts
of every case; this module turns the facts of one department and period into figures. The
definitions follow the clerk's accountability report (`application.accountability`) wherever
both report the same thing, so council never sees two answers to one question:

- Period: a case belongs to the period in which it was received, by its Toronto date (a letter
  by its Received stamp). Every figure, surveys and effort included, is about those cases.
- Department: a case belongs to the department that owns it now; it answers for the case where
  it ended up. Transfers are the exception: a transfer counts for the department that made it
  (transferred the case away), since fewer transfers is that department's goal (3A, 3E).
- Scope (`Scope`): one department or the Town (every department: then every transfer of the
  cases is made and received within the Town), narrowed to the cases received on one channel,
  for one service, or for the services of one business unit (4C: volumes, effort and cost per
  service; 1C: CSAT, NPS and CES per service), or assigned to one staff member now (for
  managers, directors and administrators only). Every figure below is computed the same way.
- Volumes: cases by channel and by purpose (every channel and purpose listed, zero or not).
- Standards: each target a case carried, judged at `now` as staff would see it (as
  `domain.targets.status` judges it): met on time, met late, breached (deadline passed, still
  unmet), open, or not measured (a telephone or in-person contact whose wait nobody recorded:
  counted, outside the share). Share met = met on time / (met on time + met late +
  breached), in percent.
- Time to acknowledge: business time from receipt to the first response to the customer, the
  first event that meets an acknowledgement target (acknowledgement, interim response, outbound
  contact or resolution). Time to resolve: business time from receipt to the resolution that
  stands (a reopened case counts again once resolved again). Both are business seconds on the
  desk's calendar as the log knew it when the response or resolution was recorded, time waiting
  on the customer included (the SLA figures are the ones that leave it out).
- Median and 90th percentile: nearest rank. The p-th percentile of n values sorted ascending is
  the value at rank ceil(p x n / 100), so the median of an even count is the lower middle value
  and every figure is a time some case actually took.
- Transfers made (`transfers_made`; on the period's cases, whenever made): transfers out of
  the department, warm and cold, the share warm, the share where the customer was told
  (`customer_informed`); per case handled = transfers made / cases the department handled (owns
  now, or transferred away). Transfers received (`transfers_received`): into the department.
  The accountability report's `transfers_of_cases` is another figure with another name: every
  transfer of the cases reported, whoever made it (README, "Metrics glossary").
- First-contact resolution: the share of resolved (or closed) cases resolved at first contact.
- Complaints: cases classified as complaints; escalations per level = complaints that reached
  that rung; debriefs done.
- Effort: the minutes of staff effort logged on the cases, each case's costed at the hourly
  rate of the department that owns it, as it stands now (set by
  `PATCH /api/v1/departments/{code}`); `hourly_rate` is the department's (null for the Town).
- Satisfaction: CSAT average (1-5), NPS = % promoters (9-10) minus % detractors (0-6), CES
  average (1-7), each with its response count: every answer (the latest per case and kind,
  whoever gave it), then the customers' own answers (`customer_given`, through the survey link
  the case was given at its first resolution) and the answers staff typed in
  (`staff_entered`) apart, each with its response rate = cases given a link that have an
  answer of that source / cases given a link (`survey_links`).
- Minimum sample: the median and 90th percentile times are withheld (with `rated` false and
  the reason) below it too. Every share and average (share met, warm share, informed share,
  transfers per case handled, first-contact resolution, CSAT, NPS, CES) is a `Rated`: its value, the
  number of results it is computed from, and whether it is rated. From fewer than `min_sample`
  results (CIVICDESK_MIN_SAMPLE, 10 unless set) it is "too few to rate": no value, its count
  and the reason, never a 0 % or 100 % drawn from two cases.
Rounding as in the accountability report: percentages to 0.1, averages and hours to 0.01,
money to the cent, half up.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol
from uuid import UUID

from application.access import EVERY_DEPARTMENT, can_see_department
from application.accountability import (
    CENT,
    MIN_SAMPLE,
    Period,
    Rated,
    dollars,
    hours,
    parse_period,
    percent,
    rated,
)
from application.trends import trailing_periods
from domain.actors import Actor, Role
from domain.errors import Forbidden, InvalidValue
from domain.goals import MetricGoal, goals_for
from domain.targets import TargetState, state_at
from domain.values import Channel, Classification, EscalationLevel, Purpose, Status

SCORECARD_NAME = "scorecard"  # the read model behind ScorecardQuery, by name
TOWN_NAME = "Town of Cobourg"  # the Town-wide scorecard's name
STAFF_FIGURES = {Role.MANAGER, Role.DIRECTOR, Role.ADMIN}  # who may see one person's figures
RESOLVED_STATES = frozenset({Status.RESOLVED.value, Status.CLOSED.value})
COMPLAINT = Classification.COMPLAINT.value


# -- the facts the projection keeps --------------------------------------------------------------

@dataclass(frozen=True)
class Scope:
    """Whose figures: one department (None: the Town), narrowed to one channel, service or
    business unit if given."""

    department: str | None = None
    channel: str | None = None
    service: str | None = None
    business_unit: str | None = None
    assignee: str | None = None  # the staff member the cases are assigned to now
    # Whether cases imported from another system count (by default, as in the accountability
    # report, only the cases the desk itself received).
    include_imported: bool = False


@dataclass(frozen=True)
class SurveySums:
    """A case's standing survey answers of one source (or of both), as sums and counts."""

    csat_sum: int = 0
    csat_responses: int = 0
    nps_responses: int = 0
    nps_promoters: int = 0
    nps_detractors: int = 0
    ces_sum: int = 0
    ces_responses: int = 0

    @property
    def answered(self) -> bool:
        return bool(self.csat_responses or self.nps_responses or self.ces_responses)


@dataclass(frozen=True)
class CaseFacts:
    id: UUID
    department: str  # the owner now
    service_code: str | None
    channel: str
    purpose: str
    status: str
    classification: str | None
    escalation_level: str | None
    debriefed: bool
    first_response_seconds: int | None  # business seconds, receipt to first response
    resolved_seconds: int | None  # business seconds, receipt to the standing resolution
    at_first_contact: bool
    interactions: int
    effort_minutes: int
    csat_sum: int
    csat_responses: int
    nps_responses: int
    nps_promoters: int
    nps_detractors: int
    ces_sum: int
    ces_responses: int
    rate_cents: int  # the owning department's hourly rate now
    survey_link: bool = False  # the customer was given a survey link
    customer_scores: SurveySums = SurveySums()  # the customer's own answers (by the link)
    staff_scores: SurveySums = SurveySums()  # the answers staff typed in

    @property
    def scores(self) -> SurveySums:
        """The standing answers of either source (the latest per kind)."""
        return SurveySums(self.csat_sum, self.csat_responses, self.nps_responses,
                          self.nps_promoters, self.nps_detractors, self.ces_sum,
                          self.ces_responses)


@dataclass(frozen=True)
class TargetFacts:
    standard_code: str
    due_at: datetime
    paused_at: datetime | None
    met_at: datetime | None
    breached_at: datetime | None
    at_risk_from: datetime | None = None  # the scorecard counts at risk as open: not needed
    not_measured: bool = False  # a wait-time promise whose wait nobody recorded
    # The domain's verdict once the target settled (`domain.targets.settled_state`), as the
    # read model stored it; None while open.
    settled: str | None = None


@dataclass(frozen=True)
class TransferFacts:
    case_id: UUID
    warm: bool
    customer_informed: bool


@dataclass(frozen=True)
class ScorecardFacts:
    """The cases in a scope received in one period, as the projection holds them."""

    position: int  # the log position the facts are as of
    department_name: str | None  # the scope's department's; None for the Town
    hourly_rate_cents: int | None  # the scope's department's; None for the Town
    cases: list[CaseFacts]
    targets: list[TargetFacts]
    transfers_made: list[TransferFacts]  # out of the department (the Town: every one)
    transfers_received: int  # into the department (the Town: every one)
    unknown: str | None = None  # the scope field naming something the read model does not know


class ScorecardQuery(Protocol):
    def scorecard_facts(self, scope: Scope, first_day: date,
                        last_day: date) -> ScorecardFacts:
        """The facts of the scope's cases received between the Toronto days given (both
        included), and the transfers its department made on cases received then."""
        ...


# -- the figures ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class StandardFigures:
    code: str
    met_on_time: int
    met_late: int
    breached: int
    open: int
    share_met: Rated  # percent of decided targets met on time
    # Wait-time promises on contacts whose wait nobody recorded: counted, not left out (and
    # not in the share, which they can neither raise nor lower).
    not_measured: int = 0


@dataclass(frozen=True)
class BusinessTimes:
    """Median and 90th percentile; like a share, withheld (None, with `reason`) when fewer
    than the minimum sample of cases have a time."""

    cases: int  # cases with a time
    median_seconds: int | None
    p90_seconds: int | None
    median_hours: Decimal | None
    p90_hours: Decimal | None
    rated: bool = True
    reason: str | None = None


@dataclass(frozen=True)
class TransferFigures:
    """Transfers the department made (out of it), on its cases of the period."""

    made: int
    warm: int
    cold: int
    warm_share: Rated  # percent of transfers made
    customer_informed: int
    informed_share: Rated  # percent of transfers made where the customer was told
    cases_handled: int
    per_case_handled: Rated


@dataclass(frozen=True)
class FirstContactFigures:
    resolved: int
    at_first_contact: int
    rate: Rated


@dataclass(frozen=True)
class ComplaintFigures:
    complaints: int
    escalated: int
    escalations: dict[str, int]  # level: complaints that reached it
    debriefs: int


@dataclass(frozen=True)
class EffortFigures:
    interactions: int
    minutes: int
    hours: Decimal
    hourly_rate: Decimal | None  # dollars: the department's; None for the Town
    cost: Decimal  # dollars


@dataclass(frozen=True)
class SourceFigures:
    """The answers of one source (the customers' own, or those staff typed in), with the
    response rate: cases given a survey link that have an answer of this source / cases given
    a survey link, in percent."""

    csat_responses: int
    csat_average: Rated
    nps_responses: int
    promoters: int
    passives: int
    detractors: int
    nps: Rated
    ces_responses: int
    ces_average: Rated
    cases_answered: int  # of the cases given a link
    response_rate: Rated


@dataclass(frozen=True)
class SatisfactionFigures:
    """Every answer (the latest per case and kind, whoever gave it), then the customers' own
    and the staff-entered apart, with the cases given a survey link."""

    csat_responses: int
    csat_average: Rated
    nps_responses: int
    promoters: int
    passives: int
    detractors: int
    nps: Rated
    ces_responses: int
    ces_average: Rated
    survey_links: int
    customer_given: SourceFigures
    staff_entered: SourceFigures


@dataclass(frozen=True)
class Scorecard:
    department: str | None  # None: the Town, every department
    department_name: str  # the Town's name for the Town
    channel: str | None  # the scope's narrowing, if any
    service: str | None
    business_unit: str | None
    assignee: str | None
    period: Period
    as_of: datetime  # targets are judged at this moment
    min_sample: int  # fewest results a share or average is rated from
    position: int  # the log position the figures are as of
    cases: int
    by_channel: dict[str, int]
    by_purpose: dict[str, int]
    standards: list[StandardFigures]
    time_to_acknowledge: BusinessTimes
    time_to_resolve: BusinessTimes
    transfers_made: TransferFigures
    transfers_received: int  # transfers into the department, on its cases of the period
    first_contact: FirstContactFigures
    complaints: ComplaintFigures
    effort: EffortFigures
    satisfaction: SatisfactionFigures
    goals_version: int | None = None  # the version of the goals judged against; None: none set
    goals: list[GoalFigure] = field(default_factory=list)
    trend: list[TrendPoint] = field(default_factory=list)  # oldest first, this period last


@dataclass(frozen=True)
class GoalFigure:
    """One metric's goal beside the figure: met when the figure is at least (or at most) the
    goal; `met` null when the figure is not rated (too few results to judge)."""

    metric: str
    goal: Decimal
    direction: str  # at_least or at_most
    set_for: str | None  # the department whose goal it is; None: the Town's
    figure: Rated
    met: bool | None


@dataclass(frozen=True)
class TrendPoint:
    """The goal metrics of one period of the trend, computed as this period's are."""

    period: Period
    cases: int
    figures: dict[str, Rated]  # by metric name (domain.goals.GOAL_METRICS)


def _times_rated(times: BusinessTimes) -> Rated:
    return Rated(times.median_hours if times.rated else None, times.cases, times.rated,
                 times.reason)


def metric_figures(card: Scorecard) -> dict[str, Rated]:
    """The scorecard's figures a goal may be set for, by the names of
    `domain.goals.GOAL_METRICS`. `share_met` is over every standard: met on time / decided."""
    met = sum(s.met_on_time for s in card.standards)
    decided = sum(s.met_on_time + s.met_late + s.breached for s in card.standards)
    t, s = card.transfers_made, card.satisfaction
    return {
        "share_met": rated(percent(met, decided), decided, card.min_sample),
        "first_contact_rate": card.first_contact.rate,
        "warm_share": t.warm_share, "informed_share": t.informed_share,
        "transfers_per_case": t.per_case_handled,
        "csat_average": s.csat_average, "nps": s.nps, "ces_average": s.ces_average,
        "median_hours_to_acknowledge": _times_rated(card.time_to_acknowledge),
        "median_hours_to_resolve": _times_rated(card.time_to_resolve),
    }


def judge_goals(card: Scorecard, goals: Iterable[MetricGoal]) -> list[GoalFigure]:
    """Each goal that applies to the scorecard's department, beside its figure."""
    figures = metric_figures(card)
    judged = []
    for metric, goal in goals_for(goals, card.department).items():
        figure = figures[metric]
        judged.append(GoalFigure(
            metric=metric, goal=goal.value, direction=goal.direction.value,
            set_for=goal.department, figure=figure,
            met=goal.is_met_by(figure.value) if figure.rated and figure.value is not None
            else None))
    return judged


def nearest_rank(values: list[int], p: int) -> int | None:
    """The p-th percentile (0 < p <= 100) by nearest rank; None for no values."""
    if not values:
        return None
    rank = -(-p * len(values) // 100)  # ceil(p x n / 100), in integers
    return sorted(values)[max(rank, 1) - 1]


def outcome(target: TargetFacts, now: datetime) -> str:
    """met, met_late, breached, open or not_measured, as counted: the verdict stored when the
    target settled (`domain.targets.settled_state`), else `domain.targets.state_at` at `now`
    (an open target: pending or at risk, or breached once its due time has passed)."""
    if target.settled is not None:
        return TargetState(target.settled).outcome
    return state_at(target, now).outcome


def _times(seconds: list[int], minimum: int) -> BusinessTimes:
    verdict = rated(Decimal(0), len(seconds), minimum)  # only whether there are enough
    if not verdict.rated:
        return BusinessTimes(cases=len(seconds), median_seconds=None, p90_seconds=None,
                             median_hours=None, p90_hours=None, rated=False,
                             reason=verdict.reason)
    median, p90 = nearest_rank(seconds, 50), nearest_rank(seconds, 90)
    return BusinessTimes(cases=len(seconds), median_seconds=median, p90_seconds=p90,
                         median_hours=None if median is None else hours(median),
                         p90_hours=None if p90 is None else hours(p90))


def _mean(total: int, count: int) -> Decimal | None:
    return None if not count else (Decimal(total) / count).quantize(CENT, ROUND_HALF_UP)


def _standards(targets: list[TargetFacts], now: datetime,
               minimum: int) -> list[StandardFigures]:
    counts: dict[str, Counter[str]] = {}
    for target in targets:
        counts.setdefault(target.standard_code, Counter())[outcome(target, now)] += 1
    rows = []
    for code in sorted(counts):
        c = counts[code]
        decided = c["met"] + c["met_late"] + c["breached"]
        rows.append(StandardFigures(code, c["met"], c["met_late"], c["breached"], c["open"],
                                    rated(percent(c["met"], decided), decided, minimum),
                                    not_measured=c["not_measured"]))
    return rows


def _transfers(facts: ScorecardFacts, minimum: int) -> TransferFigures:
    made = facts.transfers_made
    warm = sum(1 for t in made if t.warm)
    informed = sum(1 for t in made if t.customer_informed)
    handled = len({c.id for c in facts.cases} | {t.case_id for t in made})
    return TransferFigures(
        made=len(made), warm=warm, cold=len(made) - warm,
        warm_share=rated(percent(warm, len(made)), len(made), minimum),
        customer_informed=informed,
        informed_share=rated(percent(informed, len(made)), len(made), minimum),
        cases_handled=handled,
        per_case_handled=rated(_mean(len(made), handled), handled, minimum))


def _complaints(cases: list[CaseFacts]) -> ComplaintFigures:
    complaints = [c for c in cases if c.classification == COMPLAINT]
    rungs = [EscalationLevel(c.escalation_level or EscalationLevel.FRONT_LINE).rung
             for c in complaints]
    ladder = [level for level in EscalationLevel if level.rung > 0]
    return ComplaintFigures(
        complaints=len(complaints), escalated=sum(1 for r in rungs if r > 0),
        escalations={level.value: sum(1 for r in rungs if r >= level.rung) for level in ladder},
        debriefs=sum(1 for c in complaints if c.debriefed))


def _score_figures(sums: list[SurveySums], minimum: int) -> dict[str, object]:
    nps = sum(c.nps_responses for c in sums)
    promoters = sum(c.nps_promoters for c in sums)
    detractors = sum(c.nps_detractors for c in sums)
    csat = sum(c.csat_responses for c in sums)
    ces = sum(c.ces_responses for c in sums)
    return {
        "csat_responses": csat,
        "csat_average": rated(_mean(sum(c.csat_sum for c in sums), csat), csat, minimum),
        "nps_responses": nps, "promoters": promoters,
        "passives": nps - promoters - detractors, "detractors": detractors,
        "nps": rated(percent(promoters - detractors, nps), nps, minimum),
        "ces_responses": ces,
        "ces_average": rated(_mean(sum(c.ces_sum for c in sums), ces), ces, minimum)}


def _source(cases: list[CaseFacts], source: str, minimum: int) -> SourceFigures:
    sums = [getattr(c, f"{source}_scores") for c in cases]
    linked = [s for c, s in zip(cases, sums, strict=True) if c.survey_link]
    answered = sum(1 for s in linked if s.answered)
    return SourceFigures(**_score_figures(sums, minimum),  # type: ignore[arg-type]
                         cases_answered=answered,
                         response_rate=rated(percent(answered, len(linked)), len(linked),
                                             minimum))


def _satisfaction(cases: list[CaseFacts], minimum: int) -> SatisfactionFigures:
    return SatisfactionFigures(
        **_score_figures([c.scores for c in cases], minimum),  # type: ignore[arg-type]
        survey_links=sum(1 for c in cases if c.survey_link),
        customer_given=_source(cases, "customer", minimum),
        staff_entered=_source(cases, "staff", minimum))


def build_scorecard(scope: Scope | str, period: Period, facts: ScorecardFacts,
                    now: datetime, min_sample: int = MIN_SAMPLE) -> Scorecard:
    """The figures of one department and period from the projection's facts; shares and
    averages from fewer than `min_sample` results are not rated."""
    scope = Scope(department=scope) if isinstance(scope, str) else scope
    cases = facts.cases
    channels = Counter(c.channel for c in cases)
    purposes = Counter(c.purpose for c in cases)
    resolved = [c for c in cases if c.status in RESOLVED_STATES]
    minutes = sum(c.effort_minutes for c in cases)
    cent_minutes = sum(c.effort_minutes * c.rate_cents for c in cases)
    rate = facts.hourly_rate_cents
    return Scorecard(
        department=scope.department,
        department_name=facts.department_name or scope.department or TOWN_NAME,
        channel=scope.channel, service=scope.service, business_unit=scope.business_unit,
        assignee=scope.assignee,
        period=period, as_of=now, min_sample=min_sample, position=facts.position,
        cases=len(cases),
        by_channel={c.value: channels[c.value] for c in Channel},
        by_purpose={p.value: purposes[p.value] for p in Purpose},
        standards=_standards(facts.targets, now, min_sample),
        time_to_acknowledge=_times([c.first_response_seconds for c in cases
                                    if c.first_response_seconds is not None], min_sample),
        time_to_resolve=_times([c.resolved_seconds for c in resolved
                                if c.resolved_seconds is not None], min_sample),
        transfers_made=_transfers(facts, min_sample), transfers_received=facts.transfers_received,
        first_contact=FirstContactFigures(
            resolved=len(resolved), at_first_contact=sum(c.at_first_contact for c in resolved),
            rate=rated(percent(sum(c.at_first_contact for c in resolved), len(resolved)),
                       len(resolved), min_sample)),
        complaints=_complaints(cases),
        effort=EffortFigures(
            interactions=sum(c.interactions for c in cases), minutes=minutes,
            hours=hours(minutes * 60),
            hourly_rate=None if rate is None else dollars(Decimal(rate)),
            cost=dollars(Decimal(cent_minutes) / 60)),
        satisfaction=_satisfaction(cases, min_sample))


def check_may_see_scorecard(actor: Actor, department: str | None) -> None:
    """Raises Forbidden unless the actor sees the department's cases (staff and managers see
    their own departments; the other roles every department); the Town-wide scorecard
    (`department` None) only for the roles that see every department."""
    if department is None:
        if actor.role not in EVERY_DEPARTMENT:
            raise Forbidden(f"{actor.id} may not see the Town-wide scorecard: ask for one of "
                            "your departments", "department")
    elif not can_see_department(actor, department):
        raise Forbidden(f"{actor.id} may not see the scorecard of {department}")


def check_scope(scope: Scope, actor: Actor) -> None:
    """Raises InvalidValue (field `channel`) for a channel the desk does not have, Forbidden
    (field `assignee`) for a staff member's figures asked by anyone but a manager, director
    or administrator (they are about a person's work)."""
    if scope.assignee is not None and actor.role not in STAFF_FIGURES:
        raise Forbidden(f"{actor.id} may not see a staff member's scorecard: managers, "
                        "directors and administrators may", "assignee")
    if scope.channel is not None and scope.channel not in {c.value for c in Channel}:
        raise InvalidValue(f"channel must be one of {', '.join(c.value for c in Channel)}",
                           "channel")


def department_scorecard(query: ScorecardQuery, actor: Actor, *, department: str | None,
                         period: str, now: datetime, min_sample: int = MIN_SAMPLE,
                         channel: str | None = None, service: str | None = None,
                         business_unit: str | None = None,
                         assignee: str | None = None, goals: Iterable[MetricGoal] = (),
                         goals_version: int | None = None,
                         trend_periods: int = 0, include_imported: bool = False) -> Scorecard:
    """The scorecard of `department` (None: the Town) for `period` (2026, 2026-Q3 or 2026-07),
    narrowed to a channel, service or business unit if given, judged against `goals` (version
    `goals_version`), with the goal metrics of the `trend_periods` periods ending with it
    (oldest first; 0: no trend), each computed as this period's.

    Raises Forbidden (another department's scorecard; the Town's for staff and managers),
    InvalidValue (field `period`; `channel`; `department`, `service` or `business_unit` the
    desk does not know).
    """
    check_may_see_scorecard(actor, department)
    scope = Scope(department=department, channel=channel, service=service,
                  business_unit=business_unit, assignee=assignee,
                  include_imported=include_imported)
    check_scope(scope, actor)
    chosen = parse_period(period)
    facts = query.scorecard_facts(scope, chosen.first_day, chosen.last_day)
    if facts.unknown is not None:
        wanted = getattr(scope, facts.unknown)
        raise InvalidValue(f"no {facts.unknown.replace('_', ' ')} {wanted!r}", facts.unknown)
    card = build_scorecard(scope, chosen, facts, now, min_sample)
    trend = []
    for earlier in trailing_periods(chosen, trend_periods)[:-1]:
        past = build_scorecard(scope, earlier, query.scorecard_facts(
            scope, earlier.first_day, earlier.last_day), now, min_sample)
        trend.append(TrendPoint(earlier, past.cases, metric_figures(past)))
    if trend_periods >= 1:
        trend.append(TrendPoint(chosen, card.cases, metric_figures(card)))
    return replace(card, goals_version=goals_version, goals=judge_goals(card, goals),
                   trend=trend)
