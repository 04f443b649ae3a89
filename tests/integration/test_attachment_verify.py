"""`civicdesk verify` holds the attachment file store to the log: a file whose bytes no longer
match the hash its event recorded, or that is gone, is named by case and number."""

from __future__ import annotations

import os

import pytest

from application.attachments import FileUnavailable, Upload, attach_file, file_bytes
from application.commands import ReceiveCase
from application.customers import Intake
from application.desk import ServiceDesk
from domain.actors import Actor, Role
from infrastructure.file_store import LocalFileStore
from infrastructure.settings import Settings
from tests.api.test_attachments import PDF, png
from tests.command_line import civicdesk

CSR = Actor(id="csr-1", role=Role.CSR)


def case_with_files(desk: ServiceDesk, store: LocalFileStore) -> tuple[str, list[str]]:
    """A customer's case with a photo and a letter; its reference and the files' store names."""
    case = desk.handle(CSR, ReceiveCase(
        channel="email", purpose="tangible_service", department="public-works",
        subject="Pothole", description="Photo and letter attached",
        customer=Intake(personal={"name": "Ann Lee"}))).case
    kept = []
    for name, data in (("pothole.png", png()), ("letter.pdf", PDF)):
        outcome = attach_file(desk, CSR, case.id, Upload(name=name, data=data), store)
        kept.append(outcome.case.attachments[-1]["stored_sha256"])
    return case.reference, kept


def test_verify_passes_while_every_file_matches_the_log(settings: Settings,
                                                         desk: ServiceDesk) -> None:
    store = LocalFileStore(settings.attachments_directory)
    case_with_files(desk, store)
    result = civicdesk(settings, "verify")
    assert result.returncode == 0, result.stderr
    assert "OK: attachments: 2 files match the log" in result.stdout


def test_verify_names_a_file_whose_bytes_were_changed_and_one_that_is_gone(
        settings: Settings, desk: ServiceDesk) -> None:
    # given a case with two files, then someone with access to the store changes the first
    # and deletes the second
    store = LocalFileStore(settings.attachments_directory)
    reference, (photo, letter) = case_with_files(desk, store)
    changed = store.path_of(photo)
    os.chmod(changed, 0o640)
    changed.write_bytes(changed.read_bytes()[:-1] + b"\x00")
    store.path_of(letter).unlink()
    # when verify runs
    result = civicdesk(settings, "verify")
    # then it fails naming both, by case reference and attachment number
    assert result.returncode == 1
    assert f"attachment 1 of {reference}" in result.stderr
    assert f"no longer match the recorded SHA-256 {photo}" in result.stderr
    assert f"attachment 2 of {reference}" in result.stderr
    assert "missing from the store" in result.stderr
    # and the download refuses the changed file rather than serving it
    case = desk.get_case(CSR, desk.case_id_for(reference))
    with pytest.raises(FileUnavailable):
        file_bytes(desk, case.attachment(1), store)
