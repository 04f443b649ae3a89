"""`civicdesk serve` refuses to start without a signing key, and the published development
secret works only in development mode on a loopback address (a real process, as an operator
or the Docker image starts it)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import jwt
import pytest

from infrastructure.settings import Settings
from infrastructure.signing_keys import DEVELOPMENT_SECRET
from tests.command_line import ROOT, civicdesk
from tests.e2e.civicdesk_server import free_port, serving

pytestmark = pytest.mark.e2e

NO_KEY = "civicdesk: no token signing key: set CIVICDESK_JWT_SECRET"
LOOPBACK_ONLY = "serves only on a loopback address such as 127.0.0.1"


def image_environment() -> dict[str, str]:
    """The CIVICDESK_ variables the Dockerfile's ENV instructions set."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    instructions = [line[4:] for line in text.splitlines() if line.startswith("ENV ")]
    return dict(re.findall(r"(CIVICDESK_\w+)=(\S+)", " ".join(instructions)))


def admin_claims() -> dict[str, object]:
    now = int(time.time())
    return {"sub": "mallory", "role": "admin", "departments": [], "iat": now,
            "exp": now + 3600}


def test_serve_without_a_secret_exits_2_before_touching_the_database(tmp_path: Path) -> None:
    # given no CIVICDESK_JWT_SECRET, no public key and no --dev
    settings = Settings(data_dir=tmp_path / "data")
    # when the server is started as an operator starts it
    result = civicdesk(settings, "serve", "--port", str(free_port()))
    # then it refuses, saying what to set, without a traceback or a database
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(NO_KEY)
    assert "Traceback" not in result.stderr
    assert not settings.data_dir.exists()


def test_the_docker_image_without_a_secret_refuses_to_start(tmp_path: Path) -> None:
    # given the image's own settings (it listens on every interface) and no secret
    image = image_environment()
    assert image["CIVICDESK_HOST"] == "0.0.0.0"
    assert not {"CIVICDESK_JWT_SECRET", "CIVICDESK_DEV"} & set(image)
    # when its command runs (on a data directory of this test, not /var/lib/civicdesk)
    result = civicdesk(Settings(data_dir=tmp_path), "serve",
                       **{**image, "CIVICDESK_DATA_DIR": str(tmp_path / "data"),
                          "CIVICDESK_PORT": str(free_port())})
    # then it exits 2 with the message
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(NO_KEY)


@pytest.mark.parametrize(("arguments", "extra"), [
    (["--dev", "--host", "0.0.0.0"], {}),
    ([], {"CIVICDESK_DEV": "1", "CIVICDESK_HOST": "0.0.0.0"}),
    (["--dev", "--host", "::"], {"CIVICDESK_JWT_SECRET": "s" * 32}),
], ids=["--dev on 0.0.0.0", "CIVICDESK_DEV=1 on 0.0.0.0", "--dev with a secret on ::"])
def test_development_mode_refuses_to_serve_on_every_interface(
        tmp_path: Path, arguments: list[str], extra: dict[str, str]) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    result = civicdesk(settings, "serve", "--port", str(free_port()), *arguments, **extra)
    assert result.returncode == 2, result.stderr
    assert LOOPBACK_ONLY in result.stderr
    assert not settings.data_dir.exists()


def test_development_mode_on_loopback_serves_and_accepts_its_tokens(tmp_path: Path) -> None:
    # given `civicdesk serve --dev` on 127.0.0.1 with no secret
    with serving(Settings(data_dir=tmp_path / "data"), tmp_path / "server.log",
                 dev=True) as server:
        # when a token from `civicdesk token --dev` is used
        response = httpx.get(f"{server.base_url}/api/v1/cases",
                             headers=server.token("director", "dana"), timeout=10)
        # then it is accepted, and the log says the server is in development mode
        assert response.status_code == 200, response.text
        assert "development mode" in server.log()


def test_a_server_with_its_own_secret_refuses_the_development_secret(tmp_path: Path) -> None:
    # given a server started with a secret of its own
    with serving(Settings(data_dir=tmp_path / "data"), tmp_path / "server.log") as server:
        # when someone mints an admin token with the published development secret
        forged = jwt.encode(admin_claims(), DEVELOPMENT_SECRET, algorithm="HS256")
        response = httpx.get(f"{server.base_url}/api/v1/cases",
                             headers={"Authorization": f"Bearer {forged}"}, timeout=10)
        # then it is refused
        assert response.status_code == 401, response.text


def test_serve_without_a_checkpoint_key_exits_2_before_touching_the_database(
        tmp_path: Path) -> None:
    # given a token secret but no key to sign the log's checkpoints, and no --dev
    settings = Settings(data_dir=tmp_path / "data")
    # when the server is started
    result = civicdesk(settings, "serve", "--port", str(free_port()),
                       CIVICDESK_JWT_SECRET="k" * 32, CIVICDESK_CHECKPOINT_KEY="")
    # then it refuses, saying what to set, without a traceback or a database
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("civicdesk: no key signs the log's checkpoints: set "
                                    "CIVICDESK_CHECKPOINT_KEY_FILE")
    assert "Traceback" not in result.stderr
    assert not settings.data_dir.exists()
