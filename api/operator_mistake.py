"""The one error every command raises for an operator's mistake (its own module, so that the
command modules and `python -m api.cli` share the same class)."""


class OperatorMistake(Exception):
    """The command cannot run as asked; the message says what to change."""
