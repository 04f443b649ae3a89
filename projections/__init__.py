"""Read models: each follows the desk's notification log and keeps its own tables.

A projection (an `eventsourcing.projection.Projection`) turns events into rows through its view,
a tracking recorder that writes the rows and the log position they reflect in one transaction,
so a crash never loses or doubles a row. `runner.ProjectionSet` runs them (one
`ProjectionRunner` thread each) and answers "has every read model reached position n?" for
read-your-writes. Views live beside the events: in the same SQLite file, or in the same
PostgreSQL database and schema. Queries read the views, never the event log.
"""
