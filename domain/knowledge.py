"""The knowledge base's `Article`: what staff (and, when public, residents) read to answer a
question at first contact. Written in English, French or both; linked to the services it is
about; versioned (every revision numbered); published, and retired when out of date."""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.actors import Actor
from domain.errors import InvalidValue, RuleViolated
from domain.values import parse_enum


class Audience(StrEnum):
    INTERNAL = "internal"  # staff only
    PUBLIC = "public"  # also listed for self-service, on the public route


class ArticleState(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


LANGUAGES = ("en", "fr")  # the Town's official languages
TEXT_FIELDS = ("title", "body")


class ArticleNotUsable(RuleViolated):
    code = "article-not-usable"


def _who(actor: Actor) -> dict[str, str]:
    return {"actor_id": actor.id, "actor_role": actor.role.value}


def check_texts(texts: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """The article's text in each language it is written in ("en", "fr"), each with a
    non-empty title and body. At least one language. Raises InvalidValue."""
    if not texts:
        raise InvalidValue("an article is written in English, French or both", "texts")
    for language, text in texts.items():
        if language not in LANGUAGES:
            raise InvalidValue(f"language {language!r} is not one of: {', '.join(LANGUAGES)}",
                               "texts")
        for name in TEXT_FIELDS:
            if not text.get(name, "").strip():
                raise InvalidValue(f"the {language} {name} must not be empty",
                                   f"texts.{language}.{name}")
        if set(text) - set(TEXT_FIELDS):
            raise InvalidValue(f"the {language} text has only a title and a body",
                               f"texts.{language}")
    return {language: {name: texts[language][name] for name in TEXT_FIELDS}
            for language in LANGUAGES if language in texts}


def check_services(service_codes: list[str]) -> list[str]:
    if len(set(service_codes)) != len(service_codes):
        raise InvalidValue("a service is linked once", "service_codes")
    return sorted(service_codes)


def search_words(text: str) -> list[str]:
    """Lower case, accents removed (permis finds Permis, élagage finds elagage), split on
    anything not a letter or digit: how an article is indexed and how a search is read."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return [w for w in re.split(r"[^a-z0-9]+", plain) if w]


class Article(Aggregate):
    """One article. Commands check the rules, then record one event."""

    class Written(Aggregate.Created):
        texts: dict[str, dict[str, str]]
        service_codes: list[str]
        audience: str
        actor_id: str
        actor_role: str

    @classmethod
    def write(cls, *, article_id: UUID, texts: dict[str, dict[str, str]],
              service_codes: list[str], audience: str, actor: Actor) -> Article:
        """A draft (revision 1), not yet published."""
        parse_enum(Audience, audience, "audience")
        return cls._create(cls.Written, id=article_id, texts=check_texts(texts),
                           service_codes=check_services(service_codes), audience=audience,
                           **_who(actor))

    @event(Written)
    def __init__(self, *, texts: dict[str, dict[str, str]], service_codes: list[str],
                 audience: str, actor_id: str, actor_role: str) -> None:
        self.texts = texts
        self.service_codes = service_codes
        self.audience = audience
        self.revision = 1
        self.state = ArticleState.DRAFT.value
        self.written_by = actor_id

    def check_usable(self) -> None:
        """Only a published article can be recorded as used on an interaction."""
        if self.state != ArticleState.PUBLISHED.value:
            raise ArticleNotUsable(f"article {self.id} is {self.state}, not published",
                                   "article_ids")

    def revise(self, *, texts: dict[str, dict[str, str]], service_codes: list[str],
               audience: str, actor: Actor) -> None:
        """A new revision (numbered one more). A published article stays published, as
        revised; a retired one is published again before it is revised."""
        if self.state == ArticleState.RETIRED.value:
            raise RuleViolated(f"article {self.id} is retired; publish it again first")
        parse_enum(Audience, audience, "audience")
        self._revised(revision=self.revision + 1, texts=check_texts(texts),
                      service_codes=check_services(service_codes), audience=audience,
                      **_who(actor))

    @event("Revised")
    def _revised(self, revision: int, texts: dict[str, dict[str, str]],
                 service_codes: list[str], audience: str, actor_id: str,
                 actor_role: str) -> None:
        self.revision = revision
        self.texts = texts
        self.service_codes = service_codes
        self.audience = audience

    def publish(self, *, actor: Actor) -> None:
        if self.state == ArticleState.PUBLISHED.value:
            raise RuleViolated(f"article {self.id} is already published")
        self._published(revision=self.revision, **_who(actor))

    @event("Published")
    def _published(self, revision: int, actor_id: str, actor_role: str) -> None:
        self.state = ArticleState.PUBLISHED.value

    def retire(self, *, reason: str, actor: Actor) -> None:
        if self.state != ArticleState.PUBLISHED.value:
            raise RuleViolated(f"article {self.id} is {self.state}; only a published article "
                               "is retired")
        if not reason.strip():
            raise InvalidValue("reason must not be empty", "reason")
        self._retired(revision=self.revision, reason=reason, **_who(actor))

    @event("Retired")
    def _retired(self, revision: int, reason: str, actor_id: str, actor_role: str) -> None:
        self.state = ArticleState.RETIRED.value
