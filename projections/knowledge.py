"""The knowledge base read model: every article as last revised, the services it is linked
to, a search text, and first-contact resolution traced to knowledge: which articles each case's
interactions used, and which cases were resolved at first contact (as the `Resolved` event
decided; a reopening undoes it, as `Case` does).

Search is portable: each article keeps one normalised text (`domain.knowledge.search_words`
over both languages' titles and bodies) and a search asks that it hold every word of the query
(`LIKE`), the same SQL on SQLite and PostgreSQL. A desk's knowledge base is hundreds of
articles, not millions: full-text engines (FTS5, tsvector) would add two dialects for no
noticeable speed.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from application.knowledge import KNOWLEDGE_NAME, ArticleEntry
from domain.cases import Case
from domain.errors import InvalidValue
from domain.knowledge import LANGUAGES, Article, ArticleState, Audience, search_words
from engine import PostgresView, ProjectionSpec, SQLiteView, View

NAME = KNOWLEDGE_NAME
SERVICES = f"{NAME}_services"
USES = f"{NAME}_uses"  # (case, article): how many of the case's interactions used it
FIRST_CONTACT = f"{NAME}_first_contact"  # cases resolved at first contact (until reopened)
MAX_SEARCH = 200
Events: Any = Case  # event classes are made at import time; see projections.case_index
Articles: Any = Article


def article_row(event: Any) -> dict[str, Any]:
    texts = event.texts
    words = search_words(" ".join(t[f] for t in texts.values() for f in ("title", "body")))
    row: dict[str, Any] = {"audience": event.audience, "updated_at": event.timestamp,
                           "service_codes": ",".join(event.service_codes),
                           "search_text": f" {' '.join(words)} "}
    for language in LANGUAGES:
        text = texts.get(language, {})
        row[f"title_{language}"] = text.get("title")
        row[f"body_{language}"] = text.get("body")
    return row


class KnowledgeProjection(Projection["KnowledgeView"]):
    name = NAME
    topics = ()  # every event, so the position reaches whatever a command reported

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.track(tracking)

    @process_event.register(Articles.Written)
    def _written(self, event: Any, tracking: Tracking) -> None:
        self.view.put_article(tracking, event.originator_id, {
            **article_row(event), "revision": 1, "state": ArticleState.DRAFT.value},
            event.service_codes, new=True)

    @process_event.register(Articles.Revised)
    def _revised(self, event: Any, tracking: Tracking) -> None:
        self.view.put_article(tracking, event.originator_id, {
            **article_row(event), "revision": event.revision}, event.service_codes)

    @process_event.register(Articles.Published)
    def _published(self, event: Any, tracking: Tracking) -> None:
        self.view.set_state(tracking, event.originator_id, ArticleState.PUBLISHED.value,
                            event.timestamp)

    @process_event.register(Articles.Retired)
    def _retired(self, event: Any, tracking: Tracking) -> None:
        self.view.set_state(tracking, event.originator_id, ArticleState.RETIRED.value,
                            event.timestamp)

    @process_event.register(Events.InteractionLogged)
    def _interaction(self, event: Any, tracking: Tracking) -> None:
        self.view.used(tracking, event.originator_id, [UUID(a) for a in event.article_ids])

    @process_event.register(Events.Resolved)
    def _resolved(self, event: Any, tracking: Tracking) -> None:
        self.view.first_contact(tracking, event.originator_id, event.at_first_contact)

    @process_event.register(Events.Reopened)
    def _reopened(self, event: Any, tracking: Tracking) -> None:
        self.view.first_contact(tracking, event.originator_id, False)


ARTICLE_COLUMNS = ("id", "revision", "state", "audience", "title_en", "body_en", "title_fr",
                   "body_fr", "service_codes", "search_text", "updated_at")


class KnowledgeView(View):
    """The read model's tables, writes and queries, on either database."""

    name = NAME
    TIME_COLUMNS = frozenset({"updated_at"})

    def view_statements(self) -> list[str]:
        t, uuid = self.time_type, self.uuid_type
        return [
            f"CREATE TABLE IF NOT EXISTS {self.table(NAME)} (id {uuid} PRIMARY KEY, "
            "revision INTEGER NOT NULL, state TEXT NOT NULL, audience TEXT NOT NULL, "
            "title_en TEXT, body_en TEXT, title_fr TEXT, body_fr TEXT, "
            f"service_codes TEXT NOT NULL, search_text TEXT NOT NULL, updated_at {t} NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {self.table(SERVICES)} (service_code TEXT NOT NULL, "
            f"article_id {uuid} NOT NULL, PRIMARY KEY (service_code, article_id))",
            f"CREATE TABLE IF NOT EXISTS {self.table(USES)} (article_id {uuid} NOT NULL, "
            f"case_id {uuid} NOT NULL, uses INTEGER NOT NULL, "
            "PRIMARY KEY (article_id, case_id))",
            f"CREATE TABLE IF NOT EXISTS {self.table(FIRST_CONTACT)} "
            f"(case_id {uuid} PRIMARY KEY)",
        ]

    def track(self, tracking: Tracking) -> None:
        with self.writing(tracking):
            pass

    def put_article(self, tracking: Tracking, article_id: UUID, row: dict[str, Any],
                    service_codes: list[str], *, new: bool = False) -> None:
        mark = self.placeholder
        with self.writing(tracking) as cursor:
            if new:
                self.insert_row(cursor, NAME, ARTICLE_COLUMNS, {**row, "id": article_id})
            else:
                self.update_row(cursor, NAME, article_id, row)
            cursor.execute(f"DELETE FROM {self.table(SERVICES)} WHERE article_id = {mark}",
                           [self.id_in(article_id)])
            for code in service_codes:
                cursor.execute(f"INSERT INTO {self.table(SERVICES)} (service_code, article_id) "
                               f"VALUES ({mark}, {mark})", [code, self.id_in(article_id)])

    def set_state(self, tracking: Tracking, article_id: UUID, state: str, at: Any) -> None:
        with self.writing(tracking) as cursor:
            self.update_row(cursor, NAME, article_id, {"state": state, "updated_at": at})

    def used(self, tracking: Tracking, case_id: UUID, article_ids: list[UUID]) -> None:
        mark = self.placeholder
        with self.writing(tracking) as cursor:
            for article_id in article_ids:
                cursor.execute(
                    f"INSERT INTO {self.table(USES)} (article_id, case_id, uses) VALUES "
                    f"({mark}, {mark}, 1) ON CONFLICT (article_id, case_id) DO UPDATE SET "
                    f"uses = {self.table(USES)}.uses + 1",
                    [self.id_in(article_id), self.id_in(case_id)])

    def first_contact(self, tracking: Tracking, case_id: UUID, resolved: bool) -> None:
        table, mark = self.table(FIRST_CONTACT), self.placeholder
        with self.writing(tracking) as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE case_id = {mark}", [self.id_in(case_id)])
            if resolved:
                cursor.execute(f"INSERT INTO {table} (case_id) VALUES ({mark})",
                               [self.id_in(case_id)])

    # -- queries ------------------------------------------------------------------------------

    def _select(self, where: list[str], parameters: list[Any], order: str,
                limit: int) -> list[ArticleEntry]:
        uses, first = self.table(USES), self.table(FIRST_CONTACT)
        sql = (
            f"SELECT a.*, COALESCE((SELECT SUM(u.uses) FROM {uses} u "
            "WHERE u.article_id = a.id), 0) AS used, "
            f"(SELECT COUNT(*) FROM {uses} u JOIN {first} f ON f.case_id = u.case_id "
            "WHERE u.article_id = a.id) AS resolved_first "
            f"FROM {self.table(NAME)} a"
            + (f" WHERE {' AND '.join(where)}" if where else "")
            + f" ORDER BY {order} LIMIT {self.placeholder}")
        with self.reading() as cursor:
            cursor.execute(sql, [*parameters, limit])
            return [self._entry(row) for row in cursor.fetchall()]

    def search(self, words: str, *, service_code: str | None = None,
               state: str | None = None, audience: str | None = None,
               limit: int = 50) -> list[ArticleEntry]:
        """See `application.knowledge.KnowledgeQuery.search`."""
        if not 1 <= limit <= MAX_SEARCH:
            raise InvalidValue(f"limit must be between 1 and {MAX_SEARCH}", "limit")
        if state is not None and state not in {s.value for s in ArticleState}:
            raise InvalidValue(f"state must be one of: {', '.join(ArticleState)}", "state")
        if audience is not None and audience not in {a.value for a in Audience}:
            raise InvalidValue(f"audience must be one of: {', '.join(Audience)}", "audience")
        mark = self.placeholder
        where: list[str] = []
        parameters: list[Any] = []
        # Normalised words hold only [a-z0-9], so none is a LIKE wildcard.
        for word in search_words(words):
            where.append(f"a.search_text LIKE {mark}")
            parameters.append(f"% {word}%")
        for column, value in (("state", state), ("audience", audience)):
            if value is not None:
                where.append(f"a.{column} = {mark}")
                parameters.append(value)
        if service_code is not None:
            where.append(f"a.id IN (SELECT article_id FROM {self.table(SERVICES)} "
                         f"WHERE service_code = {mark})")
            parameters.append(service_code)
        return self._select(where, parameters, "used DESC, a.id", limit)

    def article(self, article_id: UUID) -> ArticleEntry | None:
        found = self._select([f"a.id = {self.placeholder}"], [self.id_in(article_id)],
                             "a.id", 1)
        return found[0] if found else None

    def public_articles(self, service_code: str) -> list[ArticleEntry]:
        mark = self.placeholder
        return self._select(
            [f"a.state = {mark}", f"a.audience = {mark}",
             f"a.id IN (SELECT article_id FROM {self.table(SERVICES)} "
             f"WHERE service_code = {mark})"],
            [ArticleState.PUBLISHED.value, Audience.PUBLIC.value, service_code],
            "COALESCE(a.title_en, a.title_fr), a.id", MAX_SEARCH)

    def _entry(self, row: Any) -> ArticleEntry:
        texts = {language: {"title": row[f"title_{language}"], "body": row[f"body_{language}"]}
                 for language in LANGUAGES if row[f"title_{language}"] is not None}
        return ArticleEntry(
            article_id=self.id_out(row["id"]), revision=int(row["revision"]),
            state=row["state"], audience=row["audience"], texts=texts,
            service_codes=[c for c in row["service_codes"].split(",") if c],
            updated_at=self.time_out(row["updated_at"]), uses=int(row["used"]),
            first_contact_resolutions=int(row["resolved_first"]))


class SQLiteKnowledgeView(KnowledgeView, SQLiteView):
    pass


class PostgresKnowledgeView(KnowledgeView, PostgresView):
    pass


KNOWLEDGE = ProjectionSpec(projection=KnowledgeProjection, sqlite_view=SQLiteKnowledgeView,
                           postgres_view=PostgresKnowledgeView)
