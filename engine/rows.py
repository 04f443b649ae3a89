"""A view's values and rows: ids and times as each database takes them, and the row writes
read models share (`insert_row`, `update_row`, `Sql` for a value computed over the row)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID


class Rows:
    """Mixed into `engine.views.View`; a dialect (engine.dialects) gives the values' forms."""

    placeholder: ClassVar[str]

    if TYPE_CHECKING:  # View's own
        def table(self, name: str) -> str: ...

    # -- values -------------------------------------------------------------------------------

    def time_in(self, moment: datetime) -> Any:
        raise NotImplementedError

    def time_out(self, value: Any) -> datetime:
        raise NotImplementedError

    def id_in(self, value: UUID) -> Any:
        raise NotImplementedError

    def id_out(self, value: Any) -> UUID:
        raise NotImplementedError

    # -- rows ---------------------------------------------------------------------------------

    ID_COLUMNS: ClassVar[frozenset[str]] = frozenset({"id", "case_id"})
    TIME_COLUMNS: ClassVar[frozenset[str]] = frozenset()  # a read model names its own

    def to_db(self, column: str, value: Any) -> Any:
        """`value` of `column` as the driver takes it (ids and times by the dialect)."""
        if value is None or isinstance(value, Sql):
            return value
        if column in self.ID_COLUMNS:
            return self.id_in(value)
        return self.time_in(value) if column in self.TIME_COLUMNS else value

    def insert_row(self, cursor: Any, table: str, columns: tuple[str, ...],
                   row: dict[str, Any]) -> None:
        """Insert `row`'s `columns` into `table` (a name `table()` resolves)."""
        cursor.execute(f"INSERT INTO {self.table(table)} ({', '.join(columns)}) VALUES "
                       f"({', '.join(self.placeholder for _ in columns)})",
                       [self.to_db(column, row[column]) for column in columns])

    def update_row(self, cursor: Any, table: str, key: UUID, values: dict[str, Any]) -> None:
        """Set `values` (each a value, or `Sql` over the row) in `table`'s row of id `key`."""
        mark = self.placeholder
        cursor.execute(f"UPDATE {self.table(table)} SET " + ", ".join(
            f"{column} = {value}" if isinstance(value, Sql) else f"{column} = {mark}"
            for column, value in values.items()) + f" WHERE id = {mark}",
            [*(self.to_db(c, v) for c, v in values.items() if not isinstance(v, Sql)),
             self.id_in(key)])


class Sql(str):
    """A column's new value as an SQL expression over the row, not a parameter."""

