"""Routing over HTTP: administrators publish rules and teams, staff mark themselves away, a
new case shows the rule that routed it, and a bad rule is a problem naming the field.

The module shares one desk per database; each test publishes the rules it needs first.
"""

from __future__ import annotations

from typing import Any

import pytest

RULES = "/api/v1/admin/routing-rules"
TEAM = "/api/v1/admin/teams/community"
POTHOLES = {"id": "potholes", "description": "Road damage to the roads crew",
            "conditions": {"keywords": ["pothole"], "channels": ["email", "web_form"]},
            "actions": {"department": "community", "team": True, "priority": "high"}}
AFTER_HOURS = {"id": "after-hours",
               "conditions": {"local_from": "16:30", "local_until": "08:30"},
               "actions": {"priority": "low"}}


def publish(api: Any, rules: list[dict[str, Any]], role: str = "admin", **extra: Any) -> Any:
    return api.client.put(RULES, json={"rules": rules, **extra}, headers=api.headers(role))


class TestPublishing:
    def test_an_administrator_publishes_rules_and_reads_them_back_in_order(
            self, api: Any) -> None:
        response = publish(api, [POTHOLES, AFTER_HOURS], reason="spring routing")
        assert response.status_code == 200, response.text
        published = response.json()
        assert [(r["id"], r["version"]) for r in published["rules"]] == \
            [("potholes", 1), ("after-hours", 1)]
        read = api.client.get(RULES, headers=api.headers("auditor")).json()
        assert read == published
        assert read["rules"][1]["conditions"]["local_from"] == "16:30"

    def test_an_unchanged_rule_keeps_its_version_and_a_changed_one_gets_the_next(
            self, api: Any) -> None:
        before = {r["id"]: r["version"] for r in publish(api, [POTHOLES, AFTER_HOURS]
                                                          ).json()["rules"]}
        changed = {**AFTER_HOURS, "actions": {"priority": "normal"}}
        after = {r["id"]: r["version"] for r in publish(api, [POTHOLES, changed]
                                                         ).json()["rules"]}
        assert after == {"potholes": before["potholes"],
                         "after-hours": before["after-hours"] + 1}

    @pytest.mark.parametrize("role", ["csr", "staff", "manager", "director", "auditor"])
    def test_only_administrators_publish(self, api: Any, role: str) -> None:
        with api.nothing_recorded():
            api.problem(publish(api, [POTHOLES], role=role), 403)

    def test_reading_the_rules_is_for_operators(self, api: Any) -> None:
        api.problem(api.client.get(RULES, headers=api.headers("csr")), 403)
        api.problem(api.client.get(RULES), 401)

    @pytest.mark.parametrize(("rule", "field"), [
        ({**POTHOLES, "actions": {"department": "nowhere"}}, "rules[0].actions.department"),
        ({**POTHOLES, "conditions": {"local_from": "16:30"}},
         "rules[0].conditions.local_until"),
        ({**POTHOLES, "actions": {"assignee": "staff-1", "team": True}},
         "rules[0].actions.team"),
        ({**POTHOLES, "conditions": {"services": ["no-such-service"]}},
         "rules[0].conditions.services"),
        ({**POTHOLES, "conditions": {"desks": ["the-moon"]}}, "rules[0].conditions.desks"),
        ({**POTHOLES, "actions": {}}, "rules[0].actions"),
    ])
    def test_a_bad_rule_is_a_422_naming_the_field_and_nothing_changes(
            self, api: Any, rule: dict[str, Any], field: str) -> None:
        with api.nothing_recorded():
            api.problem(publish(api, [rule]), 422, field=field)

    @pytest.mark.parametrize(("rule", "field"), [
        ({**POTHOLES, "conditions": {"local_from": "25:00", "local_until": "08:30"}},
         "rules[0].conditions.local_from"),
        ({**POTHOLES, "colour": "red"}, "colour"),
        ({**POTHOLES, "conditions": {"channels": ["pigeon"]}}, "rules[0].conditions.channels"),
        ({**POTHOLES, "actions": {"priority": "asap"}}, "rules[0].actions.priority"),
        ({**POTHOLES, "id": "has spaces"}, "rules[0].id"),
    ])
    def test_a_malformed_rule_is_a_400_naming_the_field(
            self, api: Any, rule: dict[str, Any], field: str) -> None:
        with api.nothing_recorded():
            problem = api.problem(publish(api, [rule]), 400)
        assert any(field in p["name"] for p in problem["invalid_params"]), problem

    def test_a_stale_expected_version_is_a_409(self, api: Any) -> None:
        version = publish(api, [POTHOLES]).json()["version"]
        with api.nothing_recorded():
            api.problem(publish(api, [AFTER_HOURS], expected_version=version - 1), 409)


class TestRoutingACase:
    def test_a_new_case_shows_the_rule_that_routed_it_in_its_view_and_history(
            self, api: Any) -> None:
        assert api.client.put(TEAM, json={"members": ["staff-amy", "staff-ben"]},
                              headers=api.headers("admin")).status_code == 200
        rules = publish(api, [POTHOLES, AFTER_HOURS]).json()
        version = {r["id"]: r["version"] for r in rules["rules"]}["potholes"]
        # Received Wednesday 10:00 Toronto by email, "Pothole" in the subject: potholes wins.
        case = api.receive()
        assert (case["department"], case["priority"]) == ("community", "high")
        assert case["assignee"] in {"staff-amy", "staff-ben"}
        assert case["routed_by"]["rule_id"] == "potholes"
        assert case["routed_by"]["rule_version"] == version
        assert case["routed_by"]["rules_version"] == rules["version"]
        viewed = api.case(case["id"])  # read again, as staff would later
        assert (viewed["routed_by"], viewed["priority"]) == (case["routed_by"], "high")
        [routed] = [e for e in api.history(case["id"])["events"]
                    if e["type"] == "Case.RoutedByRule"]
        assert (routed["data"]["rule_id"], routed["data"]["rule_version"]) == \
            ("potholes", version)
        assert routed["actor_id"] == "civicdesk-routing"


    def test_staff_receiving_a_case_a_rule_routes_elsewhere_get_their_answer_then_lose_sight(
            self, api: Any) -> None:
        publish(api, [POTHOLES])
        # A public works clerk takes a pothole call; the rule sends it to Community Services.
        case = api.receive(role="staff")
        assert case["department"] == "community"
        # From now on it is another department's case: not found to them, as after a transfer.
        api.problem(api.client.get(f"{api.cases}/{case['id']}", headers=api.headers("staff")),
                    404)


class TestAbsenceCover:
    def test_staff_mark_themselves_away_and_back_and_the_team_shows_it(self, api: Any) -> None:
        api.client.put(TEAM, json={"members": ["staff-amy", "staff-ben"]},
                       headers=api.headers("admin"))
        me = api.headers("staff", sub="staff-amy")
        response = api.client.post("/api/v1/staff/staff-amy/away",
                                   json={"reason": "annual leave"}, headers=me)
        assert response.status_code == 200, response.text
        assert response.json()["away"] is True
        team = api.client.get(TEAM, headers=api.headers("admin")).json()
        assert team["members"][0] == {"staff_id": "staff-amy", "away": True,
                                      "away_reason": "annual leave"}
        # A CSR sees that she is away, not why: that is hers and the administrators'.
        team = api.client.get(TEAM, headers=api.headers("csr")).json()
        assert team["members"][0] == {"staff_id": "staff-amy", "away": True,
                                      "away_reason": None}
        with api.nothing_recorded():
            api.problem(api.client.post("/api/v1/staff/staff-amy/away",
                                        json={"reason": "again"}, headers=me), 422)
        assert api.client.post("/api/v1/staff/staff-amy/back", headers=me).json()["away"] \
            is False

    def test_nobody_else_but_an_administrator_marks_someone_away(self, api: Any) -> None:
        with api.nothing_recorded():
            api.problem(api.client.post("/api/v1/staff/staff-ben/away",
                                        json={"reason": "I think he is off"},
                                        headers=api.headers("manager", sub="mgr-1")), 403)

    def test_a_team_for_an_unknown_department_is_a_404(self, api: Any) -> None:
        with api.nothing_recorded():
            api.problem(api.client.put("/api/v1/admin/teams/nowhere", json={"members": []},
                                       headers=api.headers("admin")), 404)
