"""README's metrics glossary names every figure the scorecard and the accountability report
publish (one definition per name, written once)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from api.report_formats import tables
from api.scorecards import rows
from application.accountability import parse_period
from application.scorecards import ScorecardFacts, build_scorecard
from tests.unit.test_accountability import report_for

README = Path(__file__).parents[2] / "README.md"
# What the outputs say about themselves rather than figures: who, when, which period, the chain.
ABOUT = {("scorecard", "department"), ("scorecard", "department_name"),
         ("scorecard", "period"), ("scorecard", "first_day"), ("scorecard", "last_day"),
         ("scorecard", "as_of"), ("scorecard", "position"), ("scorecard", "channel"),
         ("scorecard", "service"), ("scorecard", "business_unit"), ("scorecard", "assignee")}
REPORT_ABOUT = {"town", "period", "first_day", "last_day", "department", "as_of",
                "standards_version", "chain_head_position", "chain_head_hash", "checkpoint"}


def glossary() -> str:
    text = README.read_text(encoding="utf-8")
    found = re.search(r"^## Metrics glossary\n(.*?)^## ", text, re.S | re.M)
    assert found, "README has no '## Metrics glossary' section"
    return found.group(1)


def names(text: str) -> set[str]:
    """Every name the glossary spells in backticks, and each dotted path's parts."""
    spelled = set()
    for code in re.findall(r"`([^`]+)`", text):
        spelled.add(code)
        spelled.update(code.split("."))
    return spelled


class TestMetricsGlossary:
    def test_every_scorecard_figure_is_in_the_glossary(self) -> None:
        # Given an empty March scorecard (its rows are the same whatever the cases)
        facts = ScorecardFacts(position=0, department_name="Public Works",
                               hourly_rate_cents=5500, cases=[], targets=[],
                               transfers_made=[], transfers_received=0)
        card = build_scorecard("public-works", parse_period("2026-03"), facts,
                               datetime(2026, 4, 1, tzinfo=UTC))
        spelled = names(glossary())
        # then each section and metric it publishes is spelled in the glossary
        missing = sorted({f"{section}.{metric}" for section, metric, _, _ in rows(card)
                          if (section, metric) not in ABOUT
                          and not (section in spelled and metric in spelled)})
        assert missing == []

    def test_every_report_summary_figure_is_in_the_glossary(self) -> None:
        summary = next(t for t in tables(report_for()) if t.name == "summary")
        spelled = names(glossary())
        missing = [str(name) for name, _ in summary.rows
                   if name not in REPORT_ABOUT and name not in spelled]
        assert missing == []
