"""The rules of emailing alerts to staff (domain.staff_alerts) and of the staff directory
(domain.staff_directory): which addressee a message is for, who is skipped and why, and which
entries the directory refuses."""

from __future__ import annotations

import pytest

from domain.actors import Actor, Role
from domain.errors import InvalidValue, RuleViolated
from domain.inbox import department, person
from domain.staff_alerts import addressee_of, recipient_notice, why_not_emailed
from domain.staff_directory import StaffEntry

ADMIN = Actor(id="admin-al", role=Role.ADMIN)


def test_a_recipient_notice_names_its_addressee_and_reads_back() -> None:
    for addressee in (person("lee"), department("public-works")):
        assert addressee_of(recipient_notice(addressee)) == addressee
    assert recipient_notice(person("lee")) == "staff_alert:person:lee"
    assert addressee_of("staff_alert") is None  # the alert's own row
    assert addressee_of("acknowledgement") is None
    assert addressee_of("staff_alert:team:x") is None


def test_only_a_person_with_a_work_email_is_emailed() -> None:
    assert why_not_emailed(person("lee"), "lee@cobourg.ca") is None
    assert why_not_emailed(person("lee"), None) == (
        "lee has no staff directory entry: the inbox has the alert")
    reason = why_not_emailed(department("planning"), "planning@cobourg.ca")
    assert reason is not None and "department planning, not a person" in reason


def test_the_directory_refuses_a_bad_address_language_or_staff_id_and_no_change() -> None:
    entry = StaffEntry.open(staff_id="lee")
    for email in ("lee", "lee@cobourg", "Lee <lee@cobourg.ca>", "a b@cobourg.ca",
                  "lee@cobourg.ca, raj@cobourg.ca", "le\x00e@cobourg.ca"):
        with pytest.raises(InvalidValue) as refused:
            entry.set(work_email=email, language="en", actor=ADMIN)
        assert refused.value.field == "work_email"
    with pytest.raises(InvalidValue):
        entry.set(work_email="lee@cobourg.ca", language="de", actor=ADMIN)
    with pytest.raises(InvalidValue):
        StaffEntry.open(staff_id=" ")
    entry.set(work_email="lee@cobourg.ca", language="fr", actor=ADMIN)
    assert (entry.work_email, entry.language, entry.version) == ("lee@cobourg.ca", "fr", 2)
    with pytest.raises(RuleViolated):
        entry.set(work_email="lee@cobourg.ca", language="fr", actor=ADMIN)
