"""Open311 GeoReport v2 over HTTP: every endpoint in JSON and XML, and every error.

The module shares one desk per database (see conftest), so tests look for their own requests
in lists. Each test starts with a fresh rate limiter; the rate-limit tests bring their own,
with a clock they move by hand.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode
from uuid import UUID, uuid4

import pytest
import xmltodict
from httpx import Response
from litestar import Litestar

from api.dependencies import served
from api.open311 import RateLimiter
from application import open311
from application.access import check_may
from application.open311 import issue_api_key, public_requests, publish_note, revoke_api_key
from application.queries import CASE_INDEX_NAME
from application.service_levels import revise_standards
from domain.actors import Actor, Role
from domain.errors import Forbidden, NotFound
from domain.standards import BUSINESS_DAY_SECONDS, ServiceStandard, TargetKind
from infrastructure.settings import Settings

V2 = "/open311/v2"
FORM = {"content-type": "application/x-www-form-urlencoded; charset=utf-8"}
ADMIN = Actor(id="admin-1", role=Role.ADMIN)
SERVICE = "public-works-engineering-02"  # "Manage Resolution of Customer Issues and Complaints"
TRANSIT_ISSUE = "public-works-transit-02"
INTERNAL = "public-works-roads-01"  # internal in Appendix IV: not offered to the public
PERSONAL = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.org",
            "phone": "905-555-0142", "device_id": "device-88412", "account_id": "acct-31337"}
REQUEST_FIELDS = {"service_request_id", "status", "status_notes", "service_name",
                  "service_code", "description", "agency_responsible", "service_notice",
                  "requested_datetime", "updated_datetime", "expected_datetime", "address",
                  "address_id", "zipcode", "lat", "long", "media_url"}


@pytest.fixture(scope="module")
def settings(settings: Settings) -> Settings:
    """The API conftest's databases, with the projection runners on (GET requests reads the
    case index)."""
    return dataclasses.replace(settings, run_projections=True)


@pytest.fixture(scope="module")
def key(desk: Any) -> str:
    return issue_api_key(desk, ADMIN, f"Test app {uuid4().hex[:8]}").key


@pytest.fixture(autouse=True)
def fresh_limits(app: Litestar) -> Iterator[None]:
    served(app).open311_limiter = RateLimiter()
    yield


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def form(key: str | None, **overrides: str | None) -> dict[str, str]:
    """A complete POST Service Request, as the specification's example sends one."""
    body: dict[str, str | None] = {
        "api_key": key, "jurisdiction_id": "cobourg.ca", "service_code": SERVICE,
        "lat": "43.9597", "long": "-78.1677", "address_string": "55 King St W, Cobourg",
        "description": "A deep pothole in the eastbound lane",
        "media_url": "https://photos.example.org/p/1.jpg", **PERSONAL}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def post(api: Any, body: dict[str, str] | str, fmt: str = "json",
         headers: dict[str, str] | None = None) -> Response:
    content = body if isinstance(body, str) else urlencode(body)
    response: Response = api.client.post(f"{V2}/requests.{fmt}", content=content,
                                         headers=headers or FORM)
    return response


def parsed(response: Response, fmt: str) -> Any:
    if fmt == "json":
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        return response.json()
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    return xmltodict.parse(response.text)


def items(response: Response, fmt: str, root: str, item: str) -> list[dict[str, Any]]:
    """The list a JSON answer is, or the repeated elements of the XML one."""
    body = parsed(response, fmt)
    if fmt == "json":
        assert isinstance(body, list)
        return body
    inner = body[root] or {}
    found = inner.get(item, [])
    return found if isinstance(found, list) else [found]


def errors(response: Response, status: int, fmt: str = "json") -> list[str]:
    """GeoReport v2 errors: the HTTP status, and a list of code and description."""
    assert response.status_code == status, response.text
    listed = items(response, fmt, "errors", "error")
    assert listed
    for error in listed:
        assert set(error) == {"code", "description"}
        assert str(error["code"]) == str(status)
        assert error["description"]
    return [str(error["description"]) for error in listed]


def submit(api: Any, key: str, **overrides: str | None) -> tuple[str, str]:
    """Posts a request that must be accepted; returns its token and service_request_id."""
    response = post(api, form(key, **overrides))
    assert response.status_code == 200, response.text
    [answer] = response.json()
    reference = api.desk.repository.get(UUID(answer["token"])).reference
    return answer["token"], reference


def public_token(api: Any, case_id: str) -> str:
    """The case's public token, as staff see it in the case view."""
    token: str = api.case(case_id)["public_token"]
    return token


def caught_up(app: Litestar, api: Any) -> None:
    """Waits (bounded) until the case index has everything recorded so far."""
    served(app).services.projections.wait_for(api.desk.log_position(), 10.0,
                                              names=[CASE_INDEX_NAME])


def no_personal_information(response: Response) -> None:
    for value in PERSONAL.values():
        assert value not in response.text, value


class TestDiscovery:
    @pytest.mark.parametrize("fmt", ["json", "xml"])
    def test_discovery_names_this_endpoint_and_both_formats(self, api: Any, fmt: str) -> None:
        # Given the service is running; when a client asks for discovery
        response = api.client.get(f"{V2}/discovery.{fmt}")
        # Then it names the GeoReport v2 endpoint, its formats and how to get a key
        assert response.status_code == 200
        body = parsed(response, fmt)
        document = body if fmt == "json" else body["discovery"]
        assert {"changeset", "contact", "key_service", "endpoints"} <= set(document)
        endpoints = document["endpoints"] if fmt == "json" else [
            document["endpoints"]["endpoint"]]
        [endpoint] = endpoints
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint["url"].endswith("/open311/v2")
        assert endpoint["type"] == "production"
        formats = endpoint["formats"] if fmt == "json" else endpoint["formats"]["format"]
        assert set(formats) == {"text/xml", "application/json"}


class TestServiceList:
    @pytest.mark.parametrize("fmt", ["json", "xml"])
    def test_lists_the_public_services_with_the_specifications_fields(self, api: Any,
                                                                     fmt: str) -> None:
        # When a client lists services
        services = items(api.client.get(f"{V2}/services.{fmt}"), fmt, "services", "service")
        # Then each has exactly the fields of the specification, public ones only
        by_code = {s["service_code"]: s for s in services}
        assert SERVICE in by_code and INTERNAL not in by_code
        service = by_code[SERVICE]
        assert set(service) == {"service_code", "service_name", "description", "metadata",
                                "type", "keywords", "group"}
        assert service["service_name"] == "Manage Resolution of Customer Issues and Complaints"
        assert str(service["metadata"]).lower() == "false"
        assert service["type"] == "batch"
        assert service["group"] == "Engineering and Capital Projects"

    def test_our_jurisdiction_is_accepted_and_another_is_not_found(self, api: Any) -> None:
        # Given one jurisdiction served; when asked for it, and for another
        ours = api.client.get(f"{V2}/services.json", params={"jurisdiction_id": "cobourg.ca"})
        other = api.client.get(f"{V2}/services.xml",
                               params={"jurisdiction_id": "toronto.ca"})
        # Then ours answers and the other is 404, in the format asked for
        assert ours.status_code == 200
        [description] = errors(other, 404, "xml")
        assert "jurisdiction_id toronto.ca" in description

    @pytest.mark.parametrize("fmt", ["json", "xml"])
    def test_a_control_character_in_a_query_parameter_is_a_400_in_the_format_asked_for(
            self, api: Any, fmt: str) -> None:
        # Given the JSON API's one rule (api.plain_text) on every query parameter
        response = api.client.get(f"{V2}/requests.{fmt}", params={"status": "open\x00"})
        # Then a 400 in GeoReport v2's own format names the parameter
        [description] = errors(response, 400, fmt)
        assert "status" in description and "control characters" in description

    @pytest.mark.parametrize("path", ["services.csv", "services", "nothing.json"])
    def test_an_unknown_resource_or_format_is_not_found(self, api: Any, path: str) -> None:
        errors(api.client.get(f"{V2}/{path}"), 404)


class TestServiceDefinition:
    @pytest.mark.parametrize("fmt", ["json", "xml"])
    def test_a_public_service_defines_no_extra_attributes(self, api: Any, fmt: str) -> None:
        response = api.client.get(f"{V2}/services/{SERVICE}.{fmt}")
        assert response.status_code == 200
        body = parsed(response, fmt)
        definition = body if fmt == "json" else body["service_definition"]
        assert definition["service_code"] == SERVICE
        assert definition["attributes"] in ([], None)

    @pytest.mark.parametrize("fmt", ["json", "xml"])
    @pytest.mark.parametrize("code", ["no-such-service", INTERNAL])
    def test_an_unknown_or_internal_service_is_not_found(self, api: Any, fmt: str,
                                                         code: str) -> None:
        [description] = errors(api.client.get(f"{V2}/services/{code}.{fmt}"), 404, fmt)
        assert code in description


class TestSubmitting:
    def test_a_request_becomes_a_web_case_holding_the_residents_contact(self, api: Any,
                                                                        key: str) -> None:
        # When an app posts a complete request, form-encoded as the specification shows
        response = post(api, form(key))
        # Then it answers a token (type batch), a service notice, and no request id
        assert response.status_code == 200, response.text
        [answer] = parsed(response, "json")
        assert set(answer) == {"token", "service_notice", "account_id", "status_url"}
        assert answer["account_id"] is None
        assert answer["service_notice"].startswith("Public Works is responsible")
        # And the case is on the web channel, with the service's purpose and department,
        # recorded by the app, and the personal information in its customer's contact (the
        # app's device and account ids are not kept: data minimisation)
        case = api.case(answer["token"])
        assert (case["channel"], case["purpose"], case["department"], case["service_code"]) \
            == ("web_form", "issue_or_complaint", "public-works", SERVICE)
        assert case["recorded_by"].startswith("open311:Test app")
        assert case["contact"] == {"name": "Ada Lovelace", "email": "ada@example.org",
                                   "phone": "905-555-0142", "preferred_contact": "email"}
        assert case["personal_information"] == "held"
        assert case["subject"].endswith("at 55 King St W, Cobourg")
        assert case["description"] == "A deep pothole in the eastbound lane"

    def test_answers_in_xml_when_posted_to_requests_xml(self, api: Any, key: str) -> None:
        response = post(api, form(key), fmt="xml")
        assert response.status_code == 200, response.text
        [answer] = items(response, "xml", "service_requests", "request")
        assert answer["token"] and answer["service_notice"]
        assert "service_request_id" not in answer

    def test_a_service_without_a_purpose_is_an_issue_and_one_with_a_purpose_keeps_it(
            self, api: Any, key: str) -> None:
        # Given transit-04 names no purpose and transit-03 (bookings) is a payment
        token, _ = submit(api, key, service_code="public-works-transit-04")
        paid, _ = submit(api, key, service_code="public-works-transit-03")
        # Then the first is someone addressing an issue, the second keeps its purpose
        assert api.case(token)["purpose"] == "issue_or_complaint"
        assert api.case(paid)["purpose"] == "payment"

    def test_an_address_alone_or_an_address_id_alone_is_a_location(self, api: Any,
                                                                   key: str) -> None:
        by_address, _ = submit(api, key, lat=None, long=None)
        by_id, _ = submit(api, key, lat=None, long=None, address_string=None,
                          address_id="ADDR-1042")
        assert api.case(by_address)["subject"].endswith("55 King St W, Cobourg")
        assert api.case(by_id)["subject"].endswith("address ADDR-1042")

    @pytest.mark.parametrize(("overrides", "expected"), [
        ({"service_code": None}, "service_code was not provided"),
        ({"lat": None, "long": None, "address_string": None}, "a location is required"),
        ({"long": None}, "long was not provided"),
        ({"lat": "north"}, "lat must be a decimal number"),
        ({"lat": "-78.1677", "long": "43.9597"}, "outside the Town of Cobourg"),
        ({"long": "-200"}, "long -200.0 is outside"),
        ({"email": "ada.example.org"}, "email is not an email address"),
        ({"phone": "call me"}, "phone is not a phone number"),
        ({"description": "<script>alert(1)</script>"}, "not HTML or code"),
        ({"description": "x" * 4001}, "description is at most 4000 characters"),
        ({"media_url": "javascript:alert(1)"}, "media_url must be an http or https URL"),
        ({"first_name": "Ada\x00"}, "first_name contains control characters"),
        # the JSON API's rule (api.plain_text): line breaks only, no DEL, in a description
        ({"description": "Pothole\x7f"}, "description contains control characters"),
        ({"colour": "red"}, "colour is not a field of POST Service Request"),
        ({"attribute[WHISPAWN]": "123456"}, "asks for no attribute 'WHISPAWN'"),
        ({"service_code": "roads;drop"}, "is not a service code"),
    ])
    def test_an_invalid_field_is_a_400_naming_it_and_records_nothing(
            self, api: Any, key: str, overrides: dict[str, str | None],
            expected: str) -> None:
        # When a request with one bad field is posted; then 400 names it, and nothing changes
        with api.nothing_recorded():
            described = errors(post(api, form(key, **overrides)), 400)
        assert any(expected in d for d in described), described

    def test_every_problem_is_reported_at_once_in_the_format_asked_for(self, api: Any,
                                                                       key: str) -> None:
        body = form(key, email="nope", phone="?", lat="91", long=None, colour="red")
        with api.nothing_recorded():
            described = errors(post(api, body, fmt="xml"), 400, "xml")
        assert len(described) >= 4, described

    def test_a_field_sent_twice_is_refused(self, api: Any, key: str) -> None:
        body = urlencode(form(key)) + "&email=other%40example.org"
        assert any("email was sent more than once" in d for d in errors(post(api, body), 400))

    @pytest.mark.parametrize("fmt", ["json", "xml"])
    @pytest.mark.parametrize("code", ["no-such-service", INTERNAL])
    def test_an_unknown_or_internal_service_is_not_found(self, api: Any, key: str, fmt: str,
                                                         code: str) -> None:
        with api.nothing_recorded():
            [description] = errors(post(api, form(key, service_code=code), fmt), 404, fmt)
        assert f"service_code {code} was not found" == description

    def test_another_jurisdiction_is_not_found(self, api: Any, key: str) -> None:
        with api.nothing_recorded():
            errors(post(api, form(key, jurisdiction_id="toronto.ca")), 404)

    def test_a_body_over_the_size_limit_is_a_400_in_the_specifications_format(
            self, api: Any, key: str, settings: Settings) -> None:
        body = form(key, description="x" * settings.max_body_bytes)
        with api.nothing_recorded():
            errors(post(api, body), 400)

    def test_a_json_body_is_refused_the_specification_posts_a_form(self, api: Any,
                                                                   key: str) -> None:
        response = post(api, '{"api_key": "x"}', headers={"content-type": "application/json"})
        [description] = errors(response, 400)
        assert "application/x-www-form-urlencoded" in description


class TestCharsets:
    """A form is decoded by the charset its Content-Type declares, or refused: never stored
    with replacement characters or mojibake."""

    LATIN_1 = {"content-type": "application/x-www-form-urlencoded; charset=ISO-8859-1"}

    @pytest.mark.parametrize("escaped", [True, False], ids=["percent-escaped", "raw-bytes"])
    def test_a_latin1_form_is_read_in_latin1(self, api: Any, key: str, escaped: bool) -> None:
        # given a form written in ISO-8859-1 (é is the one byte E9), escaped or not
        body = form(key, description="Caf\xe9 sign fell; na\xefve \xfcber fix",
                    first_name="Ren\xe9e")
        content = urlencode(body, encoding="latin-1").encode("ascii") if escaped else \
            "&".join(f"{k}={v}" for k, v in body.items()).encode("latin-1")
        # when it is posted saying so
        response = api.client.post(f"{V2}/requests.json", content=content,
                                   headers=self.LATIN_1)
        # then the case holds the text as written
        assert response.status_code == 200, response.text
        case = api.case(response.json()[0]["token"])
        assert case["description"] == "Caf\xe9 sign fell; na\xefve \xfcber fix"
        assert case["contact"]["name"] == "Ren\xe9e Lovelace"

    @pytest.mark.parametrize("fmt", ["json", "xml"])
    @pytest.mark.parametrize("content_type", [
        "application/x-www-form-urlencoded; charset=utf-8",
        "application/x-www-form-urlencoded"])
    def test_latin1_bytes_declared_as_utf8_or_undeclared_are_refused_and_record_nothing(
            self, api: Any, key: str, fmt: str, content_type: str) -> None:
        for content in (urlencode(form(key, description="Caf\xe9"), encoding="latin-1"),
                        "&".join(f"{k}={v}" for k, v in form(
                            key, description="Caf\xe9").items()).encode("latin-1")):
            with api.nothing_recorded():
                response = api.client.post(f"{V2}/requests.{fmt}", content=content,
                                           headers={"content-type": content_type})
                [description] = errors(response, 400, fmt)
            assert "not valid utf-8" in description

    def test_a_multipart_part_that_is_not_utf8_is_refused_and_records_nothing(
            self, api: Any, key: str) -> None:
        parts = [(name, value.encode("latin-1"))
                 for name, value in form(key, description="Caf\xe9").items()]
        body = b"".join(b'--b0undary\r\nContent-Disposition: form-data; name="'
                        + name.encode() + b'"\r\n\r\n' + value + b"\r\n"
                        for name, value in parts) + b"--b0undary--\r\n"
        with api.nothing_recorded():
            response = api.client.post(
                f"{V2}/requests.json", content=body,
                headers={"content-type": "multipart/form-data; boundary=b0undary"})
            [description] = errors(response, 400)
        assert "not valid in its charset" in description

    @pytest.mark.parametrize("charset", ["klingon", "utf-16", "rot13"])
    def test_an_unknown_or_not_ascii_compatible_charset_is_415(self, api: Any, key: str,
                                                              charset: str) -> None:
        with api.nothing_recorded():
            response = api.client.post(
                f"{V2}/requests.xml", content=urlencode(form(key)),
                headers={"content-type": f"application/x-www-form-urlencoded; charset={charset}"})
            [description] = errors(response, 415, "xml")
        assert f"charset {charset} is not supported" in description


class TestRoutingErrors:
    """Every method and path under /open311/v2 answers in GeoReport's error format."""

    @pytest.mark.parametrize(("method", "path", "allowed"), [
        ("PUT", "requests.json", {"GET", "POST", "OPTIONS"}),
        ("DELETE", "services.xml", {"GET", "POST", "OPTIONS"}),
        ("PATCH", "requests/SC-2026-000001.json", {"GET", "OPTIONS"}),
        ("POST", "services/public-works-roads-01.xml", {"GET", "OPTIONS"}),
        ("DELETE", "tokens/abc.json", {"GET", "OPTIONS"}),
        ("PUT", "services", {"GET", "POST", "OPTIONS"}),
        ("TRACE", "discovery.json", {"GET", "POST", "OPTIONS"}),
        ("PROPFIND", "requests.xml", {"GET", "POST", "OPTIONS"}),
    ])
    def test_an_unsupported_method_is_405_with_allow(self, api: Any, method: str, path: str,
                                                     allowed: set[str]) -> None:
        fmt = "xml" if path.endswith(".xml") else "json"
        with api.nothing_recorded():
            response = api.client.request(method, f"{V2}/{path}")
            [description] = errors(response, 405, fmt)
        assert {m.strip() for m in response.headers["allow"].split(",")} == allowed
        assert description.startswith(f"{method} is not allowed")

    def test_head_is_405_with_allow_and_no_body(self, api: Any) -> None:
        response = api.client.head(f"{V2}/services.json")
        assert response.status_code == 405
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        assert "GET" in response.headers["allow"]

    @pytest.mark.parametrize(("method", "path"), [
        ("GET", ""), ("GET", "/"), ("GET", "/nothing/here.json"), ("GET", "/a/b/c.xml"),
        ("GET", "/services/a/b.json"), ("POST", "/requests/x/y.xml"),
        ("DELETE", "/nothing/x.xml"), ("OPTIONS", "/zz/y.json")])
    def test_an_unknown_path_is_404(self, api: Any, method: str, path: str) -> None:
        fmt = "xml" if path.endswith(".xml") else "json"
        [description] = errors(api.client.request(method, f"{V2}{path}"), 404, fmt)
        assert "is not a resource of this endpoint" in description

    def test_paths_outside_open311_keep_the_desks_problem_details(self, api: Any) -> None:
        response = api.client.put("/api/v1/nothing-here")
        assert response.status_code in {404, 405}
        assert response.headers["content-type"].startswith("application/problem+json")


class TestApiKeys:
    @pytest.mark.parametrize("fmt", ["json", "xml"])
    @pytest.mark.parametrize(("presented", "expected"), [
        (None, "api_key was not provided"),
        ("not-a-key", "api_key is not valid"),
        (f"{'0' * 32}.guessed", "api_key is not valid"),
    ])
    def test_a_missing_or_unknown_key_is_403(self, api: Any, fmt: str, presented: str | None,
                                             expected: str) -> None:
        with api.nothing_recorded():
            assert errors(post(api, form(presented), fmt), 403, fmt) == [expected]

    def test_a_tampered_key_is_403(self, api: Any, key: str) -> None:
        key_id, _, secret = key.partition(".")
        tampered = f"{key_id}.{secret[::-1]}"
        with api.nothing_recorded():
            assert errors(post(api, form(tampered)), 403) == ["api_key is not valid"]

    def test_a_revoked_key_is_403_and_the_raw_key_is_stored_nowhere(self, api: Any) -> None:
        # Given a key issued, used once, then revoked
        name = f"Revoked app {uuid4().hex[:8]}"
        issued = issue_api_key(api.desk, ADMIN, name)
        submit(api, issued.key)
        revoke_api_key(api.desk, ADMIN, name, "the app was retired")
        # When it is used again; then 403
        assert errors(post(api, form(issued.key)), 403) == ["api_key was revoked"]
        # And the log holds its hash, never the key itself
        events = list(api.desk.events.get(UUID(hex=issued.key.split(".")[0])))
        assert issued.key not in repr(events)
        assert issued.key.split(".")[1] not in repr(events)

    def test_only_an_administrator_issues_keys(self, api: Any) -> None:
        with pytest.raises(Forbidden):
            issue_api_key(api.desk, Actor(id="csr-1", role=Role.CSR), "Sneaky app")


class TestRateLimits:
    def test_a_key_over_its_rate_gets_429_until_the_window_passes(self, app: Litestar,
                                                                  api: Any, key: str) -> None:
        # Given a limit of two requests a minute per key
        clock = FakeClock()
        served(app).open311_limiter = RateLimiter(per_key=2, per_address=100, clock=clock)
        submit(api, key)
        submit(api, key)
        # When a third comes within the minute; then 429 with Retry-After, nothing recorded
        with api.nothing_recorded():
            response = post(api, form(key), fmt="xml")
            [description] = errors(response, 429, "xml")
        assert response.headers["retry-after"] == "60"
        assert "too many requests" in description
        # When the minute has passed (1000 s + 60 s); then it is accepted again
        clock.now += 60
        submit(api, key)

    def test_an_address_over_its_rate_gets_429_whatever_the_key(self, app: Litestar,
                                                                 api: Any, key: str) -> None:
        # Given two attempts a minute per address; two made, with a wrong key
        served(app).open311_limiter = RateLimiter(per_key=100, per_address=2, clock=FakeClock())
        errors(post(api, form("wrong")), 403)
        errors(post(api, form("wrong")), 403)
        # When a third comes, even with a good key; then 429
        with api.nothing_recorded():
            errors(post(api, form(key)), 429)


class TestTokens:
    @pytest.mark.parametrize("fmt", ["json", "xml"])
    def test_a_token_gives_the_service_request_id(self, api: Any, key: str, fmt: str) -> None:
        token, reference = submit(api, key)
        response = api.client.get(f"{V2}/tokens/{token}.{fmt}",
                                  params={"jurisdiction_id": "cobourg.ca"})
        assert response.status_code == 200
        [answer] = items(response, fmt, "service_requests", "request")
        assert answer == {"service_request_id": reference, "token": token}

    @pytest.mark.parametrize("fmt", ["json", "xml"])
    def test_an_unknown_token_is_not_found(self, api: Any, fmt: str) -> None:
        errors(api.client.get(f"{V2}/tokens/{uuid4()}.{fmt}"), 404, fmt)
        errors(api.client.get(f"{V2}/tokens/garbage.{fmt}"), 404, fmt)

    def test_a_case_from_another_channel_has_no_token(self, api: Any) -> None:
        case = api.receive()
        errors(api.client.get(f"{V2}/tokens/{case['id']}.json"), 404)


class TestOneRequest:
    @pytest.mark.parametrize("fmt", ["json", "xml"])
    def test_shows_the_specifications_fields_and_no_personal_information(
            self, api: Any, key: str, fmt: str) -> None:
        # Given a request with every field, personal ones included
        _, reference = submit(api, key)
        # When anyone fetches it
        response = api.client.get(f"{V2}/requests/{reference}.{fmt}")
        # Then it has exactly the specification's fields, and nothing personal
        assert response.status_code == 200
        [request] = items(response, fmt, "service_requests", "request")
        assert set(request) == REQUEST_FIELDS
        assert (request["service_request_id"], request["status"], request["service_code"],
                request["agency_responsible"]) == (reference, "open", SERVICE, "Public Works")
        assert request["requested_datetime"] == "2026-03-04T15:00:00Z"  # the test clock
        assert request["address"] == "55 King St W, Cobourg"
        assert float(request["lat"]) == 43.9597 and float(request["long"]) == -78.1677
        assert request["media_url"] == "https://photos.example.org/p/1.jpg"
        assert request["description"] == "A deep pothole in the eastbound lane"
        assert request["service_notice"].startswith("Public Works is responsible")
        no_personal_information(response)

    def test_expected_datetime_is_the_resolve_target(self, api: Any, key: str) -> None:
        # Given transit issues are promised resolution within 5 business days (40 hours)
        standards = api.desk.standards()
        revise_standards(api.desk, ADMIN, [*standards.in_force(), ServiceStandard(
            "transit-issue-resolve", "Transit issues resolved within 5 business days",
            TargetKind.RESOLVE, 5 * BUSINESS_DAY_SECONDS, service_code=TRANSIT_ISSUE)],
            reason="Transit's own resolution standard")
        # When a transit issue arrives Wednesday 2026-03-04 10:00 Toronto (15:00 UTC)
        _, reference = submit(api, key, service_code=TRANSIT_ISSUE)
        [request] = api.client.get(f"{V2}/requests/{reference}.json").json()
        # Then it is expected when those 40 business hours end: Wed 6.5 h (to 16:30), Thu 8,
        # Fri 8, Mon 8 (daylight time from Sun Mar 8), Tue 8 = 38.5 h; 1.5 h more on Wed
        # Mar 11 from 08:30 is 10:00 EDT, 14:00 UTC
        assert request["expected_datetime"] == "2026-03-11T14:00:00Z"
        assert "Transit issues resolved within 5 business days" in request["service_notice"]

    def test_without_a_standard_of_its_own_a_service_has_its_seeded_resolution_promise(
            self, api: Any, key: str) -> None:
        # Given the draft resolution standard seeded for an issue service: 10 business days
        # When an issue arrives Wednesday 2026-03-04 10:00 Toronto (15:00 UTC)
        _, reference = submit(api, key, service_code=SERVICE)
        [request] = api.client.get(f"{V2}/requests/{reference}.json").json()
        # Then it is expected when 80 business hours end: Wed 6.5 h, Thu 8, Fri 8 (22.5),
        # Mon-Fri Mar 9-13 40 (62.5), Mon 16 and Tue 17 16 (78.5); 1.5 h more on Wed Mar 18
        # from 08:30 is 10:00 EDT, 14:00 UTC
        assert request["expected_datetime"] == "2026-03-18T14:00:00Z"

    @pytest.mark.parametrize("fmt", ["json", "xml"])
    def test_status_notes_are_the_notes_staff_published(self, api: Any, key: str,
                                                        fmt: str) -> None:
        # Given a Public Works staff member publishes a note on the request
        token, reference = submit(api, key)
        published = api.client.post(f"/api/v1/cases/{token}/public-notes",
                                    json={"note": "A crew is booked for Friday."},
                                    headers=api.headers("staff"))
        assert published.status_code == 200, published.text
        # Then the request's status_notes carry it, dated in the Town's time
        response = api.client.get(f"{V2}/requests/{reference}.{fmt}")
        [request] = items(response, fmt, "service_requests", "request")
        assert request["status_notes"] == "2026-03-04: A crew is booked for Friday."

    def test_a_resolved_request_is_closed_and_dated_when_it_was_resolved(self, api: Any,
                                                                         key: str) -> None:
        # Given a request resolved an hour after it arrived
        token, reference = submit(api, key)
        api.desk.clock.advance(hours=1)
        api.run(token, ("resolve", {"resolution": "Pothole filled"}))
        # Then it is closed, and updated_datetime is when it was resolved
        [request] = api.client.get(f"{V2}/requests/{reference}.json").json()
        assert request["status"] == "closed"
        assert request["updated_datetime"] == "2026-03-04T16:00:00Z"

    def test_a_case_from_another_channel_is_not_an_open311_request(self, api: Any) -> None:
        case = api.receive()
        errors(api.client.get(f"{V2}/requests/{case['reference']}.json"), 404)

    @pytest.mark.parametrize("fmt", ["json", "xml"])
    def test_an_unknown_request_is_not_found(self, api: Any, fmt: str) -> None:
        [description] = errors(api.client.get(f"{V2}/requests/SC-1999-000001.{fmt}"), 404,
                               fmt)
        assert "SC-1999-000001" in description


class TestListingRequests:
    @pytest.mark.parametrize("fmt", ["json", "xml"])
    def test_lists_recent_requests_and_filters_by_service_status_and_id(
            self, app: Litestar, api: Any, key: str, fmt: str) -> None:
        # Given a road request, a transit request, and the road request resolved
        road_token, road = submit(api, key)
        _, transit = submit(api, key, service_code=TRANSIT_ISSUE)
        api.run(road_token, ("resolve", {"resolution": "Filled"}))
        caught_up(app, api)

        def listed(**params: str) -> set[str]:
            response = api.client.get(f"{V2}/requests.{fmt}", params=params)
            assert response.status_code == 200, response.text
            no_personal_information(response)
            found = items(response, fmt, "service_requests", "request")
            assert all(set(r) == REQUEST_FIELDS for r in found)
            return {r["service_request_id"] for r in found}

        # Then both are among the last 90 days' requests
        assert {road, transit} <= listed()
        # And the filters choose between them
        assert transit in listed(service_code=TRANSIT_ISSUE)
        assert road not in listed(service_code=TRANSIT_ISSUE)
        assert road in listed(service_code=f"{TRANSIT_ISSUE},{SERVICE}")
        assert road in listed(status="closed") and transit not in listed(status="closed")
        assert transit in listed(status="open") and road not in listed(status="open")
        # And service_request_id overrides every other argument
        assert listed(service_request_id=f"{road},{transit},SC-1999-000001",
                      status="open", start_date="bad") == {road, transit}

    def test_the_default_window_is_the_last_90_days(self, app: Litestar, api: Any,
                                                    key: str) -> None:
        # Given a request received on 2026-03-04, and 91 days passed
        _, reference = submit(api, key)
        caught_up(app, api)
        api.desk.clock.advance(days=91)

        def listed(**params: str) -> set[str]:
            return {r["service_request_id"]
                    for r in api.client.get(f"{V2}/requests.json", params=params).json()}

        # Then the default list leaves it out, and a window around that day finds it
        assert reference not in listed()
        assert reference in listed(start_date="2026-03-04T00:00:00Z",
                                   end_date="2026-03-05T00:00:00-05:00")
        assert reference in listed(start_date="2026-03-01T00:00:00Z")  # to 90 days later
        assert reference in listed(end_date="2026-03-04T15:00:00Z")  # the 90 days before
        assert reference not in listed(end_date="2026-03-04T14:59:59Z")

    def test_at_most_the_first_results_are_listed_newest_first(
            self, app: Litestar, api: Any, key: str, monkeypatch: pytest.MonkeyPatch) -> None:
        # Given three requests a minute apart, and a maximum of two (1000 in service)
        references = []
        for _ in range(3):
            references.append(submit(api, key)[1])
            api.desk.clock.advance(minutes=1)
        caught_up(app, api)
        monkeypatch.setattr(public_requests, "MAX_RESULTS", 2)
        # Then the two newest are listed, newest first
        listed = [r["service_request_id"] for r in api.client.get(
            f"{V2}/requests.json", params={"start_date": "2026-03-04T15:00:00Z"}).json()]
        assert listed == references[:0:-1]

    @pytest.mark.parametrize(("params", "expected"), [
        ({"start_date": "2026-03-01"}, "start_date must be a w3 date and time"),
        ({"start_date": "2026-03-01T00:00:00"}, "with a time zone"),
        ({"end_date": "yesterday"}, "end_date must be a w3 date and time"),
        ({"start_date": "2026-03-02T00:00:00Z", "end_date": "2026-03-01T00:00:00Z"},
         "start_date must not be after end_date"),
        ({"start_date": "2025-01-01T00:00:00Z", "end_date": "2026-03-01T00:00:00Z"},
         "may not span more than 90 days"),
        ({"status": "open,pending"}, "status must be open or closed"),
        ({"service_code": "a b"}, "is not a service code"),
        ({"jurisdiction_id": "toronto.ca"}, "jurisdiction_id toronto.ca was not found"),
    ])
    @pytest.mark.parametrize("fmt", ["json", "xml"])
    def test_a_bad_filter_is_refused(self, api: Any, fmt: str, params: dict[str, str],
                                     expected: str) -> None:
        response = api.client.get(f"{V2}/requests.{fmt}", params=params)
        status = 404 if "jurisdiction_id" in params else 400
        assert any(expected in d for d in errors(response, status, fmt))


class TestPublishingNotes:
    def test_staff_of_the_owning_department_publish_and_others_may_not(self, api: Any,
                                                                       key: str) -> None:
        token, _ = submit(api, key)
        route = f"/api/v1/cases/{token}/public-notes"
        note = {"note": "Inspected today."}
        # A planning staff member does not see the case; an auditor changes nothing
        away = api.client.post(route, json=note, headers=api.headers("staff", ["planning"]))
        auditor = api.client.post(route, json=note, headers=api.headers("auditor"))
        api.problem(away, 404)
        api.problem(auditor, 403)
        # A blank note is refused; the CSR may publish
        api.problem(api.client.post(route, json={"note": " "}, headers=api.headers()), 422,
                    field="note")
        case = api.client.post(route, json=note, headers=api.headers())
        assert case.status_code == 200, case.text
        assert case.json()["version"] == api.case(token)["version"]

    def test_an_open311_app_sees_no_case_not_even_its_own(self, api: Any, key: str) -> None:
        # Given a request an app submitted; when the app's actor tries to publish on it
        token, _ = submit(api, key)
        client = open311.authenticate(api.desk, key)
        # Then the case is invisible to it, and nothing is recorded
        with api.nothing_recorded(token), pytest.raises(NotFound):
            publish_note(api.desk, client.actor, UUID(token), "I am the app")
        with pytest.raises(Forbidden):
            check_may(client.actor, "publish_note", "public-works")


class TestPublicStatus:
    def test_shows_status_department_promises_and_notes_without_personal_information(
            self, api: Any, key: str) -> None:
        # Given a request acknowledged, with a note published
        token, reference = submit(api, key)
        api.run(token, ("acknowledge", {"message": "Thanks Ada, we have it"}))
        api.client.post(f"/api/v1/cases/{token}/public-notes",
                        json={"note": "Crew booked."}, headers=api.headers())
        # When anyone looks it up, without signing in
        response = api.client.get(f"/api/v1/public/requests/{reference.lower()}",
                                  params={"token": public_token(api, token)})
        # Then it shows the public facts only
        assert response.status_code == 200, response.text
        status = response.json()
        assert (status["reference"], status["status"], status["open311_status"]) == (
            reference, "open", "open")
        assert status["department"] == {"code": "public-works", "name": "Public Works"}
        assert status["service"]["code"] == SERVICE
        assert [n["note"] for n in status["notes"]] == ["Crew booked."]
        no_personal_information(response)
        assert "pothole" not in response.text.lower()  # the description is not shown
        assert "Thanks Ada" not in response.text

    def test_a_kept_promise_says_so(self, api: Any) -> None:
        # Given an email, promised acknowledgement in 2 business days, acknowledged at once
        case = api.receive()
        api.run(case["id"], ("acknowledge", {"message": "We have your email"}))
        status = api.client.get(f"/api/v1/public/requests/{case['reference']}",
                                params={"token": case["public_token"]}).json()
        [promise] = status["promises"]
        assert (promise["state"], promise["kept"]) == ("met", True)
        assert promise["title"] == "Email acknowledged within 2 business days"

    def test_an_internal_service_is_not_named(self, api: Any) -> None:
        case = api.receive(service_code=INTERNAL)
        status = api.client.get(f"/api/v1/public/requests/{case['reference']}",
                                params={"token": case["public_token"]}).json()
        assert status["service"] is None
        assert status["department"]["name"] == "Public Works"

    def test_an_unknown_reference_is_a_404_problem(self, api: Any) -> None:
        api.problem(api.client.get("/api/v1/public/requests/SC-1999-000001"), 404)

    def test_the_page_is_accessible_html_without_personal_information(self, api: Any,
                                                                      key: str) -> None:
        case_id, reference = submit(api, key)
        response = api.client.get(f"/status/{reference}",
                                  params={"token": public_token(api, case_id)})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        page = response.text
        assert '<html lang="en-CA">' in page and f"<h1>Request {reference}</h1>" in page
        assert '<label for="reference">' in page
        assert "Public Works" in page
        no_personal_information(response)
        assert "pothole" not in page.lower()

    def test_an_unknown_reference_is_a_404_page_and_the_form_redirects(self, api: Any,
                                                                      key: str) -> None:
        missing = api.client.get("/status/SC-1999-000001")
        assert missing.status_code == 404 and "was not found" in missing.text
        case_id, reference = submit(api, key)
        token = public_token(api, case_id)
        found = api.client.get("/status", params={"reference": f" {reference.lower()} ",
                                                  "token": f" {token} "},
                               follow_redirects=False)
        assert (found.status_code, found.headers["location"]) == (
            303, f"/status/{reference}?token={token}")
        assert api.client.get(found.headers["location"]).status_code == 200
        assert api.client.get("/status").status_code == 200

    def test_a_post_answers_the_status_page_link_with_the_public_token(
            self, api: Any, key: str) -> None:
        # Given an app posts a request; when it reads the answer
        response = post(api, form(key))
        [answer] = response.json()
        case = api.case(answer["token"])
        # Then it has the status page's link, which carries the case's public token
        assert answer["status_url"] == (f"http://testserver.local/status/{case['reference']}"
                                        f"?token={case['public_token']}")
        assert api.client.get(answer["status_url"]).status_code == 200
        # and GeoReport's own token still finds the service_request_id
        [found] = api.client.get(f"/open311/v2/tokens/{answer['token']}.json").json()
        assert found["service_request_id"] == case["reference"]
