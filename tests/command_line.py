"""The `civicdesk` command run in a process of its own against a test's database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from infrastructure.master_key import new_master_key
from infrastructure.settings import Settings
from infrastructure.signed_note import Signer

ROOT = Path(__file__).resolve().parents[1]
# Every process a test starts signs checkpoints with this key (a test may override it, or
# unset it with CIVICDESK_CHECKPOINT_KEY=""): `serve` refuses to start without one.
TEST_CHECKPOINT_SIGNER = Signer.generate("civicdesk.test/log")
# The master key every test's personal information is sealed under (fresh per run; `serve`
# refuses to start without one).
TEST_MASTER_KEY = new_master_key()


def environment(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a `civicdesk` process on the database of `settings` (and `extra`
    variables), with no other CIVICDESK_ setting of this environment leaking in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIVICDESK_")}
    env["CIVICDESK_DATA_DIR"] = str(settings.data_dir)
    env["CIVICDESK_CHECKPOINT_KEY"] = str(TEST_CHECKPOINT_SIGNER)
    env["CIVICDESK_MASTER_KEY"] = settings.master_key or TEST_MASTER_KEY
    if settings.is_postgres:
        env["CIVICDESK_DATABASE_URL"] = str(settings.database_url)
        env["CIVICDESK_DATABASE_SCHEMA"] = str(settings.database_schema)
    return {**env, **extra}


def civicdesk(settings: Settings, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    """`civicdesk ARGS…` on the database of `settings` (and `extra` variables); its exit code
    and text output."""
    return subprocess.run([sys.executable, "-m", "api.cli", *args], cwd=ROOT,
                          env=environment(settings, **extra), capture_output=True, text=True,
                          timeout=120, check=False)
