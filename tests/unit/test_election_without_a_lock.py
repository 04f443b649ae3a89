"""An election without a lock (SQLite: one process per file) leads at once, and keeps trying."""

from __future__ import annotations

import threading

from infrastructure.leadership import Election


def test_a_leader_that_cannot_start_yet_tries_again_until_it_runs() -> None:
    # Given something to lead that is not ready the first two times (a read model it reads
    # is being rebuilt after an upgrade)
    attempts: list[int] = []
    running = threading.Event()

    def lead() -> None:
        attempts.append(len(attempts))
        if len(attempts) < 3:
            raise TimeoutError("read model pending_deadlines is rebuilding")
        running.set()

    election = Election(None, lead=lead, stand_down=lambda: None, interval=0.01)
    try:
        # When the election starts
        election.start()
        # then the first attempt ran before start() returned, and it stands by meanwhile
        assert attempts == [0]
        assert not election.is_leader
        # and it keeps trying until it runs (waiting on the thread, not on a deadline)
        assert running.wait(timeout=10)
        assert election.is_leader
        assert len(attempts) == 3
    finally:
        election.stop()


def test_a_leader_that_starts_leads_before_start_returns() -> None:
    led = []
    election = Election(None, lead=lambda: led.append(True), stand_down=lambda: None,
                        interval=0.01)
    try:
        election.start()
        assert election.is_leader and led == [True]
    finally:
        election.stop()
