"""Typed commands: every case command class has exactly one handler, and a name the access
policy knows; the API builds each one, and the receipt of a new case, from its body."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from application import commands
from application.access import MANAGER_COMMANDS, SYSTEM_ONLY_COMMANDS, check_may
from application.case_handlers import HANDLERS
from domain.actors import Actor, Role
from domain.errors import Forbidden

KINDS = [kind for kind in vars(commands).values()
         if isinstance(kind, type) and issubclass(kind, commands.CaseCommand)
         and kind is not commands.CaseCommand]


def test_every_command_class_has_its_own_handler() -> None:
    assert KINDS and set(HANDLERS) == set(KINDS)
    assert len({HANDLERS[kind] for kind in KINDS}) == len(KINDS)


def test_every_command_is_named_in_the_access_policy() -> None:
    assert {kind.action for kind in KINDS} <= MANAGER_COMMANDS | SYSTEM_ONLY_COMMANDS
    assert not MANAGER_COMMANDS & SYSTEM_ONLY_COMMANDS
    assert len({kind.action for kind in KINDS}) == len(KINDS)


def test_every_command_route_builds_a_command_from_its_body() -> None:
    from api.cases import COMMANDS

    built = {kind for _, _, kind, _, _ in COMMANDS if kind is not None}
    # the accommodation route builds one of three, chosen by its body's action
    assert built | {commands.RequestAccommodation, commands.ProvideAccommodation,
                    commands.ReportAccommodationNotMade} == \
        set(KINDS) - {commands.PublishNote,  # published through /public-notes
                      commands.SkipNotification,  # recorded by the outbox worker alone
                      commands.AttachFile,  # built by /attachments from the uploaded file
                      commands.AddInternalNote}  # added through /internal-notes


def test_no_person_may_record_what_only_civicdesk_records() -> None:
    # Given a director, who may run every command a person may
    director = Actor(id="dir-1", role=Role.DIRECTOR)
    # When they try to record a skipped notification, then it is refused
    with pytest.raises(Forbidden):
        check_may(director, commands.SkipNotification.action, "public-works")
    # While civicdesk's own worker may
    check_may(Actor(id="outbox", role=Role.SYSTEM), commands.SkipNotification.action,
              "public-works")


def test_receiving_is_a_command_the_access_policy_knows() -> None:
    assert commands.ReceiveCase.action in MANAGER_COMMANDS
    assert commands.ReceiveCase.action not in {kind.action for kind in KINDS}


def test_the_receipt_route_carries_every_field_of_its_body_into_the_command() -> None:
    import msgspec

    from api.cases import receive_command
    from api.schemas import Contact, NewCase
    from application.customers import Intake

    # Given a staff receipt's body with every field set (the contact's email left out)
    body = NewCase(channel="telephone", purpose="information", subject="Tree down",
                   description="On Division St", service_code=None, department="public-works",
                   received_at=datetime(2026, 3, 2, 14, 45, tzinfo=UTC),
                   contact=Contact(name="Ann Lee", phone="905-555-0100"),
                   accessibility_needs="large print", wait_seconds=75, desk="marina-campground")
    # When the route builds its command
    command = receive_command(body)
    # Then every field of the body is in it, under the same name, and the customer it makes
    # holds only the personal details given, accessibility needs among them
    personal = {"contact", "accessibility_needs", "customer_id"}
    given = msgspec.structs.asdict(body)
    assert {name: getattr(command, name) for name in given if name not in personal} == \
        {name: value for name, value in given.items() if name not in personal}
    assert command.customer == Intake(personal={"name": "Ann Lee", "phone": "905-555-0100",
                                                "accessibility_needs": "large print"})
