"""The hash chain's link formula, and the walk that verifies a log held in memory."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from uuid import UUID

from infrastructure.chain import GENESIS, ChainRow, link, verify

CASE = UUID("12345678-1234-5678-1234-567812345678")
OTHER = UUID("87654321-4321-8765-4321-876543218765")
RECEIVED = "domain.cases:Case.Received"
ACKNOWLEDGED = "domain.cases:Case.Acknowledged"


def chained(*events: tuple[int, UUID, int, str, bytes]) -> list[ChainRow]:
    """Rows as the recorder stores them: each event beside the link computed for it."""
    rows, previous = [], GENESIS
    for notification_id, originator_id, version, topic, state in events:
        previous = link(previous, notification_id, originator_id, version, topic, state)
        rows.append(ChainRow(notification_id, originator_id, version, topic, state, previous))
    return rows


def history() -> list[ChainRow]:
    return chained((1, CASE, 1, RECEIVED, b'{"subject":"Pothole"}'),
                   (2, OTHER, 1, RECEIVED, b'{"subject":"Permit"}'),
                   (3, CASE, 2, ACKNOWLEDGED, b'{"message":"On it"}'),
                   (4, OTHER, 2, ACKNOWLEDGED, b'{"message":"Soon"}'))


class TestLink:
    def test_a_link_hashes_fixed_width_fields_in_a_fixed_order(self) -> None:
        # given the first event of a log
        state = b'{"subject":"Pothole"}'
        # when it is linked to the genesis
        result = link(GENESIS, 1, CASE, 1, RECEIVED, state)
        # then the link is sha256 over 32 + 8 + 16 + 8 + 32 + 32 = 128 bytes, written out by hand
        preimage = (bytes(32)
                    + bytes.fromhex("0000000000000001")
                    + bytes.fromhex("12345678123456781234567812345678")
                    + bytes.fromhex("0000000000000001")
                    + hashlib.sha256(b"domain.cases:Case.Received").digest()
                    + hashlib.sha256(b'{"subject":"Pothole"}').digest())
        assert len(preimage) == 128
        assert result == hashlib.sha256(preimage).digest()

    def test_moving_bytes_between_topic_and_state_changes_the_link(self) -> None:
        # given two events whose topic and state concatenate to the same text
        # when each is linked
        # then they differ, because topic and state are hashed separately (fixed width)
        assert link(GENESIS, 1, CASE, 1, "ab", b"c") != link(GENESIS, 1, CASE, 1, "a", b"bc")

    def test_the_notification_id_and_version_are_not_interchangeable(self) -> None:
        # given the same event recorded at position 1 version 2 and at position 2 version 1
        # then the links differ: each number has its own 8-byte field
        assert link(GENESIS, 1, CASE, 2, RECEIVED, b"{}") != link(GENESIS, 2, CASE, 1,
                                                                 RECEIVED, b"{}")

    def test_the_chain_depends_on_the_order_of_events(self) -> None:
        # given two events
        first = (1, CASE, 1, RECEIVED, b"a")
        second = (2, OTHER, 1, RECEIVED, b"b")
        # when they are chained in one order and in the other (keeping their positions)
        forward = link(link(GENESIS, *first), *second)
        backward = link(link(GENESIS, *second), *first)
        # then the heads differ
        assert forward != backward


class TestVerify:
    def test_an_intact_log_verifies_with_its_last_link_as_head(self) -> None:
        # given a log of four events, each beside its link
        rows = history()
        # when it is walked
        verdict = verify(iter(rows))
        # then it verifies, and its head is the last stored link
        assert verdict.ok
        assert (verdict.events, verdict.head_position) == (4, 4)
        assert verdict.head_hash == rows[-1].stored_link.hex()  # type: ignore[union-attr]
        assert verdict.first_bad_position is None and verdict.problem is None

    def test_an_empty_log_verifies_with_the_genesis_as_head(self) -> None:
        # given a log with no events, when it is walked, then its head is the genesis
        verdict = verify(iter([]))
        assert verdict.ok and verdict.events == 0 and verdict.head_position == 0
        assert verdict.head_hash == GENESIS.hex()

    def test_gaps_in_notification_ids_are_allowed(self) -> None:
        # given a PostgreSQL log whose sequence skipped ids after rolled-back inserts
        rows = chained((1, CASE, 1, RECEIVED, b"a"), (5, OTHER, 1, RECEIVED, b"b"))
        # when it is walked, then it verifies: ids are hashed into links, not expected dense
        assert verify(iter(rows)).ok

    def test_an_altered_state_is_caught_at_its_event(self) -> None:
        # given a log whose third event's state was rewritten
        rows = history()
        rows[2] = replace(rows[2], state=b'{"message":"Never"}')
        # when it is walked
        verdict = verify(iter(rows))
        # then the walk stops there, and reports the head it had verified so far
        assert not verdict.ok and verdict.first_bad_position == 3
        assert verdict.events == 2 and verdict.head_position == 2
        assert verdict.head_hash == rows[1].stored_link.hex()  # type: ignore[union-attr]

    def test_an_event_missing_beside_its_link_is_reported_as_missing(self) -> None:
        rows = history()
        # given a log whose second event was deleted but whose link was kept
        rows[1] = ChainRow(2, None, None, None, None, rows[1].stored_link)
        # when it is walked, then the outer join's half row is reported at its position
        verdict = verify(iter(rows))
        assert verdict.first_bad_position == 2
        assert verdict.problem == "its event is missing from the log"

    def test_an_event_without_a_link_is_reported_as_unlinked(self) -> None:
        rows = history()
        # given a log whose last link was deleted (or an event appended behind the recorder)
        rows[3] = replace(rows[3], stored_link=None)
        # when it is walked, then that event is reported
        verdict = verify(iter(rows))
        assert verdict.first_bad_position == 4
        assert verdict.problem == "its event has no chain link"

    def test_an_emptied_field_is_reported_as_an_alteration(self) -> None:
        rows = history()
        # given a log whose first event's version was set to NULL
        rows[0] = replace(rows[0], originator_version=None)
        # when it is walked, then it is an alteration (not a crash, not a missing event)
        verdict = verify(iter(rows))
        assert verdict.first_bad_position == 1
        assert verdict.problem == "its event was altered: a field is empty"

    def test_a_row_removed_with_its_link_is_caught_at_the_next_event(self) -> None:
        rows = history()
        # given a log whose second event and link were both deleted
        del rows[1]
        # when it is walked, then the third link no longer follows from the first
        verdict = verify(iter(rows))
        assert verdict.first_bad_position == 3

    def test_swapped_contents_are_caught_at_the_earlier_position(self) -> None:
        rows = history()
        # given a log whose second and fourth events swapped their topics and states
        rows[1], rows[3] = (replace(rows[1], topic=rows[3].topic, state=rows[3].state),
                            replace(rows[3], topic=rows[1].topic, state=rows[1].state))
        # when it is walked, then the earlier of the two is reported
        assert verify(iter(rows)).first_bad_position == 2
