"""What the public is told of who handles a request and what the Town promised on it."""

from __future__ import annotations

from dataclasses import dataclass

from application.catalogue import list_departments, list_services
from application.desk import ServiceDesk
from domain.cases import Case


@dataclass(frozen=True)
class Names:
    """Service and department names by code, read once for a whole list."""

    services: dict[str, str]
    departments: dict[str, str]

    @classmethod
    def of(cls, desk: ServiceDesk) -> Names:
        services = list_services(desk, include_internal=True, include_inactive=True)
        return cls(services={s.code: s.name for s in services},
                   departments={d.code: d.name
                                for d in list_departments(desk, include_inactive=True)})

    def department(self, code: str) -> str:
        return self.departments.get(code, code)


def service_notice(case: Case, names: Names) -> str:
    """What the Town will do: who handles the request, and the promises that apply to it."""
    notice = f"{names.department(case.department)} is responsible for this request."
    promises = sorted(t.title for t in case.targets.values())
    if promises:
        notice += f" Our promise: {'; '.join(promises)}."
    return notice
