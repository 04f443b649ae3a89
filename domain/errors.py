"""Named domain errors: every rule the desk enforces fails with one of these."""

from __future__ import annotations


class DomainError(Exception):
    """A command broke a rule of the desk. `field` names the input at fault, if one is."""

    code = "domain-rule"

    def __init__(self, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class InvalidValue(DomainError):
    code = "invalid-value"


class RuleViolated(DomainError):
    code = "rule-violated"


class CaseIsClosed(RuleViolated):
    code = "case-closed"


class CaseMerged(RuleViolated):
    """The case was merged into another (a duplicate): work goes on in that one."""

    code = "case-merged"


class NotAComplaint(RuleViolated):
    code = "not-a-complaint"


class NotFound(DomainError):
    code = "not-found"


class AlreadyExists(DomainError):
    code = "already-exists"


class Forbidden(DomainError):
    code = "forbidden"


class VersionConflict(DomainError):
    code = "version-conflict"

    def __init__(self, detail: str, current_version: int | None = None) -> None:
        super().__init__(detail, field="expected_version")
        self.current_version = current_version
