"""Running a case command in a test by its access-policy name, as the stories and the
parametrized tests name them: `change_case(desk, actor, case_id, "acknowledge", message=...)`
builds the typed command (application/commands.py) and hands it to `ServiceDesk.handle`."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from application import commands
from application.desk import IdempotencyKey, Outcome, ServiceDesk
from domain.actors import Actor

COMMANDS: dict[str, type[commands.CaseCommand]] = {
    kind.action: kind for kind in (
        commands.LogInteraction, commands.AssignCase, commands.TransferCase,
        commands.AcknowledgeCase, commands.SendInterimResponse, commands.WaitOnCustomer,
        commands.RecordCustomerResponse, commands.ResolveCase, commands.ReopenCase,
        commands.CloseCase, commands.ClassifyCase, commands.EscalateComplaint,
        commands.DebriefComplaint, commands.RequestAccommodation,
        commands.ProvideAccommodation, commands.ReportAccommodationNotMade,
        commands.AnswerSurvey, commands.PublishNote, commands.BookAppointment,
        commands.RescheduleAppointment, commands.CancelAppointment,
        commands.RecordAttendance, commands.RecordNoShow)}


def change_case(desk: ServiceDesk, actor: Actor, case_id: UUID, command: str, *,
                expected_version: int | None, idempotency: IdempotencyKey | None = None,
                **arguments: Any) -> Outcome:
    """The desk's answer to the command named `command` with `arguments` on the case."""
    return desk.handle(actor, COMMANDS[command](case_id=case_id,
                                                expected_version=expected_version,
                                                **arguments), idempotency)
