"""The knowledge base on a real database (both): articles written, published and retired;
the articles an interaction used, counted per article with the cases they resolved at first
contact; the public list of a service holding only its published public articles; search."""

from __future__ import annotations

from uuid import UUID

import pytest

from application.commands import LogInteraction, ReopenCase, ResolveCase
from application.desk import ServiceDesk
from domain.actors import Actor, Role
from domain.cases import Case
from domain.errors import Forbidden, InvalidValue, RuleViolated
from domain.knowledge import Article
from infrastructure.settings import Settings
from projections.knowledge import KNOWLEDGE
from tests.conftest import running_projections
from tests.receiving import CSR, receive

MANAGER = Actor(id="mgr-mo", role=Role.MANAGER, departments=frozenset({"public-works"}))
BULK_ITEMS = {"en": {"title": "Bulk item pickup", "body": "Book a pickup of large items."},
              "fr": {"title": "Collecte des encombrants",
                     "body": "Réservez la collecte des objets volumineux."}}


def published(desk: ServiceDesk, audience: str = "public",
              texts: dict[str, dict[str, str]] | None = None,
              services: list[str] | None = None) -> UUID:
    article = desk.knowledge.write(CSR, texts=texts or BULK_ITEMS,
                                   service_codes=services or ["public-works-roads-03"],
                                   audience=audience).article
    desk.knowledge.publish(MANAGER, article.id)
    return article.id


def test_an_articles_use_on_an_interaction_is_recorded_and_counted_with_first_contact(
        settings: Settings, desk: ServiceDesk) -> None:
    # given a published article, and two cases
    article_id = published(desk)
    first, second = receive(desk).case, receive(desk).case
    # when the first case's only interaction used it and the case was resolved at first
    # contact, and the second's used it twice and was not
    for case, times in ((first, 1), (second, 2)):
        for _ in range(times):
            desk.handle(CSR, LogInteraction(case_id=case.id, channel="telephone",
                                            direction="inbound", summary="asked about pickup",
                                            article_ids=(article_id,)))
    desk.handle(CSR, ResolveCase(case_id=first.id, resolution="booked", at_first_contact=True))
    desk.handle(CSR, ResolveCase(case_id=second.id, resolution="booked"))
    # then the interaction's event names the article, and the read model counts 3 uses
    # (1 + 2) and 1 first-contact resolution (the first case)
    logged = [e for e in desk.events.get(first.id) if isinstance(e, Case.InteractionLogged)]
    assert logged[0].article_ids == [str(article_id)]
    with running_projections(settings, desk, KNOWLEDGE) as projections:
        projections.wait_for(desk.log_position())
        entry = projections.view(KNOWLEDGE.name).article(article_id)
        assert (entry.uses, entry.first_contact_resolutions) == (3, 1)
        # and when the first case is reopened, it no longer counts as resolved first
        desk.handle(CSR, ReopenCase(case_id=first.id, reason="pickup missed"))
        projections.wait_for(desk.log_position())
        entry = projections.view(KNOWLEDGE.name).article(article_id)
        assert (entry.uses, entry.first_contact_resolutions) == (3, 0)


def test_only_a_published_article_is_recorded_as_used(desk: ServiceDesk) -> None:
    # given a draft article and a case
    draft = desk.knowledge.write(CSR, texts=BULK_ITEMS, service_codes=[],
                                 audience="internal").article
    case = receive(desk).case
    # when an interaction names the draft, or an unknown article, then it is refused
    for named, refusal in ((draft.id, RuleViolated), (UUID(int=7), InvalidValue)):
        with pytest.raises(refusal) as refused:
            desk.handle(CSR, LogInteraction(case_id=case.id, channel="email",
                                            direction="inbound", summary="question",
                                            article_ids=(named,)))
        assert refused.value.field == "article_ids"
    # and nothing was recorded on the case
    assert desk.get_case(CSR, case.id).interactions == 0


def test_internal_and_retired_articles_are_never_listed_for_the_public(
        settings: Settings, desk: ServiceDesk) -> None:
    # given a public, an internal and a retired public article on garbage collection
    public = published(desk)
    published(desk, audience="internal",
              texts={"en": {"title": "Staff override", "body": "Call the depot."}})
    retired = published(desk, texts={"en": {"title": "Old schedule", "body": "Mondays."}})
    desk.knowledge.retire(MANAGER, retired, reason="schedule changed")
    # and a draft public article
    desk.knowledge.write(CSR, texts=BULK_ITEMS, service_codes=["public-works-roads-03"],
                         audience="public")
    with running_projections(settings, desk, KNOWLEDGE) as projections:
        projections.wait_for(desk.log_position())
        view = projections.view(KNOWLEDGE.name)
        # then the service's public list is the published public article alone
        assert [a.article_id for a in view.public_articles("public-works-roads-03")] == [public]
        # and staff still find all four by searching the service
        assert len(view.search("", service_code="public-works-roads-03")) == 4


def test_a_search_finds_every_word_in_either_language_without_accents(
        settings: Settings, desk: ServiceDesk) -> None:
    # given the bulk item article (English and French) and another
    bulk = published(desk)
    published(desk, texts={"en": {"title": "Dog licence", "body": "Renew every year."}},
              services=["public-works-roads-01"])
    with running_projections(settings, desk, KNOWLEDGE) as projections:
        projections.wait_for(desk.log_position())
        view = projections.view(KNOWLEDGE.name)
        # then French words without accents, and English words in any case, find it
        assert [a.article_id for a in view.search("reservez VOLUMINEUX")] == [bulk]
        assert [a.article_id for a in view.search("Bulk pickup")] == [bulk]
        # and every word must be there
        assert view.search("bulk licence") == []
        # and a bad filter names itself
        with pytest.raises(InvalidValue) as refused:
            view.search("bulk", state="lost")
        assert refused.value.field == "state"


def test_articles_are_versioned_and_only_managers_publish(desk: ServiceDesk) -> None:
    # given a draft
    article = desk.knowledge.write(CSR, texts=BULK_ITEMS, service_codes=[],
                                   audience="public").article
    # when a CSR tries to publish it, then it is refused
    with pytest.raises(Forbidden):
        desk.knowledge.publish(CSR, article.id)
    # when it is published and revised, then the revision is 2 and it stays published
    desk.knowledge.publish(MANAGER, article.id)
    desk.knowledge.revise(CSR, article.id, texts={"en": BULK_ITEMS["en"]}, service_codes=[],
                          audience="public")
    stored = desk.repository.get(article.id)
    assert isinstance(stored, Article)
    assert (stored.revision, stored.state, list(stored.texts)) == (2, "published", ["en"])
    # and an article written in no language, or with an empty title, is refused
    for texts in ({}, {"en": {"title": " ", "body": "x"}}):
        with pytest.raises(InvalidValue):
            desk.knowledge.write(CSR, texts=texts, service_codes=[], audience="public")


def test_events_recorded_before_articles_and_imports_read_as_using_none_and_received_here(
        desk: ServiceDesk) -> None:
    # given a case's Received (version 4) and InteractionLogged (version 1) as stored before
    case = receive(desk).case
    desk.handle(CSR, LogInteraction(case_id=case.id, channel="email", direction="inbound",
                                    summary="question"))
    received, logged = [e for e in desk.events.get(case.id)
                        if type(e).__name__ in {"Received", "InteractionLogged"}]

    def as_stored_before(event: object, version: int, *dropped: str) -> object:
        stored = desk.mapper.to_stored_event(event)  # type: ignore[arg-type]
        state = desk.mapper.transcoder.decode(stored.state)
        state["class_version"] = version
        for name in dropped:
            del state[name]
        return desk.mapper.to_domain_event(type(stored)(
            originator_id=stored.originator_id, originator_version=stored.originator_version,
            topic=stored.topic, state=desk.mapper.transcoder.encode(state)))

    # when they are read, then the interaction used no article, and the case was not imported
    assert as_stored_before(logged, 1, "article_ids").article_ids == []  # type: ignore[attr-defined]
    old = as_stored_before(received, 4, "source_system", "source_id", "imported_at")
    assert (old.source_system, old.source_id, old.imported_at) == (None, None, None)  # type: ignore[attr-defined]
