"""The knowledge base over HTTP, on each database: staff write, publish, search and retire
articles; an interaction names the articles it used and they are counted; the public sees a
service's published public articles (JSON and page) and never an internal or retired one; the
status page links to them."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from api.dependencies import served
from infrastructure.settings import Settings
from tests.api.conftest import DeskClient
from tests.api.read_back import POSITION, command, receive

ARTICLES = "/api/v1/articles"
WASTE = "public-works-roads-03"  # Control Waste Management Activities


@pytest.fixture(scope="module")
def settings(settings: Settings) -> Settings:
    """The API conftest's databases, with the projection runners on: search is a read model."""
    return dataclasses.replace(settings, run_projections=True)


def write(api: DeskClient, title: str, audience: str = "public",
          publish: bool = True, **texts: Any) -> str:
    body = {"texts": texts or {"en": {"title": title, "body": f"{title}.\nCall 311."}},
            "service_codes": [WASTE], "audience": audience}
    response = api.client.post(ARTICLES, json=body, headers=api.headers("csr"))
    assert response.status_code == 201, response.text
    article: dict[str, Any] = response.json()
    assert (article["revision"], article["state"]) == (1, "draft")
    if publish:
        published = api.client.post(f"{ARTICLES}/{article['id']}/publish",
                                    headers=api.headers("manager"))
        assert published.status_code == 200, published.text
    return str(article["id"])


def caught_up(api: DeskClient) -> None:
    served(api.client.app).services.projections.wait_for(api.desk.log_position())


def test_an_interaction_records_the_articles_used_and_the_search_counts_them(
        api: DeskClient) -> None:
    # given a published article and a case
    article_id = write(api, "Blue box sorting")
    case, _ = receive(api)
    # when the CSR's only interaction used it and the case is resolved at first contact
    command(api, case["id"], "interactions", {
        "channel": "telephone", "direction": "inbound", "summary": "How to sort recycling",
        "article_ids": [article_id]})
    position = command(api, case["id"], "resolve", {"resolution": "Explained",
                                                    "at_first_contact": True})
    # then the search finds it with one use and one first-contact resolution
    found = api.client.get(ARTICLES, params={"q": "blue BOX", "min_position": position},
                           headers=api.headers("staff"))
    assert found.status_code == 200, found.text
    [entry] = [a for a in found.json()["items"] if a["id"] == article_id]
    assert (entry["uses"], entry["first_contact_resolutions"]) == (1, 1)


def test_an_interaction_naming_a_draft_article_is_refused_and_records_nothing(
        api: DeskClient) -> None:
    # given a draft article and a case
    draft = write(api, "Unpublished advice", publish=False)
    case, _ = receive(api)
    # when an interaction names it, then 422 names article_ids, and nothing is recorded
    with api.nothing_recorded(case["id"]):
        refused = api.post(case["id"], "interactions", {
            "channel": "email", "direction": "inbound", "summary": "Question",
            "article_ids": [draft]})
    api.problem(refused, 422, field="article_ids")


def test_the_public_sees_only_published_public_articles_of_the_service(
        api: DeskClient) -> None:
    # given a public article in both languages, an internal one, and a retired public one
    public = write(api, "Hazardous waste days", fr={
        "title": "Journées des déchets dangereux", "body": "Apportez vos piles."},
        en={"title": "Hazardous waste days", "body": "Bring your batteries."})
    internal = write(api, "Depot gate code", audience="internal")
    retired = write(api, "Old depot hours")
    retiring = api.client.post(f"{ARTICLES}/{retired}/retire", json={"reason": "Changed"},
                               headers=api.headers("manager"))
    assert retiring.status_code == 200, retiring.text
    caught_up(api)
    # when the public asks, with no sign-in
    listed = api.client.get(f"/api/v1/public/services/{WASTE}/articles")
    page = api.client.get(f"/help/{WASTE}")
    # then the public article is listed, in both languages, and neither other one
    assert listed.status_code == 200, listed.text
    ids = [a["id"] for a in listed.json()["items"]]
    assert public in ids and internal not in ids and retired not in ids
    [shown] = [a for a in listed.json()["items"] if a["id"] == public]
    assert set(shown["texts"]) == {"en", "fr"}
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Journées des déchets dangereux" in page.text
    assert "Depot gate code" not in page.text and "Old depot hours" not in page.text
    # and an unknown service is a 404 problem
    api.problem(api.client.get("/api/v1/public/services/no-such/articles"), 404)


def test_publishing_is_for_managers_and_a_bad_article_names_its_field(
        api: DeskClient) -> None:
    draft = write(api, "Leaf collection", publish=False)
    refused = api.client.post(f"{ARTICLES}/{draft}/publish", headers=api.headers("csr"))
    api.problem(refused, 403)
    empty = api.client.post(ARTICLES, json={"texts": {}, "service_codes": [WASTE]},
                            headers=api.headers("csr"))
    api.problem(empty, 422, field="texts")
    unknown = api.client.post(ARTICLES, json={
        "texts": {"en": {"title": "x", "body": "y"}}, "service_codes": ["no-such"]},
        headers=api.headers("csr"))
    api.problem(unknown, 422, field="service_codes")
    assert api.client.get(ARTICLES).status_code == 401


def test_the_status_page_links_to_the_services_answers(api: DeskClient) -> None:
    # given a case about the waste service, and its public token
    case, _ = receive(api, service_code=WASTE)
    token = case["public_token"]
    # when its status page is opened, then it links to the service's answers
    page = api.client.get(f"/status/{case['reference']}", params={"token": token})
    assert page.status_code == 200, page.text
    assert f'href="/help/{WASTE}"' in page.text
    assert int(page.headers.get(POSITION, "0")) >= 0
