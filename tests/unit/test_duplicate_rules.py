"""The rules duplicates are suggested and merged by, on the domain alone: distance, the
bounding box, subjects' likeness, and what merging does to both cases and their targets."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.actors import Actor, Role
from domain.calendar import BusinessCalendar
from domain.cases import Case
from domain.duplicates import (
    NEARBY_METRES,
    are_similar_subjects,
    bounding_box,
    distance_metres,
    is_nearby,
    subject_similarity,
)
from domain.errors import CaseIsClosed, CaseMerged, InvalidValue, RuleViolated
from domain.standards import ServiceStandard, TargetKind, TimeBasis
from projections import case_state
from tests.unit.test_case_rules import CSR, NOW, a_case, pending_events, when

KING_ST = (43.9597, -78.1677)  # 55 King St W, Cobourg


class TestDistance:
    def test_along_a_meridian_the_distance_is_the_radius_times_the_latitude_difference(
            self) -> None:
        # 0.00027 degrees = 4.71239e-6 rad; x 6 371 008.8 m = 30.02 m
        assert distance_metres(43.96, -78.17, 43.96027, -78.17) == pytest.approx(30.02, abs=0.01)
        # 0.00072 degrees = 1.256637e-5 rad; x 6 371 008.8 m = 80.06 m
        assert distance_metres(43.96, -78.17, 43.95928, -78.17) == pytest.approx(80.06, abs=0.01)

    def test_along_a_parallel_a_degree_of_longitude_shrinks_by_the_cosine_of_latitude(
            self) -> None:
        # 0.0005 degrees of longitude at 43.96 N: 111 195.08 m x cos(43.96) x 0.0005 = 40.02 m
        # (the great circle is a hair shorter than the parallel: 40.02 to 1 cm)
        assert distance_metres(43.96, -78.17, 43.96, -78.1695) == pytest.approx(40.02, abs=0.01)

    def test_30_metres_is_nearby_and_80_is_not(self) -> None:
        assert is_nearby(43.96, -78.17, 43.96027, -78.17)
        assert not is_nearby(43.96, -78.17, 43.95928, -78.17)

    @pytest.mark.parametrize("bearing", range(0, 360, 15))
    def test_the_bounding_box_holds_every_point_of_the_50_metre_circle(self, bearing: int
                                                                       ) -> None:
        lat, long = KING_ST
        box = bounding_box(lat, long)
        # a point just inside 50 m in this direction (flat-earth offsets, fine at 50 m)
        d = NEARBY_METRES * 0.999
        d_lat = d * math.cos(math.radians(bearing)) / 111_195.08
        d_long = d * math.sin(math.radians(bearing)) / (111_195.08 * math.cos(math.radians(lat)))
        point = (lat + d_lat, long + d_long)
        assert is_nearby(lat, long, *point)
        assert box.south <= point[0] <= box.north and box.west <= point[1] <= box.east


class TestSubjects:
    @pytest.mark.parametrize(("first", "second"), [
        ("Pothole on King St W", "pothole King Street West"),
        ("Broken swing at Victoria Park", "Swing broken, Victoria Park"),
        ("Streetlight out on Division St", "Division St streetlight is out")])
    def test_the_same_matter_in_other_words_or_order_is_similar(self, first: str,
                                                                second: str) -> None:
        assert are_similar_subjects(first, second)

    @pytest.mark.parametrize(("first", "second"), [
        ("Pothole on King St W", "Missed garbage pickup"),
        ("Noise complaint", "Dog licence renewal"), ("", "Pothole")])
    def test_another_matter_is_not(self, first: str, second: str) -> None:
        assert not are_similar_subjects(first, second)

    def test_likeness_ignores_case_punctuation_filler_and_word_order(self) -> None:
        assert subject_similarity("The pothole, on King!", "king POTHOLE") == 1.0


def a_target_plan(case: Case) -> None:
    """An acknowledgement (2 business days) and a resolution (10) target."""
    calendar = BusinessCalendar()
    standards = tuple(
        ServiceStandard(code=f"test-{kind.value}", title=kind.value, target=kind,
                        seconds=days * 8 * 3600, basis=TimeBasis.BUSINESS, channel="email")
        for kind, days in ((TargetKind.ACKNOWLEDGE, 2), (TargetKind.RESOLVE, 10)))
    case.plan_targets(standards, 1, calendar, reason="receive", actor=CSR,
                      occurred_at=case.received_at)


def two_cases() -> tuple[Case, Case]:
    survivor = a_case(reference="SC-2026-000001")
    duplicate = a_case(reference="SC-2026-000002", customer_id=None)
    return survivor, duplicate


class TestMerging:
    def test_merging_records_an_event_on_each_case(self) -> None:
        survivor = a_case(reference="SC-2026-000001")
        duplicate = a_case(reference="SC-2026-000002", customer_id=uuid4())
        survivor.collect_events(), duplicate.collect_events()
        duplicate.merge_into(survivor, reason="Same pothole", **when())
        assert pending_events(duplicate) == ["MergedInto"]
        assert pending_events(survivor) == ["DuplicateMerged"]
        assert (duplicate.status, duplicate.merged_into, duplicate.closed_at) == (
            "closed", "SC-2026-000001", NOW)
        assert (survivor.status, survivor.merged_from, survivor.subscribers) == (
            "open", ("SC-2026-000002",), (duplicate.customer_id,))

    def test_undecided_targets_are_withdrawn_and_decided_ones_stay(self) -> None:
        survivor, duplicate = two_cases()
        a_target_plan(duplicate)
        # the acknowledgement is recorded missed: received Wed 03-04 08:00 Toronto, before
        # opening, its 2 business days run Wed 08:30-16:30 and Thu 08:30-16:30, due Thu 16:30
        # (21:30 UTC); the resolution (10 business days) is still pending then
        due = duplicate.targets["acknowledge"].due_at
        assert due == datetime(2026, 3, 5, 21, 30, tzinfo=UTC)
        assert duplicate.miss_deadline(target="acknowledge", due_at=due, now=due,
                                       actor=Actor(id="scheduler", role=Role.SYSTEM))
        later = due + timedelta(hours=1)
        duplicate.merge_into(survivor, reason="Same pothole",
                             **when(occurred_at=later, now=later))
        assert list(duplicate.targets) == ["acknowledge"]
        [event] = [e for e in duplicate.collect_events() if type(e).__name__ == "MergedInto"]
        assert event.withdrawn_targets == ["resolve"]  # type: ignore[attr-defined]

    def test_a_case_is_not_merged_into_itself(self) -> None:
        case = a_case()
        with pytest.raises(InvalidValue) as refused:
            case.merge_into(case, reason="oops", **when())
        assert refused.value.field == "into"

    def test_not_into_a_resolved_case_nor_from_a_closed_one(self) -> None:
        survivor, duplicate = two_cases()
        survivor.resolve(resolution="Filled", at_first_contact=False, **when())
        with pytest.raises(RuleViolated):
            duplicate.merge_into(survivor, reason="same", **when())
        other = a_case(reference="SC-2026-000003")
        other.resolve(resolution="Filled", at_first_contact=False, **when())
        other.close(**when())
        with pytest.raises(CaseIsClosed):
            other.merge_into(duplicate, reason="same", **when())

    def test_no_chains_a_merged_case_is_neither_merged_again_nor_merged_into(self) -> None:
        survivor, duplicate = two_cases()
        third = a_case(reference="SC-2026-000003")
        duplicate.merge_into(survivor, reason="same", **when())
        with pytest.raises(CaseMerged):
            duplicate.merge_into(third, reason="same", **when())
        with pytest.raises(CaseMerged):
            third.merge_into(duplicate, reason="same", **when())
        # and the survivor, holding a duplicate, is not merged on into a third case
        with pytest.raises(RuleViolated):
            survivor.merge_into(third, reason="same", **when())

    def test_a_merged_case_is_not_reopened(self) -> None:
        survivor, duplicate = two_cases()
        duplicate.merge_into(survivor, reason="same", **when())
        with pytest.raises(CaseMerged):
            duplicate.reopen(reason="still there", **when(now=NOW + timedelta(minutes=1)))

    def test_a_merged_case_is_snapshotted_exactly(self) -> None:
        survivor, duplicate = two_cases()
        duplicate.merge_into(survivor, reason="same", **when())
        for case in (survivor, duplicate):
            assert case_state.decode(case_state.encode(case)).__dict__ == {
                k: v for k, v in case.__dict__.items() if k != "_pending_events"} | {
                "_pending_events": []}
