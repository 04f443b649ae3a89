"""The public token: a request's public status needs its reference and its unguessable token,
so sequential references cannot be walked; staff see the token to give it to the customer."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from domain.cases import Case
from tests.api.conftest import DeskClient

PUBLIC = "/api/v1/public/requests"


def without_reference(text: str, reference: str) -> str:
    return text.replace(reference, "REFERENCE")


def test_staff_see_the_token_and_the_status_page_link_in_the_case(api: DeskClient) -> None:
    # given a case received at the desk
    received = api.receive()
    # when staff read it
    case = api.case(received["id"])
    # then it carries a token of 128 random bits, and the page link that holds it
    token = case["public_token"]
    assert token == received["public_token"] and len(token) >= 22
    assert case["status_page"] == f"/status/{case['reference']}?token={token}"
    # and each case gets its own token
    assert api.receive()["public_token"] != token


def test_the_token_shows_the_status_and_the_reference_alone_does_not(api: DeskClient) -> None:
    # given a case and its token
    case = api.receive()
    reference, token = case["reference"], case["public_token"]
    # when the public asks with the token, without it, or with a wrong one
    right = api.client.get(f"{PUBLIC}/{reference}", params={"token": token})
    page = api.client.get(case["status_page"])
    bare = api.client.get(f"{PUBLIC}/{reference}")
    wrong = api.client.get(f"{PUBLIC}/{reference}", params={"token": token[:-1] + "x"})
    bare_page = api.client.get(f"/status/{reference}")
    # then only the token shows it
    assert right.status_code == 200 and right.json()["reference"] == reference
    assert page.status_code == 200 and reference in page.text
    for response in (bare, wrong):
        api.problem(response, 404)
    assert bare_page.status_code == 404


def test_a_wrong_or_missing_token_is_answered_exactly_as_an_unknown_reference(
        api: DeskClient) -> None:
    # given a case, and the next reference, which does not exist yet
    case = api.receive()
    reference = case["reference"]
    year, number = reference.rsplit("-", 1)
    unknown = f"{year}-{int(number) + 1000:06d}"
    # when a walker tries both, with and without a made-up token
    answers = {
        (ref, token): (api.client.get(f"{PUBLIC}/{ref}", params=token and {"token": token}),
                       api.client.get(f"/status/{ref}", params=token and {"token": token}))
        for ref in (reference, unknown) for token in (None, "", "guess", "A" * 22)}
    # then every answer is the same 404, but for the reference it repeats
    bodies = {(without_reference(json.text, ref), json.status_code,
               json.headers["content-type"], without_reference(page.text, ref),
               page.status_code, page.headers["content-type"])
              for (ref, _), (json, page) in answers.items()}
    assert len(bodies) == 1, bodies
    assert next(iter(bodies))[1] == next(iter(bodies))[4] == 404


def test_a_case_received_before_tokens_has_no_public_status(api: DeskClient) -> None:
    # given a case as stored before tokens: a version 2 Received, without `public_token`
    case = api.receive()
    old_reference = "SC-2025-000777"
    old_id = Case.create_id(old_reference)
    transcoder = api.desk.mapper.transcoder
    stored = []
    for record in api.desk.recorder.select_events(UUID(case["id"])):
        state: dict[str, Any] = transcoder.decode(record.state)
        if record.topic.endswith("Case.Received"):
            state.pop("public_token")
            state["class_version"] = 2
            state["reference"] = old_reference
        stored.append(StoredEvent(originator_id=old_id,
                                  originator_version=record.originator_version,
                                  topic=record.topic, state=transcoder.encode(state)))
    api.desk.recorder.insert_events(stored)
    # when staff read it, and the public asks for its status
    old = api.case(str(old_id))
    # then it replays without a token (the upcaster gives None), and shows no public status
    assert (old["reference"], old["public_token"], old["status_page"]) == (
        old_reference, None, None)
    api.problem(api.client.get(f"{PUBLIC}/{old_reference}"), 404)
    api.problem(api.client.get(f"{PUBLIC}/{old_reference}", params={"token": ""}), 404)
    assert api.client.get(f"/status/{old_reference}").status_code == 404
