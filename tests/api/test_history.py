"""The auditor's case history: every event in order, and the case as it stood at any point."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID

RECEIVED = "2026-03-02T14:30:00Z"  # Monday 09:30 Toronto; the clock stands at Wednesday 15:00
ACKNOWLEDGED = "2026-03-02T17:00:00Z"
ASSIGNED = "2026-03-03T15:00:00Z"
TRANSFERRED = "2026-03-04T14:00:00Z"
RESOLVED = "2026-03-04T15:00:00Z"
# What the standards record beside the commands (targets planned, moved, waits measured).
TARGET_BOOKKEEPING = {"Case.TargetsSet", "Case.TargetsRescheduled", "Case.WaitMeasured"}
ENVELOPE = {"originator_id", "originator_version", "timestamp", "originator_topic",
            "actor_id", "actor_role", "occurred_at"}


def lived_case(api: Any) -> str:
    """A letter received by the front desk, worked by Public Works, resolved by Community."""
    case_id: str = api.receive(channel="written", received_at=RECEIVED)["id"]
    api.run(case_id, ("acknowledge", {"message": "Received your letter",
                                      "occurred_at": ACKNOWLEDGED}),
            ("assign", {"assignee": "staff-7", "occurred_at": ASSIGNED}), role="staff")
    api.run(case_id, ("transfer", {"to_department": "community", "warm": True,
                                   "handover_note": "The path is in Victoria Park",
                                   "customer_informed": True, "occurred_at": TRANSFERRED}),
            role="csr")
    api.run(case_id, ("resolve", {"resolution": "Path regraded", "occurred_at": RESOLVED}),
            role="director")
    return case_id


def moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_history_lists_every_event_in_order_with_who_when_and_what(api: Any) -> None:
    # given a case that passed through three roles and two departments
    case_id = lived_case(api)
    # when an auditor reads its history
    history = api.history(case_id)
    events = history["events"]
    # then it holds every stored event, in version order, and ends with the case as it is
    stored = list(api.desk.events.get(UUID(case_id)))
    assert [e["version"] for e in events] == list(range(1, len(stored) + 1))
    assert [e["type"] for e in events] == [type(e).__qualname__ for e in stored]
    # (its targets are judged as of the last event recorded, the case's as of now)
    state, case = history["state"], api.case(case_id)
    assert {k: v for k, v in state.items() if k != "targets"} == {
        k: v for k, v in case.items() if k != "targets"}
    assert (history["version"], history["as_of"]) == (None, None)
    # and the commands appear in the order they were given, each with who and when
    commands = [e for e in events if e["type"] not in TARGET_BOOKKEEPING]
    assert [(e["type"], e["actor_id"], e["actor_role"], e["occurred_at"]) for e in commands] == [
        ("Case.Received", "csr-1", "csr", RECEIVED),
        ("Case.Acknowledged", "staff-1", "staff", ACKNOWLEDGED),
        ("Case.Assigned", "staff-1", "staff", ASSIGNED),
        ("Case.Transferred", "csr-1", "csr", TRANSFERRED),
        ("Case.Resolved", "director-1", "director", RESOLVED),
        # the customer's survey link, issued with the resolution
        ("Case.SurveyLinkIssued", "director-1", "director", RESOLVED),
    ]
    # and every event says when it was recorded, in UTC, in the order recorded
    recorded = [moment(e["recorded_at"]) for e in events]
    assert all(e["recorded_at"].endswith("Z") for e in events)
    assert recorded == sorted(recorded)
    # and carries what happened, without the envelope repeated in its data
    assert all(not ENVELOPE & set(e["data"]) for e in events)
    received, transferred = commands[0]["data"], commands[3]["data"]
    assert received["reference"] == history["state"]["reference"]
    assert (received["channel"], received["department"]) == ("written", "public-works")
    # and the receipt names its customer, whose contact is on their record, not in the event
    assert received["customer_id"] == history["state"]["customer_id"] is not None
    assert "contact" not in received
    assert history["state"]["contact"] == {"name": "Ada Lovelace", "email": "ada@example.org"}
    assert transferred == {"from_department": "public-works", "to_department": "community",
                           "warm": True, "handover_note": "The path is in Victoria Park",
                           "customer_informed": True}
    assert commands[2]["data"] == {"assignee": "staff-7"}


def test_history_at_a_version_shows_the_events_and_the_case_up_to_it(api: Any) -> None:
    # given a lived case and its full history
    case_id = lived_case(api)
    events = api.history(case_id)["events"]
    version_of = {e["type"]: e["version"] for e in events}
    for version in range(1, len(events) + 1):
        # when an auditor asks for the case at each version
        then = api.history(case_id, version=version)
        # then the events are those up to it, and the state is the case at that version
        assert then["events"] == events[:version]
        assert (then["version"], then["state"]["version"]) == (version, version)
    # and the state is the case as it then stood
    acknowledged = api.history(case_id, version=version_of["Case.Acknowledged"])["state"]
    assert (acknowledged["acknowledged_at"], acknowledged["assignee"]) == (ACKNOWLEDGED, None)
    assert acknowledged["department"] == "public-works"
    transferred = api.history(case_id, version=version_of["Case.Transferred"])["state"]
    assert (transferred["department"], transferred["transfers"]) == ("community", 1)
    assert (transferred["assignee"], transferred["status"]) == (None, "open")


def test_history_at_a_version_the_case_has_not_reached_is_refused(api: Any) -> None:
    # given a lived case at its latest version
    case_id = lived_case(api)
    latest = len(api.history(case_id)["events"])
    # when an auditor asks for it at the next version; then a 422 names the version, rather
    # than the latest state passed off as that version
    response = api.client.get(f"{api.cases}/{case_id}/history", params={"version": latest + 1},
                              headers=api.headers("auditor"))
    problem = api.problem(response, 422, "invalid-value", "version")
    assert f"latest version, {latest}" in problem["detail"]


def test_history_as_of_a_moment_shows_what_was_on_record_then(api: Any) -> None:
    # given a lived case; committed_at is when each event was committed to the log
    case_id = lived_case(api)
    events = api.history(case_id)["events"]
    for event in events:
        as_of = event["committed_at"]
        on_record = [e for e in events if moment(e["committed_at"]) <= moment(as_of)]
        # when an auditor asks for the case as of that moment, in UTC or Toronto's offset
        toronto = moment(as_of).astimezone(timezone(timedelta(hours=-5))).isoformat()
        for asked in (as_of, toronto):
            then = api.history(case_id, as_of=asked)
            # then they see the events on record then, and the case as they left it
            assert then["events"] == on_record
            assert then["state"]["version"] == on_record[-1]["version"]
            assert then["as_of"] == as_of
    # and before the first event there was nothing on record
    before = moment(events[0]["committed_at"]) - timedelta(microseconds=1)
    nothing = api.history(case_id, as_of=before.isoformat())
    assert (nothing["events"], nothing["state"]) == ([], None)


def test_history_before_and_after_a_transfer_shows_the_department_of_the_time(
        api: Any) -> None:
    # given a case received in Public Works and transferred to Community Services
    case_id = lived_case(api)
    events = api.history(case_id)["events"]
    transfer = next(e for e in events if e["type"] == "Case.Transferred")
    # when an auditor reads it as of just before the transfer was committed
    just_before = moment(transfer["committed_at"]) - timedelta(microseconds=1)
    before = api.history(case_id, as_of=just_before.isoformat())["state"]
    after = api.history(case_id, as_of=transfer["committed_at"])["state"]
    # then Public Works owned it then, and Community Services from then on
    assert (before["department"], before["assignee"]) == ("public-works", "staff-7")
    assert (after["department"], after["assignee"]) == ("community", None)


def test_an_event_inserted_by_sql_and_backdated_is_in_no_past_as_of(
        api: Any, settings: Any) -> None:
    from tests.tampering import Dba

    # given a lived case, and a forger who copies its last event as the next version by SQL,
    # its recorded time put back before the case was received
    case_id = lived_case(api)
    events = api.history(case_id)["events"]
    as_of = events[-1]["committed_at"]
    with Dba(settings, api.desk) as dba:
        last = dba.run(f"SELECT {dba.id}, topic, state FROM {dba.events} WHERE "
                       f"originator_version = ? ORDER BY {dba.id} DESC LIMIT 1",
                       events[-1]["version"])[0]
        state = bytes(last[2])
        recorded = json.loads(state)["timestamp"]["_data_"]
        forged = state.replace(recorded.encode(), b"2020-01-01T00:00:00+00:00", 1)
        assert forged != state
        dba.insert_event(dba.run(f"SELECT MAX({dba.id}) FROM {dba.events}")[0][0] + 1,
                         UUID(case_id), events[-1]["version"] + 1, last[1], forged)
    # when an auditor reads the case as of the last real event's commit, and now
    then = api.history(case_id, as_of=as_of)
    now = api.history(case_id)
    # then the forgery is in no past view (it was committed now, or has no commit time), but
    # it is in the log as it is now
    assert [e["version"] for e in then["events"]] == [e["version"] for e in events]
    assert len(now["events"]) == len(events) + 1
