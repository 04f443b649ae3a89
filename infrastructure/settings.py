"""Settings: every `CIVICDESK_*` environment variable, read once into a frozen value."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

DEVELOPMENT_SECRET = "civicdesk-development-secret-change-me"


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("var")
    database_url: str | None = None
    database_schema: str | None = None
    jwt_secret: str = DEVELOPMENT_SECRET
    jwt_public_key: str | None = None
    jwt_algorithm: str = "HS256"
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = 65_536
    run_scheduler: bool = True
    run_projections: bool = True
    log_level: str = "INFO"
    # Browser origins allowed to call the API cross-site (CORS); none by default.
    cors_origins: tuple[str, ...] = ()

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ

        def flag(name: str, default: bool) -> bool:
            value = env.get(name)
            return default if value is None else value.lower() in {"1", "true", "yes", "on"}

        return cls(
            data_dir=Path(env.get("CIVICDESK_DATA_DIR", "var")),
            database_url=env.get("CIVICDESK_DATABASE_URL") or None,
            database_schema=env.get("CIVICDESK_DATABASE_SCHEMA") or None,
            jwt_secret=env.get("CIVICDESK_JWT_SECRET", DEVELOPMENT_SECRET),
            jwt_public_key=env.get("CIVICDESK_JWT_PUBLIC_KEY") or None,
            jwt_algorithm=env.get("CIVICDESK_JWT_ALGORITHM", "HS256"),
            jwt_issuer=env.get("CIVICDESK_JWT_ISSUER") or None,
            jwt_audience=env.get("CIVICDESK_JWT_AUDIENCE") or None,
            host=env.get("CIVICDESK_HOST", "127.0.0.1"),
            port=int(env.get("CIVICDESK_PORT", "8000")),
            max_body_bytes=int(env.get("CIVICDESK_MAX_BODY_BYTES", "65536")),
            run_scheduler=flag("CIVICDESK_RUN_SCHEDULER", True),
            run_projections=flag("CIVICDESK_RUN_PROJECTIONS", True),
            log_level=env.get("CIVICDESK_LOG_LEVEL", "INFO").upper(),
            cors_origins=tuple(origin.strip().rstrip("/") for origin in
                               env.get("CIVICDESK_CORS_ORIGINS", "").split(",")
                               if origin.strip()),
        )

    @property
    def is_postgres(self) -> bool:
        return self.database_url is not None

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "civicdesk.sqlite3"

    def eventsourcing_env(self) -> dict[str, str]:
        """The environment that eventsourcing's infrastructure factory reads."""
        if self.database_url is None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            return {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(self.sqlite_path),
                "SQLITE_LOCK_TIMEOUT": "10",
                "APPLICATION_RECORDER_TOPIC":
                    "infrastructure.recorders:ChainedSQLiteApplicationRecorder",
            }
        url = urlparse(self.database_url)
        if url.scheme not in {"postgres", "postgresql"}:
            raise ValueError("CIVICDESK_DATABASE_URL must be a postgresql:// URL")
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": url.path.lstrip("/") or "civicdesk",
            "POSTGRES_HOST": url.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": unquote(url.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(url.password or ""),
            "POSTGRES_POOL_SIZE": "5",
            "POSTGRES_MAX_OVERFLOW": "10",
            "APPLICATION_RECORDER_TOPIC":
                "infrastructure.recorders:ChainedPostgresApplicationRecorder",
        }
        if self.database_schema:
            env["POSTGRES_SCHEMA"] = self.database_schema
        return env
