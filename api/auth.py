"""Bearer JWT authentication: a token's `sub`, `role` and `departments` become an Actor."""

from __future__ import annotations

import time
from typing import Any

import jwt
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler

from domain.actors import Actor, Role
from infrastructure.settings import Settings
from infrastructure.signing_keys import NoSigningKey, token_secret, verification_key

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="civicdesk"'}
HUMAN_ROLES = [role for role in Role if role != Role.SYSTEM]


def issue_token(settings: Settings, *, sub: str, role: str, departments: list[str],
                lifetime_seconds: int = 8 * 3600) -> str:
    """A token signed with CIVICDESK_JWT_SECRET (or, in development mode, the published
    development secret). NoSigningKey when there is neither, or when tokens are verified with
    an identity provider's public key (it would be refused: the provider issues them)."""
    if settings.jwt_public_key:
        raise NoSigningKey("tokens are verified with CIVICDESK_JWT_PUBLIC_KEY: get them from "
                           "your identity provider, not from civicdesk token")
    if Role(role) == Role.SYSTEM:
        raise ValueError("the system role is not issued to people")
    now = int(time.time())
    claims: dict[str, Any] = {"sub": sub, "role": role, "departments": departments,
                              "iat": now, "exp": now + lifetime_seconds}
    if settings.jwt_issuer:
        claims["iss"] = settings.jwt_issuer
    if settings.jwt_audience:
        claims["aud"] = settings.jwt_audience
    return jwt.encode(claims, token_secret(settings), algorithm=settings.jwt_algorithm)


def decode_actor(settings: Settings, token: str) -> Actor:
    key = verification_key(settings)
    try:
        claims = jwt.decode(token, key, algorithms=[settings.jwt_algorithm],
                            issuer=settings.jwt_issuer, audience=settings.jwt_audience,
                            options={"require": ["sub", "role", "exp"]})
    except jwt.PyJWTError as error:
        raise NotAuthorizedException(f"invalid bearer token: {error}",
                                     headers=CHALLENGE) from None
    try:
        role = Role(claims["role"])
    except ValueError:
        role = Role.SYSTEM
    departments = claims.get("departments") or []
    if (role == Role.SYSTEM or not isinstance(departments, list)
            or not all(isinstance(d, str) for d in departments)
            or not isinstance(claims["sub"], str)):
        raise NotAuthorizedException("the token's role, sub or departments are not valid",
                                     headers=CHALLENGE)
    return Actor(id=claims["sub"], role=role, departments=frozenset(departments))


def _actor_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Actor:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthorizedException("a bearer token is required", headers=CHALLENGE)
    # A guard is given no dependencies: it reads the app's settings from its holder.
    from api.dependencies import served

    return decode_actor(served(connection.app).services.settings, token.strip())


def authenticated(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: runs before Litestar reads the body, so a stranger gets 401, never a 400."""
    connection.state.actor = _actor_of(connection)


def current_actor(request: Request[Any, Any, Any]) -> Actor:
    """Litestar dependency: the authenticated actor, or 401."""
    actor = getattr(request.state, "actor", None)
    if isinstance(actor, Actor):
        return actor
    return _actor_of(request)
