"""GeoReport v2's bodies: the discovery document, a service, and a service request."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Request

from api.open311.formats import w3
from application.catalogue import list_services
from application.desk import ServiceDesk
from application.open311 import PublicRequest, PublicService

BASE = "/open311/v2"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CONTACT = ("Service Cobourg, Victoria Hall, 55 King Street West, Cobourg, Ontario. Ask there "
           "about this API.")
KEY_SERVICE = ("API keys are issued by the Town's civicdesk administrator "
               "(civicdesk apikey create --name APP); ask Service Cobourg for one.")


def service_payload(service: PublicService) -> dict[str, Any]:
    return {"service_code": service.code, "service_name": service.name,
            "description": service.description, "metadata": False, "type": "batch",
            "keywords": ", ".join(service.keywords), "group": service.group}


def request_payload(item: PublicRequest) -> dict[str, Any]:
    return {"service_request_id": item.service_request_id, "status": item.status,
            "status_notes": item.status_notes, "service_name": item.service_name,
            "service_code": item.service_code, "description": item.description,
            "agency_responsible": item.agency_responsible,
            "service_notice": item.service_notice,
            "requested_datetime": item.requested_datetime,
            "updated_datetime": item.updated_datetime,
            "expected_datetime": item.expected_datetime, "address": item.address,
            "address_id": item.address_id, "zipcode": item.zipcode, "lat": item.lat,
            "long": item.long, "media_url": item.media_url}


def discovery_payload(request: Request[Any, Any, Any], desk: ServiceDesk) -> dict[str, Any]:
    services = list_services(desk, include_internal=True, include_inactive=True)
    changed = max((s.modified_on for s in services), default=datetime(2026, 1, 1, tzinfo=UTC))
    return {"changeset": w3(changed), "contact": CONTACT, "key_service": KEY_SERVICE,
            "endpoints": [{"specification": SPECIFICATION,
                           "url": str(request.base_url).rstrip("/") + BASE,
                           "changeset": w3(changed), "type": "production",
                           "formats": ["text/xml", "application/json"]}]}
