"""Surveys customers answer: a resolved case's one signed, expiring link opens a page (English or
French) that records CSAT, NPS and CES once, as the customer's own answer; staff still type
answers in, marked as theirs. Both databases (the api fixtures run on each)."""

from __future__ import annotations

import base64
from typing import Any

from tests.api.conftest import RESOLVED, DeskClient

SURVEY_FORM = {"csat": "4", "nps": "9", "ces": "6"}


def resolved_case(api: DeskClient) -> tuple[dict[str, Any], dict[str, Any]]:
    """A case resolved with a customer on record, and its survey link as staff see it."""
    case = api.receive()
    api.run(case["id"], RESOLVED)
    response = api.client.get(f"{api.cases}/{case['id']}/survey-link",
                              headers=api.headers("staff"))
    assert response.status_code == 200, response.text
    link: dict[str, Any] = response.json()
    return case, link


def test_staff_see_one_link_per_case_made_at_its_first_resolution(api: DeskClient) -> None:
    # given a case not yet resolved
    case = api.receive()
    link_url = f"{api.cases}/{case['id']}/survey-link"
    # then it has no link
    assert api.client.get(link_url, headers=api.headers("staff")).json()["state"] == "none"
    # when it is resolved, then a link valid for 30 days is made
    api.run(case["id"], RESOLVED)
    first = api.client.get(link_url, headers=api.headers("staff")).json()
    assert first["state"] == "open" and first["path"].startswith("/survey/")
    assert first["expires_at"][:10] == (api.desk.clock().date().fromordinal(
        api.desk.clock().date().toordinal() + 30)).isoformat()
    # when it is reopened and resolved again, then the link is the same one
    api.run(case["id"], ("reopen", {"reason": "Not fixed"}), RESOLVED)
    assert api.client.get(link_url, headers=api.headers("staff")).json()["path"] == first["path"]
    # and another department's staff do not see it
    away = api.client.get(link_url, headers=api.headers("staff", departments=["planning"]))
    api.problem(away, 404)


def test_the_customer_answers_once_and_the_answer_is_marked_customer_given(
        api: DeskClient) -> None:
    # given a resolved case and its link
    case, link = resolved_case(api)
    # when the customer opens it
    page = api.client.get(link["path"])
    # then the page asks the three questions in English, without script
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<html lang="en-CA">' in page.text and "<script" not in page.text
    assert case["reference"] in page.text
    for name, low, high in (("csat", 1, 5), ("nps", 0, 10), ("ces", 1, 7)):
        assert f'id="{name}-{low}"' in page.text and f'id="{name}-{high}"' in page.text
        assert f'id="{name}-{high + 1}"' not in page.text
    assert "script-src" not in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    # when they answer
    answered = api.client.post(link["path"], data=SURVEY_FORM)
    # then it is recorded once, as the customer's own
    assert answered.status_code == 200 and "Thank you" in answered.text
    surveys = api.case(case["id"])["surveys"]
    assert [(s["csat"], s["nps"], s["ces"], s["given_by"]) for s in surveys] == [
        (4, 9, 6, "customer")]
    state = api.client.get(f"{api.cases}/{case['id']}/survey-link",
                           headers=api.headers("staff")).json()
    assert state["state"] == "answered" and state["answered_at"] is not None
    # when the link is used a second time, to look or to answer
    with api.nothing_recorded(case["id"]):
        again = api.client.post(link["path"], data={"csat": "1"})
        look = api.client.get(link["path"])
    # then a clear page says it was already answered
    for response in (again, look):
        assert response.status_code == 409
        assert "already answered" in response.text and "<form" not in response.text


def test_staff_entered_answers_stay_possible_marked_as_staff(api: DeskClient) -> None:
    # given a resolved case the customer answered through the link
    case, link = resolved_case(api)
    api.client.post(link["path"], data={"csat": "2"})
    # when staff record what the customer told them on the phone
    api.run(case["id"], ("survey", {"csat": 5, "nps": 10, "comment": "Called back"}))
    # then both answers are on the case, each saying who gave it
    surveys = api.case(case["id"])["surveys"]
    assert [(s["csat"], s["given_by"]) for s in surveys] == [(2, "customer"), (5, "staff")]


def test_an_expired_link_gets_a_clear_page_and_records_nothing(api: DeskClient) -> None:
    # given a resolved case and its link
    case, link = resolved_case(api)
    # when 30 days pass (the link expires at the resolution plus 30 days, to the second)
    api.desk.clock.advance(days=30)  # type: ignore[attr-defined]
    with api.nothing_recorded(case["id"]):
        look = api.client.get(link["path"])
        answer = api.client.post(link["path"], data=SURVEY_FORM)
    # then both are refused with a page saying the survey closed, and when
    for response in (look, answer):
        assert response.status_code == 410
        assert "This survey has closed" in response.text and case["reference"] in response.text
    assert api.client.get(f"{api.cases}/{case['id']}/survey-link",
                          headers=api.headers("staff")).json()["state"] == "expired"


def test_a_forged_or_damaged_link_gets_a_clear_page_and_records_nothing(
        api: DeskClient) -> None:
    # given a resolved case and its genuine link
    case, link = resolved_case(api)
    token = link["path"].removeprefix("/survey/")
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    # a link for a later expiry (the expiry's last byte changed) keeps its old signature
    raw[23] ^= 0x01
    later = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    forged = [later, token[:-2], token + "AA", "not-a-token", token[:-1] + (
        "A" if token[-1] != "A" else "B")]
    with api.nothing_recorded(case["id"]):
        for bad in forged:
            # when someone answers with it
            response = api.client.post(f"/survey/{bad}", data=SURVEY_FORM)
            # then it is refused as a link the Town did not send
            assert response.status_code == 404, bad
            assert "This survey link does not work" in response.text


def test_the_page_is_in_french_by_choice_or_by_the_browser(api: DeskClient) -> None:
    # given a resolved case and its link
    _, link = resolved_case(api)
    # when it is opened with lang=fr, or by a browser preferring French
    chosen = api.client.get(link["path"], params={"lang": "fr"})
    browser = api.client.get(link["path"], headers={"Accept-Language": "fr-CA,en;q=0.5"})
    english = api.client.get(link["path"], headers={"Accept-Language": "en;q=0.9,fr;q=0.2"})
    # then the page is French, and links to the English one
    for response in (chosen, browser):
        assert '<html lang="fr-CA">' in response.text
        assert "Comment avons-nous fait" in response.text
        assert 'hreflang="en"' in response.text
    assert '<html lang="en-CA">' in english.text
    # and the thank-you page answers in French
    thanks = api.client.post(link["path"] + "?lang=fr", data={"nps": "10"})
    assert thanks.status_code == 200 and "Merci" in thanks.text


def test_an_answer_without_a_score_is_refused_with_the_form_again(api: DeskClient) -> None:
    # given a resolved case and its link
    case, link = resolved_case(api)
    with api.nothing_recorded(case["id"]):
        # when the form is sent empty, or with scores out of range
        empty = api.client.post(link["path"], data={})
        outside = api.client.post(link["path"], data={"csat": "6", "nps": "-1", "ces": "x"})
    # then the form comes back with the problem named, and nothing is recorded
    for response in (empty, outside):
        assert response.status_code == 422
        assert "Choose at least one answer" in response.text and "<form" in response.text
    # and the link still works
    assert api.client.post(link["path"], data=SURVEY_FORM).status_code == 200


def test_a_reopened_case_takes_no_answer_until_resolved_again(api: DeskClient) -> None:
    # given a resolved case, reopened
    case, link = resolved_case(api)
    api.run(case["id"], ("reopen", {"reason": "It came back"}))
    # when the customer answers
    with api.nothing_recorded(case["id"]):
        response = api.client.post(link["path"], data=SURVEY_FORM)
    # then the page says the request is open again
    assert response.status_code == 409 and "open again" in response.text


def test_no_one_on_staff_can_record_an_answer_as_the_customers(api: DeskClient) -> None:
    # given a resolved case
    case, _ = resolved_case(api)
    # when an administrator tries the customer's command through the staff routes
    with api.nothing_recorded(case["id"]):
        response = api.post(case["id"], "survey-by-link", {"csat": 5}, role="admin")
    # then there is no such route
    assert response.status_code in {404, 405}


def test_the_access_log_never_holds_a_survey_token(api: DeskClient) -> None:
    from api.request_log import logged_path

    # given a survey path
    _, link = resolved_case(api)
    # then the access log writes it without the token
    assert logged_path(link["path"]) == "/survey/{token}"
    assert logged_path("/status/SC-2026-000001") == "/status/SC-2026-000001"
