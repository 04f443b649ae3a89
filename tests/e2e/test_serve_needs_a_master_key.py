"""`civicdesk serve` refuses to start without the master key that protects customers'
personal information, or with another database's key; development mode makes one in the data
directory (a real process, as an operator starts it)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from infrastructure.master_key import new_master_key
from infrastructure.settings import Settings
from tests.command_line import civicdesk
from tests.e2e.civicdesk_server import free_port, serving

pytestmark = pytest.mark.e2e


def test_serve_without_a_master_key_exits_2_before_touching_the_database(
        tmp_path: Path) -> None:
    # given a token secret and a checkpoint key, but no master key, and no --dev
    settings = Settings(data_dir=tmp_path / "data")
    # when the server is started
    result = civicdesk(settings, "serve", "--port", str(free_port()),
                       CIVICDESK_JWT_SECRET="k" * 32, CIVICDESK_MASTER_KEY="")
    # then it refuses, saying what to set, without a traceback or a database
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("civicdesk: no master key protects customers' personal "
                                    "information: set CIVICDESK_MASTER_KEY_FILE")
    assert "Traceback" not in result.stderr
    assert not settings.data_dir.exists()


def test_serve_with_another_databases_master_key_exits_2(tmp_path: Path) -> None:
    # given a database that sealed a customer under one master key
    settings = Settings(data_dir=tmp_path / "data")
    first = new_master_key()
    with serving(settings, tmp_path / "first.log", CIVICDESK_MASTER_KEY=first) as server:
        response = httpx.post(f"{server.base_url}/api/v1/cases", timeout=10,
                              headers=server.token("csr", "ana"), json={
                                  "channel": "email", "purpose": "information",
                                  "department": "public-works", "subject": "Hours",
                                  "contact": {"name": "Sam Lee"}})
        assert response.status_code == 201, response.text
    # when the server is started again with another key
    result = civicdesk(settings, "serve", "--port", str(free_port()),
                       CIVICDESK_JWT_SECRET="k" * 32, CIVICDESK_MASTER_KEY=new_master_key())
    # then it refuses, saying the key is not this database's
    assert result.returncode == 2, result.stderr
    assert "the master key is not the one this database's personal information was sealed " \
           "with" in result.stderr
    assert "Traceback" not in result.stderr


def test_development_mode_makes_its_master_key_on_first_start(tmp_path: Path) -> None:
    # given no master key and --dev
    settings = Settings(data_dir=tmp_path / "data")
    with serving(settings, tmp_path / "server.log", dev=True,
                 CIVICDESK_MASTER_KEY="") as server:
        # when a contact with personal information is received
        response = httpx.post(f"{server.base_url}/api/v1/cases", timeout=10,
                              headers=server.token("csr", "ana"), json={
                                  "channel": "email", "purpose": "information",
                                  "department": "public-works", "subject": "Hours",
                                  "contact": {"name": "Sam Lee"}})
        # then it is kept, under a key made in the data directory
        assert response.status_code == 201, response.text
        assert response.json()["contact"] == {"name": "Sam Lee"}
    assert (settings.data_dir / "personal-data-master.key").is_file()
