"""Least privilege on PostgreSQL: `civicdesk migrate --grant-to ROLE` run as the owner (the test
server's superuser) leaves the runtime role able to read and append to the record and run the
read models, and unable to change or unguard the record in any other way."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from application.desk import ServiceDesk
from domain.actors import Actor, Role
from engine.runner import ProjectionSet
from infrastructure.access_log import TABLE as ACCESS_LOG
from infrastructure.access_log import AccessLog
from infrastructure.bootstrap import build_desk, seed_catalogue
from infrastructure.database_roles import owner_level_reasons
from projections.case_index import CASE_INDEX
from projections.registry import all_specs
from tests.command_line import civicdesk
from tests.database_roles import TwoRoles, migrated_for_two_roles
from tests.receiving import receive

pytestmark = pytest.mark.postgres
CATCH_UP_SECONDS = 30.0


@pytest.fixture
def two_roles(tmp_path: Path) -> Iterator[TwoRoles]:
    with migrated_for_two_roles(tmp_path) as roles:
        yield roles


@pytest.fixture
def runtime_connection(two_roles: TwoRoles) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(str(two_roles.runtime.database_url), autocommit=True,
                         row_factory=dict_row) as conn:
        conn.execute(f'SET search_path = "{two_roles.runtime.database_schema}"')
        yield conn


def record_tables(two_roles: TwoRoles) -> dict[str, str]:
    desk = ServiceDesk(env={**two_roles.runtime.eventsourcing_env(), "CREATE_TABLE": "no"})
    try:
        events = desk.recorder.events_table_name  # type: ignore[attr-defined]
    finally:
        desk.close()
    return {"events": events, "chain": f"{events}_chain", "access log": ACCESS_LOG}


FORBIDDEN = {
    "UPDATE": "UPDATE {t} SET {column} = {column}",
    "DELETE": "DELETE FROM {t}",
    "TRUNCATE": "TRUNCATE {t}",
    "ALTER": "ALTER TABLE {t} DISABLE TRIGGER refuse_update_delete",
    "DROP TRIGGER": "DROP TRIGGER refuse_update_delete ON {t}",
    "CREATE TRIGGER": "CREATE TRIGGER allow_anything BEFORE UPDATE ON {t} FOR EACH ROW "
                      "EXECUTE FUNCTION suppress_redundant_updates_trigger()",
    "DROP TABLE": "DROP TABLE {t}",
}
FIRST_COLUMN = {"events": "topic", "chain": "link", "access log": "route"}


class TestTheRuntimeRoleCannotChangeTheRecord:
    @pytest.mark.parametrize("operation", list(FORBIDDEN))
    def test_each_forbidden_statement_fails_with_a_permission_error_on_every_record_table(
            self, two_roles: TwoRoles, runtime_connection: psycopg.Connection[Any],
            operation: str) -> None:
        # given the runtime role, connected after `civicdesk migrate --grant-to` it
        for kind, table in record_tables(two_roles).items():
            statement = FORBIDDEN[operation].format(t=f'"{table}"', column=FIRST_COLUMN[kind])
            # when it tries the statement, then PostgreSQL refuses it for want of privilege
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                runtime_connection.execute(statement)

    def test_it_cannot_silence_the_triggers_or_replace_their_function(
            self, two_roles: TwoRoles, runtime_connection: psycopg.Connection[Any]) -> None:
        events = record_tables(two_roles)["events"]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            runtime_connection.execute("SET session_replication_role = replica")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            runtime_connection.execute(
                f'CREATE OR REPLACE FUNCTION "{events}_refuse"() RETURNS trigger '
                "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$")

    def test_it_cannot_write_a_chain_link_itself(
            self, two_roles: TwoRoles, runtime_connection: psycopg.Connection[Any]) -> None:
        chain = record_tables(two_roles)["chain"]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            runtime_connection.execute(
                f'INSERT INTO "{chain}" (notification_id, link) VALUES (999999, %s)',
                [b"\0" * 32])


class TestTheRuntimeRoleReadsAndAppends:
    def test_it_selects_from_every_record_table_and_inserts_into_events_and_access_log(
            self, two_roles: TwoRoles, runtime_connection: psycopg.Connection[Any]) -> None:
        tables = record_tables(two_roles)
        for table in tables.values():
            runtime_connection.execute(f'SELECT * FROM "{table}" LIMIT 1').fetchall()
        # (rolled back: a hand-made event would be no event the desk can read)
        with runtime_connection.transaction():
            runtime_connection.execute(
                f'INSERT INTO "{tables["events"]}" (originator_id, originator_version, '
                "topic, state) VALUES (%s, 1, 'test', 'x')", [uuid.uuid4()])
            runtime_connection.execute(
                f'INSERT INTO "{tables["access log"]}" (at, actor_id, actor_role, case_id, '
                "route) VALUES (now(), 'auditor', 'auditor', %s, 'test')", [uuid.uuid4()])
            linked = runtime_connection.execute(
                f'SELECT count(*) AS n FROM "{tables["chain"]}"').fetchone()
            assert linked is not None and linked["n"] > 0  # the owner's trigger linked it
            raise psycopg.Rollback()  # the transaction ends here, rolled back

    def test_migrate_set_up_the_record_and_seeded_the_catalogue(
            self, two_roles: TwoRoles) -> None:
        assert "catalogue records added" in two_roles.migrated
        assert f"granted {two_roles.role}" in two_roles.migrated
        assert civicdesk(two_roles.owner, "verify").returncode == 0


@pytest.fixture
def runtime_desk(two_roles: TwoRoles) -> Iterator[ServiceDesk]:
    desk = build_desk(two_roles.runtime)  # as `serve` does: with CREATE_TABLE on
    seed_catalogue(desk)
    yield desk
    desk.close()


class TestServingAsTheRuntimeRole:
    def test_a_case_is_received_read_models_run_and_a_disclosure_is_logged(
            self, two_roles: TwoRoles, runtime_desk: ServiceDesk) -> None:
        # given the desk and every read model, as `serve` runs them, as the runtime role
        projections = ProjectionSet(two_roles.runtime, runtime_desk, list(all_specs().values()))
        try:
            projections.start()
            # when a case is received, and someone sees its contact details
            outcome = receive(runtime_desk)
            AccessLog(runtime_desk).record(Actor(id="aud", role=Role.AUDITOR),
                                           outcome.case.id, "test", ["contact"])
            # then every read model follows it
            projections.wait_for(outcome.position, timeout=CATCH_UP_SECONDS)
            rows, _ = projections.view(CASE_INDEX.name).list_cases(None, limit=10)
            assert [row.id for row in rows] == [outcome.case.id]
            assert [error for spec in all_specs() if (error := projections.error(spec))] == []
            # and the record still verifies, for the owner and for the runtime role
            for settings in (two_roles.owner, two_roles.runtime):
                verified = civicdesk(settings, "verify")
                assert verified.returncode == 0, verified.stderr
        finally:
            projections.close()

    def test_a_rebuild_makes_and_drops_read_model_tables_as_that_role(
            self, two_roles: TwoRoles, runtime_desk: ServiceDesk) -> None:
        projections = ProjectionSet(two_roles.runtime, runtime_desk, [CASE_INDEX])
        try:
            projections.start()
            outcome = receive(runtime_desk)
            projections.wait_for(outcome.position, timeout=CATCH_UP_SECONDS)
            # when the case index is rebuilt by the runtime role
            rebuilt = projections.rebuild(CASE_INDEX.name, grace=0)
            # then the new generation is live, holds the case, and generation 0 is gone
            assert rebuilt.generation == 1
            rows, _ = projections.view(CASE_INDEX.name).list_cases(None, limit=10)
            assert [row.id for row in rows] == [outcome.case.id]
            with psycopg.connect(str(two_roles.runtime.database_url)) as conn:
                found = conn.execute("SELECT to_regclass(%s)", [
                    f'"{two_roles.runtime.database_schema}".case_index']).fetchone()
            assert found == (None,)
        finally:
            projections.close()


class TestAnOwnerRoleThatIsNoSuperuser:
    def test_it_migrates_and_the_runtime_role_receives_a_case(self, tmp_path: Path) -> None:
        # given the roles as README "Operating it" creates them: the owner owns the schema
        with migrated_for_two_roles(tmp_path, owner_role=True) as roles:
            desk = build_desk(roles.runtime)
            try:
                # when the runtime role receives a case
                outcome = receive(desk)
                # then it is recorded, the record verifies, and only the owner is owner-level
                assert outcome.position > 0
                assert owner_level_reasons(desk) == []
            finally:
                desk.close()
            owner_desk = ServiceDesk(env={**roles.owner.eventsourcing_env(),
                                          "CREATE_TABLE": "no"})
            try:
                assert [reason for reason in owner_level_reasons(owner_desk)
                        if "superuser" not in reason] == owner_level_reasons(owner_desk)
                assert any("owns the event log" in r for r in owner_level_reasons(owner_desk))
            finally:
                owner_desk.close()
            verified = civicdesk(roles.runtime, "verify")
            assert verified.returncode == 0, verified.stderr


class TestOwnerLevelRoles:
    def test_the_runtime_role_is_not_owner_level_and_the_owner_is(
            self, two_roles: TwoRoles, runtime_desk: ServiceDesk) -> None:
        assert owner_level_reasons(runtime_desk) == []
        owner_desk = ServiceDesk(env={**two_roles.owner.eventsourcing_env(),
                                      "CREATE_TABLE": "no"})
        try:
            reasons = owner_level_reasons(owner_desk)
        finally:
            owner_desk.close()
        assert any("superuser" in reason for reason in reasons)
        assert any("owns the event log" in reason for reason in reasons)
