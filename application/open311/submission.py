"""A POST Service Request, recorded as a web-channel case with its place and media beside it."""

from __future__ import annotations

from dataclasses import dataclass, field

from application.attachments import (
    DEFAULT_MAX_BYTES,
    FileStore,
    Upload,
    attach_file,
    check_upload,
)
from application.commands import ReceiveCase
from application.customers import Intake
from application.desk import ServiceDesk
from application.open311.keys import Client
from application.open311.notice import Names, service_notice
from application.open311.services import offered
from application.public_tokens import status_page_path
from domain.actors import Actor, Role
from domain.errors import InvalidValue
from domain.open311 import Location, ServiceRequestRecord
from domain.values import Channel, Purpose

# Most services in Appendix IV name the customer's purpose; a report about a place without one
# is someone addressing an issue.
DEFAULT_PURPOSE = Purpose.ISSUE_OR_COMPLAINT.value
SUBJECT_LIMIT = 200


@dataclass(frozen=True)
class RequestForm:
    """A POST Service Request as the API parsed it (each field already within its limits)."""

    service_code: str
    location: Location
    description: str = ""
    media_url: str | None = None
    attributes: dict[str, list[str]] = field(default_factory=dict)
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    device_id: str | None = None
    account_id: str | None = None
    media: Upload | None = None  # the photo sent with the request (a multipart `media` part)

    def customer(self) -> Intake:
        """What the request says of who sent it, for a customer record (sealed) and nowhere
        public. Its device and account ids are not kept: the desk needs a way to reach the
        person, not the app's identifiers for them (data minimisation)."""
        name = " ".join(p for p in (self.first_name, self.last_name) if p)
        details = {"name": name, "email": self.email, "phone": self.phone}
        preferred = "email" if self.email else "phone" if self.phone else None
        return Intake(personal={key: value for key, value in details.items() if value},
                      preferred_contact=preferred)


@dataclass(frozen=True)
class Submitted:
    token: str
    reference: str
    service_notice: str
    status_path: str  # the public status page, with the case's public token


def submit_request(desk: ServiceDesk, client: Client, form: RequestForm,
                   store: FileStore | None = None, *,
                   max_bytes: int = DEFAULT_MAX_BYTES) -> Submitted:
    """Record the request as a web-channel case, with its `media` attached (checked before
    anything is recorded, kept in `store`). Raises NotFound (service), InvalidValue."""
    service = offered(desk, form.service_code)
    if form.media is not None:
        if store is None:
            raise InvalidValue("this endpoint keeps no files: send media_url", "media")
        check_upload(form.media, max_bytes)
    if form.attributes:  # no service of the catalogue defines attributes (yet)
        code = next(iter(form.attributes))
        raise InvalidValue(f"service {service.code} asks for no attribute {code!r}",
                           f"attribute[{code}]")
    form.location.check()
    subject = f"{service.name} at {form.location.describe()}"
    if len(subject) > SUBJECT_LIMIT:
        subject = subject[:SUBJECT_LIMIT - 1] + "…"
    outcome = desk.handle(client.actor, ReceiveCase(
        channel=Channel.WEB_FORM.value, purpose=service.purpose or DEFAULT_PURPOSE,
        service_code=service.code, subject=subject, description=form.description,
        customer=form.customer()))
    case = outcome.case
    # A second save: should it fail, the case stands (staff see the place in its subject) and
    # the public views show the request without its place.
    desk.save(ServiceRequestRecord.submit(
        reference=case.reference, app=client.name, location=form.location,
        media_url=form.media_url, attributes=form.attributes, actor=client.actor))
    if form.media is not None and store is not None:
        # The app sees no case through the desk (application.access): its photo is put on
        # the case it just made by civicdesk's intake, in the app's name.
        intake = Actor(id=f"open311-intake:{client.name}", role=Role.SYSTEM)
        attach_file(desk, intake, case.id, form.media, store, max_bytes=max_bytes)
    return Submitted(token=str(case.id), reference=case.reference,
                     service_notice=service_notice(case, Names.of(desk)),
                     status_path=status_page_path(case) or "")
