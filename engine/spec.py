"""A read model as the engine sees it (`ProjectionSpec`), and where it stands
(`ProjectionPosition`, with the roles a process plays for it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from eventsourcing.persistence import TrackingRecorder
from eventsourcing.projection import Projection

from engine.dialects import PostgresView, SQLiteView
from engine.failures import Failure


class Dialected(Protocol):
    """What picks a view's database (infrastructure.settings.Settings has it)."""

    @property
    def is_postgres(self) -> bool: ...


@dataclass(frozen=True)
class ProjectionSpec:
    """A read model: its projection, and its view class on each database."""

    projection: type[Projection[Any]]
    sqlite_view: type[SQLiteView]
    postgres_view: type[PostgresView]

    def __post_init__(self) -> None:
        names = {self.projection.name, self.sqlite_view.name, self.postgres_view.name}
        if len(names) != 1:
            raise ValueError(f"a projection and its views share one name, not {names}")

    @property
    def name(self) -> str:
        return self.projection.name

    def view_class(self, settings: Dialected) -> type[TrackingRecorder]:
        return self.postgres_view if settings.is_postgres else self.sqlite_view


# What this process does with a projection (`ProjectionSet.role`).
RUNNING = "running"  # runs it
REBUILDING = "rebuilding"  # rebuilds its tables, made by another version, then runs it
STANDBY = "standby"  # stands by: another process holds its lock and runs it (PostgreSQL)
ELSEWHERE = "elsewhere"  # runs no projections (settings.run_projections false)
STOPPED = "stopped"  # should run it, but is not started
FAILED = "failed"  # ran it until it failed (see `error`)


@dataclass(frozen=True)
class ProjectionPosition:
    name: str
    position: int
    lag: int  # notifications behind the head of the log (an upper bound: ids may have gaps)
    running: bool  # this process runs it
    error: str | None = None  # what stopped it, or why its tables are not ready
    generation: int = 0  # which generation of its tables is live (see engine.views)
    role: str = RUNNING  # RUNNING, REBUILDING, STANDBY, ELSEWHERE, STOPPED or FAILED
    ready: bool = True  # its live tables are this version's, so it can be queried
    failure: Failure | None = None  # the event it cannot apply (engine.failures)
