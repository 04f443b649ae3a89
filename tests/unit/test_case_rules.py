"""The desk's rules on a Case, checked on the aggregate alone: no database, no HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.actors import Actor, Role
from domain.cases import Case
from domain.errors import CaseIsClosed, InvalidValue, NotAComplaint, RuleViolated
from domain.surveys import CaseNotResolved

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
CSR = Actor(id="csr-ana", role=Role.CSR)
MANAGER = Actor(id="mgr-tom", role=Role.MANAGER, departments=frozenset({"public-works"}))


def a_case(**overrides: Any) -> Case:
    fields: dict[str, Any] = dict(
        reference="SC-2026-000001", channel="email", occurred_at=NOW - timedelta(hours=2),
        purpose="issue_or_complaint", service_code="public-works-roads-01",
        department="public-works", subject="Pothole on King Street", description="Deep hole",
        customer_id=None,
        actor=CSR, now=NOW)
    fields.update(overrides)
    return Case.receive(**fields)


def when(**extra: Any) -> dict[str, Any]:
    return {"actor": CSR, "occurred_at": NOW, "now": NOW, **extra}


def a_resolved_case() -> Case:
    case = a_case()
    case.resolve(resolution="Patched", at_first_contact=False, **when())
    return case


def pending_events(case: Case) -> list[str]:
    return [type(e).__name__ for e in case.collect_events()]


def an_escalated_complaint() -> Case:
    case = a_case()
    case.classify(classification="complaint", reason="unhappy with delay", **when())
    case.escalate(to_level="department_manager", reason="no reply", owner="mgr-tom",
                  **when(actor=MANAGER))
    return case


class TestReceiving:
    def test_a_received_case_is_open_and_remembers_who_recorded_it(self) -> None:
        case = a_case()
        assert case.status == "open"
        assert case.recorded_by == "csr-ana"
        assert pending_events(case) == ["Received"]

    def test_a_letter_stamped_received_yesterday_keeps_its_stamp(self) -> None:
        stamp = NOW - timedelta(days=1)
        case = a_case(channel="written", occurred_at=stamp)
        assert case.received_at == stamp

    def test_a_contact_cannot_be_received_in_the_future(self) -> None:
        with pytest.raises(InvalidValue, match="future"):
            a_case(occurred_at=NOW + timedelta(minutes=1))

    def test_an_unknown_channel_is_refused_with_the_allowed_ones(self) -> None:
        with pytest.raises(InvalidValue, match="channel must be one of") as refused:
            a_case(channel="carrier_pigeon")
        assert refused.value.field == "channel"

    def test_a_naive_received_time_is_refused(self) -> None:
        with pytest.raises(InvalidValue, match="time zone"):
            a_case(occurred_at=datetime(2026, 3, 4, 9, 0))


class TestTransfers:
    def test_a_warm_transfer_moves_the_case_and_clears_the_assignee(self) -> None:
        case = a_case()
        case.assign(assignee="staff-bo", **when())
        case.transfer(to_department="planning", warm=True, handover_note="zoning question",
                      customer_informed=True, **when())
        assert case.department == "planning"
        assert case.assignee is None
        assert case.transfers[0]["warm"] is True

    def test_no_transfer_to_the_department_that_already_owns_it(self) -> None:
        case = a_case()
        with pytest.raises(RuleViolated, match="already owned by public-works"):
            case.transfer(to_department="public-works", warm=False, handover_note="",
                          customer_informed=False, **when())

    def test_a_warm_transfer_needs_a_handover_note(self) -> None:
        case = a_case()
        with pytest.raises(InvalidValue, match="handover_note"):
            case.transfer(to_department="planning", warm=True, handover_note=" ",
                          customer_informed=True, **when())


class TestResolution:
    def test_no_resolving_a_closed_case(self) -> None:
        case = a_case()
        case.resolve(resolution="filled", at_first_contact=False, **when())
        case.close(**when())
        with pytest.raises(CaseIsClosed):
            case.resolve(resolution="again", at_first_contact=False, **when())

    def test_a_case_is_resolved_before_it_is_closed(self) -> None:
        case = a_case()
        with pytest.raises(RuleViolated, match="resolved before it is closed"):
            case.close(**when())

    def test_a_transferred_case_was_not_resolved_at_first_contact(self) -> None:
        case = a_case()
        case.transfer(to_department="planning", warm=False, handover_note="",
                      customer_informed=False, **when())
        with pytest.raises(RuleViolated, match="first contact"):
            case.resolve(resolution="answered", at_first_contact=True, **when())

    def test_reopening_a_closed_case_opens_it_again(self) -> None:
        case = a_case()
        case.resolve(resolution="filled", at_first_contact=False, **when())
        case.close(**when())
        case.reopen(reason="hole is back", **when())
        assert case.status == "open"
        assert case.closed_at is None

    def test_an_open_case_cannot_be_reopened(self) -> None:
        with pytest.raises(RuleViolated, match="only a resolved or closed case"):
            a_case().reopen(reason="why", **when())

    def test_an_event_cannot_happen_before_the_case_was_received(self) -> None:
        case = a_case()
        with pytest.raises(InvalidValue, match="before the case was received"):
            case.acknowledge(message="hi", **when(occurred_at=NOW - timedelta(days=1)))


class TestWaitingOnTheCustomer:
    def test_waiting_and_the_customers_answer_toggle_the_status(self) -> None:
        case = a_case()
        case.wait_on_customer(reason="need photo", **when())
        assert case.status == "waiting_on_customer"
        case.record_customer_response(summary="photo sent", **when())
        assert case.status == "open"

    def test_a_customer_cannot_respond_to_a_case_not_waiting_on_them(self) -> None:
        with pytest.raises(RuleViolated, match="not waiting"):
            a_case().record_customer_response(summary="?", **when())


class TestComplaints:
    def test_escalation_is_only_for_complaints(self) -> None:
        case = a_case()
        with pytest.raises(NotAComplaint):
            case.escalate(to_level="department_manager", reason="x", owner="mgr-tom", **when())

    def test_escalation_climbs_one_level_at_a_time(self) -> None:
        case = a_case()
        case.classify(classification="complaint", reason="", **when())
        with pytest.raises(RuleViolated, match="next level is department_manager, not director"):
            case.escalate(to_level="director", reason="x", owner="dir-kim", **when())

    def test_the_ladder_ends_with_the_ontario_ombudsman(self) -> None:
        case = an_escalated_complaint()
        for level, owner in (("director", "dir-kim"), ("cao", "cao"),
                             ("ombudsman", "Ontario Ombudsman")):
            case.escalate(to_level=level, reason="still unresolved", owner=owner, **when())
        assert case.escalation_level == "ombudsman"
        with pytest.raises(RuleViolated, match="Ombudsman"):
            case.escalate(to_level="ombudsman", reason="x", owner="x", **when())

    def test_a_debrief_comes_only_after_an_escalated_complaint_is_resolved(self) -> None:
        case = an_escalated_complaint()
        debrief = dict(cause="unclear policy", actions="rewrite page", edi_findings="none",
                       accessibility_findings="none")
        with pytest.raises(RuleViolated, match="after it is resolved"):
            case.debrief_complaint(**debrief, **when(actor=MANAGER))
        case.resolve(resolution="repaired", at_first_contact=False, **when())
        case.debrief_complaint(**debrief, **when(actor=MANAGER))
        assert case.debrief is not None and case.debrief["cause"] == "unclear policy"

    def test_a_complaint_that_was_never_escalated_is_not_debriefed(self) -> None:
        case = a_case()
        case.classify(classification="complaint", reason="", **when())
        case.resolve(resolution="apologised", at_first_contact=False, **when())
        with pytest.raises(RuleViolated, match="only an escalated complaint"):
            case.debrief_complaint(cause="c", actions="a", edi_findings="",
                                   accessibility_findings="", **when())

    def test_an_escalated_complaint_cannot_be_reclassified_as_feedback(self) -> None:
        case = an_escalated_complaint()
        with pytest.raises(RuleViolated, match="cannot be reclassified"):
            case.classify(classification="feedback", reason="", **when())


class TestSurveysAndAccommodations:
    @pytest.mark.parametrize(("name", "score"), [("csat", 0), ("csat", 6), ("nps", -1),
                                                 ("nps", 11), ("ces", 0), ("ces", 8)])
    def test_survey_scores_out_of_range_are_refused(self, name: str, score: int) -> None:
        scores: dict[str, int | None] = {"csat": None, "nps": None, "ces": None, name: score}
        with pytest.raises(InvalidValue, match=f"{name} must be between"):
            a_resolved_case().answer_survey(comment="", **scores, **when())

    def test_a_survey_may_answer_any_subset_of_the_three_scores(self) -> None:
        case = a_resolved_case()
        case.answer_survey(csat=5, nps=None, ces=None, comment="great", **when())
        assert case.surveys == [{"csat": 5, "nps": None, "ces": None, "at": NOW,
                                 "superseded": [], "given_by": "staff"}]
        assert case.survey_scores == {"csat": 5}

    def test_an_empty_survey_answer_is_refused(self) -> None:
        with pytest.raises(InvalidValue, match="at least one"):
            a_resolved_case().answer_survey(csat=None, nps=None, ces=None, comment="",
                                            **when())

    @pytest.mark.parametrize("status", ["open", "waiting_on_customer"])
    def test_a_survey_on_a_case_not_yet_resolved_is_refused(self, status: str) -> None:
        # given a case still open (or waiting on the customer)
        case = a_case()
        if status == "waiting_on_customer":
            case.wait_on_customer(reason="photo of the pothole", **when())
        before = case.version
        # when the customer answers a survey, then it is refused and nothing is recorded
        with pytest.raises(CaseNotResolved, match="only once the case is resolved or closed"):
            case.answer_survey(csat=5, nps=10, ces=1, comment="", **when())
        assert case.version == before and case.surveys == []

    def test_a_closed_case_takes_a_survey_answer(self) -> None:
        case = a_resolved_case()
        case.close(**when())
        case.answer_survey(csat=None, nps=9, ces=None, comment="", **when())
        assert case.survey_scores == {"nps": 9}

    def test_only_the_latest_answer_per_kind_counts_and_earlier_ones_are_superseded(
            self) -> None:
        # given a resolved case answered three times: (csat 2, nps 3), then (nps 10), then
        # (csat 4, ces 6)
        case = a_resolved_case()
        later = NOW + timedelta(hours=1)
        case.answer_survey(csat=2, nps=3, ces=None, comment="", **when())
        case.answer_survey(csat=None, nps=10, ces=None, comment="", **when(occurred_at=NOW))
        case.answer_survey(csat=4, nps=None, ces=6, comment="", **when(now=later,
                                                                       occurred_at=later))
        # then one score per kind counts, the latest of that kind: csat 4, nps 10, ces 6
        assert case.survey_scores == {"csat": 4, "nps": 10, "ces": 6}
        # and every answer stays in the history, marked superseded in the kinds replaced
        assert [a["superseded"] for a in case.surveys] == [["csat", "nps"], [], []]
        assert [a["nps"] for a in case.surveys] == [3, 10, None]

    def test_an_accommodation_is_provided_once_after_it_is_requested(self) -> None:
        case = a_case()
        case.request_accommodation(need="large print letter", **when())
        case.provide_accommodation(number=1, how="mailed 18pt copy", **when())
        with pytest.raises(RuleViolated, match="already provided"):
            case.provide_accommodation(number=1, how="again", **when())
        with pytest.raises(InvalidValue, match="no accommodation number 2"):
            case.provide_accommodation(number=2, how="?", **when())


class TestInteractions:
    def test_wait_time_is_measured_only_for_calls_and_walk_ins(self) -> None:
        with pytest.raises(InvalidValue, match="telephone and in-person"):
            a_case().log_interaction(channel="email", direction="inbound", summary="reply",
                                     effort_minutes=5, wait_seconds=30, **when())

    def test_staff_effort_adds_up(self) -> None:
        case = a_case()
        for minutes in (5, 12):
            case.log_interaction(channel="telephone", direction="outbound", summary="called",
                                 effort_minutes=minutes, wait_seconds=None, **when())
        assert case.effort_minutes == 17

    def test_every_event_carries_its_actor(self) -> None:
        case = a_case()
        case.acknowledge(message="thanks", **when(actor=MANAGER))
        events = case.collect_events()
        assert [(e.actor_id, e.actor_role) for e in events] == [  # type: ignore[attr-defined]
            ("csr-ana", "csr"), ("mgr-tom", "manager")]
