"""Internal notes, mentions and alerts on the aggregate alone: who an item reaches, when a
target is recorded at risk, and what a note may hold. No database, no HTTP.

The email acknowledgement promise is 2 business days (16 business hours) and a target is at
risk once less than 25 % of its time is left, i.e. after 12 business hours. Toronto is UTC-5
in early March 2026; the desk is open 08:30-16:30 on weekdays.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.actors import SCHEDULER, Actor, Role
from domain.calendar import BusinessCalendar
from domain.cases import Case
from domain.errors import InvalidValue
from domain.inbox import alert_addressees, department, mention_addressees, person
from domain.standards import CORPORATE_STANDARDS
from tests.toronto_time import toronto

CSR = Actor(id="csr-ana", role=Role.CSR)
# Received Mon 2026-03-02 10:00 Toronto (15:00 UTC).
RECEIVED = toronto(2026, 3, 2, 10)
# At risk after 12 business hours: Mon 10:00-16:30 is 6.5 h; 5.5 h more from Tue 08:30 ends
# Tue 14:00 Toronto = 19:00 UTC.
AT_RISK_FROM = datetime(2026, 3, 3, 19, 0, tzinfo=UTC)
# Due after 16 business hours: 6.5 h Mon + 8 h Tue + 1.5 h Wed from 08:30 = Wed 10:00 Toronto.
DUE = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)


def an_email() -> Case:
    case = Case.receive(reference="SC-2026-000001", channel="email", occurred_at=RECEIVED,
                        purpose="issue_or_complaint", service_code=None,
                        department="public-works", subject="Pothole", description="",
                        customer_id=None, actor=CSR, now=RECEIVED)
    case.plan_targets(CORPORATE_STANDARDS, 1, BusinessCalendar(), reason="received",
                      actor=CSR, occurred_at=RECEIVED)
    return case


class TestAtRisk:
    def test_the_watched_at_risk_instant_is_when_a_quarter_of_the_time_is_left(self) -> None:
        case = an_email()
        assert case.targets["acknowledge"].due_at == DUE
        assert case.watched_at_risk_from("acknowledge") == AT_RISK_FROM

    def test_recorded_at_its_instant_once_and_stamped_with_it(self) -> None:
        case = an_email()
        # Not a second early
        assert not case.record_at_risk(target="acknowledge", at_risk_from=AT_RISK_FROM,
                                       now=AT_RISK_FROM - timedelta(seconds=1), actor=SCHEDULER)
        assert case.record_at_risk(target="acknowledge", at_risk_from=AT_RISK_FROM,
                                   now=AT_RISK_FROM + timedelta(minutes=3), actor=SCHEDULER)
        [event] = [e for e in case.collect_events() if isinstance(e, Case.TargetAtRisk)]
        assert (event.occurred_at, event.due_at, event.target) == (AT_RISK_FROM, DUE,
                                                                   "acknowledge")
        # Firing again records nothing, and nothing more is watched
        assert not case.record_at_risk(target="acknowledge", at_risk_from=AT_RISK_FROM,
                                       now=AT_RISK_FROM, actor=SCHEDULER)
        assert case.watched_at_risk_from("acknowledge") is None

    def test_a_met_target_or_a_passed_deadline_is_not_recorded_at_risk(self) -> None:
        acknowledged = an_email()
        acknowledged.acknowledge(message="On it", actor=CSR, occurred_at=AT_RISK_FROM,
                                 now=AT_RISK_FROM)
        assert acknowledged.watched_at_risk_from("acknowledge") is None
        assert not acknowledged.record_at_risk(target="acknowledge", at_risk_from=AT_RISK_FROM,
                                               now=AT_RISK_FROM, actor=SCHEDULER)
        # After downtime past the due time only the miss is recorded
        late = an_email()
        assert not late.record_at_risk(target="acknowledge", at_risk_from=AT_RISK_FROM,
                                       now=DUE, actor=SCHEDULER)

    def test_a_stale_instant_records_nothing(self) -> None:
        case = an_email()
        assert not case.record_at_risk(target="acknowledge",
                                       at_risk_from=AT_RISK_FROM - timedelta(hours=1),
                                       now=AT_RISK_FROM, actor=SCHEDULER)


class TestAddressees:
    def test_an_alert_reaches_the_assignee_and_the_manager(self) -> None:
        assert alert_addressees("staff-sam", "public-works", "mgr-mo") == [
            person("staff-sam"), person("mgr-mo")]

    def test_without_an_assignee_or_a_manager_the_department_gets_it(self) -> None:
        assert alert_addressees(None, "public-works", "mgr-mo") == [
            person("mgr-mo"), department("public-works")]
        assert alert_addressees("staff-sam", "public-works", None) == [
            person("staff-sam"), department("public-works")]
        assert alert_addressees(None, "public-works", None) == [department("public-works")]

    def test_an_assignee_who_is_the_manager_gets_one_item(self) -> None:
        assert alert_addressees("mgr-mo", "public-works", "mgr-mo") == [person("mgr-mo")]

    def test_mentions_reach_each_person_and_department_but_not_the_author(self) -> None:
        assert mention_addressees(("staff-sam", "csr-ana"), ("planning",), "csr-ana") == [
            person("staff-sam"), department("planning")]


class TestNotes:
    def test_a_note_is_recorded_with_its_mentions_each_once(self) -> None:
        case = an_email()
        case.add_internal_note(note="  Check the 2024 work order ", mention_people=(
            "staff-sam", "staff-sam"), mention_departments=("planning",), actor=CSR,
            occurred_at=RECEIVED, now=RECEIVED)
        [note] = case.internal_notes
        assert (note["note"], note["mention_people"], note["mention_departments"],
                note["by"]) == ("Check the 2024 work order", ["staff-sam"], ["planning"],
                                "csr-ana")
        assert case.public_notes == ()

    @pytest.mark.parametrize(("note", "people", "field"), [
        ("   ", (), "note"), ("x" * 4001, (), "note"), ("ok", ("",), "mention_people"),
        ("ok", ("bad\x00id",), "mention_people"),
        ("ok", tuple(f"staff-{n}" for n in range(21)), "mention_people")])
    def test_an_empty_or_oversized_note_or_a_bad_mention_is_refused(
            self, note: str, people: tuple[str, ...], field: str) -> None:
        case = an_email()
        with pytest.raises(InvalidValue) as refused:
            case.add_internal_note(note=note, mention_people=people, mention_departments=(),
                                   actor=CSR, occurred_at=RECEIVED, now=RECEIVED)
        assert refused.value.field == field
        assert case.internal_notes == ()
