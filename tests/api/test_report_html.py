"""The accountability report's HTML page, read as a council member would: the July history of
tests/unit/test_accountability.py, rendered without a server."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal

import pytest

from api.report_formats import cell_text, tables
from api.report_html import (
    SECTIONS,
    SERIES_PER_CHART,
    SERIES_STYLES,
    chart_groups,
    human,
    number_text,
    render_html,
)
from application.accountability import MIN_SAMPLE, AccountabilityReport
from tests.unit.test_accountability import report_for


@pytest.fixture(scope="module")
def report() -> AccountabilityReport:
    return report_for()


@pytest.fixture(scope="module")
def page(report: AccountabilityReport) -> str:
    return render_html(report)


def tile(page: str, name: str) -> str:
    found = re.search(rf"<dt>{re.escape(name)}</dt><dd>([^<]*)</dd>", page)
    assert found, name
    return found.group(1)


def table_rows(page: str, caption_start: str) -> int:
    found = re.search(rf"<caption>{re.escape(caption_start)}[^<]*</caption>.*?<tbody>(.*?)"
                      "</tbody>", page, re.S)
    assert found, caption_start
    return 0 if "None." in found.group(1) else found.group(1).count("<tr>")


class TestBreachesCountOneThing:
    def test_the_tile_the_breach_table_and_the_standards_count_the_same_breaches(
            self, report: AccountabilityReport, page: str) -> None:
        # July: 003 breached both written promises: 2 breached; 002's acknowledgement was met
        # late and 004 waited 90 s against 60 s (met late): 2 met late, counted apart (the
        # tile used to add them to the breaches).
        assert tile(page, "Promises breached") == "2"
        assert table_rows(page, "Every promise breached") == 2
        assert sum(r.outcomes.breached for r in report.standards) == 2
        assert tile(page, "Promises met late") == "2"
        assert table_rows(page, "Every promise met late") == 2


class TestReadable:
    def test_channels_statuses_and_levels_have_human_labels(self, page: str) -> None:
        # every channel is listed in the volumes table, zero or not
        assert '<th scope="row">In person</th>' in page
        assert '<th scope="row">Social media</th>' in page
        assert ">in_person<" not in page and ">social_media<" not in page
        assert (human("in_person"), human("department_manager"), human("cao")) == (
            "In person", "Department manager", "CAO")

    def test_money_and_counts_have_thousands_separators(
            self, report: AccountabilityReport) -> None:
        # given effort of 123,456 minutes costing $112,345.67
        costly = replace(report, effort=replace(report.effort, minutes=123456,
                                                cost=Decimal("112345.67")))
        page = render_html(costly)
        assert tile(page, "Minutes") == "123,456"
        assert tile(page, "Cost ($)") == "112,345.67"
        assert (number_text(1234567), number_text(Decimal("-1234.5")), number_text(True),
                number_text(999)) == ("1,234,567", "-1,234.5", "yes", "999")

    def test_a_table_of_contents_links_every_section(self, page: str) -> None:
        sections = re.findall(r'<section aria-labelledby="([^"]+)">', page)
        links = re.findall(r'<li><a href="#([^"]+)">', page)
        assert links == sections == [anchor for anchor, _ in SECTIONS]

    def test_each_chart_has_at_most_a_handful_of_series_each_drawn_distinctly(self) -> None:
        # 9 standards make charts of 4, 4 and 1
        codes = [f"standard-{n}" for n in range(9)]
        assert [len(g) for g in chart_groups(codes)] == [4, 4, 1]
        assert SERIES_PER_CHART <= 5
        # no two series in a chart share a marker or a line style (greyscale), nor a colour
        for position in range(3):
            assert len({style[position] for style in SERIES_STYLES}) == len(SERIES_STYLES)

    def test_many_standards_give_several_trend_charts(self, report: AccountabilityReport,
                                                      page: str) -> None:
        # July has outcomes for 4 standards: one trend chart; with 5, two
        assert page.count("Line chart of the share") == 1
        fifth = replace(report.standards_by_month[0], code="web-form-acknowledge")
        more = replace(report, standards_by_month=[*report.standards_by_month, fifth])
        assert render_html(more).count("Line chart of the share") == 2


class TestStandardsPerDepartment:
    def test_the_page_groups_the_standards_per_department_and_the_csv_keeps_each_one(
            self, report: AccountabilityReport) -> None:
        # Given a town of 100 service standards, 20 per department in five departments, each
        # with one target met on time (the July report's department rows, remade)
        many = [replace(report.standards[0], code=f"service-{n:03}", title=f"Service {n}")
                for n in range(100)]
        grouped = [replace(report.standards_by_department[0], department=f"dept-{d}",
                           name=f"Department {d}", standards=20) for d in range(5)]
        big = replace(report, standards=many, standards_by_department=grouped)
        page = render_html(big)
        # When the page is rendered, then its standards table has one row per department
        assert table_rows(page, "Promises made and kept, by the department") == 5
        assert '<th scope="row">Department 3 (dept-3)</th>' in page
        assert "service-042" not in page
        # And the CSV (like the JSON) still has every standard, one by one, and the groups
        csv_tables = {t.name: t for t in tables(big)}
        assert len(csv_tables["standards"].rows) == 100
        assert [row[:3] for row in csv_tables["standards_by_department"].rows] == [
            (f"dept-{d}", f"Department {d}", 20) for d in range(5)]

    def test_july_s_page_shows_planning_and_public_works(self, page: str) -> None:
        # planning: 3 standards, 3 applied, 0 met, 1 met late, 2 breached; public works: 2
        # standards, 4 applied, 2 met, 1 met late, 1 open (test_accountability has the sums)
        assert table_rows(page, "Promises made and kept, by the department") == 2
        assert '<th scope="row">Planning and Development (planning)</th>' in page
        assert '<th scope="row">Public Works (public-works)</th>' in page


class TestTooFewToRate:
    def test_the_page_and_the_csv_say_too_few_to_rate_with_the_count(self) -> None:
        # Given July with the default minimum sample of 10: 4 resolved cases, 2 of them at
        # first contact, would be "50.0%"
        report = report_for(min_sample=MIN_SAMPLE)
        page = render_html(report)
        # then the page shows no percentage, but too few to rate and the count
        assert tile(page, "First-contact resolution") == "too few to rate (4)"
        assert tile(page, "NPS") == "too few to rate (4)"
        # and the CSV summary says why in the value's place
        summary = dict(next(t for t in tables(report) if t.name == "summary").rows)
        assert cell_text(summary["first_contact_resolution_percent"]) == (
            "too few to rate: 4 of the 10 needed")
        assert summary["min_sample"] == 10
