"""A view's generations of tables: the `projection_generations` row that says which is live,
claiming one for a rebuild, the switch, creating and dropping a generation's tables (see
engine.views for what generations are)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from time import monotonic
from typing import TYPE_CHECKING, Any, ClassVar, cast

from engine import failures
from engine.errors import GenerationChanged

GENERATIONS = "projection_generations"
SCHEMAS = "projection_schemas"  # (projection, generation) -> fingerprint


class Generations:
    """Mixed into `engine.views.View`, whose names and transactions it uses."""

    name: ClassVar[str]
    placeholder: ClassVar[str]
    _generation: int
    _seen: int
    _seen_at: float
    _pinned: bool
    _fits: set[int]

    if TYPE_CHECKING:  # View's own
        def _qualify(self, name: str) -> str: ...
        def _begin(self, *, write: bool) -> AbstractContextManager[Any]: ...
        def _glance(self) -> AbstractContextManager[Any]: ...
        def _generation_at(self, generation: int) -> AbstractContextManager[None]: ...
        def joined(self, cursor: Any) -> AbstractContextManager[None]: ...
        def statements_of(self, generation: int) -> list[str]: ...
        def tables_of(self, generation: int) -> list[str]: ...
        def _check_names(self, generation: int, statements: list[str]) -> None: ...
        def _misfit(self, cursor: Any, generation: int, *, look: bool) -> str | None: ...
        def _record_fingerprint(self, cursor: Any, generation: int) -> None: ...
        @property
        def tracking_table(self) -> str: ...

    def _live_generation(self, cursor: Any) -> int:
        """The live generation, read in the transaction of `cursor` (which it then holds)."""
        cursor.execute(f"SELECT generation FROM {self._qualify(GENERATIONS)} "
                       f"WHERE projection = {self.placeholder}", [self.name])
        row = cursor.fetchone()
        return 0 if row is None else int(row["generation"])

    def live_generations(self) -> dict[str, int]:
        """Every projection's live generation in this schema, in one statement and without
        the switch lock: a glance for the supervisor, which moves a runner only through a
        start that reads the generation properly (a projection never switched: 0)."""
        with self._glance() as cursor:
            cursor.execute(f"SELECT projection, generation FROM {self._qualify(GENERATIONS)}")
            return {str(row["projection"]): int(row["generation"])
                    for row in cursor.fetchall()}

    def current_generation(self) -> int:
        with self._begin(write=False) as cursor:
            generation = self._live_generation(cursor)
        self._seen_at = monotonic()
        return generation

    def refresh(self) -> None:
        """Bind this view's writes to the live generation (after a rebuild in this process)."""
        if not self._pinned:
            self._generation = self._seen = self.current_generation()

    def claim_generation(self) -> tuple[int, int]:
        """Claim the next generation for a rebuild: returns (live, claimed). Drops the tables
        of an earlier rebuild that never switched (it crashed, or this one supersedes it)."""
        generations, mark = self._qualify(GENERATIONS), self.placeholder
        with self._begin(write=True) as cursor:
            cursor.execute(f"INSERT INTO {generations} (projection, generation) VALUES "
                           f"({mark}, 0) ON CONFLICT (projection) DO NOTHING", [self.name])
            cursor.execute(f"SELECT generation, building FROM {generations} "
                           f"WHERE projection = {mark}{self._for_update}", [self.name])
            row = cursor.fetchone()
            live, building = int(row["generation"]), row["building"]
            claimed = max(live, building or 0) + 1
            cursor.execute(f"UPDATE {generations} SET building = {mark} "
                           f"WHERE projection = {mark}", [claimed, self.name])
        if building is not None and building != live:
            self.drop_generation(int(building))
        return live, claimed

    @contextmanager
    def switching(self) -> Iterator[Any]:
        """The transaction that makes this (pinned) view's generation live, once the body,
        which runs joined to it, has applied the last events. It holds off every reader and
        writer of the projection meanwhile (see `lock_switch`). Raises GenerationChanged if
        another rebuild claimed a later generation since."""
        generations, mark = self._qualify(GENERATIONS), self.placeholder
        assert self._pinned, "only a rebuild's view switches"
        with self._begin(write=True) as cursor:
            self.lock_switch(cursor)
            cursor.execute(f"SELECT building FROM {generations} "
                           f"WHERE projection = {mark}{self._for_update}", [self.name])
            row = cursor.fetchone()
            if row is None or row["building"] != self._generation:
                raise GenerationChanged(f"another rebuild of {self.name} superseded "
                                        f"generation {self._generation}")
            with self._generation_at(self._generation), self.joined(cursor):
                yield cursor
            cursor.execute(f"UPDATE {generations} SET generation = {mark}, building = NULL "
                           f"WHERE projection = {mark}", [self._generation, self.name])

    _for_update: ClassVar[str] = ""

    def lock_switch(self, cursor: Any) -> None:
        """Hold off the projection's readers and writers until the transaction ends."""

    def _create_generations_table(self) -> None:
        for attempt in range(3):
            try:
                with self._begin(write=True) as cursor:
                    cursor.execute(f"CREATE TABLE IF NOT EXISTS {self._qualify(GENERATIONS)} "
                                   "(projection TEXT PRIMARY KEY, generation INTEGER NOT NULL, "
                                   "building INTEGER)")
                    cursor.execute(f"CREATE TABLE IF NOT EXISTS {self._qualify(SCHEMAS)} "
                                   "(projection TEXT NOT NULL, generation INTEGER NOT NULL, "
                                   "fingerprint TEXT NOT NULL, "
                                   "PRIMARY KEY (projection, generation))")
                    cursor.execute(failures.create_statement(cast(Any, self)))
                return
            except Exception:
                # PostgreSQL: two processes starting at once may race to create it, and the
                # loser's IF NOT EXISTS fails on the catalogue; the next try finds it.
                if attempt == 2:
                    raise

    def _create_tracking_statement(self) -> str:
        return (f"CREATE TABLE IF NOT EXISTS {self.tracking_table} (application_name TEXT, "
                "notification_id BIGINT, PRIMARY KEY (application_name))")

    def create_table(self) -> None:
        """Create this view's generation of tables (if missing) and record its fingerprint.

        A rebuild's (pinned) view makes its new generation. Any other view first binds to the
        live generation, and leaves it alone if another version of civicdesk made its tables
        (see `misfit`): then `reading()` and `writing()` refuse them until they are rebuilt.
        On PostgreSQL it holds off switches and other processes' creations meanwhile.
        """
        with self._begin(write=True) as cursor:
            if not self._pinned:
                self.lock_switch(cursor)
                self._generation = self._seen = self._live_generation(cursor)
                self._seen_at = monotonic()
                if self._misfit(cursor, self._generation, look=True):
                    return
            statements = self.statements_of(self._generation)
            if self._generation:
                self._check_names(self._generation, statements)
            for statement in statements:
                cursor.execute(statement)
            if self._generation not in self._fits:
                self._record_fingerprint(cursor, self._generation)
        self._fits.add(self._generation)

    def analyze(self) -> None:
        """Refresh the planner's statistics of this view's tables. A rebuild's tables grow
        from nothing within minutes, faster than autovacuum (if it runs at all) notices, and a
        plan made for an empty table (a scan) stays in the prepared statements of the batch."""
        with self._begin(write=True) as cursor, self._generation_at(self._generation):
            for statement in self._analyze_statements(self.tables_of(self._generation)):
                cursor.execute(statement)

    def _analyze_statements(self, tables: list[str]) -> list[str]:
        return [f"ANALYZE {table}" for table in tables]

    def drop_generation(self, generation: int) -> None:
        """Drop every table of `generation` (their indexes go with them), and its fingerprint."""
        with self._begin(write=True) as cursor:
            for table in reversed(self.tables_of(generation)):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(f"DELETE FROM {self._qualify(SCHEMAS)} WHERE projection = "
                           f"{self.placeholder} AND generation = {self.placeholder}",
                           [self.name, generation])
        self._fits.discard(generation)
