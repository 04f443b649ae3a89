"""The webhooks' settings: read from the TOML file CIVICDESK_WEBHOOKS_FILE names, each with a
name, an http(s) URL, the shared events it wants and a file holding its secret; every mistake
named at once; the secret read from its file, never held in the settings or shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from infrastructure.settings import Settings, SettingsError

SECRET = "whsec-0123456789abcdef0123456789abcdef"


def test_without_a_file_no_webhook_is_configured() -> None:
    assert Settings.from_environment({}).webhooks == ()


def test_a_webhook_is_read_with_its_url_events_and_secret_file(tmp_path: Path) -> None:
    secret = tmp_path / "gis-secret"
    secret.write_text(SECRET + "\n")
    config = tmp_path / "webhooks.toml"
    config.write_text(f'[[webhook]]\nname = "gis"\nurl = "https://gis.cobourg.example/hook"\n'
                      f'events = ["Received", "Resolved"]\nsecret_file = "{secret}"\n')
    settings = Settings.from_environment({"CIVICDESK_WEBHOOKS_FILE": str(config)})
    [hook] = settings.webhooks
    assert (hook.name, hook.url, hook.events) == (
        "gis", "https://gis.cobourg.example/hook", frozenset({"Received", "Resolved"}))
    assert hook.secret() == SECRET.encode()
    assert SECRET not in repr(settings)  # the secret stays in its file


def test_every_mistake_is_named_with_the_variable(tmp_path: Path) -> None:
    short = tmp_path / "short"
    short.write_text("too-short")
    config = tmp_path / "webhooks.toml"
    config.write_text(f'[[webhook]]\nname = "g i s"\nurl = "ftp://gis"\nevents = ["Deleted"]\n'
                      f'secret_file = "{short}"\n')
    with pytest.raises(SettingsError) as refused:
        Settings.from_environment({"CIVICDESK_WEBHOOKS_FILE": str(config)})
    problems = "\n".join(refused.value.problems)
    assert all(line.startswith("CIVICDESK_WEBHOOKS_FILE: ") for line in refused.value.problems)
    for mistake in ("name must be", "url must be an http(s) address", "events must list",
                    "at least 32 bytes"):
        assert mistake in problems
    assert "too-short" not in problems


def test_a_file_that_is_not_toml_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "webhooks.toml"
    config.write_text("[[webhook]\n")
    with pytest.raises(SettingsError) as refused:
        Settings.from_environment({"CIVICDESK_WEBHOOKS_FILE": str(config)})
    assert "is not TOML" in refused.value.problems[0]
