"""What an Open311 client sent with a service request besides the case: where, and media.

The case holds the matter itself (service, description, the resident's contact details); this
record holds what GeoReport v2 publishes about the request's place, and which app sent it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.actors import Actor
from domain.errors import InvalidValue

OPEN311_NAMESPACE = uuid5(NAMESPACE_URL, "https://civicdesk.example/open311")
# The Town of Cobourg with a margin (it spans about 43.94-43.99 N, 78.22-78.11 W): a point
# outside is not the Town's to fix, and is most often a swapped lat and long.
SERVICE_AREA = {"lat": (43.88, 44.06), "long": (-78.30, -78.02)}
ADDRESS_LIMIT = 500
ADDRESS_ID_LIMIT = 100


def location_problems(lat: float | None, long: float | None, address_string: str | None,
                      address_id: str | None) -> list[InvalidValue]:
    """Everything wrong with a location, each naming its field (GeoReport v2: one of lat and
    long together, address_string, or address_id)."""
    problems: list[InvalidValue] = []
    if (lat is None) != (long is None):
        missing = "long" if long is None else "lat"
        problems.append(InvalidValue(f"{missing} was not provided: lat and long are sent "
                                     "together", missing))
    for field, value in (("lat", lat), ("long", long)):
        if value is None:
            continue
        low, high = SERVICE_AREA[field]
        if not math.isfinite(value) or not low <= value <= high:
            problems.append(InvalidValue(
                f"{field} {value} is outside the Town of Cobourg (between {low} and {high})",
                field))
    if lat is None and long is None and not address_string and not address_id:
        problems.append(InvalidValue("a location is required: lat and long, address_string "
                                     "or address_id", "location"))
    for field, text, limit in (("address_string", address_string, ADDRESS_LIMIT),
                               ("address_id", address_id, ADDRESS_ID_LIMIT)):
        if text is not None and (len(text) > limit or not text.strip()):
            problems.append(InvalidValue(f"{field} is 1-{limit} characters", field))
    return problems


@dataclass(frozen=True)
class Location:
    lat: float | None = None
    long: float | None = None
    address_string: str | None = None
    address_id: str | None = None

    def check(self) -> Location:
        """Raises the first of `location_problems`. Not run on replay: a record made under
        an older service area must still load."""
        problems = location_problems(self.lat, self.long, self.address_string,
                                     self.address_id)
        if problems:
            raise problems[0]
        return self

    def describe(self) -> str:
        """Where, in words, for the staff who work the case."""
        if self.address_string:
            return self.address_string
        if self.lat is not None and self.long is not None:
            return f"{self.lat:.6f}, {self.long:.6f}"
        return f"address {self.address_id}"


class ServiceRequestRecord(Aggregate):
    """The Open311 side of one case: its place, its media, and the app that submitted it."""

    @staticmethod
    def create_id(reference: str) -> UUID:
        return uuid5(OPEN311_NAMESPACE, f"request:{reference}")

    @classmethod
    def submit(cls, *, reference: str, app: str, location: Location, media_url: str | None,
               attributes: dict[str, list[str]], actor: Actor) -> ServiceRequestRecord:
        location.check()
        return cls(reference=reference, app=app, lat=location.lat, long=location.long,
                   address_string=location.address_string, address_id=location.address_id,
                   media_url=media_url, attributes=attributes, actor_id=actor.id,
                   actor_role=actor.role.value)

    @event("Submitted")
    def __init__(self, reference: str, app: str, lat: float | None, long: float | None,
                 address_string: str | None, address_id: str | None, media_url: str | None,
                 attributes: dict[str, list[str]], actor_id: str, actor_role: str) -> None:
        self.reference = reference
        self.app = app
        self.location = Location(lat=lat, long=long, address_string=address_string,
                                 address_id=address_id)
        self.media_url = media_url
        self.attributes = {code: list(values) for code, values in attributes.items()}
