"""Appointments over HTTP: a desk's slots, booking and the rest as case commands (422 naming
`starts_at` when the desk is closed, outside its hours, in the past or full), and the desk's
daily list from its read model, on both databases.

The module shares one desk per database, with its read models followed; each test gets the
root's clock, Wed 2026-03-04 10:00 Toronto (EST, UTC-5), and books its own slots so the
tests do not take each other's places.
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Any

import pytest

from infrastructure.settings import Settings
from tests.api.conftest import ROAD_REPAIR

DESKS = "/api/v1/desks"
LINK = "https://meet.example.ca/r/7"


@pytest.fixture(scope="module")
def settings(settings: Settings) -> Settings:
    """The module's database, with the read models followed (the daily list reads one)."""
    return dataclasses.replace(settings, run_projections=True)


def slots(api: Any, **params: str) -> Any:
    return api.client.get(f"{DESKS}/victoria-hall/slots",
                          params={"service": ROAD_REPAIR, **params}, headers=api.headers())


def book(api: Any, case_id: str, starts_at: str, **extra: Any) -> Any:
    return api.post(case_id, "appointment", {"starts_at": starts_at, "mode": "in_person",
                                             "desk": "victoria-hall", **extra}, role="csr")


class TestSlots:
    def test_thursday_offers_sixteen_half_hours_from_opening(self, api: Any) -> None:
        # 08:30-16:30 is 8 h = 16 slots of 30 minutes; clocks went forward on the 8th, so
        # 08:30 EDT is 12:30 UTC and 16:30 EDT is 20:30 UTC.
        response = slots(api, **{"from": "2026-03-12", "to": "2026-03-12"})
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        assert len(items) == 16
        assert items[0]["starts_at"] == "2026-03-12T12:30:00Z"
        assert items[-1]["ends_at"] == "2026-03-12T20:30:00Z"
        assert {(i["capacity"], i["places_left"]) for i in items} == {(1, 1)}

    def test_the_weekend_and_good_friday_have_none(self, api: Any) -> None:
        # Good Friday is 2026-04-03; the 4th and 5th are a weekend.
        response = slots(api, **{"from": "2026-04-03", "to": "2026-04-05"})
        assert response.status_code == 200, response.text
        assert response.json()["items"] == []

    def test_an_unknown_desk_is_404_and_an_unknown_service_422(self, api: Any) -> None:
        api.problem(api.client.get(f"{DESKS}/firehall/slots", params={"service": ROAD_REPAIR},
                                   headers=api.headers()), 404, "not-found", "code")
        api.problem(slots(api, service="no-such-service"), 422, "invalid-value", "service")

    def test_a_range_longer_than_a_month_is_refused(self, api: Any) -> None:
        api.problem(slots(api, **{"from": "2026-03-05", "to": "2026-05-05"}), 422,
                    "invalid-value", "to")


class TestBooking:
    def test_a_booked_slot_leaves_the_list_and_shows_on_the_case_and_the_day(
            self, api: Any) -> None:
        case_id = api.receive()["id"]
        response = book(api, case_id, "2026-03-13T15:00:00Z")  # Friday 11:00 EDT
        assert response.status_code == 200, response.text
        appointment = response.json()["appointment"]
        assert appointment["state"] == "booked"
        assert appointment["ends_at"] == "2026-03-13T15:30:00Z"
        listed = slots(api, **{"from": "2026-03-13", "to": "2026-03-13"}).json()["items"]
        assert "2026-03-13T15:00:00Z" not in [i["starts_at"] for i in listed]
        day = api.client.get(f"{DESKS}/victoria-hall/appointments", params={
            "day": "2026-03-13", "min_position": response.headers["X-Civicdesk-Position"]},
            headers=api.headers("staff"))
        assert day.status_code == 200, day.text
        assert [(i["case_id"], i["state"]) for i in day.json()["items"]] == [
            (case_id, "booked")]

    def test_a_full_slot_is_a_422_naming_starts_at_and_records_nothing(
            self, api: Any) -> None:
        assert book(api, api.receive()["id"], "2026-03-13T16:00:00Z").status_code == 200
        other = api.receive()["id"]
        with api.nothing_recorded(other):
            response = book(api, other, "2026-03-13T16:00:00Z")
        problem = api.problem(response, 422, None, "starts_at")
        assert "full" in problem["detail"]

    def test_outside_hours_and_in_the_past_are_422_naming_starts_at(self, api: Any) -> None:
        case_id = api.receive()["id"]
        # 22:00 UTC is 18:00 EDT, after closing; the 2nd is past; the 14th a Saturday.
        for starts_at, words in [("2026-03-13T22:00:00Z", "not a bookable slot"),
                                 ("2026-03-02T15:00:00Z", "in the past"),
                                 ("2026-03-14T15:00:00Z", "closed on 2026-03-14")]:
            with api.nothing_recorded(case_id):
                problem = api.problem(book(api, case_id, starts_at), 422, "invalid-value",
                                      "starts_at")
            assert words in problem["detail"]

    def test_a_virtual_meeting_keeps_its_link_and_is_attended_once_begun(
            self, api: Any, clock: Any) -> None:
        case_id = api.receive(channel="virtual_meeting")["id"]
        booked = book(api, case_id, "2026-03-16T14:00:00Z", mode="virtual",
                      meeting_link=LINK)  # Monday 10:00 EDT (DST began on the 8th)
        assert booked.status_code == 200, booked.text
        assert booked.json()["appointment"]["meeting_link"] == LINK
        # Booking confirmed the request: the virtual-meeting promise is met.
        [target] = [t for t in booked.json()["targets"] if t["name"] == "acknowledge"]
        assert target["state"] == "met"
        clock.now = clock.now.replace(month=3, day=16, hour=14, minute=10)
        response = api.post(case_id, "appointment/attended", {}, role="csr")
        assert response.status_code == 200, response.text
        assert response.json()["appointment"]["state"] == "attended"

    def test_reschedule_cancel_and_no_show(self, api: Any, clock: Any) -> None:
        case_id = api.receive()["id"]
        assert book(api, case_id, "2026-03-17T13:00:00Z").status_code == 200
        moved = api.post(case_id, "appointment/reschedule",
                         {"starts_at": "2026-03-17T13:30:00Z", "reason": "asked"}, role="csr")
        assert moved.status_code == 200, moved.text
        assert moved.json()["appointment"]["starts_at"] == "2026-03-17T13:30:00Z"
        clock.now = clock.now.replace(month=3, day=17, hour=13, minute=45)
        missed = api.post(case_id, "appointment/no-show", {}, role="csr")
        assert missed.json()["appointment"]["state"] == "no_show"
        other = api.receive()["id"]
        assert book(api, other, "2026-03-18T13:00:00Z").status_code == 200
        cancelled = api.post(other, "appointment/cancel", {"reason": "resolved by phone"},
                             role="csr")
        assert cancelled.json()["appointment"]["state"] == "cancelled"

    def test_an_unknown_service_or_desk_is_a_422_naming_it(self, api: Any) -> None:
        case_id = api.receive()["id"]
        for extra, field in [({"service_code": "no-such-service"}, "service_code"),
                             ({"desk": "firehall"}, "desk")]:
            with api.nothing_recorded(case_id):
                api.problem(book(api, case_id, "2026-03-19T14:00:00Z", **extra), 422,
                            "invalid-value", field)

    def test_the_daily_list_shows_only_the_departments_the_caller_sees(
            self, api: Any) -> None:
        booked = book(api, api.receive()["id"], "2026-03-20T14:00:00Z")
        position = booked.headers["X-Civicdesk-Position"]

        def listed(departments: list[str]) -> list[str]:
            response = api.client.get(f"{DESKS}/victoria-hall/appointments", params={
                "day": "2026-03-20", "min_position": position},
                headers=api.headers("staff", departments=departments))
            assert response.status_code == 200, response.text
            return [i["reference"] for i in response.json()["items"]]

        assert listed(["public-works"]) == [booked.json()["reference"]]
        assert listed(["planning"]) == []

    def test_each_role_books_exactly_where_it_may(self, api: Any) -> None:
        # Given a Public Works case per role, and a slot of its own on Monday 2026-03-23
        # (08:30 EDT is 12:30 UTC; one half hour later per role),
        roles = ["csr", "staff", "manager", "director", "admin", "clerk", "auditor",
                 "privacy_officer"]
        actual = {}
        for i, role in enumerate(roles):
            case_id = api.receive()["id"]
            starts_at = f"2026-03-23T{12 + (30 + 30 * i) // 60:02d}:{(30 + 30 * i) % 60:02d}:00Z"
            with api.nothing_recorded() if role in {"clerk", "auditor", "privacy_officer"} \
                    else contextlib.nullcontext():
                response = api.post(case_id, "appointment", {
                    "starts_at": starts_at, "mode": "in_person"}, role=role)
            actual[role] = response.status_code
        # then the roles that act on cases book, the read-only ones are refused
        assert actual == {"csr": 200, "staff": 200, "manager": 200, "director": 200,
                          "admin": 200, "clerk": 403, "auditor": 403, "privacy_officer": 403}


class TestSlotRules:
    SERVICE = "public-works-engineering-01"  # no other test here books it

    def test_an_administrator_sets_hour_long_slots_taking_two_bookings(
            self, api: Any) -> None:
        path = f"/api/v1/services/{self.SERVICE}/appointment-rules"
        before = api.client.get(path, headers=api.headers("csr")).json()
        assert before["in_person"] == {"length_minutes": 30, "capacity": 1}
        body = {"mode": "in_person", "length_minutes": 60, "capacity": 2,
                "reason": "two planners take drop-in meetings"}
        with api.nothing_recorded():
            api.problem(api.client.put(path, json=body, headers=api.headers("csr")), 403)
        response = api.client.put(path, json=body, headers=api.headers("admin"))
        assert response.status_code == 200, response.text
        assert response.json()["in_person"] == {"length_minutes": 60, "capacity": 2}
        assert response.json()["virtual"] == {"length_minutes": 30, "capacity": 1}
        # Thursday 2026-03-19: 8 h / 60 min = 8 slots, each with two places.
        listed = api.client.get(f"{DESKS}/victoria-hall/slots", params={
            "service": self.SERVICE, "from": "2026-03-19", "to": "2026-03-19"},
            headers=api.headers()).json()["items"]
        assert len(listed) == 8 and {i["places_left"] for i in listed} == {2}

    def test_an_unknown_service_s_rules_are_404(self, api: Any) -> None:
        api.problem(api.client.get("/api/v1/services/nothing/appointment-rules",
                                   headers=api.headers()), 404, "not-found", "code")
