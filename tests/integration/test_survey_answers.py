"""Customer-given and staff-entered survey answers, recorded on each database and shown apart by
the scorecard and the accountability report, with response rates.

The history (public works, March 2026; each case received by email and resolved the same day):

P  customer Ann; resolved (link 1); the customer answers by the link: CSAT 5, NPS 10, CES 7.
Q  customer Ann; resolved (link 2); the customer answers by the link: CSAT 2, NPS 6; then
   staff type in CSAT 3 (what the customer said on the phone later).
R  customer Ann; resolved (link 3); staff type in CSAT 4, NPS 9, CES 5.
S  customer Ann; resolved (link 4); no answer.
T  no customer on record; resolved (no link: no one to send it to); staff type in CSAT 1.

Hand-computed figures:
- Cases given a link: P, Q, R, S = 4.
- Customer-given: CSAT 5, 2 -> 2 answers, (5 + 2) / 2 = 3.50; NPS 10 (promoter), 6
  (detractor) -> (1 - 1) / 2 = 0.0; CES 7 -> 7.00; cases with a link answered: P, Q = 2;
  response rate 2 / 4 = 50.0 %.
- Staff-entered: CSAT 3, 4, 1 -> (3 + 4 + 1) / 3 = 2.67; NPS 9 -> 1 promoter, 100.0; CES 5 ->
  5.00; cases with a link answered: Q, R = 2 (T has no link), 2 / 4 = 50.0 %.
- Every answer, the latest per case and kind whoever gave it: CSAT P 5, Q 3 (staff's, later
  than the customer's 2), R 4, T 1 -> 13 / 4 = 3.25; NPS P 10, Q 6, R 9 -> (2 - 1) / 3 = 33.3;
  CES P 7, R 5 -> 6.00.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

import pytest

from api.report_formats import tables
from api.reports import render
from api.scorecards import rows
from application.accountability import Rated, rated
from application.desk import ServiceDesk
from application.scorecards import department_scorecard
from application.survey_links import SurveyLinks, SurveyRefused, answer_survey
from domain.actors import Actor, Role
from engine.runner import ProjectionSet
from infrastructure.accountability_source import produce_report
from infrastructure.bootstrap import build_desk, seed_catalogue
from infrastructure.survey_link_key import survey_links
from projections.scorecard import SCORECARD
from tests import toronto_time
from tests.commanding import change_case
from tests.conftest import DATABASES, MovableClock, fresh_database, running_projections
from tests.receiving import receive

ADMIN = Actor(id="admin-al", role=Role.ADMIN)
CLERK = Actor(id="clerk-cy", role=Role.CLERK)


def share(value: str, count: int) -> Rated:
    return rated(Decimal(value), count, 1)


@dataclass
class History:
    desk: ServiceDesk
    links: SurveyLinks
    projections: ProjectionSet
    cases: dict[str, UUID]


def resolved(desk: ServiceDesk, **overrides: object) -> UUID:
    case_id = receive(desk, **overrides).case.id
    change_case(desk, ADMIN, case_id, "resolve", expected_version=None, resolution="Done",
                at_first_contact=False)
    return case_id


def staff_answer(desk: ServiceDesk, case_id: UUID, **scores: int) -> None:
    change_case(desk, ADMIN, case_id, "survey", expected_version=None, comment="",
                **{"csat": None, "nps": None, "ces": None, **scores})


def customer_answer(history_desk: ServiceDesk, links: SurveyLinks, case_id: UUID,
                    **scores: int) -> None:
    token = links.token_for(history_desk.get_case(ADMIN, case_id))
    assert token is not None
    answer_survey(history_desk, links, token,
                  **{"csat": None, "nps": None, "ces": None, **scores})


@pytest.fixture(scope="module", params=DATABASES)
def history(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[History]:
    with fresh_database(request.param, tmp_path_factory.mktemp("surveys")) as settings:
        clock = MovableClock(toronto_time.toronto(2026, 3, 4, 10))
        desk = build_desk(settings, clock=clock)
        links = survey_links(settings)
        assert links is not None
        try:
            seed_catalogue(desk)
            with running_projections(settings, desk, SCORECARD) as projections:
                cases = {name: resolved(desk) for name in "PQRS"}
                cases["T"] = resolved(desk, customer=None)
                clock.advance(hours=2)
                customer_answer(desk, links, cases["P"], csat=5, nps=10, ces=7)
                customer_answer(desk, links, cases["Q"], csat=2, nps=6)
                clock.advance(hours=1)
                staff_answer(desk, cases["Q"], csat=3)
                staff_answer(desk, cases["R"], csat=4, nps=9, ces=5)
                staff_answer(desk, cases["T"], csat=1)
                projections.wait_for(desk.log_position(), timeout=30)
                yield History(desk, links, projections, cases)
        finally:
            desk.close()


class TestRecording:
    def test_each_answer_is_recorded_with_who_gave_it(self, history: History) -> None:
        q = history.desk.get_case(ADMIN, history.cases["Q"])
        assert [(a["csat"], a["given_by"]) for a in q.surveys] == [(2, "customer"), (3, "staff")]
        assert q.survey_link is not None and q.survey_link["answered_at"] is not None
        assert history.desk.get_case(ADMIN, history.cases["T"]).survey_link is None

    def test_a_second_answer_by_the_link_is_refused_and_records_nothing(
            self, history: History) -> None:
        before = history.desk.log_position()
        with pytest.raises(SurveyRefused) as refused:
            customer_answer(history.desk, history.links, history.cases["P"], csat=1)
        assert refused.value.why == "used"
        assert history.desk.log_position() == before

    def test_a_link_for_another_case_is_not_accepted(self, history: History) -> None:
        # The expiry of S's link with P's id: a link the Town never made.
        s = history.desk.get_case(ADMIN, history.cases["S"])
        assert s.survey_link is not None
        forged = history.links.token(history.cases["T"], s.survey_link["expires_at"])
        with pytest.raises(SurveyRefused) as refused:
            answer_survey(history.desk, history.links, forged, csat=5, nps=None, ces=None)
        assert refused.value.why == "unknown"
        other_key = SurveyLinks(b"\x01" * 32).token(history.cases["S"],
                                                    s.survey_link["expires_at"])
        with pytest.raises(SurveyRefused):
            answer_survey(history.desk, history.links, other_key, csat=5, nps=None, ces=None)


class TestScorecard:
    def test_customer_given_and_staff_entered_answers_apart_with_response_rates(
            self, history: History) -> None:
        s = department_scorecard(history.projections.view(SCORECARD.name), ADMIN,
                                 department="public-works", period="2026-03",
                                 now=history.desk.clock(), min_sample=1).satisfaction
        assert s.survey_links == 4
        c, t = s.customer_given, s.staff_entered
        assert (c.csat_responses, c.csat_average, c.nps_responses, c.promoters, c.detractors,
                c.nps, c.ces_responses, c.ces_average) == (
            2, share("3.50", 2), 2, 1, 1, share("0.0", 2), 1, share("7.00", 1))
        assert (c.cases_answered, c.response_rate) == (2, share("50.0", 4))
        assert (t.csat_responses, t.csat_average, t.nps_responses, t.nps, t.ces_responses,
                t.ces_average) == (3, share("2.67", 3), 1, share("100.0", 1), 1,
                                   share("5.00", 1))
        assert (t.cases_answered, t.response_rate) == (2, share("50.0", 4))
        # Every answer, the latest per case and kind, whoever gave it.
        assert (s.csat_responses, s.csat_average, s.nps, s.ces_average) == (
            4, share("3.25", 4), share("33.3", 3), share("6.00", 2))


class TestAccountabilityReport:
    def test_the_report_shows_the_same_figures_apart(self, history: History) -> None:
        report = produce_report(history.desk, CLERK, period="2026-03", min_sample=1,
                                department="public-works")
        s = report.satisfaction
        assert s.survey_links == 4
        c, t = s.customer_given, s.staff_entered
        assert (c.csat_average, c.nps, c.ces_average, c.cases_answered, c.response_rate) == (
            share("3.50", 2), share("0.0", 2), share("7.00", 1), 2, share("50.0", 4))
        assert (t.csat_average, t.nps, t.ces_average, t.cases_answered, t.response_rate) == (
            share("2.67", 3), share("100.0", 1), share("5.00", 1), 2, share("50.0", 4))
        assert (s.csat_average, s.nps, s.ces_average) == (
            share("3.25", 4), share("33.3", 3), share("6.00", 2))

    def test_the_report_s_page_and_tables_and_the_scorecard_s_csv_show_them_apart(
            self, history: History) -> None:
        report = produce_report(history.desk, CLERK, period="2026-03", min_sample=1,
                                department="public-works")
        page = render(report, "html").decode()
        assert ">Customer-given</th><th scope=\"col\" class=\"num\">Staff-entered</th>" in page
        assert "Response rate (of cases given a link)" in page and "50.0%" in page
        summary = dict(next(t for t in tables(report) if t.name == "summary").rows)
        assert (summary["survey_links"], summary["customer_given_cases_answered"],
                summary["staff_entered_csat_average"]) == (4, 2, share("2.67", 3))
        card = department_scorecard(history.projections.view(SCORECARD.name), ADMIN,
                                    department="public-works", period="2026-03",
                                    now=history.desk.clock(), min_sample=1)
        found = {(metric, dimension): value for section, metric, dimension, value in rows(card)
                 if section == "satisfaction"}
        assert found[("response_rate_percent", "customer_given")] == share("50.0", 4)
        assert found[("csat_average", "staff_entered")] == share("2.67", 3)
        assert found[("survey_links", "")] == 4
