"""The projection engine: follows the desk's log and keeps every read model's tables.

It follows the notification log (engine.follower), applies events in batches with the
tracking position in the same transaction, keeps generations of each read model's tables and
swaps a rebuilt generation in (engine.views, engine.rebuild), elects one process per read
model on PostgreSQL (engine.runner, with infrastructure.leadership), notices tables another
version made (fingerprints, engine.views), records the events a read model cannot apply
(engine.failures), and speaks each database (engine.dialects).

A read model (a module of `projections/`) needs only this module's names: it declares a
`ProjectionSpec` (its eventsourcing `Projection`, which says which events it reads and how
each changes its rows, and its view class on each database: its SQL mixed into `SQLiteView`
or `PostgresView`). Nothing here imports infrastructure; `engine.runner` (which runs read
models in a process) and `engine.rebuild` do, and read models never import them.
"""

from engine.dialects import PostgresView, SQLiteView
from engine.spec import ProjectionSpec
from engine.views import (
    GenerationChanged,
    ProjectionNotReady,
    ReadModelFailed,
    Sql,
    TablesOfAnotherVersion,
    View,
)

__all__ = ["GenerationChanged", "PostgresView", "ProjectionNotReady", "ProjectionSpec",
           "ReadModelFailed", "SQLiteView", "Sql", "TablesOfAnotherVersion", "View"]
