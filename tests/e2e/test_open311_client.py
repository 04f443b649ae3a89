"""A real Open311 client against a real server: the unmodified `georeport` package (PyPI)
talks to `civicdesk serve` running as an operator runs it, on a fresh data directory.

georeport 0.3.1 only reads (service list, service definition, requests, one request), so
discovery, the POST and the token look-up go through plain httpx, exactly as the GeoReport v2
specification shows them. The API key comes from `civicdesk apikey create`, as an
administrator issues it. Waiting polls (the server's /health, the case index) in loops bounded
by a time limit; nothing sleeps to wait for a deadline.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import pytest
from georeport import GeoReport

from infrastructure.settings import Settings
from tests.e2e.civicdesk_server import ServerProcess, serving

pytestmark = pytest.mark.e2e

LIMIT_SECONDS = 60.0
SERVICE = "public-works-engineering-02"
PERSONAL = {"email": "smit333@example.org", "device_id": "tt222111", "account_id": "123456",
            "first_name": "John", "last_name": "Smithers", "phone": "9055550188"}
T = TypeVar("T")


def within_limit(attempt: Callable[[], T | None], what: str) -> T:
    """Polls `attempt` until it returns something, for at most LIMIT_SECONDS."""
    limit = time.monotonic() + LIMIT_SECONDS
    while time.monotonic() < limit:
        result = attempt()
        if result is not None:
            return result
        time.sleep(0.1)  # polling interval, not a deadline
    pytest.fail(f"{what} did not happen within {LIMIT_SECONDS}s")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    with serving(Settings(data_dir=tmp_path / "data"), tmp_path / "server.log") as server:
        yield server


def posted_exactly_as_the_specification_shows(root: str, api_key: str) -> httpx.Response:
    """The specification's example POST, with this Town's service and place."""
    body = (f"api_key={quote(api_key)}&jurisdiction_id=cobourg.ca&service_code={SERVICE}"
            "&lat=43.9597&long=-78.1677&address_string=55+King+St+W%2C+Cobourg"
            "&email=smit333%40example.org&device_id=tt222111&account_id=123456"
            "&first_name=John&last_name=Smithers&phone=9055550188"
            "&description=A+large+sinkhole+is+destroying+the+street"
            "&media_url=http%3A%2F%2Fphotos.example.org%2F2212426634_5ed477a060.jpg")
    return httpx.post(f"{root}/requests.json", content=body, timeout=30.0,
                      headers={"Content-Type":
                               "application/x-www-form-urlencoded; charset=utf-8"})


def assert_nothing_personal(*documents: Any) -> None:
    text = json.dumps(documents, default=str)
    for value in PERSONAL.values():
        assert value not in text, value


class TestOpen311Client:
    def test_an_unmodified_client_discovers_submits_and_tracks_a_request(
            self, server: ServerProcess) -> None:
        # Given an administrator issued the app its key with the command line
        api_key = server.cli("apikey", "create", "--name", "Cobourg Fixit")
        assert "Cobourg Fixit\tactive" in server.cli("apikey", "list")

        # When the app discovers the GeoReport v2 endpoint
        discovery = httpx.get(f"{server.base_url}/open311/v2/discovery.json").json()
        [endpoint] = discovery["endpoints"]
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        root = endpoint["url"]
        assert root == f"{server.base_url}/open311/v2"
        as_json = GeoReport(root, jurisdiction="cobourg.ca")
        as_xml = GeoReport(root, jurisdiction="cobourg.ca", output_format="xml")

        # Then it lists the services and reads a definition, in both formats
        services = {s["service_code"]: s for s in as_json.get_service_list()}
        assert services[SERVICE]["type"] == "batch"
        assert {s["service_code"] for s in as_xml.get_service_list()} == set(services)
        assert as_json.get_service_definition(SERVICE) == {"service_code": SERVICE,
                                                           "attributes": []}
        assert as_xml.get_service_definition(SERVICE)["service_code"] == SERVICE

        # When it posts a request; then it gets a token, which gives the request's id
        posted = posted_exactly_as_the_specification_shows(root, api_key)
        assert posted.status_code == 200, posted.text
        [answer] = posted.json()
        token_lookup = httpx.get(f"{root}/tokens/{answer['token']}.json",
                                 params={"jurisdiction_id": "cobourg.ca"})
        [found] = token_lookup.json()
        reference = found["service_request_id"]
        assert found["token"] == answer["token"]

        # And the client fetches the request, in both formats, without anything personal
        request = as_json.get_service_request(reference)
        assert (request["status"], request["service_code"], request["agency_responsible"]) \
            == ("open", SERVICE, "Public Works")
        assert request["description"] == "A large sinkhole is destroying the street"
        assert (request["lat"], request["long"]) == (43.9597, -78.1677)
        xml_request = as_xml.get_service_request(reference)
        assert xml_request["service_request_id"] == reference
        assert xml_request["address"] == "55 King St W, Cobourg"

        # And lists it with filters once the case index has it (it follows the log)
        def listed() -> list[dict[str, Any]] | None:
            found = as_json.get_service_requests(service_code=SERVICE, status="open")
            return found if any(r["service_request_id"] == reference for r in found) else None

        by_filters = within_limit(listed, "the request being listed")
        by_id = as_json.get_service_requests(service_request_id=reference)
        assert [r["service_request_id"] for r in by_id] == [reference]
        xml_listed = as_xml.get_service_requests(service_code=SERVICE)
        xml_listed = xml_listed if isinstance(xml_listed, list) else [xml_listed]
        assert reference in {r["service_request_id"] for r in xml_listed}
        closed = as_json.get_service_requests(status="closed",
                                              start_date="2020-01-01T00:00:00Z",
                                              end_date="2020-03-01T00:00:00Z")
        assert closed == []

        # And no GET shows the personal information posted; the status page neither
        # (the page is the POST's status_url, which carries the request's public token)
        assert answer["status_url"].startswith(f"{server.base_url}/status/{reference}?token=")
        status_page = httpx.get(answer["status_url"])
        assert status_page.status_code == 200 and reference in status_page.text
        public_token = answer["status_url"].split("token=", 1)[1]
        public = httpx.get(f"{server.base_url}/api/v1/public/requests/{reference}",
                           params={"token": public_token}).json()
        assert_nothing_personal(services, request, xml_request, by_filters, by_id, xml_listed,
                                token_lookup.json(), status_page.text, public)

        # When the administrator revokes the key; then the running server refuses it
        server.cli("apikey", "revoke", "--name", "Cobourg Fixit", "--reason", "app retired")
        refused = posted_exactly_as_the_specification_shows(root, api_key)
        assert refused.status_code == 403
        assert refused.json() == [{"code": 403, "description": "api_key was revoked"}]
