"""API keys of Open311 client apps: issued by an administrator, kept only as a SHA-256 hash.

A key reads `<key id>.<secret>`: the id (32 hex digits) finds the aggregate without an index,
and the whole key's SHA-256 is compared in constant time. The raw key is shown once, when it
is issued, and is never recorded anywhere.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.actors import Actor
from domain.errors import InvalidValue, RuleViolated

API_KEY_NAMESPACE = uuid5(NAMESPACE_URL, "https://civicdesk.example/api-keys")
NAME_LIMIT = 100


def hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def key_id_of(raw_key: str) -> UUID | None:
    """The id a presented key names, or None if it is not shaped like one of ours."""
    key_id, dot, secret = raw_key.partition(".")
    if not dot or not secret or len(key_id) != 32:
        return None
    try:
        return UUID(hex=key_id)
    except ValueError:
        return None


def check_app_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > NAME_LIMIT or not cleaned.isprintable():
        raise InvalidValue(f"an app name is 1-{NAME_LIMIT} printable characters", "name")
    return cleaned


class ApiKey(Aggregate):
    """One client app's key. An app has one key; a revoked name stays taken (the record
    must keep saying who submitted what)."""

    @staticmethod
    def create_id(name: str) -> UUID:
        return uuid5(API_KEY_NAMESPACE, check_app_name(name).casefold())

    @classmethod
    def issue(cls, *, name: str, raw_key: str, actor: Actor, now: datetime) -> ApiKey:
        name = check_app_name(name)
        if key_id_of(raw_key) != cls.create_id(name):
            raise InvalidValue("the key must name this app's key id", "key")
        return cls(name=name, key_sha256=hash_key(raw_key), occurred_at=now,
                   actor_id=actor.id, actor_role=actor.role.value)

    @event("Issued")
    def __init__(self, name: str, key_sha256: str, occurred_at: datetime, actor_id: str,
                 actor_role: str) -> None:
        self.name = name
        self.key_sha256 = key_sha256
        self.issued_at = occurred_at
        self.issued_by = actor_id
        self.revoked_at: datetime | None = None
        self.revoked_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def accepts(self, raw_key: str) -> bool:
        """Whether `raw_key` is this key and the key still works."""
        return self.active and hmac.compare_digest(hash_key(raw_key), self.key_sha256)

    def revoke(self, *, reason: str, actor: Actor, now: datetime) -> None:
        if not self.active:
            raise RuleViolated(f"the key of {self.name} was already revoked")
        if not reason.strip():
            raise InvalidValue("say why the key is revoked", "reason")
        self._revoked(reason=reason.strip(), occurred_at=now, actor_id=actor.id,
                      actor_role=actor.role.value)

    @event("Revoked")
    def _revoked(self, reason: str, occurred_at: datetime, actor_id: str,
                 actor_role: str) -> None:
        self.revoked_at = occurred_at
        self.revoked_reason = reason
