"""Response headers: personal information is never cached, nothing is sniffed or referred, HTML
pages carry a Content-Security-Policy, and CORS lets in only the origins configured."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from litestar import Litestar
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.testing import TestClient

from api.app import create_app
from api.security_headers import PAGE_POLICY, schema_page_policy
from application.desk import ServiceDesk
from infrastructure.settings import Settings
from tests.api.conftest import DeskClient

APP_ORIGIN = "https://app.cobourg.example"


def test_a_case_and_its_errors_are_never_cached_nor_sniffed(api: DeskClient) -> None:
    # given a case with a customer's contact details
    case = api.receive()
    # when it is read, listed, and a missing case is asked for
    responses = [api.client.get(f"{api.cases}/{case['id']}", headers=api.headers("auditor")),
                 api.client.get(f"{api.cases}/{case['id']}/history",
                                headers=api.headers("auditor")),
                 api.client.get(f"{api.cases}/00000000-0000-0000-0000-000000000000",
                                headers=api.headers("auditor")),
                 api.client.post(api.cases, json=api.new_case_body(),
                                 headers=api.headers("csr"))]
    # then no answer may be stored by a cache, sniffed, or referred onwards
    for response in responses:
        assert response.headers["cache-control"] == "no-store", response.request.url
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"


def test_every_response_is_not_sniffed_and_refers_nowhere(api: DeskClient) -> None:
    for path in ("/health", "/schema/openapi.json", "/open311/v2/services.json",
                 "/no-such-page", "/api/v1/no-such-route"):
        response = api.client.get(path)
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["referrer-policy"] == "no-referrer", path


def test_the_open311_and_public_answers_are_never_cached(api: DeskClient) -> None:
    for path in ("/open311/v2/services.json", "/status", "/api/v1/public/requests/SC-1999-1",
                 "/api/v1/no-such-route"):
        assert api.client.get(path).headers["cache-control"] == "no-store", path


def test_the_html_report_carries_a_policy_that_allows_only_its_inline_style_and_charts(
        api: DeskClient) -> None:
    response = api.client.get("/api/v1/reports/accountability",
                              params={"period": "2026-03", "format": "html"},
                              headers=api.headers("clerk"))
    assert response.status_code == 200, response.text
    assert response.headers["content-security-policy"] == PAGE_POLICY
    assert response.headers["cache-control"] == "no-store"
    # and the page holds the same policy, for a copy saved to a file
    assert ('<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            'style-src \'unsafe-inline\'; img-src data:">') in response.text


def test_the_status_page_carries_its_policy(api: DeskClient) -> None:
    response = api.client.get("/status")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert "script-src" not in response.headers["content-security-policy"]


def test_the_api_reference_pages_may_load_only_from_themselves_and_their_plugins_origins(
        api: DeskClient) -> None:
    for path in ("/schema", "/schema/swagger"):
        response = api.client.get(path)
        assert response.status_code == 200
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, policy
        assert response.headers["x-content-type-options"] == "nosniff"


def test_with_local_assets_the_api_reference_policy_is_self_only() -> None:
    # given render plugins whose assets are served by civicdesk itself
    local = [ScalarRenderPlugin(js_url="/static/scalar.js", css_url="/static/scalar.css",
                                favicon=""),
             SwaggerRenderPlugin(js_url="/static/swagger.js", css_url="/static/swagger.css",
                                 standalone_preset_js_url="/static/preset.js", favicon="")]
    # when its policy is made; then it names no other origin
    policy = schema_page_policy(local)
    assert "https://" not in policy
    assert "script-src 'self' 'unsafe-inline'" in policy
    # and with today's CDN plugins, the CDN's origin (and no path) is allowed
    cdn = schema_page_policy([ScalarRenderPlugin()])
    assert "script-src 'self' https://cdn.jsdelivr.net 'unsafe-inline'" in cdn


def test_cors_origins_are_read_from_the_environment() -> None:
    settings = Settings.from_environment(
        {"CIVICDESK_CORS_ORIGINS": f" {APP_ORIGIN}/ , https://other.example ,"})
    assert settings.cors_origins == (APP_ORIGIN, "https://other.example")
    assert Settings.from_environment({}).cors_origins == ()


def preflight(client: TestClient[Litestar], origin: str) -> Any:
    return client.options("/api/v1/cases", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type"})


def test_cors_is_off_by_default(api: DeskClient) -> None:
    # given the default settings; when another site's page asks to call the API
    response = api.client.get("/health", headers={"Origin": APP_ORIGIN})
    asked = preflight(api.client, APP_ORIGIN)
    # then the browser is not told it may
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-origin" not in asked.headers


@pytest.fixture
def cors_client(settings: Settings, desk: ServiceDesk) -> Iterator[TestClient[Litestar]]:
    app = create_app(replace(settings, cors_origins=(APP_ORIGIN,)), desk=desk,
                     clock=desk.clock)
    with TestClient(app) as client:
        yield client


def test_cors_lets_in_exactly_the_configured_origins(
        cors_client: TestClient[Litestar]) -> None:
    allowed = preflight(cors_client, APP_ORIGIN)
    refused = preflight(cors_client, "https://evil.example")
    assert allowed.status_code in {200, 204}
    assert allowed.headers["access-control-allow-origin"] == APP_ORIGIN
    assert "access-control-allow-origin" not in refused.headers
    simple = cors_client.get("/health", headers={"Origin": APP_ORIGIN})
    assert simple.headers["access-control-allow-origin"] == APP_ORIGIN
    assert "X-Civicdesk-Position" in simple.headers["access-control-expose-headers"]
