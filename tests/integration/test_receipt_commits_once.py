"""A receipt's write is one transaction on both databases: the case, the new customer, the
customer's data key and search tokens and the access log's row commit together (counted by
tracing the real drivers), so a receipt that is not saved leaves no key and no token; and
the read models' PostgreSQL connections commit without waiting for the disk, except the
outbox's."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest

from application.commands import ReceiveCase
from application.customers import Intake
from application.desk import Outcome, ServiceDesk
from domain.actors import Actor, Role
from engine.runner import ProjectionSet
from infrastructure.access_log import AccessLog, DisclosureNotRecorded
from infrastructure.bootstrap import build_desk, seed_catalogue
from infrastructure.settings import Settings
from projections.case_index import CASE_INDEX
from projections.outbox import OUTBOX_MODEL
from tests.conftest import MovableClock
from tests.statement_trace import traced
from tests.tampering import Dba

CSR = Actor(id="csr-1", role=Role.CSR)
ANN = {"name": "Ann Lee", "email": "ann.lee@example.org", "phone": "613-555-0199"}


def receive(desk: ServiceDesk, log: AccessLog) -> Outcome:
    with log.disclosing_writes(CSR, "POST /api/v1/cases", ("contact",)):
        return desk.handle(CSR, ReceiveCase(
            channel="email", purpose="issue_or_complaint", department="public-works",
            subject="Pothole", description="Deep, by the school",
            customer=Intake(personal=ANN)))


def vault_rows(dba: Dba, owner: UUID | None = None) -> tuple[int, int]:
    """How many data keys and search tokens the vault holds (of `owner`, if given)."""
    prefix = f"{dba.schema}." if dba.postgres else ""
    where, params = ("", ()) if owner is None else (
        " WHERE owner = ?", (owner if dba.postgres else str(owner),))
    [(keys,)] = dba.run(f"SELECT COUNT(*) FROM {prefix}customer_keys{where}", *params)
    [(tokens,)] = dba.run(f"SELECT COUNT(*) FROM {prefix}customer_tokens{where}", *params)
    return int(keys), int(tokens)


@pytest.fixture
def dba(settings: Settings, desk: ServiceDesk) -> Iterator[Dba]:
    with Dba(settings, desk) as database:
        yield database


def test_a_receipt_with_a_new_customer_commits_once(settings: Settings,
                                                    clock: MovableClock) -> None:
    # given a desk whose every connection is traced from its start
    with traced() as trace:
        desk = build_desk(settings, clock=clock)
        try:
            seed_catalogue(desk)
            log = AccessLog(desk)
            receive(desk, log)  # the first receipt of a process also finds its year's lane
            trace.clear()
            # when a contact from a new customer is received
            outcome = receive(desk, log)
            events = desk.recorder.events_table_name  # type: ignore[attr-defined]
        finally:
            desk.close()
    # then exactly one transaction wrote, and it committed the case, the customer, their
    # data key and search tokens, and the access log's row together
    [commit] = trace.commits_that_wrote()
    assert commit.ended == "COMMIT"
    for table in ("customer_keys", "customer_tokens", "personal_information_access",
                  events):
        assert commit.touches(table), table
    assert outcome.case.customer_id is not None


def test_a_receipt_not_saved_leaves_no_data_key_and_no_search_token(
        desk: ServiceDesk, dba: Dba) -> None:
    # given a desk whose access log refuses rows, so a receipt cannot be saved
    log = AccessLog(desk)
    keys_before = vault_rows(dba)
    position = desk.log_position()
    dba.break_access_log()
    # when a contact from a new customer is received
    with pytest.raises(DisclosureNotRecorded):
        receive(desk, log)
    # then nothing was recorded: no case, no customer, no key, no token
    assert desk.log_position() == position
    assert vault_rows(dba) == keys_before
    # and once the log is mended the same contact is received, its key and tokens kept
    dba.mend_access_log()
    outcome = receive(desk, log)
    assert outcome.case.customer_id is not None
    keys, tokens = vault_rows(dba, outcome.case.customer_id)
    assert keys == 1
    assert tokens >= 3  # name word(s), email, phone
    details = desk.customers.details(outcome.case.customer_id)
    assert details.fields == ANN


# SQLite views already commit with synchronous=NORMAL (engine.dialects).
@pytest.mark.parametrize("settings", [pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
def test_read_models_commit_without_waiting_for_the_disk_but_the_outbox_does(
        desk: ServiceDesk, settings: Settings) -> None:
    # given the read models of a desk on PostgreSQL
    projections = ProjectionSet(settings, desk, [CASE_INDEX, OUTBOX_MODEL])
    try:
        def setting(name: str) -> str:
            with projections.view(name).datastore.get_connection() as connection:
                row = connection.execute("SHOW synchronous_commit").fetchone()
                return str(row["synchronous_commit"])

        # then a read model's connections commit asynchronously (a database crash can only
        # cost it events it applies again), and the outbox's wait for the disk
        assert setting(CASE_INDEX.name) == "off"
        assert setting(OUTBOX_MODEL.name) == "on"
    finally:
        projections.close()
