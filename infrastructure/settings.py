"""Settings: every `CIVICDESK_*` environment variable, read and checked once into a frozen value."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from application.accountability import MIN_SAMPLE
from infrastructure.settings_reader import EnvironmentReader, SettingsError
from infrastructure.webhook_settings import Webhook

__all__ = ["Settings", "SettingsError"]
# Reads stored events as eventsourcing does, and names one that cannot be read back.
MAPPER_TOPIC = "infrastructure.damaged_log:CheckedMapper"


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("var")
    database_url: str | None = None
    database_schema: str | None = None
    # No default secret: `civicdesk serve` refuses to start without one, a public key or
    # development mode (infrastructure.signing_keys).
    jwt_secret: str | None = None
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
    dev: bool = False  # local development: the published secret, on a loopback address only
    # The Ed25519 key that signs checkpoints of the log (a signed-note signer key, the key
    # itself or a file holding it), never stored in the database; `serve` refuses to start
    # without one except in development mode (infrastructure.checkpoint_keys).
    checkpoint_key: str | None = None
    checkpoint_key_file: Path | None = None
    # Where each signed checkpoint is also written (the witness copy to ship elsewhere).
    checkpoint_dir: Path | None = None
    checkpoint_seconds: int = 60  # how often the elected leader signs while the log grows
    # The key that wraps every customer's data key (32 bytes, base64; the key itself or a file
    # holding it), never stored in the database; `serve` refuses to start without one except
    # in development mode (infrastructure.master_key).
    master_key: str | None = None
    master_key_file: Path | None = None
    # Browser origins allowed to call the API cross-site (CORS); none by default.
    cors_origins: tuple[str, ...] = ()
    # Fewest results a published share or average is rated from (application.accountability).
    min_sample: int = MIN_SAMPLE
    # Email to customers by SMTP (infrastructure/mail.py); off while smtp_host is None.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_starttls: bool = True  # upgrade to TLS before logging in or sending (port 587)
    smtp_username: str | None = None
    smtp_password_file: Path | None = None  # a file holding the password, never the value
    smtp_from: str | None = None
    # Where the public reaches this desk (scheme://host[:port]): status links in messages.
    public_url: str | None = None
    # Where attachments' bytes are kept (infrastructure.file_store; default: the data
    # directory's attachments/) and the largest file kept.
    attachments_dir: Path | None = None
    attachment_max_bytes: int = 10 * 1024 * 1024
    # Or in an S3-compatible bucket (infrastructure.object_store): its name, the service's
    # address (None: AWS S3) and a prefix for the objects' keys.
    attachments_s3_bucket: str | None = None
    attachments_s3_endpoint: str | None = None
    attachments_s3_prefix: str = ""
    # Deliveries of chosen case events to the Town's systems (infrastructure/webhook_*.py).
    webhooks: tuple[Webhook, ...] = ()

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings the environment gives, every value checked; SettingsError lists every
        variable at fault (by name, with what it must be) rather than the first."""
        read = EnvironmentReader(os.environ if environ is None else environ)
        settings = cls(
            data_dir=Path(read.text("CIVICDESK_DATA_DIR", "var")),
            database_url=read.database_url("CIVICDESK_DATABASE_URL"),
            database_schema=read.identifier("CIVICDESK_DATABASE_SCHEMA"),
            jwt_secret=read.secret("CIVICDESK_JWT_SECRET"),
            jwt_public_key=read.optional("CIVICDESK_JWT_PUBLIC_KEY"),
            jwt_algorithm=read.text("CIVICDESK_JWT_ALGORITHM", "HS256"),
            jwt_issuer=read.optional("CIVICDESK_JWT_ISSUER"),
            jwt_audience=read.optional("CIVICDESK_JWT_AUDIENCE"),
            host=read.host("CIVICDESK_HOST", "127.0.0.1"),
            port=read.integer("CIVICDESK_PORT", 8000, low=1, high=65_535),
            max_body_bytes=read.integer("CIVICDESK_MAX_BODY_BYTES", 65_536, low=1_024,
                                        high=64 * 1024 * 1024),
            run_scheduler=read.flag("CIVICDESK_RUN_SCHEDULER", True),
            run_projections=read.flag("CIVICDESK_RUN_PROJECTIONS", True),
            log_level=read.log_level("CIVICDESK_LOG_LEVEL", "INFO"),
            dev=read.flag("CIVICDESK_DEV", False),
            cors_origins=read.origins("CIVICDESK_CORS_ORIGINS"),
            min_sample=read.integer("CIVICDESK_MIN_SAMPLE", MIN_SAMPLE, low=1, high=10_000),
            checkpoint_key=read.optional("CIVICDESK_CHECKPOINT_KEY"),
            checkpoint_key_file=(Path(file) if (file := read.optional(
                "CIVICDESK_CHECKPOINT_KEY_FILE")) else None),
            checkpoint_dir=(Path(folder) if (folder := read.optional(
                "CIVICDESK_CHECKPOINT_DIR")) else None),
            master_key=read.optional("CIVICDESK_MASTER_KEY"),
            master_key_file=(Path(file) if (file := read.optional(
                "CIVICDESK_MASTER_KEY_FILE")) else None),
            checkpoint_seconds=read.integer("CIVICDESK_CHECKPOINT_SECONDS", 60, low=1,
                                            high=3_600),
            smtp_host=read.optional_host("CIVICDESK_SMTP_HOST"),
            smtp_port=read.integer("CIVICDESK_SMTP_PORT", 587, low=1, high=65_535),
            smtp_starttls=read.flag("CIVICDESK_SMTP_STARTTLS", True),
            smtp_username=read.optional("CIVICDESK_SMTP_USERNAME"),
            smtp_password_file=read.readable_file("CIVICDESK_SMTP_PASSWORD_FILE"),
            smtp_from=read.mail_address("CIVICDESK_SMTP_FROM"),
            public_url=read.public_url("CIVICDESK_PUBLIC_URL"),
            attachments_dir=(Path(folder) if (folder := read.optional(
                "CIVICDESK_ATTACHMENTS_DIR")) else None),
            attachments_s3_bucket=read.optional("CIVICDESK_ATTACHMENTS_S3_BUCKET"),
            attachments_s3_endpoint=read.optional("CIVICDESK_ATTACHMENTS_S3_ENDPOINT"),
            attachments_s3_prefix=read.text("CIVICDESK_ATTACHMENTS_S3_PREFIX", ""),
            attachment_max_bytes=read.integer("CIVICDESK_ATTACHMENT_MAX_BYTES",
                                              10 * 1024 * 1024, low=1_024,
                                              high=100 * 1024 * 1024),
            webhooks=read.webhooks("CIVICDESK_WEBHOOKS_FILE"),
        )
        read.mail_server(settings.smtp_host, settings.smtp_from, settings.smtp_username,
                         settings.smtp_password_file)
        read.signing_algorithm(settings.jwt_algorithm, settings.jwt_public_key)
        read.raise_problems()
        return settings

    @property
    def is_postgres(self) -> bool:
        return self.database_url is not None

    @property
    def checkpoint_directory(self) -> Path:
        return self.checkpoint_dir or self.data_dir / "checkpoints"

    @property
    def attachments_directory(self) -> Path:
        return self.attachments_dir or self.data_dir / "attachments"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "civicdesk.sqlite3"

    @property
    def database_location(self) -> str:
        """Where the database is, for messages (never the password)."""
        if self.database_url is None:
            return str(self.sqlite_path)
        url = urlparse(self.database_url)
        where = (f"PostgreSQL at {url.hostname or '127.0.0.1'}:{url.port or 5432}, "
                 f"database {url.path.lstrip('/') or 'civicdesk'}")
        return f"{where}, schema {self.database_schema}" if self.database_schema else where

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
                "MAPPER_TOPIC": MAPPER_TOPIC,
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
            "MAPPER_TOPIC": MAPPER_TOPIC,
        }
        if self.database_schema:
            env["POSTGRES_SCHEMA"] = self.database_schema
        return env
