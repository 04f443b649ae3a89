"""An operator's mistake on the command line is a message on standard error that says what and
where, and exit code 2, never a traceback; the commands that only read never create a
database. Each `civicdesk` runs in a process of its own, as an operator runs it."""

from __future__ import annotations

import os
import pty
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from infrastructure.bootstrap import build_desk, seed_catalogue
from infrastructure.settings import Settings
from tests.command_line import ROOT, civicdesk, environment
from tests.conftest import fresh_database

READ_ONLY = {
    "verify": ["verify"],
    "history": ["history", "SC-2026-000001"],
    "export": ["export", "-o", "{out}/log.jsonl"],
    "report": ["report", "--period", "2026", "--format", "json", "-o", "{out}/report.json"],
}


def refused(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """Exit 2, a message with every fragment, and no traceback."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def arguments(command: str, out: Path) -> list[str]:
    return [argument.format(out=out) for argument in READ_ONLY[command]]


@pytest.fixture
def sqlite_desk(tmp_path: Path) -> Iterator[Settings]:
    """Settings of a SQLite database that holds the seeded catalogue."""
    with fresh_database("sqlite", tmp_path / "data") as settings:
        desk = build_desk(settings)
        seed_catalogue(desk)
        desk.close()
        yield settings


class TestSettings:
    @pytest.mark.parametrize(("name", "value"), [
        ("CIVICDESK_PORT", "http"), ("CIVICDESK_LOG_LEVEL", "chatty"),
        ("CIVICDESK_DATABASE_URL", "mysql://db/town"), ("CIVICDESK_JWT_SECRET", "short")])
    def test_a_bad_setting_exits_2_naming_the_variable(
            self, tmp_path: Path, name: str, value: str) -> None:
        result = civicdesk(Settings(data_dir=tmp_path), "verify", **{name: value})
        refused(result, "civicdesk: the settings are not valid:", f"  {name}: ")

    def test_a_bad_port_option_exits_2(self, tmp_path: Path) -> None:
        result = civicdesk(Settings(data_dir=tmp_path), "serve", "--dev", "--port", "99999")
        refused(result, "'99999' is not a port number from 1 to 65535")


class TestReadOnlyCommands:
    @pytest.mark.parametrize("command", READ_ONLY)
    def test_a_data_directory_without_a_database_is_named_and_left_empty(
            self, tmp_path: Path, command: str) -> None:
        # given a data directory that does not exist
        data = tmp_path / "nowhere"
        # when a reading command runs on it
        result = civicdesk(Settings(data_dir=data), *arguments(command, tmp_path))
        # then it names the file it looked for, and creates nothing
        refused(result, f"no civicdesk database in {data}", str(data / "civicdesk.sqlite3"))
        assert not data.exists()

    @pytest.mark.parametrize("command", READ_ONLY)
    def test_a_sqlite_file_without_an_event_log_is_refused_and_left_unchanged(
            self, tmp_path: Path, command: str) -> None:
        # given a data directory whose civicdesk.sqlite3 is some other (empty) database
        path = tmp_path / "civicdesk.sqlite3"
        sqlite3.connect(path).close()
        before = path.read_bytes()
        # when a reading command runs on it; then it is refused and the file is as it was
        refused(civicdesk(Settings(data_dir=tmp_path), *arguments(command, tmp_path)),
                f"{path} holds no civicdesk event log")
        assert path.read_bytes() == before
        assert sorted(p.name for p in tmp_path.iterdir()) == ["civicdesk.sqlite3"]

    @pytest.mark.parametrize("command", READ_ONLY)
    def test_an_unreachable_postgresql_is_named(self, tmp_path: Path, command: str) -> None:
        # given a PostgreSQL URL where nothing listens (port 1)
        settings = Settings(data_dir=tmp_path / "data",
                            database_url="postgresql://desk:pw@127.0.0.1:1/town")
        result = civicdesk(settings, *arguments(command, tmp_path))
        refused(result, "cannot reach PostgreSQL at 127.0.0.1:1, database town")
        assert "pw" not in result.stderr

    @pytest.mark.parametrize("command", [["serve", "--port", "8001"], ["demo", "--cases", "1"],
                                         ["apikey", "list"]])
    def test_a_command_that_writes_names_an_unreachable_postgresql_at_once(
            self, tmp_path: Path, command: list[str]) -> None:
        settings = Settings(data_dir=tmp_path / "data",
                            database_url="postgresql://desk@127.0.0.1:1/town")
        result = civicdesk(settings, *command, CIVICDESK_JWT_SECRET="k" * 32)
        refused(result, "cannot reach PostgreSQL at 127.0.0.1:1, database town")

    @pytest.mark.postgres
    def test_a_postgresql_schema_without_an_event_log_is_refused(self, tmp_path: Path) -> None:
        with fresh_database("postgres", tmp_path) as settings:
            refused(civicdesk(settings, "verify"), f"schema {settings.database_schema} holds "
                    "no civicdesk event log")

    @pytest.mark.postgres
    def test_a_postgresql_desk_is_found_by_the_reading_commands(self, tmp_path: Path) -> None:
        with fresh_database("postgres", tmp_path) as settings:
            build_desk(settings).close()
            result = civicdesk(settings, "verify")
            assert result.returncode == 0, result.stderr


class TestOutputFiles:
    @pytest.mark.parametrize("command", ["export", "report"])
    def test_an_output_in_a_missing_folder_is_refused_before_any_work(
            self, tmp_path: Path, command: str) -> None:
        result = civicdesk(Settings(data_dir=tmp_path / "data"), *READ_ONLY[command][:-1],
                           f"{tmp_path}/missing/out")
        refused(result, f"cannot write {tmp_path}/missing/out: the folder "
                f"{tmp_path}/missing does not exist")

    @pytest.mark.parametrize("command", ["export", "report"])
    def test_an_unwritable_output_is_named(self, sqlite_desk: Settings, command: str) -> None:
        # /proc refuses new files even to root (the tests may run as root, who may write
        # into any folder whatever its mode)
        result = civicdesk(sqlite_desk, *READ_ONLY[command][:-1], "/proc/civicdesk-out")
        refused(result, "civicdesk: cannot write /proc/civicdesk-out: ")

    def test_a_zipped_csv_report_is_not_written_to_a_terminal(self, sqlite_desk: Settings) -> None:
        # given standard output is a terminal
        controller, terminal = pty.openpty()
        try:
            result = subprocess.run(
                [sys.executable, "-m", "api.cli", "report", "--period", "2026", "--format",
                 "csv"], cwd=ROOT, env=environment(sqlite_desk), stdout=terminal,
                stderr=subprocess.PIPE, text=True, timeout=120, check=False)
        finally:
            os.close(terminal)
            os.close(controller)
        # then the zip archive is refused, with how to get it
        refused(result, "report --format csv is a zip archive", "-o FILE")

    def test_a_zipped_csv_report_is_written_to_a_redirected_output(
            self, sqlite_desk: Settings) -> None:
        result = subprocess.run(
            [sys.executable, "-m", "api.cli", "report", "--period", "2026", "--format", "csv"],
            cwd=ROOT, env=environment(sqlite_desk), capture_output=True, timeout=120,
            check=False)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(b"PK")  # a zip archive


class TestArguments:
    @pytest.mark.parametrize("arguments", [
        ["demo", "--cases", "-1"], ["token", "--dev", "--role", "csr", "--sub", "a", "--hours",
                                    "0"],
        ["rebuild", "case_index", "--batch-size", "0"], ["history", "SC-2026-000001",
                                                         "--version", "0"]])
    def test_a_count_out_of_range_is_refused_by_its_option(
            self, tmp_path: Path, arguments: list[str]) -> None:
        result = civicdesk(Settings(data_dir=tmp_path / "data"), *arguments)
        refused(result, "error: argument", "is less than")
        assert not (tmp_path / "data").exists()

    def test_an_unknown_reference_is_named(self, sqlite_desk: Settings) -> None:
        refused(civicdesk(sqlite_desk, "history", "SC-2026-999999"),
                "civicdesk: no case SC-2026-999999")

    def test_a_reader_that_stops_early_causes_no_traceback(self, sqlite_desk: Settings) -> None:
        # given a reader that closes the pipe before civicdesk writes (`... | head -0`)
        process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "report", "--period", "2026", "--format",
             "json"], cwd=ROOT, env=environment(sqlite_desk), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        assert process.stdout is not None
        process.stdout.close()
        _, err = process.communicate(timeout=120)
        # then civicdesk stops quietly
        assert "Traceback" not in err and "BrokenPipe" not in err, err


class TestToken:
    def test_a_token_without_a_key_is_refused(self, tmp_path: Path) -> None:
        result = civicdesk(Settings(data_dir=tmp_path), "token", "--role", "admin", "--sub", "x")
        refused(result, "no token signing key")
        assert result.stdout == ""

    @pytest.mark.parametrize(("options", "extra"), [
        (["--dev"], {}), ([], {"CIVICDESK_DEV": "1"}), ([], {"CIVICDESK_JWT_SECRET": "k" * 32})])
    def test_a_token_is_issued_in_development_mode_or_with_a_secret(
            self, tmp_path: Path, options: list[str], extra: dict[str, str]) -> None:
        result = civicdesk(Settings(data_dir=tmp_path), "token", "--role", "csr", "--sub", "ana",
                           *options, **extra)
        assert result.returncode == 0, result.stderr
        assert result.stdout.count(".") == 2  # header.claims.signature

    def test_no_token_is_issued_when_an_identity_provider_signs_them(
            self, tmp_path: Path) -> None:
        from tests.unit.test_settings import PUBLIC_KEY

        result = civicdesk(Settings(data_dir=tmp_path), "token", "--role", "csr", "--sub", "ana",
                           CIVICDESK_JWT_PUBLIC_KEY=PUBLIC_KEY, CIVICDESK_JWT_ALGORITHM="RS256")
        refused(result, "get them from your identity provider")
