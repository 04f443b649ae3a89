"""The mail server's settings: off without a host; with one, a From address is required, a
user name and a password file go together, and the password is read from a file, never given."""

from __future__ import annotations

from pathlib import Path

import pytest

from infrastructure.settings import Settings, SettingsError


def problems(**env: str) -> list[str]:
    with pytest.raises(SettingsError) as refused:
        Settings.from_environment(env)
    return refused.value.problems


def test_without_a_host_no_mail_is_sent() -> None:
    settings = Settings.from_environment({})
    assert settings.smtp_host is None and settings.smtp_from is None


def test_the_towns_mail_server_is_read_with_its_port_tls_login_and_from_address(
        tmp_path: Path) -> None:
    password = tmp_path / "smtp-password"
    password.write_text("hunter2-not-logged\n")
    settings = Settings.from_environment({
        "CIVICDESK_SMTP_HOST": "mail.cobourg.example", "CIVICDESK_SMTP_PORT": "587",
        "CIVICDESK_SMTP_STARTTLS": "yes", "CIVICDESK_SMTP_USERNAME": "civicdesk",
        "CIVICDESK_SMTP_PASSWORD_FILE": str(password),
        "CIVICDESK_SMTP_FROM": "Town of Cobourg <desk@cobourg.example>",
        "CIVICDESK_PUBLIC_URL": "https://desk.cobourg.example/"})
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_starttls) == (
        "mail.cobourg.example", 587, True)
    assert settings.smtp_password_file == password
    assert settings.public_url == "https://desk.cobourg.example"


def test_a_host_without_a_from_address_is_refused_naming_the_variable() -> None:
    assert problems(CIVICDESK_SMTP_HOST="mail.cobourg.example") == [
        "CIVICDESK_SMTP_FROM: is required with CIVICDESK_SMTP_HOST (the address customers "
        "see and reply to)"]


def test_bad_mail_values_are_all_named_at_once(tmp_path: Path) -> None:
    found = problems(CIVICDESK_SMTP_HOST="mail.cobourg.example",
                     CIVICDESK_SMTP_FROM="the desk", CIVICDESK_SMTP_PORT="0",
                     CIVICDESK_SMTP_USERNAME="civicdesk",
                     CIVICDESK_SMTP_PASSWORD_FILE=str(tmp_path / "missing"),
                     CIVICDESK_PUBLIC_URL="desk.cobourg.example")
    assert [line.split(":")[0] for line in found] == [
        "CIVICDESK_SMTP_PORT", "CIVICDESK_SMTP_PASSWORD_FILE", "CIVICDESK_SMTP_FROM",
        "CIVICDESK_PUBLIC_URL", "CIVICDESK_SMTP_FROM", "CIVICDESK_SMTP_USERNAME"]
