"""`GET /api/v1/scorecards`: a department's or the Town's scorecard for a month, quarter or year,
per channel, service or business unit if asked, JSON or CSV.

The figures and their definitions are `application.scorecards`'. CSV is one long table with the
header `section,metric,dimension,value,count,note`, one figure a row in the order of the JSON
document: `dimension` names the channel, purpose, standard or escalation level a figure is
broken down by and is empty otherwise. A share or average also fills `count` (the results it is
computed from); one that is not rated (too few results, or none) has an empty `value` and says
why in `note` ("too few to rate: 3 of the 10 needed"). One long table, rather than a table per
section, stays one file that any spreadsheet pivots.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import anyio
import msgspec
from litestar import MediaType, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ServiceUnavailableException
from litestar.params import FromQuery, QueryParameter, SkipValidation

from api.auth import authenticated, current_actor
from api.media_forms import operation_with_forms
from api.plain_text import PERIOD_CHARACTERS
from api.problems import problem_doc
from api.read_your_writes import LAST_POSITION, RETRY_AFTER, WAIT_SECONDS, ReadYourWrites
from application.accountability import Rated, parse_period
from application.desk import ServiceDesk
from application.goals import metric_goals
from application.scorecards import (
    SCORECARD_NAME,
    BusinessTimes,
    Scope,
    Scorecard,
    ScorecardQuery,
    SourceFigures,
    check_may_see_scorecard,
    check_scope,
    department_scorecard,
)
from domain.actors import Actor
from domain.errors import InvalidValue
from infrastructure.settings import Settings

Format = Literal["json", "csv"]
MAX_TREND = 24  # periods: two years of months
CSV = "text/csv"  # Litestar adds "; charset=utf-8" to a text/* type itself
CSV_HEADER = ("section", "metric", "dimension", "value", "count", "note")
Value = str | int | Decimal | date | datetime | Rated | None
Row = tuple[str, str, str, Value]


def _text(value: Value) -> str:
    if isinstance(value, Rated):
        return _text(value.value)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _times(section: str, times: BusinessTimes) -> list[Row]:
    return [(section, "cases", "", times.cases),
            (section, "median_business_seconds", "", times.median_seconds),
            (section, "p90_business_seconds", "", times.p90_seconds),
            (section, "median_business_hours", "", times.median_hours),
            (section, "p90_business_hours", "", times.p90_hours),
            (section, "rated", "", "yes" if times.rated else "no"),
            (section, "reason", "", times.reason)]


def _goals(card: Scorecard) -> list[Row]:
    found: list[Row] = []
    for g in card.goals:
        met = "" if g.met is None else "yes" if g.met else "no"
        found += [("goals", g.metric, "goal", g.goal), ("goals", g.metric, "direction",
                                                         g.direction),
                  ("goals", g.metric, "set_for", g.set_for or "town"),
                  ("goals", g.metric, "figure", g.figure), ("goals", g.metric, "met", met)]
    return found


def _trend(card: Scorecard) -> list[Row]:
    found: list[Row] = []
    for point in card.trend:
        found.append(("trend", "cases", point.period.label, point.cases))
        found += [("trend", metric, point.period.label, value)
                  for metric, value in point.figures.items()]
    return found


def _source(dimension: str, f: SourceFigures) -> list[Row]:
    """One source's answers (customer_given, staff_entered), as the dimension of the rows."""
    return [("satisfaction", metric, dimension, value) for metric, value in (
        ("csat_responses", f.csat_responses), ("csat_average", f.csat_average),
        ("nps_responses", f.nps_responses), ("nps_promoters", f.promoters),
        ("nps_passives", f.passives), ("nps_detractors", f.detractors), ("nps", f.nps),
        ("ces_responses", f.ces_responses), ("ces_average", f.ces_average),
        ("cases_answered", f.cases_answered), ("response_rate_percent", f.response_rate))]


def rows(card: Scorecard) -> list[Row]:
    """The scorecard as (section, metric, dimension, value) rows."""
    t, f, c, e, s = (card.transfers_made, card.first_contact, card.complaints, card.effort,
                     card.satisfaction)
    return [
        ("scorecard", "department", "", card.department or "town"),
        ("scorecard", "department_name", "", card.department_name),
        ("scorecard", "channel", "", card.channel),
        ("scorecard", "service", "", card.service),
        ("scorecard", "business_unit", "", card.business_unit),
        ("scorecard", "assignee", "", card.assignee),
        ("scorecard", "period", "", card.period.label),
        ("scorecard", "first_day", "", card.period.first_day),
        ("scorecard", "last_day", "", card.period.last_day),
        ("scorecard", "as_of", "", card.as_of),
        ("scorecard", "position", "", card.position),
        ("scorecard", "min_sample", "", card.min_sample),
        ("volumes", "cases", "", card.cases),
        *(("volumes", "cases_by_channel", k, v) for k, v in card.by_channel.items()),
        *(("volumes", "cases_by_purpose", k, v) for k, v in card.by_purpose.items()),
        *((("standards", metric, r.code, value) for r in card.standards
           for metric, value in (("met_on_time", r.met_on_time), ("met_late", r.met_late),
                                 ("breached", r.breached), ("open", r.open),
                                 ("not_measured", r.not_measured),
                                 ("share_met_percent", r.share_met)))),
        *_times("time_to_acknowledge", card.time_to_acknowledge),
        *_times("time_to_resolve", card.time_to_resolve),
        ("transfers_made", "made", "", t.made), ("transfers_made", "warm", "", t.warm),
        ("transfers_made", "cold", "", t.cold),
        ("transfers_made", "warm_share_percent", "", t.warm_share),
        ("transfers_made", "customer_informed", "", t.customer_informed),
        ("transfers_made", "informed_share_percent", "", t.informed_share),
        ("transfers_made", "cases_handled", "", t.cases_handled),
        ("transfers_made", "per_case_handled", "", t.per_case_handled),
        ("transfers_received", "received", "", card.transfers_received),
        ("first_contact", "resolved", "", f.resolved),
        ("first_contact", "at_first_contact", "", f.at_first_contact),
        ("first_contact", "rate_percent", "", f.rate),
        ("complaints", "complaints", "", c.complaints),
        ("complaints", "escalated", "", c.escalated),
        *(("complaints", "escalations", level, n) for level, n in c.escalations.items()),
        ("complaints", "debriefs", "", c.debriefs),
        ("effort", "interactions", "", e.interactions), ("effort", "minutes", "", e.minutes),
        ("effort", "hours", "", e.hours), ("effort", "hourly_rate_dollars", "", e.hourly_rate),
        ("effort", "cost_dollars", "", e.cost),
        ("satisfaction", "csat_responses", "", s.csat_responses),
        ("satisfaction", "csat_average", "", s.csat_average),
        ("satisfaction", "nps_responses", "", s.nps_responses),
        ("satisfaction", "nps_promoters", "", s.promoters),
        ("satisfaction", "nps_passives", "", s.passives),
        ("satisfaction", "nps_detractors", "", s.detractors),
        ("satisfaction", "nps", "", s.nps),
        ("satisfaction", "ces_responses", "", s.ces_responses),
        ("satisfaction", "ces_average", "", s.ces_average),
        ("satisfaction", "survey_links", "", s.survey_links),
        *_source("customer_given", s.customer_given),
        *_source("staff_entered", s.staff_entered),
        ("goals", "goals_version", "", card.goals_version),
        *_goals(card),
        *_trend(card),
    ]


def to_csv(card: Scorecard) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(
        (section, metric, dimension, _text(value),
         *((value.count, value.reason or "") if isinstance(value, Rated) else ("", "")))
        for section, metric, dimension, value in rows(card))
    return text.getvalue().encode("utf-8")


ScorecardOperation = operation_with_forms(
    "The scorecard: JSON (format=json) or one long CSV table (format=csv)",
    {"text/csv": "one table: section,metric,dimension,value,count,note"})


@get("/api/v1/scorecards", operation_id="scorecard", tags=["reports"],
     summary="A department's or the Town's scorecard for a month, quarter or year",
     guards=[authenticated],
     dependencies={"actor": Provide(current_actor, sync_to_thread=False)},
     description=(
         "Recommendation 2A's scorecard of one department (`department`, a code; left out: "
         "the Town-wide scorecard of every department, for the roles that see every "
         "department) for the cases received in `period` (2026-07, 2026-Q3 or 2026; Toronto "
         "dates), narrowed to one `channel`, one `service` (a service code) or one "
         "`business_unit`, or to the cases assigned to one staff member (`assignee`; "
         "managers, directors and administrators only) if given (volumes, effort and "
         "cost, CSAT, NPS and CES per service: "
         "recommendations 4C and 1C): volumes by channel "
         "and purpose; targets met on time, met late, breached and open per standard, with the "
         "share met; median and 90th percentile (nearest rank) business time to acknowledge "
         "and to resolve; transfers the department made, per case it handled and the share "
         "warm; first-contact resolution; complaints, escalations per level, debriefs; effort "
         "hours and cost at the department's hourly rate; CSAT, NPS and CES with response "
         "counts; each goal set for a metric (`PUT /api/v1/admin/goals`) beside its figure "
         "and whether it is met; and the `trend`: those metrics for the periods before, of "
         "the same kind (6 unless `trend` says, this one last). "
         "A case counts for the department that owns it now. Every share and average "
         "is `{value, count, rated, reason}`: from fewer results than the desk's minimum "
         "sample (CIVICDESK_MIN_SAMPLE, 10 unless set) it is not rated (value null, "
         "rated false, reason \"too few to rate: ...\"). `format`: json, or csv "
         "(one long table `section,metric,dimension,value,count,note`). Staff and managers "
         "see their own "
         "departments' scorecards; the other roles every department's. `min_position` (an "
         "`X-Civicdesk-Position` a command answered) waits up to "
         f"{WAIT_SECONDS:g} s for the scorecard to include that command. Errors: 400 "
         "(malformed or missing parameter, unknown format), 401, 403 (another department), "
         "422 (bad period, unknown department, channel, service or business unit, position "
         "beyond the log), 503 (not there yet; "
         "see Retry-After), as application/problem+json naming the parameter."),
     responses={400: problem_doc("A parameter is malformed or missing"),
                401: problem_doc("No valid bearer token"),
                403: problem_doc("The department is not one of the caller's, or the caller "
                                 "may not see the Town-wide scorecard"),
                422: problem_doc("The period, department, channel, service, business unit "
                                 "or position is not valid"),
                503: problem_doc("The scorecard has not reached `min_position` yet, or does "
                                 "not know the department yet")},
     media_type=MediaType.JSON, operation_class=ScorecardOperation)
async def scorecard(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    desk: NamedDependency[ServiceDesk],
    scorecards: NamedDependency[SkipValidation[ScorecardQuery]],
    settings: NamedDependency[Settings],
    read_your_writes: NamedDependency[ReadYourWrites],
    period: Annotated[str, QueryParameter(
        min_length=1, max_length=16, pattern=PERIOD_CHARACTERS,
        description="2026-07, 2026-Q3 or 2026")],
    department: Annotated[str | None, QueryParameter(
        min_length=1, max_length=64,
        description="a department code; left out: the Town, every department")] = None,
    channel: Annotated[str | None, QueryParameter(
        min_length=1, max_length=32, description="only cases received on this channel")] = None,
    service: Annotated[str | None, QueryParameter(
        min_length=1, max_length=64, description="only cases for this service (a code)")] = None,
    business_unit: Annotated[str | None, QueryParameter(
        min_length=1, max_length=64,
        description="only cases for the services of this business unit")] = None,
    assignee: Annotated[str | None, QueryParameter(
        min_length=1, max_length=64,
        description="only cases assigned to this staff member now (managers, directors and "
                    "administrators)")] = None,
    format: FromQuery[Format] = "json",
    trend: Annotated[int, QueryParameter(
        ge=0, le=MAX_TREND,
        description="how many periods the trend shows, this one last (0: no trend)")] = 6,
    min_position: Annotated[int | None, QueryParameter(
        ge=0, le=LAST_POSITION,
        description="wait until the scorecard includes this log position")] = None,
    include_imported: Annotated[bool, QueryParameter(
        description="true: count the cases imported from another system (`civicdesk "
                    "import`); by default only the cases the desk itself received")] = False,
) -> Response[Scorecard]:
    # Async with an explicit worker thread, as `case_list` does (Litestar 2.25 wraps a
    # sync_to_thread handler twice when another handler joins its path later).
    def produce() -> tuple[Scorecard, bytes]:
        check_may_see_scorecard(actor, department)
        check_scope(Scope(department, channel, service, business_unit, assignee), actor)
        parse_period(period)  # refuse a bad period before waiting for anything
        read_your_writes.wait_for(request, min_position, SCORECARD_NAME)
        goals = metric_goals(desk)
        try:
            card = department_scorecard(scorecards, actor, department=department, period=period,
                                        now=desk.clock(),
                                        min_sample=settings.min_sample,
                                        channel=channel, service=service,
                                        business_unit=business_unit, assignee=assignee,
                                        goals=goals.in_force() if goals else (),
                                        goals_version=goals.current_version if goals else None,
                                        trend_periods=trend,
                                        include_imported=include_imported)
        except InvalidValue as error:
            known = ((error.field == "department" and department is not None
                      and desk.find_department(department) is not None)
                     or (error.field == "service" and service is not None
                         and desk.find_service(service) is not None))
            if not known:
                raise
            # The catalogue has it, the read model not yet (it is catching up after a start).
            raise ServiceUnavailableException(
                detail=f"the scorecard read model does not know {error.field} "
                       f"{department if error.field == 'department' else service!r} yet; "
                       "retry shortly", headers={"Retry-After": RETRY_AFTER}) from None
        return card, to_csv(card) if format == "csv" else msgspec.json.encode(card)

    card, body = await anyio.to_thread.run_sync(produce)
    headers = {"X-Civicdesk-Position": str(card.position)}
    if format == "csv":
        headers["Content-Disposition"] = (
            f'attachment; filename="scorecard-{card.department or "town"}-'
            f'{card.period.label}.csv"')
    # The body is already encoded: Litestar passes bytes through, while the annotation
    # documents the JSON form in the OpenAPI schema.
    return Response(body, media_type=CSV if format == "csv" else MediaType.JSON,  # type: ignore[arg-type]
                    headers=headers)
