"""The knowledge base: writing, revising, publishing and retiring articles (who may), and what
its read model answers (search, the articles of a service, the uses of each article)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID, uuid4

from domain.actors import Actor, Role
from domain.catalogue import Service
from domain.errors import Forbidden, InvalidValue
from domain.knowledge import Article

KNOWLEDGE_NAME = "knowledge"
# Everyone who answers the public writes down what they know; publishing (what every
# colleague, or the public, then reads as the Town's answer) and retiring are management's.
WRITERS = {Role.CSR, Role.STAFF, Role.MANAGER, Role.DIRECTOR, Role.ADMIN}
PUBLISHERS = {Role.MANAGER, Role.DIRECTOR, Role.ADMIN}


def check_may_write(actor: Actor) -> None:
    if actor.role not in WRITERS:
        raise Forbidden(f"the {actor.role.value} role does not write articles")


def check_may_publish(actor: Actor) -> None:
    if actor.role not in PUBLISHERS:
        raise Forbidden(f"the {actor.role.value} role does not publish or retire articles")


class ArticleStore(Protocol):
    """What `KnowledgeBase` needs of the desk (ServiceDesk provides it)."""

    def load_article(self, article_id: UUID) -> Article: ...

    def save_article(self, article: Article) -> int: ...

    def find_service(self, code: str) -> Service | None: ...


@dataclass(frozen=True)
class Written:
    """An article as saved, and the log position it reached."""

    article: Article
    position: int


class KnowledgeBase:
    """The desk's articles. Each command raises Forbidden, NotFound, InvalidValue,
    RuleViolated or VersionConflict."""

    def __init__(self, desk: ArticleStore) -> None:
        self.desk = desk

    def write(self, actor: Actor, *, texts: dict[str, dict[str, str]],
              service_codes: list[str], audience: str) -> Written:
        check_may_write(actor)
        self._check_services(service_codes)
        article = Article.write(article_id=uuid4(), texts=texts, service_codes=service_codes,
                                audience=audience, actor=actor)
        return Written(article, self.desk.save_article(article))

    def revise(self, actor: Actor, article_id: UUID, *, texts: dict[str, dict[str, str]],
               service_codes: list[str], audience: str) -> Written:
        check_may_write(actor)
        self._check_services(service_codes)
        article = self.desk.load_article(article_id)
        article.revise(texts=texts, service_codes=service_codes, audience=audience,
                       actor=actor)
        return Written(article, self.desk.save_article(article))

    def _check_services(self, service_codes: list[str]) -> None:
        for code in service_codes:
            if self.desk.find_service(code) is None:
                raise InvalidValue(f"no service {code!r}", "service_codes")

    def publish(self, actor: Actor, article_id: UUID) -> Written:
        check_may_publish(actor)
        article = self.desk.load_article(article_id)
        article.publish(actor=actor)
        return Written(article, self.desk.save_article(article))

    def retire(self, actor: Actor, article_id: UUID, *, reason: str) -> Written:
        check_may_publish(actor)
        article = self.desk.load_article(article_id)
        article.retire(reason=reason, actor=actor)
        return Written(article, self.desk.save_article(article))


@dataclass(frozen=True)
class ArticleEntry:
    """An article as the read model holds it, with how often it was used."""

    article_id: UUID
    revision: int
    state: str
    audience: str
    texts: dict[str, dict[str, str]]
    service_codes: list[str]
    updated_at: datetime
    uses: int  # interactions that recorded it
    first_contact_resolutions: int  # cases resolved at first contact that used it


class KnowledgeQuery(Protocol):
    """What the knowledge read model answers (projections.knowledge)."""

    def search(self, words: str, *, service_code: str | None = None,
               state: str | None = None, audience: str | None = None,
               limit: int = 50) -> list[ArticleEntry]:
        """Articles holding every word of `words` (any language; accents and case ignored),
        filtered as asked, most used first, then by id."""

    def article(self, article_id: UUID) -> ArticleEntry | None: ...

    def public_articles(self, service_code: str) -> list[ArticleEntry]:
        """The published public articles linked to the service, by English title."""
