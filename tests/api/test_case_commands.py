"""Every case command over HTTP: its happy path, and each rule it enforces recording nothing."""

from __future__ import annotations

import re
from typing import Any

# The clock stands at Wednesday 2026-03-04 15:00 UTC (10:00 Toronto); cases in these tests were
# received on the Monday, so commands can be dated anywhere in between.
RECEIVED = "2026-03-02T14:30:00Z"
MONDAY_NOON = "2026-03-02T17:00:00Z"
TUESDAY = "2026-03-03T15:00:00Z"
NOW = "2026-03-04T15:00:00Z"
TOMORROW = "2026-03-05T15:00:00Z"


def received(api: Any, **overrides: Any) -> str:
    case_id: str = api.receive(received_at=RECEIVED, **overrides)["id"]
    return case_id


def next_reference(reference: str) -> str:
    prefix, number = reference.rsplit("-", 1)
    return f"{prefix}-{int(number) + 1:06d}"


def refused(api: Any, case_id: str | None, route: str, body: Any, status: int, kind: str,
            field: str | None = None) -> dict[str, Any]:
    """Posts a command that must be refused, and proves the refusal recorded nothing."""
    with api.nothing_recorded(case_id):
        if route == "receive":
            response = api.client.post(api.cases, json=body, headers=api.headers("csr"))
        else:
            response = api.post(case_id, route, body)
    problem: dict[str, Any] = api.problem(response, status, kind, field)
    return problem


class TestReceive:
    def test_a_contact_becomes_an_open_case_with_a_reference_owned_by_the_service(
            self, api: Any) -> None:
        # given the Appendix IV catalogue; when the front desk records an email about a road
        response = api.client.post(api.cases, json=api.new_case_body(),
                                   headers=api.headers("csr", sub="csr-ada"))
        # then it is an open case with a reference of this year, owned by Public Works
        assert response.status_code == 201, response.text
        case = response.json()
        assert re.fullmatch(r"SC-2026-\d{6}", case["reference"])
        assert (case["status"], case["department"]) == ("open", "public-works")
        assert case["service_code"] == "public-works-roads-01"
        assert (case["channel"], case["purpose"]) == ("email", "tangible_service")
        assert case["received_at"] == NOW
        assert case["contact"] == {"name": "Ada Lovelace", "email": "ada@example.org"}
        assert case["recorded_by"] == "csr-ada"
        assert int(response.headers["x-civicdesk-position"]) == api.desk.log_position()
        # and its version counts the events recorded, the first being its receipt
        events = api.history(case["id"])["events"]
        assert case["version"] == len(events)
        assert (events[0]["type"], events[0]["actor_id"]) == ("Case.Received", "csr-ada")
        # and the next contact gets the next reference
        assert api.receive()["reference"] == next_reference(case["reference"])

    def test_a_letter_keeps_its_earlier_received_stamp(self, api: Any) -> None:
        # given a letter stamped Received on Monday and entered on Wednesday
        case = api.receive(channel="written", received_at="2026-03-02T09:45:00-05:00",
                           service_code=None, department="planning",
                           accessibility_needs="Large print replies")
        # then the case keeps Monday's stamp (in UTC) and the department it was sent to
        assert case["received_at"] == "2026-03-02T14:45:00Z"
        assert (case["department"], case["service_code"]) == ("planning", None)
        assert case["accessibility_needs"] == "Large print replies"

    def test_a_contact_the_desk_cannot_route_or_date_is_refused(self, api: Any) -> None:
        # given each way a new contact can break the desk's rules; then each is a 422 naming
        # the field at fault, and no case (or reference) is recorded
        last = api.receive()
        for overrides, kind, field in [
            ({"service_code": "public-works-roads-99"}, "invalid-value", "service_code"),
            ({"department": "planning"}, "invalid-value", "department"),
            ({"service_code": None}, "invalid-value", "department"),
            ({"service_code": None, "department": "parks"}, "invalid-value", "department"),
            ({"subject": "   "}, "invalid-value", "subject"),
            ({"received_at": TOMORROW}, "invalid-value", "received_at"),
            ({"received_at": "2026-03-02T09:45:00"}, "invalid-value", "received_at"),
        ]:
            refused(api, None, "receive", api.new_case_body(**overrides), 422, kind, field)
        # and no reference was used up
        assert api.receive()["reference"] == next_reference(last["reference"])


class TestInteractions:
    def test_an_interaction_is_counted_with_its_staff_effort(self, api: Any) -> None:
        # given a case; when two interactions are logged, one timed at the counter
        case_id = received(api)
        version = api.case(case_id)["version"]
        api.post(case_id, "interactions", {"channel": "in_person", "direction": "inbound",
                                           "summary": "Came to Victoria Hall",
                                           "effort_minutes": 12, "wait_seconds": 240})
        response = api.post(case_id, "interactions",
                            {"channel": "email", "direction": "outbound",
                             "summary": "Sent the work order number", "effort_minutes": 3,
                             "occurred_at": TUESDAY})
        # then both count, with 15 minutes of effort
        assert response.status_code == 200, response.text
        case = response.json()
        assert (case["interactions"], case["effort_minutes"]) == (2, 15)
        assert case["version"] == version + 2

    def test_an_interaction_that_breaks_a_rule_records_nothing(self, api: Any) -> None:
        # given an emailed case; when interactions break each rule; then each is refused
        case_id = received(api)
        base = {"channel": "email", "direction": "inbound", "summary": "Follow-up"}
        for body, field in [
            ({**base, "wait_seconds": 30}, "wait_seconds"),  # waits are timed only live
            ({**base, "summary": " "}, "summary"),
            ({**base, "occurred_at": "2026-03-01T12:00:00Z"}, "occurred_at"),  # before receipt
        ]:
            refused(api, case_id, "interactions", body, 422, "invalid-value", field)


class TestAssign:
    def test_a_case_is_assigned_to_a_staff_member(self, api: Any) -> None:
        # given a case as a client last read it
        case = api.receive(received_at=RECEIVED)
        # when it is assigned at that version; then the assignee is recorded as one event
        response = api.post(case["id"], "assign", {"assignee": "staff-7",
                                                   "expected_version": case["version"]})
        assert response.status_code == 200, response.text
        assert (response.json()["assignee"], response.json()["version"]) == (
            "staff-7", case["version"] + 1)

    def test_assigning_the_same_person_twice_or_no_one_or_a_closed_case_records_nothing(
            self, api: Any) -> None:
        # given a case assigned to staff-7; when it is assigned to them again, to no one, or
        # after it closed; then each is refused
        case_id = received(api)
        api.run(case_id, ("assign", {"assignee": "staff-7"}))
        refused(api, case_id, "assign", {"assignee": "staff-7"}, 422, "rule-violated",
                "assignee")
        refused(api, case_id, "assign", {"assignee": "  "}, 422, "invalid-value", "assignee")
        api.run(case_id, ("resolve", {"resolution": "Filled"}), ("close", {}))
        refused(api, case_id, "assign", {"assignee": "staff-8"}, 422, "case-closed")


class TestTransfer:
    def test_a_warm_transfer_hands_the_case_to_the_new_department_unassigned(
            self, api: Any) -> None:
        # given an assigned Public Works case
        case_id = received(api)
        api.run(case_id, ("assign", {"assignee": "staff-7"}))
        # when it is warmly transferred to Community Services
        response = api.post(case_id, "transfer", {
            "to_department": "community", "warm": True, "customer_informed": True,
            "handover_note": "The path is in Victoria Park, not a road"})
        # then Community Services owns it, unassigned, after one transfer
        assert response.status_code == 200, response.text
        case = response.json()
        assert (case["department"], case["assignee"], case["transfers"]) == (
            "community", None, 1)
        # and a cold transfer needs no handover note
        case = api.run(case_id, ("transfer", {"to_department": "planning", "warm": False}))
        assert (case["department"], case["transfers"]) == ("planning", 2)

    def test_a_transfer_that_breaks_a_rule_records_nothing(self, api: Any) -> None:
        # given a Public Works case; when it is transferred to itself, warmly without a note,
        # to no department, or after it closed; then each is refused
        case_id = received(api)
        for body, kind, field in [
            ({"to_department": "public-works", "warm": False}, "rule-violated",
             "to_department"),
            ({"to_department": "community", "warm": True, "handover_note": " "},
             "invalid-value", "handover_note"),
            ({"to_department": "parks", "warm": False}, "invalid-value", "to_department"),
        ]:
            refused(api, case_id, "transfer", body, 422, kind, field)
        api.run(case_id, ("resolve", {"resolution": "Filled"}), ("close", {}))
        refused(api, case_id, "transfer", {"to_department": "community", "warm": False}, 422,
                "case-closed")


class TestAcknowledge:
    def test_acknowledging_records_when_the_customer_was_answered(self, api: Any) -> None:
        # given a case received Monday morning; when it is acknowledged as of Monday noon
        case_id = received(api)
        response = api.post(case_id, "acknowledge",
                            {"message": "We have your request", "occurred_at": MONDAY_NOON})
        assert response.status_code == 200, response.text
        # then that is when the customer was answered
        assert response.json()["acknowledged_at"] == MONDAY_NOON

    def test_a_case_is_acknowledged_once_and_never_when_closed(self, api: Any) -> None:
        # given an acknowledged case and a closed one; when either is acknowledged; then no
        case_id = received(api)
        api.run(case_id, ("acknowledge", {}))
        refused(api, case_id, "acknowledge", {}, 422, "rule-violated")
        closed_id = received(api)
        api.run(closed_id, ("resolve", {"resolution": "Answered"}), ("close", {}))
        refused(api, closed_id, "acknowledge", {}, 422, "case-closed")

    def test_a_command_cannot_be_dated_in_the_future_or_before_the_case(
            self, api: Any) -> None:
        # given a case received Monday 14:30 UTC and the clock at Wednesday 15:00 UTC
        case_id = received(api)
        # when a command is dated tomorrow, or a second before receipt; then it is refused
        refused(api, case_id, "acknowledge", {"occurred_at": TOMORROW}, 422, "invalid-value",
                "occurred_at")
        refused(api, case_id, "acknowledge", {"occurred_at": "2026-03-02T14:29:59Z"}, 422,
                "invalid-value", "occurred_at")


class TestInterimResponse:
    def test_an_interim_response_is_recorded_on_an_open_case(self, api: Any) -> None:
        # given an open letter case; when an interim response is sent; then it is recorded
        case_id = received(api, channel="written")
        response = api.post(case_id, "interim-response",
                            {"explanation": "We need a survey of the road first"})
        assert response.status_code == 200, response.text
        assert api.history(case_id)["events"][-1]["type"] == "Case.InterimResponseSent"

    def test_no_interim_response_once_resolved_or_without_an_explanation(
            self, api: Any) -> None:
        # given an open, then resolved, case; when an interim response breaks a rule; then no
        case_id = received(api)
        refused(api, case_id, "interim-response", {"explanation": " "}, 422, "invalid-value",
                "explanation")
        api.run(case_id, ("resolve", {"resolution": "Filled"}))
        refused(api, case_id, "interim-response", {"explanation": "Still working"}, 422,
                "rule-violated")


class TestWaitingOnTheCustomer:
    def test_a_case_waits_on_the_customer_until_they_respond(self, api: Any) -> None:
        # given an open case; when it waits on the customer, then hears back; then it reopens
        case_id = received(api)
        waiting = api.run(case_id, ("wait", {"reason": "Asked for a photo"}))
        assert waiting["status"] == "waiting_on_customer"
        response = api.post(case_id, "customer-responded", {"summary": "Photo received"})
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "open"

    def test_only_an_open_case_waits_and_only_a_waiting_case_hears_back(
            self, api: Any) -> None:
        # given a case open, then waiting, then resolved; when each out-of-turn step comes; then no
        case_id = received(api)
        refused(api, case_id, "customer-responded", {}, 422, "rule-violated")
        refused(api, case_id, "wait", {"reason": " "}, 422, "invalid-value", "reason")
        api.run(case_id, ("wait", {"reason": "Asked for a photo"}))
        refused(api, case_id, "wait", {"reason": "Again"}, 422, "rule-violated")
        api.run(case_id, ("customer-responded", {}), ("resolve", {"resolution": "Filled"}))
        refused(api, case_id, "wait", {"reason": "After resolution"}, 422, "rule-violated")


class TestResolve:
    def test_a_case_resolved_on_its_only_contact_counts_as_first_contact_resolution(
            self, api: Any) -> None:
        # given a call; when it is resolved on that call; then it counts as first-contact
        case_id = received(api, channel="telephone")
        response = api.post(case_id, "resolve", {"resolution": "Told the pickup day",
                                                  "at_first_contact": True})
        assert response.status_code == 200, response.text
        case = response.json()
        assert (case["status"], case["resolved_at"]) == ("resolved", NOW)
        assert case["resolved_at_first_contact"] is True

    def test_a_resolution_that_breaks_a_rule_records_nothing(self, api: Any) -> None:
        # given a transferred case; when resolved out of the rules at each stage; then refused
        case_id = received(api)
        api.run(case_id, ("transfer", {"to_department": "community", "warm": False}))
        refused(api, case_id, "resolve", {"resolution": "Done", "at_first_contact": True},
                422, "rule-violated", "at_first_contact")
        refused(api, case_id, "resolve", {"resolution": " "}, 422, "invalid-value",
                "resolution")
        api.run(case_id, ("resolve", {"resolution": "Done"}))
        refused(api, case_id, "resolve", {"resolution": "Done again"}, 422, "rule-violated")
        api.run(case_id, ("close", {}))
        refused(api, case_id, "resolve", {"resolution": "Done"}, 422, "case-closed")


class TestReopenAndClose:
    def test_a_resolved_case_closes_and_a_closed_case_reopens_afresh(self, api: Any) -> None:
        # given a resolved case; when it is closed, then reopened; then it is open and unresolved
        case_id = received(api)
        api.run(case_id, ("resolve", {"resolution": "Filled"}))
        closed = api.post(case_id, "close", {})
        assert closed.status_code == 200, closed.text
        assert (closed.json()["status"], closed.json()["closed_at"]) == ("closed", NOW)
        reopened = api.post(case_id, "reopen", {"reason": "The pothole is back"})
        assert reopened.status_code == 200, reopened.text
        case = reopened.json()
        assert (case["status"], case["resolved_at"], case["closed_at"]) == ("open", None, None)

    def test_only_a_resolved_case_closes_and_only_a_finished_case_reopens(
            self, api: Any) -> None:
        # given an open, then resolved, then closed case; when closed or reopened out of turn
        case_id = received(api)
        refused(api, case_id, "close", {}, 422, "rule-violated")
        refused(api, case_id, "reopen", {"reason": "Nothing to reopen"}, 422, "rule-violated")
        api.run(case_id, ("resolve", {"resolution": "Filled"}))
        refused(api, case_id, "reopen", {"reason": " "}, 422, "invalid-value", "reason")
        api.run(case_id, ("close", {}))
        refused(api, case_id, "close", {}, 422, "case-closed")


class TestClassify:
    def test_a_complaint_starts_at_the_front_line_and_feedback_has_no_ladder(
            self, api: Any) -> None:
        # given a case; when it is classified a complaint, then feedback; then its ladder follows
        case_id = received(api)
        complaint = api.post(case_id, "classify", {"classification": "complaint"})
        assert complaint.status_code == 200, complaint.text
        assert (complaint.json()["classification"], complaint.json()["escalation_level"]) == (
            "complaint", "front_line")
        feedback = api.run(case_id, ("classify", {"classification": "feedback"}))
        assert (feedback["classification"], feedback["escalation_level"]) == ("feedback", None)

    def test_a_classification_that_breaks_a_rule_records_nothing(self, api: Any) -> None:
        # given a complaint, then escalated, and a closed case; when (re)classified; then refused
        case_id = received(api)
        api.run(case_id, ("classify", {"classification": "complaint"}))
        refused(api, case_id, "classify", {"classification": "complaint"}, 422,
                "rule-violated", "classification")
        api.run(case_id, ("escalate", {"to_level": "department_manager", "reason": "Unhappy",
                                       "owner": "manager-1"}))
        refused(api, case_id, "classify", {"classification": "feedback"}, 422,
                "rule-violated", "classification")
        closed_id = received(api)
        api.run(closed_id, ("resolve", {"resolution": "Done"}), ("close", {}))
        refused(api, closed_id, "classify", {"classification": "complaint"}, 422,
                "case-closed")


class TestEscalate:
    def test_a_complaint_climbs_the_ladder_one_level_at_a_time(self, api: Any) -> None:
        # given a complaint; when it is escalated rung by rung; then each step is recorded
        case_id = received(api)
        api.run(case_id, ("classify", {"classification": "complaint"}))
        case: dict[str, Any] = {}
        for level in ["department_manager", "director", "cao", "ombudsman"]:
            response = api.post(case_id, "escalate", {"to_level": level, "reason": "Unhappy",
                                                      "owner": f"{level}-owner"})
            assert response.status_code == 200, response.text
            case = response.json()
        assert case["escalation_level"] == "ombudsman"
        assert [(e["from_level"], e["to_level"]) for e in case["escalations"]] == [
            ("front_line", "department_manager"), ("department_manager", "director"),
            ("director", "cao"), ("cao", "ombudsman")]
        assert case["escalations"][0]["owner"] == "department_manager-owner"
        # and nothing lies beyond the Ontario Ombudsman
        refused(api, case_id, "escalate", {"to_level": "ombudsman", "reason": "More",
                                           "owner": "x"}, 422, "rule-violated", "to_level")

    def test_an_escalation_that_breaks_a_rule_records_nothing(self, api: Any) -> None:
        # given a case not yet a complaint, then a complaint, then closed; when escalated wrongly
        case_id = received(api)
        body = {"to_level": "department_manager", "reason": "Unhappy", "owner": "manager-1"}
        refused(api, case_id, "escalate", body, 422, "not-a-complaint")
        api.run(case_id, ("classify", {"classification": "complaint"}))
        refused(api, case_id, "escalate", {**body, "to_level": "director"}, 422,
                "rule-violated", "to_level")
        refused(api, case_id, "escalate", {**body, "reason": " "}, 422, "invalid-value",
                "reason")
        api.run(case_id, ("resolve", {"resolution": "Done"}), ("close", {}))
        refused(api, case_id, "escalate", body, 422, "case-closed")

    def test_escalating_a_resolved_complaint_reopens_it_without_a_stale_resolution(
            self, api: Any) -> None:
        # given a complaint resolved at first contact
        case_id = received(api, channel="telephone")
        api.run(case_id, ("classify", {"classification": "complaint"}),
                ("resolve", {"resolution": "Apologised", "at_first_contact": True}))
        # when the customer escalates it
        case = api.run(case_id, ("escalate", {"to_level": "department_manager",
                                              "reason": "Not good enough",
                                              "owner": "manager-1"}))
        # then it is open again, and no longer reads as resolved
        assert case["status"] == "open"
        assert (case["resolved_at"], case["resolved_at_first_contact"]) == (None, False)


class TestDebrief:
    def test_a_manager_debriefs_an_escalated_complaint_once_it_is_resolved(
            self, api: Any) -> None:
        # given an escalated complaint now resolved; when its manager debriefs it; then recorded
        case_id = received(api)
        api.run(case_id, *api.routes["debrief"][0])
        response = api.post(case_id, "debrief", api.routes["debrief"][1], role="manager")
        assert response.status_code == 200, response.text
        assert response.json()["debriefed"] is True
        assert api.history(case_id)["events"][-1]["data"]["cause"] == "Work order lost"

    def test_a_debrief_out_of_turn_records_nothing(self, api: Any) -> None:
        # given a complaint at each stage before and after its debrief; when debriefed; then no
        body = {"cause": "Lost work order", "actions": "Tracking"}
        case_id = received(api)
        refused(api, case_id, "debrief", body, 422, "not-a-complaint")
        api.run(case_id, ("classify", {"classification": "complaint"}))
        refused(api, case_id, "debrief", body, 422, "rule-violated")  # not escalated
        api.run(case_id, ("escalate", {"to_level": "department_manager", "reason": "Unhappy",
                                       "owner": "manager-1"}))
        refused(api, case_id, "debrief", body, 422, "rule-violated")  # not yet resolved
        api.run(case_id, ("resolve", {"resolution": "Done"}))
        refused(api, case_id, "debrief", {**body, "actions": " "}, 422, "invalid-value",
                "actions")
        api.run(case_id, ("debrief", body))
        refused(api, case_id, "debrief", body, 422, "rule-violated")  # already debriefed


class TestAccommodations:
    def test_an_accommodation_is_requested_then_provided(self, api: Any) -> None:
        # given a case; when an accommodation is requested, then provided; then both recorded
        case_id = received(api)
        requested = api.post(case_id, "accommodations",
                             {"action": "request", "need": "ASL interpreter"})
        provided = api.post(case_id, "accommodations",
                            {"action": "provide", "number": 1, "how": "Booked for Friday"})
        assert (requested.status_code, provided.status_code) == (200, 200), provided.text
        events = api.history(case_id)["events"]
        assert [e["type"] for e in events[-2:]] == ["Case.AccommodationRequested",
                                                   "Case.AccommodationProvided"]
        assert events[-2]["data"] == {"number": 1, "need": "ASL interpreter"}
        assert events[-1]["data"] == {"number": 1, "how": "Booked for Friday"}

    def test_an_accommodation_that_breaks_a_rule_records_nothing(self, api: Any) -> None:
        # given a case with no, then one provided, accommodation; when each rule is broken
        case_id = received(api)
        for body, kind, field in [
            ({"action": "request"}, "invalid-value", "need"),
            ({"action": "provide", "how": "Booked"}, "invalid-value", "number"),
            ({"action": "provide", "number": 1}, "invalid-value", "how"),
            ({"action": "provide", "number": 1, "how": "Booked"}, "invalid-value", "number"),
        ]:
            refused(api, case_id, "accommodations", body, 422, kind, field)
        api.run(case_id, ("accommodations", {"action": "request", "need": "Large print"}),
                ("accommodations", {"action": "provide", "number": 1, "how": "Printed"}))
        refused(api, case_id, "accommodations", {"action": "provide", "number": 1,
                                                 "how": "Again"}, 422, "rule-violated",
                "number")
        api.run(case_id, ("resolve", {"resolution": "Done"}), ("close", {}))
        refused(api, case_id, "accommodations", {"action": "request", "need": "Braille"},
                422, "case-closed")


class TestSurvey:
    def test_a_survey_answer_records_its_scores(self, api: Any) -> None:
        # given a resolved case; when staff record the customer's survey answer; then the
        # three scores are kept, marked as entered by staff
        case_id = received(api)
        api.run(case_id, ("resolve", {"resolution": "Filled"}))
        response = api.post(case_id, "survey", {"csat": 5, "nps": 10, "ces": 1,
                                                "comment": "Fixed in a day"})
        assert response.status_code == 200, response.text
        event = api.history(case_id)["events"][-1]
        assert event["type"] == "Case.SurveyAnswered"
        assert event["data"] == {"csat": 5, "nps": 10, "ces": 1, "comment": "Fixed in a day",
                                 "given_by": "staff"}

    def test_a_survey_needs_a_score_within_its_scale(self, api: Any) -> None:
        # given a resolved case; when a survey has no score or one off its scale; then it is
        # refused
        case_id = received(api)
        api.run(case_id, ("resolve", {"resolution": "Filled"}))
        refused(api, case_id, "survey", {"comment": "No scores"}, 422, "invalid-value",
                "csat")
        for body, field in [({"csat": 6}, "csat"), ({"nps": -1}, "nps"), ({"ces": 8}, "ces"),
                            ({"csat": 0, "nps": 5}, "csat")]:
            refused(api, case_id, "survey", body, 400, "validation", field)

    def test_a_survey_on_an_open_case_is_refused(self, api: Any) -> None:
        # given a case still open; when a survey answer arrives; then 422 case-not-resolved,
        # naming the status, and nothing is recorded
        case_id = received(api)
        problem = refused(api, case_id, "survey", {"csat": 5, "comment": ""}, 422,
                          "case-not-resolved", "status")
        assert "only once the case is resolved or closed" in problem["detail"]

    def test_the_case_view_shows_every_answer_and_which_were_superseded(self,
                                                                        api: Any) -> None:
        # given a resolved case answered twice, (csat 2, nps 3) then (nps 10)
        case_id = received(api)
        api.run(case_id, ("resolve", {"resolution": "Filled"}),
                ("survey", {"csat": 2, "nps": 3, "comment": ""}),
                ("survey", {"nps": 10, "comment": ""}))
        # when staff read the case; then both answers show, the first superseded in nps only
        view = api.client.get(f"{api.cases}/{case_id}", headers=api.headers("csr")).json()
        assert [(a["csat"], a["nps"], a["ces"], a["superseded"]) for a in view["surveys"]] == [
            (2, 3, None, ["nps"]), (None, 10, None, [])]
