"""Desk opening hours over HTTP: everyone reads them, administrators change them from a date on.

The module shares one desk per database; the clock is the root fixture's, Wed 2026-03-04
10:00 Toronto (EST, UTC-5). Hours changes here go to Venture 13 and the Community Centre only,
and cases are received at the Marina, whose hours no test changes.
"""

from __future__ import annotations

from typing import Any

import pytest

DESKS = "/api/v1/desks"
CASES = "/api/v1/cases"
NOT_ADMINS = ["csr", "staff", "manager", "director", "clerk", "auditor"]
DEFAULT_HOURS = {"opens": "08:30", "closes": "16:30",
                 "weekdays": ["monday", "tuesday", "wednesday", "thursday", "friday"],
                 "timezone": "America/Toronto"}
# From Mon 2026-03-09 (the Monday after "today"), Venture 13 opens 10:00-18:00 Mon-Sat.
LONGER = {"opens": "10:00", "closes": "18:00",
          "weekdays": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday"],
          "effective_from": "2026-03-09", "reason": "co-working members asked for evenings"}


def desk_of(api: Any, code: str, role: str = "csr") -> dict[str, Any]:
    response = api.client.get(f"{DESKS}/{code}", headers=api.headers(role))
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def change(api: Any, code: str, body: dict[str, Any], role: str = "admin") -> Any:
    return api.client.post(f"{DESKS}/{code}/hours", json=body, headers=api.headers(role))


class TestReadingHours:
    def test_every_desk_is_listed_with_its_hours_today_and_none_scheduled(
            self, api: Any) -> None:
        # given the seeded desks
        response = api.client.get(DESKS, headers=api.headers("clerk"))
        assert response.status_code == 200, response.text
        marina = next(d for d in response.json()["items"] if d["code"] == "marina-campground")
        # then each shows the hours in force today
        assert marina["hours"]["timezone"] == "America/Toronto"
        assert marina["scheduled_changes"] == []
        assert desk_of(api, "victoria-hall")["hours"] == DEFAULT_HOURS

    def test_an_unknown_desk_is_a_404_naming_the_code(self, api: Any) -> None:
        response = api.client.get(f"{DESKS}/firehall", headers=api.headers())
        api.problem(response, 404, "not-found", "code")


class TestChangingHours:
    def test_an_administrator_schedules_new_hours_from_next_monday(self, api: Any) -> None:
        # when an administrator changes Venture 13's hours from Mon 03-09
        response = change(api, "venture-13", LONGER)
        # then the change is recorded and shown as scheduled; today's hours stay
        assert response.status_code == 201, response.text
        desk = response.json()
        assert desk["hours"] == DEFAULT_HOURS
        [scheduled] = desk["scheduled_changes"]
        assert scheduled["effective_from"] == "2026-03-09"
        assert scheduled["hours"] == {"opens": "10:00", "closes": "18:00",
                                      "weekdays": LONGER["weekdays"],
                                      "timezone": "America/Toronto"}
        assert scheduled["reason"] == LONGER["reason"]
        assert desk_of(api, "venture-13", "auditor") == desk
        # and from Monday on, the desk's hours are the new ones
        api.desk.clock.now = api.desk.clock.now.replace(day=9)
        assert desk_of(api, "venture-13")["hours"]["opens"] == "10:00"
        assert desk_of(api, "venture-13")["scheduled_changes"] == []

    @pytest.mark.parametrize("role", NOT_ADMINS)
    def test_no_other_role_may_change_hours(self, api: Any, role: str) -> None:
        with api.nothing_recorded():
            api.problem(change(api, "community-centre", LONGER, role), 403)

    @pytest.mark.parametrize(("change_of", "status", "field"), [
        ({"opens": "18:00", "closes": "10:00"}, 422, "closes"),
        ({"weekdays": ["monday", "funday"]}, 400, "weekdays[1]"),
        ({"weekdays": []}, 400, "weekdays"),
        ({"opens": "8:30"}, 400, "opens"),
        ({"effective_from": "2026-03-03"}, 422, "effective_from"),
        ({"timezone": "America/Cobourg"}, 422, "timezone"),
        ({"reason": ""}, 400, "reason"),
        ({"closing": "18:00"}, 400, "closing"),
    ], ids=["closes-before-opens", "unknown-weekday", "no-weekday", "malformed-time",
            "retroactive", "unknown-time-zone", "no-reason", "unknown-field"])
    def test_bad_input_is_a_problem_naming_the_field_and_changes_nothing(
            self, api: Any, change_of: dict[str, Any], status: int, field: str) -> None:
        before = desk_of(api, "community-centre")
        with api.nothing_recorded():
            api.problem(change(api, "community-centre", {**LONGER, **change_of}), status,
                        field=field)
        assert desk_of(api, "community-centre") == before

    def test_an_unknown_desk_is_a_404_and_changes_nothing(self, api: Any) -> None:
        with api.nothing_recorded():
            api.problem(change(api, "firehall", LONGER), 404, "not-found", "code")


class TestReceivingAtADesk:
    def test_a_case_received_at_a_desk_shows_it_and_so_does_each_target(
            self, api: Any) -> None:
        # when an email is recorded at the Marina desk
        case = api.receive(desk="marina-campground")
        # then the case and its acknowledgement name the Marina
        assert case["desk"] == "marina-campground"
        assert [t["desk"] for t in case["targets"]] == ["marina-campground"]
        assert api.case(case["id"])["desk"] == "marina-campground"

    def test_without_a_desk_the_case_is_the_central_desks(self, api: Any) -> None:
        case = api.receive()
        assert case["desk"] == "victoria-hall"

    def test_an_unknown_desk_is_a_422_naming_the_field_and_records_nothing(
            self, api: Any) -> None:
        with api.nothing_recorded():
            response = api.client.post(CASES, json=api.new_case_body(desk="firehall"),
                                       headers=api.headers())
            api.problem(response, 422, "invalid-value", "desk")

    def test_a_case_history_shows_the_desk_of_the_case_and_its_targets(
            self, api: Any) -> None:
        case = api.receive(desk="marina-campground")
        history = api.history(case["id"])
        assert history["state"]["desk"] == "marina-campground"
        assert history["events"][0]["data"]["desk"] == "marina-campground"
        assert {t["desk"] for step in history["events"] for t in step["targets"]} == {
            "marina-campground"}
