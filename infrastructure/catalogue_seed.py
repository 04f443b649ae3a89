"""The Town's starting service catalogue, Appendix IV of the strategy, as plain data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import time
from importlib import resources
from typing import Any

from domain.calendar import OpeningHours

_PACKAGE = "infrastructure"
_RESOURCE = "catalogue_appendix_iv.json"


@dataclass(frozen=True)
class SeedService:
    """One service activity row of the appendix, with the unit and department it belongs to."""

    code: str
    name: str
    type: str
    sub_type: str
    purpose: str | None
    department_code: str
    business_unit_code: str
    business_unit_name: str


@dataclass(frozen=True)
class SeedDepartment:
    """A department and its business units as (code, name) pairs, in appendix order."""

    code: str
    name: str
    business_units: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class SeedDesk:
    """A physical service desk; the central one is Service Cobourg at Victoria Hall.

    The strategy gives no desk's hours: those seeded are a starting point administrators
    change (the Marina and Campground's longer, seven-day hours stand for its summer season).
    """

    code: str
    name: str
    central: bool
    hours: OpeningHours | None = None  # None: Monday to Friday 08:30-16:30 Toronto


def _text(record: dict[str, Any], key: str) -> str:
    value = record[key]
    if not isinstance(value, str):
        raise TypeError(f"{key!r} must be a string, got {value!r}")
    return value


def _optional_text(record: dict[str, Any], key: str) -> str | None:
    value = record[key]
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{key!r} must be a string or null, got {value!r}")
    return value


def _flag(record: dict[str, Any], key: str) -> bool:
    value = record[key]
    if not isinstance(value, bool):
        raise TypeError(f"{key!r} must be a boolean, got {value!r}")
    return value


def _hours(record: dict[str, Any]) -> OpeningHours | None:
    hours = record.get("hours")
    if hours is None:
        return None
    return OpeningHours(opens=time.fromisoformat(_text(hours, "opens")),
                        closes=time.fromisoformat(_text(hours, "closes")),
                        weekdays=frozenset(int(day) for day in hours["weekdays"]),
                        timezone=_text(hours, "timezone"))


def load_appendix_iv() -> tuple[
    tuple[SeedDepartment, ...], tuple[SeedService, ...], tuple[SeedDesk, ...]
]:
    """Read the packaged catalogue: departments, service activities and desks, in source order."""
    raw = resources.files(_PACKAGE).joinpath(_RESOURCE).read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(raw)

    departments: list[SeedDepartment] = []
    services: list[SeedService] = []
    for department in document["departments"]:
        department_code = _text(department, "code")
        units: list[tuple[str, str]] = []
        for unit in department["business_units"]:
            unit_code = _text(unit, "code")
            unit_name = _text(unit, "name")
            units.append((unit_code, unit_name))
            for service in unit["services"]:
                services.append(
                    SeedService(
                        code=_text(service, "code"),
                        name=_text(service, "name"),
                        type=_text(service, "type"),
                        sub_type=_text(service, "sub_type"),
                        purpose=_optional_text(service, "purpose"),
                        department_code=department_code,
                        business_unit_code=unit_code,
                        business_unit_name=unit_name,
                    )
                )
        departments.append(
            SeedDepartment(
                code=department_code,
                name=_text(department, "name"),
                business_units=tuple(units),
            )
        )

    desks = tuple(
        SeedDesk(code=_text(desk, "code"), name=_text(desk, "name"),
                 central=_flag(desk, "central"), hours=_hours(desk))
        for desk in document["desks"]
    )
    return tuple(departments), tuple(services), desks
