"""Typed case commands: every command class has exactly one handler, and a name the access
policy knows; the API builds each one from its body."""

from __future__ import annotations

from application import commands
from application.access import MANAGER_COMMANDS
from application.case_handlers import HANDLERS

KINDS = [kind for kind in vars(commands).values()
         if isinstance(kind, type) and issubclass(kind, commands.CaseCommand)
         and kind is not commands.CaseCommand]


def test_every_command_class_has_its_own_handler() -> None:
    assert KINDS and set(HANDLERS) == set(KINDS)
    assert len({HANDLERS[kind] for kind in KINDS}) == len(KINDS)


def test_every_command_is_named_in_the_access_policy() -> None:
    assert {kind.action for kind in KINDS} <= MANAGER_COMMANDS
    assert len({kind.action for kind in KINDS}) == len(KINDS)


def test_every_command_route_builds_a_command_from_its_body() -> None:
    from api.cases import COMMANDS

    built = {kind for _, _, kind, _, _ in COMMANDS if kind is not None}
    # the accommodation route builds one of three, chosen by its body's action
    assert built | {commands.RequestAccommodation, commands.ProvideAccommodation,
                    commands.ReportAccommodationNotMade} == \
        set(KINDS) - {commands.PublishNote}  # published through /public-notes
