"""Files on a case: staff upload one (`POST /api/v1/cases/{id}/attachments?name=...`, the
file's bytes as the body, its type as Content-Type), list them, and download one. Every list
and download is logged in the access log before it is answered (the files are the customer's);
the bytes come back only if they still match the hashes the log holds."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Annotated, Any
from uuid import UUID

import anyio
import msgspec
from litestar import Request, Response, Router, get, post
from litestar.di import Provide
from litestar.openapi.spec import (
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    RequestBody,
    Schema,
)
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType
from litestar.params import Parameter

from api.auth import authenticated, current_actor
from api.cases import POSITION_HEADER, disclose, idempotency_of, route_of
from api.openapi_contract import IDEMPOTENT
from api.problems import described_problems
from application.attachments import FileStore, Upload, attach_file, file_bytes
from application.desk import ServiceDesk
from domain.actors import Actor
from domain.attachments import ACCEPTED_TYPES, NAME_LIMIT, Attachment
from infrastructure.access_log import AccessLog

FIELDS = ("attachments",)
ACTOR = {"actor": Provide(current_actor, sync_to_thread=False)}


class AttachmentView(msgspec.Struct, kw_only=True):
    number: int
    name: str
    media_type: str
    size: int
    sha256: str  # of the file's own bytes (the event in the log holds it)
    sealed: bool  # kept encrypted with the customer's data key (erased with the customer)
    source: str
    added_at: datetime
    added_by: str
    href: str


class AttachmentList(msgspec.Struct, kw_only=True):
    items: list[AttachmentView]


def view_of(case_id: UUID, attachment: Attachment) -> AttachmentView:
    return AttachmentView(
        number=attachment.number, name=attachment.name, media_type=attachment.media_type,
        size=attachment.size, sha256=attachment.sha256,
        sealed=attachment.sealed_for is not None, source=attachment.source,
        added_at=attachment.added_at, added_by=attachment.added_by,
        href=f"/api/v1/cases/{case_id}/attachments/{attachment.number}")


@dataclass
class _FileBody(Operation):
    """Documents the upload's body: the file's bytes, as one of the kinds the desk keeps."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(required=True, content={
            kind: OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING,
                                                 format=OpenAPIFormat.BINARY))
            for kind in ACCEPTED_TYPES}, description="The file's bytes.")


@dataclass
class _FileAnswer(Operation):
    """Documents the download's answer: the file's bytes, as the kind it was kept as."""

    def __post_init__(self) -> None:
        answer = (self.responses or {}).get("200")
        if isinstance(answer, OpenAPIResponse):
            answer.content = {kind: OpenAPIMediaType(schema=Schema(
                type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)) for kind in ACCEPTED_TYPES}


def _attach(request: Request[Any, Any, Any], case_id: UUID, name: str, data: bytes,
            actor: Actor, desk: ServiceDesk, access_log: AccessLog, store: FileStore,
            max_bytes: int) -> Response[AttachmentView]:
    upload = Upload(name=name, data=data, declared_type=request.headers.get("content-type"))
    outcome = attach_file(desk, actor, case_id, upload, store, max_bytes=max_bytes,
                          idempotency=idempotency_of(request, name.encode() + b"\0" + data))
    digest = hashlib.sha256(data).hexdigest()
    added = [a for a in outcome.case.attachments if a["sha256"] == digest][-1]
    view = view_of(case_id, Attachment.of(added))
    disclose(request, actor, case_id, FIELDS, access_log)
    headers = {POSITION_HEADER: str(outcome.position), "Location": view.href}
    if outcome.replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(view, status_code=201, headers=headers)


def attachment_router(max_bytes: int) -> Router:
    """The attachment routes, the upload's body bounded by `max_bytes`
    (CIVICDESK_ATTACHMENT_MAX_BYTES) rather than the JSON routes' limit."""

    @post("/api/v1/cases/{case_id:uuid}/attachments", operation_id="case_attach",
          status_code=201, request_max_body_size=max_bytes, opt={IDEMPOTENT: True},
          operation_class=_FileBody, summary="Attach a file to a case",
          description="The body is the file's bytes; `Content-Type` its type. What the file "
                      "is is read from its bytes: a kind the desk does not keep, or bytes "
                      "that are not what Content-Type says, are refused. A file on a case "
                      "with a customer is kept encrypted with the customer's data key.",
          responses=described_problems(
              e400="A parameter is malformed", e401="No valid bearer token",
              e403="The role may not attach files to this department's cases",
              e404="No such case, or not one the caller may see",
              e409="A concurrent change could not be retried",
              e413="The file is larger than CIVICDESK_ATTACHMENT_MAX_BYTES",
              e415="Content-Type is not a kind of file the desk keeps",
              e422="The bytes are not what Content-Type says, or the name or case refuses "
                   "it (a closed case, an erased customer)"))
    async def attach(request: Request[Any, Any, Any], case_id: UUID,
                     name: Annotated[str, Parameter(query="name", min_length=1,
                                                    max_length=NAME_LIMIT)],
                     actor: Actor, desk: ServiceDesk, access_log: AccessLog,
                     file_store: FileStore) -> Response[AttachmentView]:
        declared = request.content_type[0]
        if declared not in ACCEPTED_TYPES and declared != "application/octet-stream":
            return _unsupported(request, declared)
        data = await request.body()
        return await anyio.to_thread.run_sync(partial(
            _attach, request, case_id, name, data, actor, desk, access_log, file_store,
            max_bytes))

    return Router(path="/", route_handlers=[attach, list_attachments, download_attachment],
                  dependencies=ACTOR, guards=[authenticated], tags=["attachments"])


def _unsupported(request: Request[Any, Any, Any], declared: str) -> Response[Any]:
    from api.problems import problem

    return problem(415, f"Content-Type {declared or '(none)'} is not a kind of file the desk "
                        f"keeps: send one of {', '.join(ACCEPTED_TYPES)}",
                   kind="unsupported-file", instance=request.url.path,
                   invalid_params=[{"name": "Content-Type", "reason": "not a kept kind"}])


@get("/api/v1/cases/{case_id:uuid}/attachments", operation_id="case_attachments",
     sync_to_thread=True, summary="The files on a case",
     responses=described_problems(e401="No valid bearer token",
                                  e404="No such case, or not one the caller may see"))
def list_attachments(request: Request[Any, Any, Any], case_id: UUID, actor: Actor,
                     desk: ServiceDesk, access_log: AccessLog) -> AttachmentList:
    case = desk.view_case(actor, case_id)
    disclose(request, actor, case_id, FIELDS, access_log)
    return AttachmentList(items=[view_of(case_id, Attachment.of(a)) for a in case.attachments])


@get("/api/v1/cases/{case_id:uuid}/attachments/{number:int}",
     operation_id="case_attachment_download", sync_to_thread=True,
     summary="Download a file on a case", operation_class=_FileAnswer,
     description="The file's bytes, with its type; logged in the access log first.",
     responses=described_problems(
         e401="No valid bearer token",
         e404="No such case or attachment, or not one the caller may see",
         e410="The file was erased with the customer",
         e503="The file is missing or changed in the store (civicdesk verify names it)"))
def download_attachment(request: Request[Any, Any, Any], case_id: UUID,
                        number: Annotated[int, Parameter(ge=1, le=10_000)], actor: Actor,
                        desk: ServiceDesk, access_log: AccessLog,
                        file_store: FileStore) -> Response[bytes]:
    attachment = desk.view_case(actor, case_id).attachment(number)
    data = file_bytes(desk, attachment, file_store)
    access_log.record(actor, case_id, route_of(request), FIELDS)
    return Response(data, media_type=attachment.media_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{_quoted(attachment.name)}"})


def _quoted(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")
