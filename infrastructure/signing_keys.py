"""Which key signs and verifies bearer tokens, and where the published development secret may be
used: only in development mode, on a loopback address, with a database on this machine."""

from __future__ import annotations

import ipaddress
import socket
from typing import TYPE_CHECKING
from urllib.parse import urlparse

if TYPE_CHECKING:
    from infrastructure.settings import Settings

# Published in this file, so it protects nothing: anyone may sign an admin token with it.
DEVELOPMENT_SECRET = "civicdesk-development-secret-change-me"
# RFC 7518 section 3.2: an HS256 key must be at least as long as its 256-bit hash output.
MIN_SECRET_BYTES = 32
KEY_HINT = ("set CIVICDESK_JWT_SECRET (at least 32 bytes: python3 -c 'import secrets; "
            "print(secrets.token_urlsafe(32))') or CIVICDESK_JWT_PUBLIC_KEY (your identity "
            "provider's key)")
SECRET_HINT = (f"{KEY_HINT}; for local development only, add --dev (or CIVICDESK_DEV=1), "
               "which uses a published secret and serves only on 127.0.0.1")


class NoSigningKey(Exception):
    """No key is configured to sign or verify tokens, or development mode is misused."""


def token_secret(settings: Settings) -> str:
    """The HMAC secret that signs and verifies tokens: the configured one, else in development
    mode the published development secret; NoSigningKey otherwise."""
    if settings.jwt_secret:
        return settings.jwt_secret
    if settings.dev:
        return DEVELOPMENT_SECRET
    raise NoSigningKey(f"no token signing key: {SECRET_HINT}")


def verification_key(settings: Settings) -> str:
    """The key bearer tokens are checked with: the identity provider's public key if set."""
    return settings.jwt_public_key or token_secret(settings)


def check_serving(settings: Settings, host: str) -> None:
    """`civicdesk serve` may start: it has a key, and development mode stays on this machine.
    Raises NoSigningKey with what to change."""
    verification_key(settings)
    if not settings.dev:
        return
    if not is_loopback(host):
        raise NoSigningKey(
            f"development mode (--dev, CIVICDESK_DEV) serves only on a loopback address such "
            f"as 127.0.0.1, not on {host!r}: anyone who can reach it could sign an admin token "
            f"with the published development secret. Drop --dev and {KEY_HINT}")
    if settings.database_url is not None:
        database_host = urlparse(settings.database_url).hostname or "127.0.0.1"
        if not database_host.startswith("/") and not is_loopback(database_host):
            raise NoSigningKey(
                f"development mode (--dev, CIVICDESK_DEV) works only with a database on this "
                f"machine, not on {database_host!r}: a development server must not write "
                "into a shared database")


def is_loopback(host: str) -> bool:
    """True if `host` is a loopback address (127.0.0.0/8, ::1), or a name every address of
    which is one (as `localhost` normally is). A name that does not resolve is not."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except (OSError, UnicodeError):
        return False
    return bool(addresses) and all(
        ipaddress.ip_address(str(address).split("%")[0]).is_loopback for address in addresses)
