"""The department directory and service catalogue (Appendix IV), and the Town's service desks."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.actors import Actor
from domain.errors import InvalidValue, RuleViolated

CATALOGUE_NAMESPACE = uuid5(NAMESPACE_URL, "https://civicdesk.example/catalogue")
SERVICE_TYPES = {"service_delivery", "service_support", "internal"}


def _check_code(code: str) -> None:
    if not code or not all(c.isalnum() or c in "-_" for c in code) or len(code) > 64:
        raise InvalidValue("code must be 1-64 letters, digits, '-' or '_'", "code")


class Department(Aggregate):
    """A department that owns cases, with its business units and its staff cost rate."""

    @staticmethod
    def create_id(code: str) -> UUID:
        return uuid5(CATALOGUE_NAMESPACE, f"department:{code}")

    @classmethod
    def register(cls, *, code: str, name: str, business_units: dict[str, str],
                 hourly_rate_cents: int, actor: Actor) -> Department:
        _check_code(code)
        if not name.strip():
            raise InvalidValue("name must not be empty", "name")
        if hourly_rate_cents < 0:
            raise InvalidValue("hourly_rate_cents must not be negative", "hourly_rate_cents")
        return cls(code=code, name=name, business_units=business_units,
                   hourly_rate_cents=hourly_rate_cents, actor_id=actor.id,
                   actor_role=actor.role.value)

    @event("Registered")
    def __init__(self, code: str, name: str, business_units: dict[str, str],
                 hourly_rate_cents: int, actor_id: str, actor_role: str) -> None:
        self.code = code
        self.name = name
        self.business_units = dict(business_units)
        self.hourly_rate_cents = hourly_rate_cents
        self.active = True

    def revise(self, *, name: str | None, business_units: dict[str, str] | None,
               hourly_rate_cents: int | None, active: bool | None, actor: Actor) -> None:
        if name is not None and not name.strip():
            raise InvalidValue("name must not be empty", "name")
        if hourly_rate_cents is not None and hourly_rate_cents < 0:
            raise InvalidValue("hourly_rate_cents must not be negative", "hourly_rate_cents")
        self._revised(name=name, business_units=business_units,
                      hourly_rate_cents=hourly_rate_cents, active=active,
                      actor_id=actor.id, actor_role=actor.role.value)

    @event("Revised")
    def _revised(self, name: str | None, business_units: dict[str, str] | None,
                 hourly_rate_cents: int | None, active: bool | None, actor_id: str,
                 actor_role: str) -> None:
        if name is not None:
            self.name = name
        if business_units is not None:
            self.business_units = dict(business_units)
        if hourly_rate_cents is not None:
            self.hourly_rate_cents = hourly_rate_cents
        if active is not None:
            self.active = active


class Service(Aggregate):
    """A service activity a department offers: what a case is about."""

    @staticmethod
    def create_id(code: str) -> UUID:
        return uuid5(CATALOGUE_NAMESPACE, f"service:{code}")

    @classmethod
    def register(cls, *, code: str, name: str, department: str, business_unit: str,
                 service_type: str, sub_type: str, purpose: str | None, description: str,
                 keywords: list[str], actor: Actor) -> Service:
        _check_code(code)
        if not name.strip():
            raise InvalidValue("name must not be empty", "name")
        if service_type not in SERVICE_TYPES:
            raise InvalidValue(f"service_type must be one of {sorted(SERVICE_TYPES)}",
                               "service_type")
        return cls(code=code, name=name, department=department, business_unit=business_unit,
                   service_type=service_type, sub_type=sub_type, purpose=purpose,
                   description=description, keywords=keywords, actor_id=actor.id,
                   actor_role=actor.role.value)

    @event("Registered")
    def __init__(self, code: str, name: str, department: str, business_unit: str,
                 service_type: str, sub_type: str, purpose: str | None, description: str,
                 keywords: list[str], actor_id: str, actor_role: str) -> None:
        self.code = code
        self.name = name
        self.department = department
        self.business_unit = business_unit
        self.service_type = service_type
        self.sub_type = sub_type
        self.purpose = purpose
        self.description = description
        self.keywords = list(keywords)
        self.active = True

    @property
    def is_public(self) -> bool:
        return self.service_type != "internal" and self.active

    def revise(self, *, name: str | None, description: str | None, keywords: list[str] | None,
               active: bool | None, actor: Actor) -> None:
        if name is not None and not name.strip():
            raise InvalidValue("name must not be empty", "name")
        if all(v is None for v in (name, description, keywords, active)):
            raise RuleViolated("a revision must change something")
        self._revised(name=name, description=description, keywords=keywords, active=active,
                      actor_id=actor.id, actor_role=actor.role.value)

    @event("Revised")
    def _revised(self, name: str | None, description: str | None, keywords: list[str] | None,
                 active: bool | None, actor_id: str, actor_role: str) -> None:
        if name is not None:
            self.name = name
        if description is not None:
            self.description = description
        if keywords is not None:
            self.keywords = list(keywords)
        if active is not None:
            self.active = active


class Desk(Aggregate):
    """A place customers walk in: Victoria Hall (Service Cobourg) and three satellite desks."""

    @staticmethod
    def create_id(code: str) -> UUID:
        return uuid5(CATALOGUE_NAMESPACE, f"desk:{code}")

    @event("Opened")
    def __init__(self, code: str, name: str, central: bool, actor_id: str,
                 actor_role: str) -> None:
        self.code = code
        self.name = name
        self.central = central
