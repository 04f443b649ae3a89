"""The reference lane's arithmetic: the year's last number found by probing, 7 digits past
999,999, and the next number after one another process took."""

from __future__ import annotations

from application.references import ReferenceLane
from domain.references import format_reference


def lane_over(last: int, year: int = 2026) -> tuple[ReferenceLane, list[str]]:
    """A lane whose year holds numbers 1..last, and the list of references it probed."""
    probed: list[str] = []

    def is_recorded(reference: str) -> bool:
        probed.append(reference)
        return int(reference.rsplit("-", 1)[1]) <= last

    return ReferenceLane(year, is_recorded), probed


def test_the_first_reference_of_a_year_is_number_one() -> None:
    lane, _ = lane_over(0)
    assert lane.next_reference() == "SC-2026-000001"


def test_the_millionth_reference_widens_to_seven_digits_rather_than_failing() -> None:
    # Given a year whose 999,999 six-digit numbers are all taken
    lane, probed = lane_over(999_999)
    # Then the next is the seven-digit 1000000, found in about 2 log2(10**6) = 40 probes
    assert lane.next_reference() == "SC-2026-1000000"
    assert len(probed) <= 42
    assert format_reference(2026, 1_000_001) == "SC-2026-1000001"


def test_after_a_number_taken_elsewhere_the_lane_gallops_from_there() -> None:
    # Given a lane that numbered 10, while another process recorded 11 to 13
    lane, probed = lane_over(13)
    lane.recorded("SC-2026-000010")
    # When its receipt of 11 conflicts, then it looks from 11 up, in a handful of probes
    lane.taken_elsewhere("SC-2026-000011")
    assert lane.next_reference() == "SC-2026-000014"
    assert len(probed) <= 5


def test_after_a_failed_save_the_lane_reads_the_last_number_afresh() -> None:
    lane, _ = lane_over(4)
    lane.recorded("SC-2026-000009")  # what it believed, wrongly
    lane.forget()
    assert lane.next_reference() == "SC-2026-000005"
