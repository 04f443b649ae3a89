"""The customer's survey pages pass axe-core's WCAG 2.1 A and AA rules in headless Chromium, in
English and French, and reflow on a phone's width without scrolling sideways.

A real `civicdesk serve` renders the pages; Chromium, playwright-core and axe-core are the status
page accessibility test's (tests/e2e/test_status_page_accessibility.py), reused as they are.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from infrastructure.settings import Settings
from tests.e2e.civicdesk_server import ServerProcess, serving
from tests.e2e.test_status_page_accessibility import (
    NARROWEST,
    audited,
    browser_tools,
    reflowed,
)

pytestmark = pytest.mark.e2e
PHONE = 375  # CSS pixels: a common phone's width, beside WCAG's 320


@pytest.fixture(scope="module")
def browser() -> tuple[str, str, Path]:
    return browser_tools()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    with serving(Settings(data_dir=tmp_path / "data"), tmp_path / "server.log") as server:
        yield server


def survey_paths(server: ServerProcess) -> tuple[str, str]:
    """Two resolved requests' survey pages: one not yet answered, one answered already."""
    token = server.cli("token", "--role", "csr", "--sub", "csr-axe")
    paths = []
    with httpx.Client(base_url=server.base_url, timeout=30.0,
                      headers={"Authorization": f"Bearer {token}"}) as http:
        for _ in range(2):
            case = http.post("/api/v1/cases", json={
                "channel": "email", "purpose": "issue_or_complaint",
                "service_code": "public-works-engineering-02", "subject": "Streetlight out",
                "contact": {"name": "Ada Lovelace", "email": "ada@example.org"}})
            assert case.status_code == 201, case.text
            case_id = case.json()["id"]
            resolved = http.post(f"/api/v1/cases/{case_id}/resolve",
                                 json={"resolution": "Lamp replaced"})
            assert resolved.status_code == 200, resolved.text
            link = http.get(f"/api/v1/cases/{case_id}/survey-link").json()
            paths.append(link["path"])
    answered = httpx.post(f"{server.base_url}{paths[1]}", data={"csat": "5"}, timeout=30.0)
    assert answered.status_code == 200, answered.text
    return paths[0], paths[1]


def pages(server: ServerProcess) -> list[str]:
    """The form in English and French, the already-answered page, and a forged link's page."""
    open_path, used_path = survey_paths(server)
    base = server.base_url
    return [f"{base}{open_path}?lang=en", f"{base}{open_path}?lang=fr",
            f"{base}{used_path}?lang=en", f"{base}{used_path}?lang=fr",
            f"{base}/survey/not-a-link?lang=en", f"{base}/survey/not-a-link?lang=fr"]


class TestSurveyPageAccessibility:
    def test_the_survey_pages_have_no_wcag_21_aa_violations_in_either_language(
            self, browser: tuple[str, str, Path], server: ServerProcess) -> None:
        # Given a survey not yet answered, one answered, and a forged link, in both languages
        urls = pages(server)
        # When axe-core audits each page in headless Chromium
        results = audited(browser, *urls)
        # Then every page rendered, axe ran its checks, and found no violation
        assert [r["status"] for r in results] == [200, 200, 409, 409, 404, 404]
        for result in results:
            assert result["violations"] == [], json.dumps(result["violations"], indent=2)
            assert {"color-contrast", "html-has-lang", "valid-lang",
                    "document-title"} <= set(result["passes"]), result["passes"]
        # and the forms' every radio button has its label
        for result in results[:2]:
            assert "label" in result["passes"], result["passes"]

    @pytest.mark.parametrize("width", [NARROWEST, PHONE])
    def test_the_survey_pages_reflow_on_a_phone_without_scrolling_sideways(
            self, browser: tuple[str, str, Path], server: ServerProcess, width: int) -> None:
        # Given the same pages
        urls = pages(server)
        # When Chromium lays each out a phone's width
        results = reflowed(browser, width, *urls)
        # Then nothing is wider than the viewport: no horizontal scrolling (WCAG 1.4.10)
        assert [r["status"] for r in results] == [200, 200, 409, 409, 404, 404]
        for result in results:
            assert result["clientWidth"] == width, result
            assert result["scrollWidth"] <= width and result["wider"] == [], result
