"""The command line describes itself: a version, and help text for every option."""

from __future__ import annotations

import argparse
from importlib.metadata import version

import pytest

from api.cli import main, parser


def every_parser(root: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    found = {root.prog: root}
    for action in root._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found.update(every_parser(child))
    return found


def test_every_option_and_argument_has_help_text() -> None:
    missing = [f"{prog} {action.dest}" for prog, command in every_parser(parser()).items()
               for action in command._actions
               if not isinstance(action, argparse._SubParsersAction) and not action.help]
    assert missing == []


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"civicdesk {version('civicdesk')}\n"


def test_a_bad_setting_is_a_message_and_exit_2_not_a_traceback(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # given a port that is not a number
    monkeypatch.setenv("CIVICDESK_PORT", "eighty")
    # when any command runs; then it says which variable is wrong, and exits 2
    assert main(["token", "--dev", "--role", "csr", "--sub", "ana"]) == 2
    assert capsys.readouterr().err == (
        "civicdesk: the settings are not valid:\n"
        "  CIVICDESK_PORT: 'eighty' is not a whole number from 1 to 65535\n")
