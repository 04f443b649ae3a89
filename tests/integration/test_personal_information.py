"""Personal information is sealed per customer: the event log (and its hash chain) holds only
ciphertext, reads decrypt it, a destroyed key leaves "erased" and a log that still verifies,
and a missing or wrong master key stops the desk rather than writing anything in clear."""

from __future__ import annotations

import dataclasses
import os
import stat
from pathlib import Path

import pytest

from application.commands import ReceiveCase
from application.customers import Intake
from application.desk import Outcome, ServiceDesk
from application.personal_data import PersonalDataLocked
from domain.actors import Actor, Role
from infrastructure.bootstrap import build_desk, seed_catalogue
from infrastructure.ledger import verify_log
from infrastructure.master_key import NoMasterKey, master_key, new_master_key
from infrastructure.settings import Settings

CSR = Actor(id="csr-1", role=Role.CSR)
ZOE = {"name": "Zoë Quillfeather", "email": "zoe.quillfeather@example.org",
       "phone": "905-555-0142", "address": "12 Orange Lane, Cobourg",
       "accessibility_needs": "Sign language interpreter"}
# What would give her away, as it would appear in a stored event (JSON escapes the ë).
CLUES = [b"Quillfeather", b"quillfeather@", b"555-0142", b"Orange Lane", b"interpreter"]


def receive(desk: ServiceDesk, personal: dict[str, str] | None = None) -> Outcome:
    return desk.handle(CSR, ReceiveCase(
        channel="email", purpose="information", department="public-works",
        subject="Tree down", description="",
        customer=Intake(personal=personal or ZOE, preferred_contact="email")))


def stored_bytes(desk: ServiceDesk) -> list[bytes]:
    """Every stored event's state, as the database holds it."""
    notifications = desk.recorder.select_notifications(1, 1_000_000)
    return [bytes(n.state) for n in notifications]


class TestSealed:
    def test_the_log_holds_no_personal_field_in_clear(self, desk: ServiceDesk) -> None:
        # given a case received with every personal field
        receive(desk)
        # then no stored event holds any of them
        for state in stored_bytes(desk):
            assert not [clue for clue in CLUES if clue in state]

    def test_a_read_decrypts_the_customer_on_the_case(self, desk: ServiceDesk) -> None:
        outcome = receive(desk)
        case = desk.get_case(CSR, outcome.case.id)
        details = desk.customers.details(case.customer_id)
        assert details.status == "held"
        assert details.fields == ZOE
        assert details.preferred_contact == "email"

    def test_an_anonymous_contact_makes_no_customer(self, desk: ServiceDesk) -> None:
        outcome = desk.handle(CSR, ReceiveCase(
            channel="telephone", purpose="information", department="public-works",
            subject="Hours?", description="", customer=Intake(personal={"name": "  "})))
        assert outcome.case.customer_id is None
        assert desk.customers.details(None).status == "none"


class TestDestroyedKey:
    def test_the_log_still_verifies_and_the_customer_reads_as_erased(
            self, desk: ServiceDesk) -> None:
        # given a case with a customer, and a log that verifies
        outcome = receive(desk)
        customer_id = outcome.case.customer_id
        assert verify_log(desk).ok
        # when the customer's data key is destroyed
        desk.cipher.destroy(customer_id)
        # then the log verifies still, and the customer reads as erased, with no field
        verdict = verify_log(desk)
        assert (verdict.ok, verdict.guard_ok) == (True, True), verdict
        details = desk.customers.details(customer_id)
        assert (details.status, details.fields) == ("erased", {})


class TestMasterKey:
    def test_a_desk_opened_with_another_master_key_refuses_to_start(
            self, settings: Settings, desk: ServiceDesk) -> None:
        # given a database whose personal information is sealed under the test key
        receive(desk)
        # when it is opened with another key
        other = dataclasses.replace(settings, master_key=new_master_key())
        # then it refuses at once, saying the key is not this database's
        with pytest.raises(NoMasterKey, match="not the one this database"):
            build_desk(other).close()

    def test_without_a_master_key_personal_information_is_refused_and_nothing_recorded(
            self, settings: Settings) -> None:
        # given a desk without any master key
        locked = build_desk(dataclasses.replace(settings, master_key=None))
        try:
            seed_catalogue(locked)
            before = locked.log_position()
            # when a contact with personal information is received
            with pytest.raises(PersonalDataLocked, match="no master key"):
                receive(locked)
            # then nothing was recorded (no plaintext fallback)
            assert locked.log_position() == before
        finally:
            locked.close()


class TestMasterKeySources:
    def test_no_key_is_refused_naming_what_to_set(self, tmp_path: Path) -> None:
        with pytest.raises(NoMasterKey, match="CIVICDESK_MASTER_KEY_FILE"):
            master_key(Settings(data_dir=tmp_path))

    @pytest.mark.parametrize("text", ["short", "", "not base64 at all!!",
                                      "QUFBQQ=="])  # 4 bytes, not 32
    def test_a_malformed_key_is_refused(self, tmp_path: Path, text: str) -> None:
        with pytest.raises(NoMasterKey, match=r"not 32 bytes|no master key"):
            master_key(Settings(data_dir=tmp_path, master_key=text or None))

    def test_an_unreadable_key_file_is_refused_naming_it(self, tmp_path: Path) -> None:
        missing = tmp_path / "nowhere.key"
        with pytest.raises(NoMasterKey, match=r"nowhere\.key"):
            master_key(Settings(data_dir=tmp_path, master_key_file=missing))

    def test_a_key_file_is_read(self, tmp_path: Path) -> None:
        text = new_master_key()
        (tmp_path / "master.key").write_text(f"{text}\n")
        key = master_key(Settings(data_dir=tmp_path, master_key_file=tmp_path / "master.key"))
        assert len(key) == 32

    def test_development_mode_makes_one_key_in_the_data_directory_and_keeps_it(
            self, tmp_path: Path) -> None:
        settings = Settings(data_dir=tmp_path / "data", dev=True)
        first = master_key(settings)
        path = tmp_path / "data" / "personal-data-master.key"
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert master_key(settings) == first
