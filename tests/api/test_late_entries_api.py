"""A fact backdated past a deadline the scheduler recorded missed, through HTTP: refused without
a reason (422 naming `late_entry_reason`, nothing recorded); with one, the target is met on time
and the auditor's history shows the late entry with its reason."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

RECEIVED = "2026-03-02T15:00:00Z"  # Mon 10:00 Toronto; the clock stands at Wed 10:00 Toronto
DUE = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # 6.5 h Mon + 8 h Tue + 1.5 h Wed = 16 h
ACKNOWLEDGED = "2026-03-02T19:00:00Z"  # Mon 14:00 Toronto, two days early
REASON = "Phoned Monday; the call was logged late"


def missed(api: Any) -> str:
    """An email whose acknowledgement the scheduler recorded missed at its due time, now."""
    case_id: str = api.receive(received_at=RECEIVED)["id"]
    assert api.desk.record_deadline_missed(UUID(case_id), "acknowledge", DUE)
    return case_id


def test_a_backdated_fact_past_a_recorded_miss_needs_a_reason(api: Any) -> None:
    case_id = missed(api)
    # When staff acknowledge it as of Monday without saying why so late
    with api.nothing_recorded(case_id):
        response = api.post(case_id, "acknowledge", {"message": "On it",
                                                     "occurred_at": ACKNOWLEDGED})
    # Then it is refused naming the field, and nothing is recorded
    problem = api.problem(response, 422, field="late_entry_reason")
    assert "recorded missed" in problem["detail"]


def test_with_a_reason_the_target_is_met_on_time_and_the_late_entry_is_on_record(
        api: Any) -> None:
    case_id = missed(api)
    # When staff acknowledge it as of Monday, saying why it is entered late
    case = api.run(case_id, ("acknowledge", {"message": "On it", "occurred_at": ACKNOWLEDGED,
                                             "late_entry_reason": REASON}))
    # Then the acknowledgement target is met on time (Mon 14:00 is before Wed 10:00)
    [target] = [t for t in case["targets"] if t["name"] == "acknowledge"]
    assert (target["state"], target["met_at"]) == ("met", ACKNOWLEDGED)
    # And the auditor's history keeps the recorded miss and shows the late entry after it
    events = api.history(case_id)["events"]
    kinds = [e["type"] for e in events]
    assert kinds.index("Case.DeadlineMissed") < kinds.index("Case.Acknowledged") < kinds.index(
        "Case.LateEntryRecorded")
    [entry] = [e for e in events if e["type"] == "Case.LateEntryRecorded"]
    assert (entry["occurred_at"], entry["data"]["reason"], entry["data"]["targets"],
            entry["data"]["fact"], entry["data"]["department"]) == (
        ACKNOWLEDGED, REASON, ["acknowledge"], "Acknowledged", "public-works")


def test_the_auditor_lists_late_entries_per_department(api: Any) -> None:
    # Given two late entries on public works' cases, entered as of Monday with a reason
    first, second = missed(api), missed(api)
    for case_id in (first, second):
        api.run(case_id, ("acknowledge", {"message": "On it", "occurred_at": ACKNOWLEDGED,
                                          "late_entry_reason": REASON}))
    references = [api.case(c)["reference"] for c in (first, second)]

    def page(role: str = "auditor", **params: Any) -> Any:
        return api.client.get("/api/v1/audit/late-entries", params=params,
                              headers=api.headers(role))

    # When an auditor lists public works' late entries, one a page (the module's earlier
    # tests made some too)
    listed, cursor = [], None
    while True:
        answer = page(department="public-works", limit=1,
                      **({"after": cursor} if cursor else {})).json()
        listed += answer["items"]
        cursor = answer["next_cursor"]
        if cursor is None:
            break
    # Then each is listed, oldest first, with when it happened, the deadline and the reason
    assert [(e["reference"], e["department"], e["fact"], e["targets"], e["occurred_at"],
             e["missed_due_at"], e["reason"]) for e in listed[-2:]] == [
        (ref, "public-works", "Acknowledged", ["acknowledge"], ACKNOWLEDGED,
         {"acknowledge": "2026-03-04T15:00:00Z"}, REASON) for ref in references]
    # And another department has none, and staff may not read the list
    assert page(department="planning").json() == {"items": [], "next_cursor": None}
    api.problem(page(role="staff"), 403)
