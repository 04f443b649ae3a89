"""The `civicdesk` command run in a process of its own against a test's database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from infrastructure.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def environment(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a `civicdesk` process on the database of `settings` (and `extra`
    variables), with no other CIVICDESK_ setting of this environment leaking in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIVICDESK_")}
    env["CIVICDESK_DATA_DIR"] = str(settings.data_dir)
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
