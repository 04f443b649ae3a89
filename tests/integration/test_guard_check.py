"""The guard check sees everything on the record's tables that civicdesk did not put there: a
trigger that rewrites each new event before it is chained, a rule, a row-level security policy
(on SQLite and PostgreSQL), and says so even when the chain fails too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from application.desk import ServiceDesk
from infrastructure.ledger import verify_log
from tests.command_line import civicdesk
from tests.integration.test_tamper_evidence import History, record_history
from tests.tampering import Dba

if TYPE_CHECKING:
    from infrastructure.settings import Settings
    from tests.conftest import MovableClock


@pytest.fixture
def history(desk: ServiceDesk, clock: MovableClock) -> History:
    return record_history(desk, clock)


@pytest.fixture
def db(settings: Settings, desk: ServiceDesk) -> Iterator[Dba]:
    with Dba(settings, desk) as database:
        yield database


def table_of(desk: ServiceDesk) -> str:
    return str(desk.recorder.events_table_name)  # type: ignore[attr-defined]


def add_rewriting_trigger(db: Dba) -> None:
    """A trigger that changes each event as it is inserted, before its link is computed."""
    if db.postgres:
        db.run(f"CREATE FUNCTION {db.schema}.rewrite() RETURNS trigger LANGUAGE plpgsql AS "
               "$$ BEGIN NEW.state := convert_to('{}', 'UTF8'); RETURN NEW; END $$")
        db.run(f"CREATE TRIGGER rewrite BEFORE INSERT ON {db.events} FOR EACH ROW "
               f"EXECUTE FUNCTION {db.schema}.rewrite()")
    else:  # SQLite cannot change NEW; a trigger after the insert can still act on it
        db.run(f"CREATE TRIGGER rewrite AFTER INSERT ON {db.events} BEGIN SELECT 1; END")


def test_a_trigger_civicdesk_did_not_make_fails_the_guard_check(
        desk: ServiceDesk, history: History, db: Dba) -> None:
    # given a DBA who added a trigger that rewrites each new event before it is chained
    add_rewriting_trigger(db)
    # when the log is verified
    verdict = verify_log(desk)
    # then the chain is intact but the guard check names the trigger
    assert verdict.ok and not verdict.guard_ok
    assert f"trigger rewrite on {table_of(desk)} was not made by civicdesk" in (
        verdict.guard_problem or "")


@pytest.mark.parametrize("object_kind", ["rule", "policy"])
def test_a_rule_or_a_policy_on_the_log_fails_the_guard_check(
        desk: ServiceDesk, settings: Settings, history: History, db: Dba,
        object_kind: str) -> None:
    if not settings.is_postgres:
        pytest.skip("SQLite has no rules or policies")
    if object_kind == "rule":
        db.run(f"CREATE RULE swallow AS ON INSERT TO {db.events} DO INSTEAD NOTHING")
        expected = [f"rule swallow on {table_of(desk)} was not made by civicdesk"]
    else:
        db.run(f"CREATE POLICY hide ON {db.events} USING (false)")
        db.run(f"ALTER TABLE {db.events} ENABLE ROW LEVEL SECURITY")
        expected = [f"policy hide on {table_of(desk)} was not made by civicdesk",
                    f"row-level security is enabled on {table_of(desk)}"]
    verdict = verify_log(desk)
    assert not verdict.guard_ok
    assert all(problem in (verdict.guard_problem or "") for problem in expected)


def test_an_intact_database_has_nothing_foreign(desk: ServiceDesk, history: History) -> None:
    verdict = verify_log(desk)
    assert verdict.guard_ok, verdict.guard_problem


def test_verify_reports_the_guard_even_when_the_chain_fails_too(
        desk: ServiceDesk, settings: Settings, history: History, db: Dba) -> None:
    # given a DBA who dropped the guard and altered an event
    db.drop_guard()
    db.set(history.transferred, "topic", "domain.cases:Case.Closed")
    # when `civicdesk verify` runs, then it names both the event and the missing guard
    result = civicdesk(settings, "verify")
    assert result.returncode == 1
    assert f"FAILED at notification {history.transferred}" in result.stderr
    assert "FAILED: the append-only guard is not intact: trigger" in result.stderr


@pytest.mark.postgres
def test_only_the_grants_migrate_makes_pass_the_guard_check(tmp_path: Path) -> None:
    from infrastructure.database_check import open_for_reading
    from tests.database_roles import migrated_for_two_roles

    # given a database migrated by its owner for a runtime role
    with migrated_for_two_roles(tmp_path) as roles:
        desk = open_for_reading(roles.owner)
        try:
            # then the grants `migrate --grant-to` made are not foreign
            assert verify_log(desk).guard_ok, verify_log(desk).guard_problem
            # when the runtime role is also granted UPDATE on the log, and PUBLIC may read the
            # access log and add triggers to the checkpoints
            schema, events = roles.owner.database_schema, table_of(desk)
            with Dba(roles.owner, desk) as db:
                db.run(f"GRANT UPDATE ON {schema}.{events} TO {roles.role}")
                db.run(f"GRANT SELECT ON {schema}.personal_information_access TO PUBLIC")
                db.run(f"GRANT TRIGGER ON {schema}.{events}_checkpoints TO PUBLIC")
            # then the guard check names each of those grants
            problem = str(verify_log(desk).guard_problem)
            assert f"grant of UPDATE on {events} to {roles.role} was not made" in problem
            assert "grant of SELECT on personal_information_access to PUBLIC" in problem
            assert f"grant of TRIGGER on {events}_checkpoints to PUBLIC" in problem
            assert "INSERT" not in problem and f"SELECT on {events} " not in problem
        finally:
            desk.close()


def test_a_missing_access_log_guard_fails_the_guard_check(
        desk: ServiceDesk, settings: Settings, db: Dba) -> None:
    from infrastructure.access_log import TABLE, AccessLog

    # given the access log set up with its guards
    AccessLog(desk)
    assert verify_log(desk).guard_ok
    # when its update guard is dropped
    db.run(f"DROP TRIGGER refuse_update_delete ON {db.schema}.{TABLE}" if db.postgres
           else f"DROP TRIGGER {TABLE}_refuse_update")
    # then the guard check says it is missing
    assert "is missing" in str(verify_log(desk).guard_problem)
    assert TABLE in str(verify_log(desk).guard_problem) or "refuse_update" in str(
        verify_log(desk).guard_problem)
