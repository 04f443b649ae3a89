"""`PUT /api/v1/admin/departments/{code}/manager`: administrators name a department's
manager, who gets the alerts of its cases in their inbox (domain.inbox)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, put
from litestar.di import Provide

from api.auth import current_actor
from api.problems import described_problems
from api.schemas import Body
from application.alerts import name_department_manager
from application.desk import ServiceDesk
from domain.actors import Actor


class ManagerBody(Body, kw_only=True):
    # The manager's staff id (their token's `sub`); null: no manager named.
    manager: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None


class DepartmentManager(msgspec.Struct):
    department: str
    manager: str | None
    version: int


@put("/api/v1/admin/departments/{code:str}/manager", operation_id="department_name_manager",
     tags=["catalogue"], sync_to_thread=True,
     dependencies={"actor": Provide(current_actor, sync_to_thread=False)},
     summary="Name a department's manager (administrators)",
     description="The manager gets an inbox item when a target of the department's cases "
                 "becomes at risk or is missed; with no manager named, the department's own "
                 "inbox gets it.",
     responses=described_problems(
         e400="The body is malformed or has unknown fields", e401="No valid bearer token",
         e403="Only administrators name managers", e404="No such department",
         e409="The department was changed meanwhile",
         e422="The manager is not a valid staff id, or is already the manager"))
def name_manager(request: Request[Any, Any, Any], code: str, data: ManagerBody, actor: Actor,
                 desk: ServiceDesk) -> DepartmentManager:
    department = name_department_manager(desk, actor, code, data.manager)
    return DepartmentManager(department=department.code, manager=department.manager,
                             version=department.version)
