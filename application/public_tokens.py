"""The public token of a case: the secret that, with its reference, shows its public status.

References are sequential (SC-2026-000001, 000002, ...), so a reference alone would let anyone
walk every request's status; the token is drawn at receipt, recorded in `Case.Received`, given
to the customer (and to the Open311 app that submitted the request), and checked in constant
time.
"""

from __future__ import annotations

import hmac
import secrets

from domain.cases import Case

TOKEN_BYTES = 16  # 128 bits: not guessable, short enough to read out over the phone as a link
# Compared against when a case has no token or does not exist, so that a wrong token, a missing
# token and a missing case all do the same work before answering "not found".
_NOTHING = secrets.token_urlsafe(TOKEN_BYTES)


def new_public_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_matches(case: Case | None, token: str | None) -> bool:
    """Whether `token` is the case's public token (never for a case without one)."""
    expected = case.public_token if case is not None else None
    given = (token or "").encode()
    same = hmac.compare_digest(given, (expected or _NOTHING).encode())
    return same and expected is not None


def status_page_path(case: Case) -> str | None:
    """The path of the case's public status page, token included (None without a token)."""
    if case.public_token is None:
        return None
    return f"/status/{case.reference}?token={case.public_token}"
