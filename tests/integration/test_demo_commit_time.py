"""The demo's commit times follow its simulated clock, on SQLite and on PostgreSQL: as-of
reports and histories on the simulated year's dates show its cases, the log stays strictly
monotonic, later real commits follow it, and `civicdesk verify` passes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from api.history import case_history
from application.desk import ServiceDesk
from infrastructure.accountability_source import produce_report
from infrastructure.bootstrap import build_desk
from infrastructure.commit_time import commit_times, last_commit_time, moment_of
from infrastructure.demo import load_demo
from infrastructure.ledger import chain_rows
from infrastructure.settings import Settings
from tests.command_line import civicdesk
from tests.integration.test_demo import AUDITOR, CLERK, END, SEED, recorded_cases
from tests.receiving import receive
from tests.toronto_time import TORONTO

CASES = 60
# The end of October 2025 in Toronto (EDT until Nov 2): Sat Nov 1 00:00 -04:00 = 04:00 UTC,
# inside the simulated year (END - 365 days = 2025-03-04 15:00 UTC .. END).
END_OF_OCTOBER = datetime(2025, 11, 1, 4, 0, tzinfo=UTC)


def test_as_of_a_date_in_the_simulated_year_the_report_and_histories_show_the_demo(
        settings: Settings) -> None:
    # given an empty desk on this database, and the demo's year loaded into it
    desk = build_desk(settings, clock=lambda: END)
    try:
        load_demo(desk, cases=CASES, seed=SEED, end=END)
        cases = recorded_cases(desk)
        october = [r for r in cases
                   if r.case.received_at.astimezone(TORONTO).strftime("%Y-%m") == "2025-10"]
        # when the clerk's report for October is asked for as of its end
        report = produce_report(desk, CLERK, period="2025-10", as_of=END_OF_OCTOBER,
                                min_sample=1)
        # then it reports every case received in October
        assert report.cases == len(october) > 0
        # and each case's history as of that moment shows exactly what was recorded on it by
        # then, each event committed when it was recorded (ties a microsecond apart)
        for recorded in cases:
            history = case_history(desk, AUDITOR, recorded.case.id, version=None,
                                   as_of=END_OF_OCTOBER.isoformat())
            assert [e.version for e in history.events] == [
                e.originator_version for e in recorded.events
                if e.timestamp <= END_OF_OCTOBER], recorded.case.reference
            committed = commit_times(desk, recorded.case.id)
            for event in recorded.events:
                at = committed[event.originator_version]
                assert event.timestamp <= at < event.timestamp + timedelta(milliseconds=1)
        # and the catalogue was committed before the simulated year began
        first = next(chain_rows(desk, 1, 1))
        assert first.committed is not None
        assert moment_of(first.committed) < END - timedelta(days=365)
    finally:
        desk.close()


def test_after_the_demo_real_commits_follow_and_verify_passes(settings: Settings) -> None:
    # given the demo's year, ending before the real now, loaded into an empty desk
    desk = build_desk(settings, clock=lambda: END)
    try:
        load_demo(desk, cases=20, seed=SEED, end=END)
        last_of_demo = last_commit_time(desk)
        assert last_of_demo is not None and last_of_demo <= END
        # when the desk then records a case for real
        receive(desk)
        # then it is committed after every demo event, at the real time
        after = last_commit_time(desk)
        assert after is not None and after > datetime.now(UTC) - timedelta(minutes=5)
        times = [r.committed for r in chain_rows(desk)]
        assert all(a is not None and b is not None and a < b for a, b in pairwise(times))
    finally:
        desk.close()
    # and `civicdesk verify` passes over the whole log
    verified = civicdesk(settings, "verify")
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("OK:")


def test_into_a_desk_already_in_use_the_demo_is_committed_in_real_time(
        desk: ServiceDesk) -> None:
    # given a desk whose catalogue was committed at the real time (the `desk` fixture)
    seeded = last_commit_time(desk)
    assert seeded is not None and seeded > END
    # when the demo's year (ending at END, before that commit) is loaded into it
    load_demo(desk, cases=5, seed=SEED, end=END)
    # then its events are committed after the catalogue, in real time, not in the past
    last = last_commit_time(desk)
    assert last is not None and last > seeded
