"""Open311 `media`: a resident's app may send the photo itself in a multipart POST Service
Request; the desk checks it by its bytes before recording anything, and keeps it as an
attachment on the case (staff download it; the public views do not show it)."""

from __future__ import annotations

import dataclasses
from typing import Any
from uuid import uuid4

import pytest

from api.dependencies import served
from api.open311.rate_limit import RateLimiter
from application.open311 import issue_api_key
from domain.actors import Actor, Role
from infrastructure.settings import Settings
from tests.api.test_attachments import PDF, png
from tests.api.test_open311 import V2, errors, form

ADMIN = Actor(id="admin-1", role=Role.ADMIN)


@pytest.fixture(scope="module")
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, run_projections=True)


@pytest.fixture(scope="module")
def key(desk: Any) -> str:
    return issue_api_key(desk, ADMIN, f"Photo app {uuid4().hex[:8]}").key


@pytest.fixture(autouse=True)
def fresh_limits(app: Any) -> None:
    served(app).open311_limiter = RateLimiter()


def submit(api: Any, key: str, media: tuple[str, bytes, str]) -> Any:
    return api.client.post(f"{V2}/requests.json", data=form(key, media_url=None),
                           files={"media": media})


def test_a_photo_sent_with_a_request_is_kept_on_its_case(api: Any, key: str) -> None:
    # given a resident's app sending a request with a photo of the pothole
    photo = png(5, 3)
    # when it posts the request as a multipart form
    response = submit(api, key, ("IMG_0042.png", photo, "image/png"))
    # then the case is recorded with the photo attached, as the app's, sealed for the resident
    assert response.status_code == 200, response.text
    [created] = response.json()
    files = api.client.get(f"{api.cases}/{created['token']}/attachments",
                           headers=api.headers("director")).json()["items"]
    assert [(f["name"], f["media_type"], f["source"], f["sealed"]) for f in files] == [
        ("IMG_0042.png", "image/png", "open311", True)]
    download = api.client.get(files[0]["href"], headers=api.headers("director"))
    assert download.content == photo


def test_a_request_whose_media_is_not_a_photo_records_nothing(api: Any, key: str) -> None:
    with api.nothing_recorded():
        response = submit(api, key, ("photo.jpg", PDF, "image/jpeg"))
        [description] = errors(response, 400)
    assert "application/pdf but it was sent as image/jpeg" in description


def test_only_one_file_called_media_is_taken(api: Any, key: str) -> None:
    with api.nothing_recorded():
        response = api.client.post(f"{V2}/requests.json", data=form(key),
                                   files={"photo": ("a.png", png(), "image/png")})
        [description] = errors(response, 400)
    assert "the one file a request may carry is media" in description
