"""The webhooks the desk delivers to, read from the TOML file `CIVICDESK_WEBHOOKS_FILE` names:

    [[webhook]]
    name = "gis"                                   # letters, digits, '-' or '_'
    url = "https://gis.cobourg.ca/hooks/civicdesk" # http(s)
    events = ["Received", "Resolved"]              # names in domain.webhooks.SHARED_EVENTS
    secret_file = "/run/secrets/webhook-gis"       # the signing secret, at least 32 bytes

Each secret stays in its file: it is read when a delivery is signed, never held in the settings,
logged, listed or exported."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from domain.webhooks import SHARED_EVENTS

NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
MIN_SECRET_BYTES = 32


@dataclass(frozen=True)
class Webhook:
    name: str
    url: str
    events: frozenset[str]
    secret_file: Path

    def secret(self) -> bytes:
        return self.secret_file.read_bytes().strip()


def read_webhooks(path: Path) -> tuple[tuple[Webhook, ...], list[str]]:
    """The webhooks the file at `path` configures, and a line for each mistake in it."""
    try:
        document = tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError) as error:
        return (), [f"cannot read {path}: {error}"]
    except tomllib.TOMLDecodeError as error:
        return (), [f"{path} is not TOML: {error}"]
    entries = document.get("webhook", [])
    if not isinstance(entries, list) or set(document) - {"webhook"}:
        return (), [f"{path} holds only [[webhook]] tables"]
    hooks, problems = [], []
    for number, entry in enumerate(entries, 1):
        where = f"{path} webhook {number}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: is not a table")
            continue
        name, url, events = entry.get("name"), entry.get("url"), entry.get("events")
        secret = entry.get("secret_file")
        unknown = set(entry) - {"name", "url", "events", "secret_file"}
        if unknown:
            problems.append(f"{where}: unknown keys {sorted(unknown)}")
        if not isinstance(name, str) or not NAME.fullmatch(name):
            problems.append(f"{where}: name must be 1-64 letters, digits, '-' or '_'")
        parsed = urlparse(url) if isinstance(url, str) else None
        if parsed is None or parsed.scheme not in {"http", "https"} or not parsed.netloc:
            problems.append(f"{where}: url must be an http(s) address")
        if not isinstance(events, list) or not events or not all(
                isinstance(e, str) and e in SHARED_EVENTS for e in events):
            problems.append(f"{where}: events must list some of {sorted(SHARED_EVENTS)}")
        if not isinstance(secret, str) or not Path(secret).is_file():
            problems.append(f"{where}: secret_file must name a readable file")
        elif len(Path(secret).read_bytes().strip()) < MIN_SECRET_BYTES:
            problems.append(f"{where}: the secret in secret_file must be at least "
                            f"{MIN_SECRET_BYTES} bytes")
        if not problems:
            assert isinstance(name, str) and isinstance(url, str) and isinstance(secret, str)
            hooks.append(Webhook(name=name, url=url, events=frozenset(events or ()),
                                 secret_file=Path(secret)))
    names = [hook.name for hook in hooks]
    if len(set(names)) != len(names):
        problems.append(f"{path}: two webhooks share a name")
    return (tuple(hooks) if not problems else ()), problems
