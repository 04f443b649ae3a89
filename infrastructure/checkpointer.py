"""The checkpointer: the elected process extends the Merkle tree and signs a checkpoint every
`checkpoint_seconds` while the log grows (one leader per database, elected like the scheduler
on PostgreSQL; on SQLite the one process leads)."""

from __future__ import annotations

import logging
import threading
from typing import Any

from eventsourcing.application import Application

from infrastructure.checkpoints import Signed, sign_checkpoint
from infrastructure.leadership import AdvisoryLock, Election
from infrastructure.settings import Settings
from infrastructure.signed_note import Signer

log = logging.getLogger("civicdesk.ledger")
NAME = "checkpointer"  # its advisory lock is a read model's, named so


class Checkpointer:
    def __init__(self, settings: Settings, desk: Application[Any], signer: Signer,
                 election_interval: float = 2.0) -> None:
        self.desk, self.signer = desk, signer
        self.directory = settings.checkpoint_directory
        self.interval = float(settings.checkpoint_seconds)
        self.last: Signed | None = None
        self.broken_position: int | None = None  # where the tree stopped at a broken link
        # where signing stopped at an event the application did not sign (inserted by SQL)
        self.unsigned_position: int | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        lock = (AdvisoryLock(settings.database_url, settings.database_schema or "public",
                             name=NAME) if settings.database_url else None)
        self.election = Election(lock, lead=self._lead, stand_down=self._stand_down,
                                 interval=election_interval, what="the checkpointer")

    def run_once(self) -> Signed:
        """Extend the tree and sign it if it grew; a broken log is logged at ERROR."""
        signed = sign_checkpoint(self.desk, self.signer, self.directory)
        self.last, self.broken_position = signed, signed.broken_position
        self.unsigned_position = signed.unsigned_position
        if signed.unsigned_position is not None:
            log.error("an event the application did not sign is in the log at position %s "
                      "(%s): no checkpoint is signed over it; run civicdesk verify",
                      signed.unsigned_position, signed.problem)
        elif signed.problem is not None:
            log.error("the log is inconsistent at position %s (%s): checkpoints stop before "
                      "it; run civicdesk verify", signed.broken_position, signed.problem)
        if signed.access_problem is not None:
            log.error("the access log is inconsistent at entry %s (%s): checkpoints cover it "
                      "only before that entry; run civicdesk verify", signed.access_bad_id,
                      signed.access_problem)
        return signed

    def _run(self, stopping: threading.Event) -> None:
        while True:
            try:
                self.run_once()
            except Exception:
                log.exception("signing a checkpoint failed; trying again")
            if stopping.wait(self.interval):
                return

    def _lead(self) -> None:
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(self._stopping,), daemon=True,
                                        name="checkpointer")
        self._thread.start()

    def _stand_down(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def start(self) -> None:
        self.election.start()

    def stop(self) -> None:
        self.election.stop()
        self._stand_down()


def elected_checkpointer(settings: Settings, desk: Application[Any]) -> Checkpointer | None:
    """The checkpointer of a server, or None where no key signs checkpoints (`serve` has
    refused to start without one already, outside development mode)."""
    from infrastructure.checkpoint_keys import NoCheckpointKey, checkpoint_signer

    try:
        return Checkpointer(settings, desk, checkpoint_signer(settings))
    except NoCheckpointKey:
        return None
