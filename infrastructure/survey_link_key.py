"""The key that signs customers' survey links: derived from the master key, never stored.

HKDF-SHA-256 (the `cryptography` package's, RFC 5869) over the master key (infrastructure.
master_key), with an `info` naming this use, gives a key of its own: a survey link's MAC says
nothing about the master key or the data keys it wraps, and the links need no other secret to
configure, back up or rotate. Changing the master key makes every survey link not yet answered
unusable (the customer is told the link is not one the Town issued).
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from application.survey_links import KEY_BYTES, SurveyLinks
from infrastructure.master_key import has_master_key, master_key
from infrastructure.settings import Settings

INFO = b"civicdesk survey link key v1"


def derive_survey_link_key(master: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None,
                info=INFO).derive(master)


def survey_links(settings: Settings) -> SurveyLinks | None:
    """The survey links of the configured master key (None without one: no links are made
    readable, and the survey page says so)."""
    if not has_master_key(settings):
        return None
    return SurveyLinks(derive_survey_link_key(master_key(settings)))
