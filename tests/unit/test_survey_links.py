"""Survey links: one per case, made at its first resolution for a customer on record, valid 30
days, answered once; the token is signed for its case and expiry under a key derived from the
master key (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from application.survey_links import SurveyLinks
from domain.surveys import (
    CaseNotResolved,
    SurveyAlreadyAnswered,
    SurveyLinkExpired,
    SurveyLinkUnknown,
)
from infrastructure.survey_link_key import derive_survey_link_key
from tests.unit.test_case_rules import CSR, NOW, a_case, pending_events, when

RESOLVED = {"resolution": "Done", "at_first_contact": False}


class TestTheLink:
    def test_the_first_resolution_of_a_case_with_a_customer_issues_one_link_for_30_days(
            self) -> None:
        case = a_case(customer_id=uuid4())
        case.resolve(**RESOLVED, **when())
        assert pending_events(case)[-2:] == ["Resolved", "SurveyLinkIssued"]
        # 2026-03-04 15:00 UTC + 30 days = 2026-04-03 15:00 UTC, to the second
        assert case.survey_link == {"issued_at": NOW, "answered_at": None,
                                    "expires_at": datetime(2026, 4, 3, 15, 0, tzinfo=UTC)}

    def test_a_resolution_entered_late_issues_its_link_then_valid_from_now(self) -> None:
        # given a resolution that happened 3 hours before it is entered
        case = a_case(customer_id=uuid4(), occurred_at=NOW - timedelta(hours=5))
        case.resolve(**RESOLVED, **when(occurred_at=NOW - timedelta(hours=3)))
        # then the link is issued with it, and expires 30 days after it was entered
        assert case.survey_link is not None
        assert case.survey_link["issued_at"] == NOW - timedelta(hours=3)
        assert case.survey_link["expires_at"] == NOW + timedelta(days=30)

    def test_a_second_resolution_issues_no_second_link(self) -> None:
        case = a_case(customer_id=uuid4())
        case.resolve(**RESOLVED, **when())
        first = dict(case.survey_link or {})
        case.reopen(reason="Came back", **when())
        case.resolve(**RESOLVED, **when())
        assert pending_events(case).count("SurveyLinkIssued") == 1
        assert case.survey_link == first

    def test_a_case_with_no_customer_on_record_gets_no_link(self) -> None:
        case = a_case()
        case.resolve(**RESOLVED, **when())
        assert case.survey_link is None and "SurveyLinkIssued" not in pending_events(case)


class TestTheCustomersAnswer:
    def test_it_is_recorded_once_marked_customer_given(self) -> None:
        case = a_case(customer_id=uuid4())
        case.resolve(**RESOLVED, **when())
        expires = case.survey_link["expires_at"]
        case.answer_survey_by_link(csat=5, nps=None, ces=3, expires_at=expires, now=NOW)
        assert case.surveys[-1]["given_by"] == "customer"
        assert case.survey_link["answered_at"] == NOW
        with pytest.raises(SurveyAlreadyAnswered):
            case.answer_survey_by_link(csat=1, nps=None, ces=None, expires_at=expires, now=NOW)
        assert len(case.surveys) == 1

    def test_it_is_refused_at_the_expiry_and_for_another_expiry(self) -> None:
        case = a_case(customer_id=uuid4())
        case.resolve(**RESOLVED, **when())
        expires = case.survey_link["expires_at"]
        with pytest.raises(SurveyLinkExpired):
            case.answer_survey_by_link(csat=5, nps=None, ces=None, expires_at=expires,
                                       now=expires)
        with pytest.raises(SurveyLinkUnknown):
            case.answer_survey_by_link(csat=5, nps=None, ces=None,
                                       expires_at=expires + timedelta(days=1), now=NOW)
        assert case.surveys == []

    def test_it_waits_while_the_case_is_reopened(self) -> None:
        case = a_case(customer_id=uuid4())
        case.resolve(**RESOLVED, **when())
        case.reopen(reason="Came back", **when())
        with pytest.raises(CaseNotResolved):
            case.answer_survey_by_link(csat=5, nps=None, ces=None,
                                       expires_at=case.survey_link["expires_at"], now=NOW)

    def test_staff_answers_are_marked_staff_entered(self) -> None:
        case = a_case(customer_id=uuid4())
        case.resolve(**RESOLVED, **when())
        case.answer_survey(csat=4, nps=None, ces=None, comment="", actor=CSR,
                           occurred_at=NOW, now=NOW)
        assert case.surveys[-1]["given_by"] == "staff"
        assert case.survey_link["answered_at"] is None  # the customer's link is still theirs


class TestTheToken:
    KEY = derive_survey_link_key(b"\x07" * 32)

    def test_a_token_names_its_case_and_expiry(self) -> None:
        links, case_id = SurveyLinks(self.KEY), uuid4()
        expires = datetime(2026, 4, 3, 15, 0, tzinfo=UTC)
        claim = links.read(links.token(case_id, expires))
        assert (claim.case_id, claim.expires_at) == (case_id, expires)

    def test_another_key_or_a_changed_byte_is_refused(self) -> None:
        case_id, expires = uuid4(), datetime(2026, 4, 3, 15, 0, tzinfo=UTC)
        token = SurveyLinks(self.KEY).token(case_id, expires)
        other = SurveyLinks(derive_survey_link_key(b"\x08" * 32))
        with pytest.raises(SurveyLinkUnknown):
            other.read(token)
        for position in range(len(token)):
            changed = token[:position] + ("A" if token[position] != "A" else "B") \
                + token[position + 1:]
            with pytest.raises(SurveyLinkUnknown):
                SurveyLinks(self.KEY).read(changed)

    def test_the_key_is_derived_for_this_use_and_is_not_the_master_key(self) -> None:
        master = b"\x07" * 32
        assert derive_survey_link_key(master) == self.KEY  # the same every time
        assert master != self.KEY and len(self.KEY) == 32
