"""What the engine raises when a read model cannot answer or write."""

from __future__ import annotations


class GenerationChanged(RuntimeError):
    """A rebuild made another generation of a view's tables live: this writer's are retired."""


class ProjectionNotReady(TimeoutError):
    """A read model has not reached a log position: it lags, is stopped, or failed."""


class ReadModelFailed(ProjectionNotReady):
    """A read model has failed on an event and not got past it (engine.failures)."""


class TablesOfAnotherVersion(ProjectionNotReady):
    """The live tables of a read model were made by another version of civicdesk (another
    fingerprint, or none): nothing reads or writes them until a rebuild replaces them."""
