"""Fixtures the outbox's integration tests share: a real SMTP server in the test process, the
desk's settings pointed at it, and the outbox read model running. A module needing another
variant (another From address, the outbox started first) defines its own of the same name."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from application.desk import ServiceDesk
from engine.runner import ProjectionSet
from infrastructure.settings import Settings
from projections.outbox import OUTBOX_MODEL
from tests.conftest import running_projections
from tests.mail_server import Mailbox, mail_server


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    with mail_server() as server:
        yield server


@pytest.fixture
def mail_settings(settings: Settings, smtp: tuple[Mailbox, int]) -> Settings:
    return dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=smtp[1],
                               smtp_starttls=False, smtp_from="desk@cobourg.example",
                               public_url="https://desk.cobourg.example")


@pytest.fixture
def outbox(settings: Settings, desk: ServiceDesk) -> Iterator[ProjectionSet]:
    with running_projections(settings, desk, OUTBOX_MODEL) as running:
        yield running
