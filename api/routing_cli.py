"""The routing rules on the command line: `civicdesk routing-rules show` prints the rules in
force as the API answers them; `civicdesk routing-rules publish FILE` replaces them with a
file's (the body of PUT /api/v1/admin/routing-rules), so the Town may keep its rules under
version control and load them with a deployment."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import msgspec
from msgspec import inspect

from api.operator_mistake import OperatorMistake
from api.plain_text import text_faults
from api.routing import RulesBody, rule_of, rules_view
from infrastructure.settings import Settings


def add_routing_commands(sub: Any) -> None:
    p = sub.add_parser("routing-rules", help="show the routing rules, or publish them from a "
                       "JSON file")
    actions = p.add_subparsers(dest="action", required=True)
    actions.add_parser("show", help="print the rules in force (and their versions) as JSON")
    a = actions.add_parser("publish", help="replace the rules with a file's, in its order")
    a.add_argument("file", help='a JSON file: {"rules": [...], "reason": "...", '
                   '"expected_version": N}, as PUT /api/v1/admin/routing-rules takes')


def routing_rules(args: argparse.Namespace, settings: Settings) -> int:
    """Print the rules in force; with `publish`, first replace them (recorded as published by
    `civicdesk-cli:<your user>`, an administrator). A rule the desk refuses is a message
    naming the field, as the API's problem names it; nothing is published."""
    from api.cli import cli_actor_id
    from application import routing_admin
    from domain.actors import Actor, Role
    from domain.errors import DomainError
    from infrastructure.bootstrap import build_desk

    body = read_rules(Path(args.file)) if args.action == "publish" else None
    desk = build_desk(settings)
    try:
        if body is None:
            published = routing_admin.current_rules(desk)
        else:
            try:
                rules = [rule_of(index, rule) for index, rule in enumerate(body.rules)]
                published = routing_admin.publish_rules(
                    desk, Actor(id=cli_actor_id(), role=Role.ADMIN), rules,
                    reason=body.reason, expected_version=body.expected_version)
            except DomainError as error:
                where = f"{error.field}: " if error.field else ""
                raise OperatorMistake(f"{args.file}: {where}{error.detail}") from None
        print(msgspec.json.format(msgspec.json.encode(rules_view(published))).decode())
    finally:
        desk.close()
    return 0


def read_rules(path: Path) -> RulesBody:
    """The file's rules, held to what the API holds a body to. Raises OperatorMistake."""
    try:
        document = msgspec.json.decode(path.read_bytes())
        faults = list(text_faults(document, inspect.type_info(RulesBody)))
        if faults:
            field, reason = faults[0]
            raise OperatorMistake(f"{path}: {field}: {reason}")
        return msgspec.convert(document, RulesBody)
    except (msgspec.DecodeError, msgspec.ValidationError) as error:
        raise OperatorMistake(f"{path}: {error}") from None
