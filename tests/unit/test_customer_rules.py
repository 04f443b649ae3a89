"""The customer and retention rules, without I/O: what a customer is found by, how an old
receipt is read, when personal information is past retention, and who may merge what."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from domain.actors import Actor, Role
from domain.cases import Case
from domain.customers import Customer, CustomerErased, search_tokens
from domain.errors import InvalidValue
from domain.retention import CaseFacts, RetentionSchedule, add_years

CSR = Actor(id="csr-1", role=Role.CSR)
CLOSED = datetime(2026, 3, 5, 15, 0, tzinfo=UTC)


def customer() -> Customer:
    return Customer.register(customer_id=uuid4(), kind="person", sealed="aesgcm1:x",
                             preferred_contact=None, language="en", consent_to_contact=False,
                             actor=CSR)


class TestSearchTokens:
    def test_email_phone_and_name_words_are_normalised_as_a_search_is(self) -> None:
        tokens = search_tokens({"name": "Hélène  O'Brien", "email": " Helene@Example.ORG ",
                                "phone": "+1 (905) 555-0142"})
        assert tokens == {"email:helene@example.org", "phone:9055550142", "name:helene",
                          "name:o", "name:brien"}


class TestOldReceipts:
    def test_a_version_3_receipt_is_read_without_its_clear_text_contact(self) -> None:
        state = {"contact": {"name": "Ann"}, "accessibility_needs": "Large print"}
        Case.Received.upcast_v3_v4(state)
        assert state == {"customer_id": None}


class TestRetention:
    def test_the_latest_closure_plus_its_class_period_decides(self) -> None:
        # a request closed 2026-03-05 (+2 years) and a complaint closed 2026-01-10 (+5 years)
        rules = RetentionSchedule()
        due = rules.retire_at([
            CaseFacts(None, "closed", CLOSED),
            CaseFacts("complaint", "closed", datetime(2026, 1, 10, tzinfo=UTC))])
        assert due is not None and due[0] == datetime(2031, 1, 10, tzinfo=UTC)

    def test_a_case_not_closed_keeps_the_customer(self) -> None:
        assert RetentionSchedule().retire_at([CaseFacts(None, "closed", CLOSED),
                                              CaseFacts(None, "resolved", None)]) is None

    def test_the_29th_of_february_plus_a_year_is_the_28th(self) -> None:
        leap = datetime(2028, 2, 29, 12, 0, tzinfo=UTC)
        assert add_years(leap, 1) == datetime(2029, 2, 28, 12, 0, tzinfo=UTC)

    def test_a_period_outside_1_to_100_years_is_refused(self) -> None:
        with pytest.raises(InvalidValue):
            RetentionSchedule().set_period(record_class="complaint", years=0, by_law="x",
                                           confirmed=False, actor=CSR)


class TestMergeAndErase:
    def test_a_record_is_not_merged_into_itself_nor_into_an_erased_one(self) -> None:
        a, b = customer(), customer()
        with pytest.raises(InvalidValue):
            a.merge_into(a, reason="same", actor=CSR)
        b.erase(reason="asked", at=CLOSED, actor=CSR)
        with pytest.raises(CustomerErased):
            a.merge_into(b, reason="same", actor=CSR)

    def test_a_merge_moves_the_duplicates_cases_to_the_survivor(self) -> None:
        a, b = customer(), customer()
        case_id = uuid4()
        a.link_case(case_id=case_id, reference="SC-2026-000001")
        a.merge_into(b, reason="Same person", actor=CSR)
        assert (a.merged_into, b.merged_from) == (b.id, [a.id])
        assert b.cases == [{"case_id": case_id, "reference": "SC-2026-000001"}]
