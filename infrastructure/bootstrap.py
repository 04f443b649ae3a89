"""The composition root: builds the ServiceDesk on the configured database and seeds it."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime

from application import catalogue
from application.catalogue import DepartmentSpec, DeskSpec, ServiceSpec
from application.desk import ServiceDesk, utc_now
from application.service_levels import seed_service_levels
from domain.actors import Actor, Role
from infrastructure.catalogue_seed import load_appendix_iv
from infrastructure.settings import Settings

SEEDER = Actor(id="civicdesk-seed", role=Role.SYSTEM)


def build_desk(settings: Settings, clock: Callable[[], datetime] = utc_now) -> ServiceDesk:
    """The desk on the configured database; where a checkpoint key is configured, its
    recorder signs every batch it appends (infrastructure.event_signatures)."""
    from infrastructure.checkpoint_keys import NoCheckpointKey, checkpoint_signer

    desk = ServiceDesk(env=settings.eventsourcing_env(), clock=clock)
    # Without a key, appended unsigned: `serve` refuses to start without one anyway.
    with contextlib.suppress(NoCheckpointKey):
        desk.recorder.signer = checkpoint_signer(settings)  # type: ignore[attr-defined]
    return desk


def seed_catalogue(desk: ServiceDesk) -> int:
    """Load Appendix IV and the section 4.2 standards (adds only what is missing)."""
    departments, services, desks = load_appendix_iv()
    added = seed_service_levels(desk, SEEDER)
    return added + catalogue.seed(
        desk,
        SEEDER,
        [DepartmentSpec(code=d.code, name=d.name, business_units=dict(d.business_units))
         for d in departments],
        [ServiceSpec(code=s.code, name=s.name, department=s.department_code,
                     business_unit=s.business_unit_code, service_type=s.type,
                     sub_type=s.sub_type, purpose=s.purpose,
                     description=f"{s.business_unit_name}: {s.name}")
         for s in services],
        [DeskSpec(code=d.code, name=d.name, central=d.central, hours=d.hours) for d in desks],
    )
