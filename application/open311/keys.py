"""Open311 apps' API keys: issued and revoked by an administrator, presented with each POST."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.persistence import IntegrityError, RecordConflictError
from eventsourcing.utils import get_topic

from application.access import check_admin, public_client
from application.desk import ServiceDesk
from application.open311.aggregates import load
from domain.actors import Actor
from domain.api_keys import ApiKey, key_id_of
from domain.errors import AlreadyExists, Forbidden, NotFound


@dataclass(frozen=True)
class IssuedKey:
    name: str
    key: str  # shown once; only its hash is kept


@dataclass(frozen=True)
class Client:
    """An app whose key was accepted, and the actor it records requests as."""

    key_id: UUID
    name: str
    actor: Actor


def issue_api_key(desk: ServiceDesk, actor: Actor, name: str) -> IssuedKey:
    """Raises Forbidden, InvalidValue, AlreadyExists."""
    check_admin(actor)
    key_id = ApiKey.create_id(name)
    raw_key = f"{key_id.hex}.{secrets.token_urlsafe(32)}"
    key = ApiKey.issue(name=name, raw_key=raw_key, actor=actor, now=desk.clock())
    try:
        desk.save(key)
    except (RecordConflictError, IntegrityError):
        raise AlreadyExists(f"an app named {key.name!r} already has a key", "name") from None
    return IssuedKey(name=key.name, key=raw_key)


def revoke_api_key(desk: ServiceDesk, actor: Actor, name: str, reason: str) -> ApiKey:
    """Raises Forbidden, NotFound, InvalidValue, RuleViolated."""
    check_admin(actor)
    key = load(desk, ApiKey, ApiKey.create_id(name), f"no key for an app named {name!r}")
    key.revoke(reason=reason, actor=actor, now=desk.clock())
    desk.save(key)
    return key


def list_api_keys(desk: ServiceDesk, actor: Actor) -> list[ApiKey]:
    """Every key ever issued, by name. Raises Forbidden."""
    check_admin(actor)
    topics = (f"{get_topic(ApiKey)}.Issued",)
    ids: list[UUID] = []
    position, head = 0, desk.log_position()
    while position < head:
        batch = desk.recorder.select_notifications(position + 1, 500, stop=head, topics=topics)
        ids += [n.originator_id if isinstance(n.originator_id, UUID)
                else UUID(str(n.originator_id)) for n in batch]
        position = batch[-1].id if len(batch) == 500 else head
    keys = [load(desk, ApiKey, key_id, "no such key") for key_id in ids]
    return sorted(keys, key=lambda k: k.name.casefold())


def authenticate(desk: ServiceDesk, raw_key: str | None) -> Client:
    """The app a presented key belongs to. Raises Forbidden (missing, unknown or revoked)."""
    if not raw_key:
        raise Forbidden("api_key was not provided", "api_key")
    key_id = key_id_of(raw_key)
    try:
        key = load(desk, ApiKey, key_id, "no such key") if key_id else None
    except NotFound:
        key = None
    if key is None or not key.accepts(raw_key):
        revoked = key is not None and not key.active
        raise Forbidden("api_key was revoked" if revoked else "api_key is not valid",
                        "api_key")
    return Client(key_id=key.id, name=key.name, actor=public_client(key.name))
