"""Reading `CIVICDESK_*` variables with their checks: each bad value becomes one line naming the
variable and what it must be, so an operator fixes every mistake in one go."""

from __future__ import annotations

import re
from collections.abc import Mapping
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlparse

from infrastructure.signing_keys import DEVELOPMENT_SECRET, MIN_SECRET_BYTES
from infrastructure.webhook_settings import Webhook, read_webhooks

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
YES = {"1", "true", "yes", "on"}
NO = {"0", "false", "no", "off"}
# PostgreSQL's unquoted identifiers (at most 63 bytes); the schema name is put into SQL.
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
MAIL_ADDRESS = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+")


class SettingsError(ValueError):
    """One or more settings are wrong; `problems` has one line per variable at fault."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class EnvironmentReader:
    """Reads variables from `env`, noting a problem for each bad one instead of raising at the
    first; `raise_problems()` raises them all. An empty value counts as unset."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[str] = []

    def problem(self, name: str, message: str) -> None:
        self.problems.append(f"{name}: {message}")

    def raise_problems(self) -> None:
        if self.problems:
            raise SettingsError(self.problems)

    def optional(self, name: str) -> str | None:
        return self.env.get(name) or None

    def text(self, name: str, default: str) -> str:
        return self.optional(name) or default

    def integer(self, name: str, default: int, *, low: int, high: int) -> int:
        value = self.optional(name)
        if value is None:
            return default
        try:
            number = int(value.strip())
        except ValueError:
            number = low - 1
        if not low <= number <= high:
            self.problem(name, f"{value!r} is not a whole number from {low} to {high}")
            return default
        return number

    def flag(self, name: str, default: bool) -> bool:
        value = self.optional(name)
        if value is None:
            return default
        if value.strip().lower() in YES | NO:
            return value.strip().lower() in YES
        self.problem(name, f"{value!r} is neither yes (1, true, yes, on) nor no (0, false, "
                     "no, off)")
        return default

    def log_level(self, name: str, default: str) -> str:
        value = self.text(name, default).strip().upper()
        if value not in LOG_LEVELS:
            self.problem(name, f"{self.env[name]!r} is not one of {', '.join(LOG_LEVELS)}")
            return default
        return value

    def host(self, name: str, default: str) -> str:
        value = self.text(name, default)
        if value != value.strip() or any(character.isspace() for character in value):
            self.problem(name, f"{value!r} is not a host name or address (it has spaces)")
            return default
        return value

    def optional_host(self, name: str) -> str | None:
        return self.host(name, "") or None if self.optional(name) else None

    def readable_file(self, name: str) -> Path | None:
        value = self.optional(name)
        if value is None:
            return None
        if not Path(value).is_file():
            self.problem(name, f"{value!r} is not a readable file")
            return None
        return Path(value)

    def mail_address(self, name: str) -> str | None:
        """An address such as desk@cobourg.example, or with a display name
        (Town of Cobourg <desk@cobourg.example>)."""
        value = self.optional(name)
        if value is None:
            return None
        _, address = parseaddr(value)
        if not MAIL_ADDRESS.fullmatch(address):
            self.problem(name, f"{value!r} is not an email address such as "
                         "'Town of Cobourg <desk@cobourg.example>'")
            return None
        return value

    def public_url(self, name: str) -> str | None:
        value = self.optional(name)
        if value is None:
            return None
        url = urlparse(value.rstrip("/"))
        if url.scheme not in {"http", "https"} or not url.netloc or url.path:
            self.problem(name, f"{value!r} is not a web address such as "
                         "https://desk.cobourg.example (scheme, host and port only)")
            return None
        return value.rstrip("/")

    def webhooks(self, name: str) -> tuple[Webhook, ...]:
        value = self.optional(name)
        if value is None:
            return ()
        hooks, problems = read_webhooks(Path(value))
        for problem in problems:
            self.problem(name, problem)
        return hooks

    def mail_server(self, host: str | None, sender: str | None, username: str | None,
                    password_file: Path | None) -> None:
        """A mail server needs a From address; a user name and a password go together."""
        if host is not None and sender is None:
            self.problem("CIVICDESK_SMTP_FROM", "is required with CIVICDESK_SMTP_HOST (the "
                         "address customers see and reply to)")
        if (username is None) != (password_file is None):
            self.problem("CIVICDESK_SMTP_USERNAME", "and CIVICDESK_SMTP_PASSWORD_FILE go "
                         "together: set both, or neither")

    def origins(self, name: str) -> tuple[str, ...]:
        """Comma-separated web origins (scheme://host[:port], no path), as browsers send them."""
        found = []
        for value in (self.optional(name) or "").split(","):
            origin = value.strip().rstrip("/")
            if not origin:
                continue
            url = urlparse(origin)
            if url.scheme not in {"http", "https"} or not url.netloc or url.path:
                self.problem(name, f"{origin!r} is not an origin such as "
                             "https://portal.cobourg.example (scheme, host and port only)")
                continue
            found.append(origin)
        return tuple(found)

    def identifier(self, name: str) -> str | None:
        value = self.optional(name)
        if value is not None and not IDENTIFIER.fullmatch(value):
            self.problem(name, f"{value!r} is not a plain PostgreSQL schema name (letters, "
                         "digits and _, not starting with a digit, at most 63)")
            return None
        return value

    def database_url(self, name: str) -> str | None:
        """A postgresql:// URL; the value itself is never repeated (it holds a password)."""
        value = self.optional(name)
        if value is None:
            return None
        url = urlparse(value)
        if url.scheme not in {"postgresql", "postgres"}:
            scheme = f"the scheme {url.scheme!r}" if url.scheme else "no scheme"
            self.problem(name, f"must be a postgresql://user:password@host:port/database URL "
                         f"(it has {scheme})")
            return None
        try:
            url.port  # noqa: B018 (parsing it is the check)
        except ValueError:
            self.problem(name, "its port is not a number from 1 to 65535")
            return None
        return value

    def secret(self, name: str) -> str | None:
        """The token signing secret: long enough, and not the one published in the source.
        Its value is never repeated."""
        value = self.optional(name)
        if value is None:
            return None
        if value == DEVELOPMENT_SECRET:
            self.problem(name, "is the development secret published in civicdesk's source; "
                         "choose your own (python3 -c 'import secrets; "
                         "print(secrets.token_urlsafe(32))')")
            return None
        length = len(value.encode())
        if length < MIN_SECRET_BYTES:
            self.problem(name, f"is {length} bytes long; it must be at least "
                         f"{MIN_SECRET_BYTES} (python3 -c 'import secrets; "
                         "print(secrets.token_urlsafe(32))')")
            return None
        return value

    def signing_algorithm(self, algorithm: str, public_key: str | None) -> None:
        """CIVICDESK_JWT_ALGORITHM must match the kind of key: HMAC with the secret, an
        asymmetric one with a public key (never `none`); the public key must parse."""
        from jwt.algorithms import get_default_algorithms
        from jwt.exceptions import InvalidKeyError

        algorithms = {name: value for name, value in get_default_algorithms().items()
                      if name != "none"}
        asymmetric = sorted(name for name in algorithms if not name.startswith("HS"))
        name = "CIVICDESK_JWT_ALGORITHM"
        if algorithm not in algorithms:
            self.problem(name, f"{algorithm!r} is not one of {', '.join(sorted(algorithms))}")
        elif public_key is None and not algorithm.startswith("HS"):
            self.problem(name, f"{algorithm} needs CIVICDESK_JWT_PUBLIC_KEY; with "
                         "CIVICDESK_JWT_SECRET use HS256, HS384 or HS512")
        elif public_key is not None and algorithm.startswith("HS"):
            self.problem(name, f"{algorithm} signs with a shared secret; a public key needs "
                         f"one of {', '.join(asymmetric)}")
        elif public_key is not None:
            try:
                algorithms[algorithm].prepare_key(public_key)
            except (InvalidKeyError, ValueError, TypeError) as error:
                self.problem("CIVICDESK_JWT_PUBLIC_KEY",
                             f"is not a PEM public key for {algorithm}: {error}")
