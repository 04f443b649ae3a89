"""`serve` tells how far its read models are behind (engine.progress): a progress bar on a
terminal, log lines otherwise, until every read model has reached the head of the log."""

from __future__ import annotations

import io
import re

import pytest

from application.desk import ServiceDesk
from engine.progress import show_catch_up
from engine.runner import ProjectionSet
from infrastructure.demo import load_demo
from infrastructure.settings import Settings
from projections.registry import all_specs

SECONDS = 300.0


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_progress_bar_up_to_every_event_applied(
        settings: Settings, desk: ServiceDesk) -> None:
    # Given a history recorded while no read model ran
    load_demo(desk, cases=15, seed=9)
    head = desk.log_position()
    specs = all_specs()
    projections = ProjectionSet(settings, desk, list(specs.values()))
    try:
        # When the read models start and the console is a terminal
        projections.start()
        screen = Terminal()
        caught_up = show_catch_up(projections, stream=screen, timeout=SECONDS)
        # Then a bar counted the events the read models still had to apply, up to all of them
        assert caught_up
        drawn = screen.getvalue()
        assert re.search(r"read models catching up: +0%\|.*\| 0(\.00)?/(\S+) ", drawn), drawn
        assert re.search(r"read models catching up: 100%\|#+\| (\S+)/\1 ", drawn), drawn
        assert all(projections.position(name) >= head for name in specs)
    finally:
        projections.close()


def test_elsewhere_log_lines_say_how_far_behind_and_when_caught_up(
        settings: Settings, desk: ServiceDesk, caplog: pytest.LogCaptureFixture) -> None:
    # Given a history recorded while no read model ran
    load_demo(desk, cases=15, seed=9)
    head = desk.log_position()
    projections = ProjectionSet(settings, desk, [all_specs()["queues"]])
    try:
        # When the read model starts and the console is no terminal
        projections.start()
        with caplog.at_level("INFO", logger="civicdesk.projections"):
            assert show_catch_up(projections, stream=io.StringIO(), timeout=SECONDS)
        # Then the log says how many events it had to apply, and that it caught up
        assert f"read models catching up: {head:,} events to apply to reach position " \
            f"{head} (queues {head:,} behind)" in caplog.text
        assert f"read models caught up with the log at position {head}" in caplog.text
    finally:
        projections.close()
