"""The services the public may request through Open311, as GeoReport v2 lists them."""

from __future__ import annotations

from dataclasses import dataclass

from application.catalogue import list_services
from application.desk import ServiceDesk
from domain.catalogue import Service
from domain.errors import NotFound


@dataclass(frozen=True)
class PublicService:
    code: str
    name: str
    description: str
    keywords: tuple[str, ...]
    group: str  # the business unit that delivers it, e.g. "Roads and Sewers"


def public_services(desk: ServiceDesk) -> list[PublicService]:
    return [_public_service(desk, service) for service in list_services(desk)]


def public_service(desk: ServiceDesk, code: str) -> PublicService:
    """Raises NotFound for an unknown, internal or inactive service."""
    return _public_service(desk, offered(desk, code))


def offered(desk: ServiceDesk, code: str) -> Service:
    """The service, if the public may request it. Raises NotFound."""
    service = desk.find_service(code)
    if service is None or not service.is_public:
        raise NotFound(f"service_code {code} was not found", "service_code")
    return service


def _public_service(desk: ServiceDesk, service: Service) -> PublicService:
    department = desk.find_department(service.department)
    units = department.business_units if department else {}
    return PublicService(code=service.code, name=service.name,
                         description=service.description, keywords=tuple(service.keywords),
                         group=units.get(service.business_unit, service.business_unit))
