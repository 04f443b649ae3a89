"""The customer's survey link, `/survey/{token}`: signed for one case and its expiry, checked, used.

A case is given one link, when it is first resolved (`Case.SurveyLinkIssued` records its
expiry). The token is base64url (unpadded) of the case's id (16 bytes), the expiry (8 bytes,
seconds since the epoch, big-endian) and an HMAC-SHA-256 (the standard library's `hmac`) over a
label naming this use and those 24 bytes, under the survey link key (32 bytes, derived from the
master key: infrastructure.survey_link_key). So the link finds its case without an index,
cannot be made for another case or a later expiry without the key, and is compared in constant
time, as the public status token is (application.public_tokens). A forged, damaged or unknown
token is answered as one: `SurveyLinkUnknown`.

`survey_url` is what a message to the customer calls (the outbox's resolution message) to put
the link in it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from application.commands import AnswerSurveyByLink
from application.desk import ServiceDesk
from domain.cases import Case
from domain.errors import NotFound
from domain.surveys import (
    SURVEY_LINK,
    CaseNotResolved,
    SurveyAlreadyAnswered,
    SurveyLinkExpired,
    SurveyLinkUnknown,
)

LABEL = b"civicdesk survey link v1\x00"  # what the MAC is for, so no other MAC is accepted here
KEY_BYTES = 32
_BODY = 24  # case id (16) and expiry (8)
_MAC = hashlib.sha256().digest_size


@dataclass(frozen=True)
class LinkClaim:
    """What a genuine token says: the case, and when its link expires."""

    case_id: UUID
    expires_at: datetime


class SurveyLinks:
    """Makes and reads survey link tokens under one key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"a survey link key is {KEY_BYTES} bytes")
        self._key = key

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self._key, LABEL + body, hashlib.sha256).digest()

    def token(self, case_id: UUID, expires_at: datetime) -> str:
        body = case_id.bytes + int(expires_at.timestamp()).to_bytes(8, "big")
        return base64.urlsafe_b64encode(body + self._mac(body)).rstrip(b"=").decode()

    def token_for(self, case: Case) -> str | None:
        """The token of the case's link (None: the case was given none)."""
        if case.survey_link is None:
            return None
        return self.token(case.id, case.survey_link["expires_at"])

    def read(self, token: str) -> LinkClaim:
        """The case and expiry a genuine token names. Raises SurveyLinkUnknown otherwise."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            raw = b""
        body, mac = raw[:_BODY], raw[_BODY:]
        # Always compute and compare, whatever was wrong, so a bad token costs the same work.
        genuine = hmac.compare_digest(self._mac(body), mac.ljust(_MAC, b"\0")[:_MAC])
        # The one spelling of those bytes only: base64 leaves spare bits in the last character.
        canonical = base64.urlsafe_b64encode(raw).rstrip(b"=").decode() == token
        if not genuine or not canonical or len(raw) != _BODY + _MAC:
            raise SurveyLinkUnknown("this survey link is not one the Town issued")
        seconds = int.from_bytes(body[16:], "big")
        return LinkClaim(UUID(bytes=body[:16]), datetime.fromtimestamp(seconds, UTC))


def survey_path(links: SurveyLinks, case: Case, language: str | None = None) -> str | None:
    """The path of the case's survey page (None: no link issued), in `language` (en or fr;
    None: the page follows the browser's language)."""
    token = links.token_for(case)
    if token is None:
        return None
    return f"/survey/{token}" + (f"?lang={language}" if language in {"en", "fr"} else "")


def survey_url(links: SurveyLinks, case: Case, public_url: str,
               language: str | None = None) -> str | None:
    """The link to put in the resolution message: the survey page's address under the desk's
    public address `public_url` (CIVICDESK_PUBLIC_URL), in the customer's language (None: the
    case was given no link)."""
    path = survey_path(links, case, language)
    return None if path is None else public_url.rstrip("/") + path


@dataclass(frozen=True)
class SurveyInvitation:
    """What the survey page shows before an answer: whose request it asks about."""

    reference: str
    expires_at: datetime


class SurveyRefused(Exception):
    """The link cannot be answered now, and why: `unknown` (forged, damaged, or no such case),
    `expired`, `used` (answered through it already) or `reopened` (the case is open again).
    `reference` and `expires_at` are empty for an unknown link."""

    def __init__(self, why: str, reference: str = "", expires_at: datetime | None = None
                 ) -> None:
        super().__init__(why)
        self.why = why
        self.reference = reference
        self.expires_at = expires_at


def _refused(error: Exception, case: Case | None, claim: LinkClaim | None) -> SurveyRefused:
    reasons: dict[type[Exception], str] = {SurveyLinkExpired: "expired",
                                           SurveyAlreadyAnswered: "used",
                                           CaseNotResolved: "reopened"}
    why = reasons.get(type(error), "unknown")
    if why == "unknown" or case is None or claim is None:
        return SurveyRefused("unknown")
    return SurveyRefused(why, case.reference, claim.expires_at)


def open_survey(desk: ServiceDesk, links: SurveyLinks, token: str) -> SurveyInvitation:
    """The survey a link opens, if the customer may answer it now. Raises SurveyRefused."""
    case = claim = None
    try:
        claim = links.read(token)
        case = _case(desk, claim)
        case.check_survey_link(claim.expires_at, desk.clock())
    except (SurveyLinkUnknown, SurveyLinkExpired, SurveyAlreadyAnswered,
            CaseNotResolved) as error:
        raise _refused(error, case, claim) from None
    return SurveyInvitation(reference=case.reference, expires_at=claim.expires_at)


def answer_survey(desk: ServiceDesk, links: SurveyLinks, token: str, *, csat: int | None,
                  nps: int | None, ces: int | None) -> SurveyInvitation:
    """Record the customer's answer through their link (once). Raises SurveyRefused, and
    InvalidValue for a score out of range or no score at all (recording nothing)."""
    invitation = open_survey(desk, links, token)
    claim = links.read(token)
    try:
        desk.handle(SURVEY_LINK, AnswerSurveyByLink(case_id=claim.case_id,
                                                    expires_at=claim.expires_at,
                                                    csat=csat, nps=nps, ces=ces))
    except (SurveyLinkUnknown, SurveyLinkExpired, SurveyAlreadyAnswered,
            CaseNotResolved) as error:
        # Answered (or reopened, or expired) between the look and the answer.
        raise _refused(error, _case(desk, claim), claim) from None
    return invitation


def _case(desk: ServiceDesk, claim: LinkClaim) -> Case:
    try:
        return desk.get_case(SURVEY_LINK, claim.case_id)
    except NotFound:
        raise SurveyLinkUnknown("this survey link is not one the Town issued") from None
