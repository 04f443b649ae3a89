"""The knowledge base's routes: staff write, revise, publish, retire and search articles
(`/api/v1/articles`); the public reads a service's published public articles, as JSON
(`/api/v1/public/services/{code}/articles`) and as a page (`/help/{code}`), with no sign-in."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Annotated, Any, Literal
from uuid import UUID

import anyio
import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import Parameter, QueryParameter

from api.auth import authenticated, current_actor
from api.cases import POSITION_HEADER
from api.problems import problem_doc, problem_docs
from api.public_status import PublicOperation, html, page
from api.read_models import NOT_REACHED, MinPosition
from api.read_your_writes import ReadYourWrites
from api.schemas import Body, Code, Short, Text
from application.desk import ServiceDesk
from application.knowledge import KNOWLEDGE_NAME, ArticleEntry, KnowledgeQuery, Written
from domain.actors import Actor
from domain.errors import NotFound
from domain.knowledge import Article


class ArticleText(Body, kw_only=True):
    title: Short
    body: Text


class ArticleTexts(Body, kw_only=True):
    """The article in English, French or both (at least one)."""

    en: ArticleText | None = None
    fr: ArticleText | None = None


class ArticleBody(Body, kw_only=True):
    texts: ArticleTexts
    service_codes: Annotated[list[Code], msgspec.Meta(max_length=50)] = []
    audience: Literal["internal", "public"] = "internal"


class RetireBody(Body, kw_only=True):
    reason: Short


class ArticleView(msgspec.Struct):
    """An article as just recorded."""

    id: str
    revision: int
    state: str  # draft, published or retired
    audience: str  # internal or public
    texts: dict[str, dict[str, str]]
    service_codes: list[str]


class ArticleEntryView(msgspec.Struct):
    """An article as the knowledge base read model holds it, with its uses: interactions
    that recorded it, and cases it helped resolve at first contact."""

    id: str
    revision: int
    state: str
    audience: str
    texts: dict[str, dict[str, str]]
    service_codes: list[str]
    updated_at: datetime
    uses: int
    first_contact_resolutions: int


class ArticleList(msgspec.Struct):
    items: list[ArticleEntryView]


class PublicArticle(msgspec.Struct):
    id: str
    texts: dict[str, dict[str, str]]


class PublicArticleList(msgspec.Struct):
    service_code: str
    items: list[PublicArticle]


def texts_of(body: ArticleTexts) -> dict[str, dict[str, str]]:
    return {language: {"title": text.title, "body": text.body}
            for language, text in (("en", body.en), ("fr", body.fr)) if text is not None}


def article_view(article: Article) -> ArticleView:
    return ArticleView(id=str(article.id), revision=article.revision, state=article.state,
                       audience=article.audience, texts=article.texts,
                       service_codes=article.service_codes)


def entry_view(entry: ArticleEntry) -> ArticleEntryView:
    return ArticleEntryView(
        id=str(entry.article_id), revision=entry.revision, state=entry.state,
        audience=entry.audience, texts=entry.texts, service_codes=entry.service_codes,
        updated_at=entry.updated_at.astimezone(UTC), uses=entry.uses,
        first_contact_resolutions=entry.first_contact_resolutions)


def answered(written: Written, status_code: int = 200) -> Response[ArticleView]:
    headers = {POSITION_HEADER: str(written.position)}
    if status_code == 201:
        headers["Location"] = f"/api/v1/articles/{written.article.id}"
    return Response(article_view(written.article), status_code=status_code, headers=headers)


WRITE_ERRORS = problem_docs(400, 401, 403, 404, 409, 413, 422)


class KnowledgeController(Controller):
    path = "/api/v1/articles"
    tags = ["knowledge"]
    guards = [authenticated]
    dependencies = {"actor": Provide(current_actor, sync_to_thread=False)}

    @post("", operation_id="article_write", sync_to_thread=True, status_code=201,
          summary="Write a knowledge base article (a draft, revision 1)",
          description="CSRs, staff, managers, directors and administrators. `texts` in "
                      "English (`en`), French (`fr`) or both; `service_codes` the services "
                      "it answers about; `audience` internal (staff only) or public (listed "
                      "for self-service once published).",
          responses=problem_docs(400, 401, 403, 409, 413, 422))
    def write(self, data: ArticleBody, actor: Actor,
              desk: ServiceDesk) -> Response[ArticleView]:
        return answered(desk.knowledge.write(actor, texts=texts_of(data.texts),
                                             service_codes=data.service_codes,
                                             audience=data.audience), 201)

    @post("/{article_id:uuid}/revisions", operation_id="article_revise", sync_to_thread=True,
          status_code=200, summary="Revise an article (its next revision replaces the text)",
          description="A published article stays published, as revised. A retired one is "
                      "published again first.", responses=WRITE_ERRORS)
    def revise(self, article_id: UUID, data: ArticleBody, actor: Actor,
               desk: ServiceDesk) -> Response[ArticleView]:
        return answered(desk.knowledge.revise(actor, article_id, texts=texts_of(data.texts),
                                              service_codes=data.service_codes,
                                              audience=data.audience))

    @post("/{article_id:uuid}/publish", operation_id="article_publish", sync_to_thread=True,
          status_code=200, summary="Publish an article (managers, directors, administrators)",
          responses=WRITE_ERRORS)
    def publish(self, article_id: UUID, actor: Actor,
                desk: ServiceDesk) -> Response[ArticleView]:
        return answered(desk.knowledge.publish(actor, article_id))

    @post("/{article_id:uuid}/retire", operation_id="article_retire", sync_to_thread=True,
          status_code=200, summary="Retire a published article (managers, directors, "
                                   "administrators)", responses=WRITE_ERRORS)
    def retire(self, article_id: UUID, data: RetireBody, actor: Actor,
               desk: ServiceDesk) -> Response[ArticleView]:
        return answered(desk.knowledge.retire(actor, article_id, reason=data.reason))

    @get("", operation_id="article_search", sync_to_thread=True,
         summary="Search the knowledge base",
         description="Articles holding every word of `q` (English or French, accents and "
                     "letter case ignored; no `q`: every article), most used first, with "
                     "how often each was used on an interaction and how many cases it "
                     "helped resolve at first contact.",
         responses={**problem_docs(400, 401, 422), 503: NOT_REACHED})
    def search(self, request: Request[Any, Any, Any], knowledge: NamedDependency[Any],
               read_your_writes: NamedDependency[ReadYourWrites],
               q: Annotated[str, Parameter(max_length=200)] = "",
               service_code: Annotated[str | None, Parameter(max_length=64)] = None,
               wanted_state: Annotated[Literal["draft", "published", "retired"] | None,
                                       QueryParameter(name="state")] = None,
               audience: Literal["internal", "public"] | None = None,
               limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
               min_position: MinPosition = None) -> ArticleList:
        read_your_writes.wait_for(request, min_position, KNOWLEDGE_NAME)
        query: KnowledgeQuery = knowledge
        found = query.search(q, service_code=service_code, state=wanted_state, audience=audience,
                             limit=limit)
        return ArticleList(items=[entry_view(e) for e in found])

    @get("/{article_id:uuid}", operation_id="article_get", sync_to_thread=True,
         summary="One article, with its uses",
         responses={**problem_docs(400, 401, 404, 422), 503: NOT_REACHED})
    def get_article(self, request: Request[Any, Any, Any], article_id: UUID,
                    knowledge: NamedDependency[Any], desk: NamedDependency[ServiceDesk],
                    read_your_writes: NamedDependency[ReadYourWrites],
                    min_position: MinPosition = None) -> ArticleEntryView:
        read_your_writes.wait_for(request, min_position, KNOWLEDGE_NAME)
        entry = knowledge.article(article_id)
        if entry is not None:
            return entry_view(entry)
        # Just written, and the read model not there yet: the article as recorded, unused.
        article = desk.load_article(article_id)
        return ArticleEntryView(
            id=str(article.id), revision=article.revision, state=article.state,
            audience=article.audience, texts=article.texts,
            service_codes=article.service_codes,
            updated_at=(article.modified_on or article.created_on).astimezone(UTC), uses=0,
            first_contact_resolutions=0)


def public_list(desk: ServiceDesk, knowledge: Any, service_code: str) -> PublicArticleList:
    if desk.find_service(service_code) is None:
        raise NotFound(f"no service {service_code}")
    return PublicArticleList(service_code=service_code, items=[
        PublicArticle(id=str(e.article_id), texts=e.texts)
        for e in knowledge.public_articles(service_code)])


@get("/api/v1/public/services/{service_code:str}/articles", operation_id="public_articles",
     tags=["public"], operation_class=PublicOperation,
     summary="A service's published public articles (self-service)",
     description="No sign-in. The published articles written for the public about the "
                 "service, in English and French where written; never an internal, draft "
                 "or retired one.",
     responses={400: problem_doc("The request is malformed"),
                404: problem_doc("No such service")})
async def public_articles(desk: NamedDependency[ServiceDesk],
                          knowledge: NamedDependency[Any],
                          service_code: str) -> PublicArticleList:
    return await anyio.to_thread.run_sync(public_list, desk, knowledge, service_code)


def help_page(service_name: str, articles: PublicArticleList) -> str:
    def one(article: PublicArticle) -> str:
        return "".join(
            f'<article lang="{"en-CA" if language == "en" else "fr-CA"}">'
            f"<h2>{escape(text['title'])}</h2>"
            + "".join(f"<p>{escape(line)}</p>" for line in text["body"].splitlines()
                      if line.strip())
            + "</article>" for language, text in article.texts.items())

    body = (f"<h1>Answers about {escape(service_name)}</h1>"
            + ("".join(one(a) for a in articles.items) if articles.items else
               "<p>No answers are published for this service yet.</p>")
            + '<p><a href="/status">Follow a request you made</a></p>')
    return page(f"Answers about {service_name}", body)


@get("/help/{service_code:str}", operation_id="public_help_page", include_in_schema=False)
async def help_page_route(desk: NamedDependency[ServiceDesk],
                          knowledge: NamedDependency[Any],
                          service_code: str) -> Response[str]:
    try:
        found = await anyio.to_thread.run_sync(public_list, desk, knowledge, service_code)
    except NotFound:
        return html(page("Service not found", "<h1>No such service</h1>"
                         '<p><a href="/status">Follow a request you made</a></p>'), 404)
    service = desk.find_service(service_code)
    assert service is not None
    return html(help_page(service.name, found))
