"""Read models: each module is one, and says which events it reads, its tables, and how the
events change its rows.

A read model is a `ProjectionSpec` (see the `engine` package, its only link to the engine): an
eventsourcing `Projection` (its events, one handler each) and its view (its tables, writes and
queries, mixed into the engine's `SQLiteView` or `PostgresView`). The engine follows the log,
tracks, batches, rebuilds and swaps generations; read models never import infrastructure.
Views live beside the events: in the same SQLite file, or in the same PostgreSQL database and
schema. Queries read the views, never the event log. `registry` lists every read model.
"""
