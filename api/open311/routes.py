"""The GeoReport v2 routes under /open311/v2, and the router that answers their errors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from litestar import HttpMethod, Request, Response, Router, get, post, route
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, ValidationException
from litestar.params import SkipValidation

from api.open311.errors import Open311Error
from api.open311.filters import find_requests
from api.open311.form import parse_request, read_form, single
from api.open311.formats import (
    error_response,
    exception_handler,
    format_of,
    respond,
    split_format,
)
from api.open311.payloads import BASE, discovery_payload, request_payload, service_payload
from api.open311.rate_limit import RateLimiter
from application import open311
from application.attachments import FileStore
from application.desk import ServiceDesk
from application.queries import CaseIndexQuery
from domain.errors import DomainError
from infrastructure.settings import Settings


def check_jurisdiction(value: str | None) -> None:
    if value and value != open311.JURISDICTION_ID:
        raise Open311Error(404, f"jurisdiction_id {value} was not found; this endpoint serves "
                                f"{open311.JURISDICTION_ID} only")


async def answer(request: Request[Any, Any, Any], segment: str,
                 produce: Callable[[str], tuple[str, Any]]) -> Response[bytes]:
    """GET `segment` (a name and its format): `produce(name)` once the jurisdiction is checked,
    rendered in that format."""
    def checked() -> tuple[str, Any]:
        name, _ = split_format(segment)
        check_jurisdiction(request.query_params.get("jurisdiction_id"))
        return produce(name)

    return await respond(format_of(segment), checked)


@get("/{document:str}", operation_id="open311_document", include_in_schema=False)
async def document(request: Request[Any, Any, Any], document: str,
                   desk: NamedDependency[ServiceDesk],
                   case_index: NamedDependency[SkipValidation[CaseIndexQuery]],
                   ) -> Response[bytes]:
    """discovery, services and requests (GET Service Requests), each .json or .xml."""

    def produce(name: str) -> tuple[str, Any]:
        if name == "discovery":
            return "discovery", discovery_payload(request, desk)
        if name == "services":
            return "services", [service_payload(s) for s in open311.public_services(desk)]
        if name == "requests":
            found = find_requests(request, desk, case_index)
            return "service_requests", [request_payload(item) for item in found]
        raise Open311Error(404, f"{document} is not a resource of this endpoint")

    return await answer(request, document, produce)


@get("/services/{name:str}", operation_id="open311_service_definition",
     include_in_schema=False)
async def service_definition(request: Request[Any, Any, Any], name: str,
                             desk: NamedDependency[ServiceDesk]) -> Response[bytes]:
    def produce(code: str) -> tuple[str, Any]:
        service = open311.public_service(desk, code)
        # No service of the catalogue asks for extra fields, so every definition is empty.
        return "service_definition", {"service_code": service.code, "attributes": []}

    return await answer(request, name, produce)


@get("/requests/{name:str}", operation_id="open311_request", include_in_schema=False)
async def one_request(request: Request[Any, Any, Any], name: str,
                      desk: NamedDependency[ServiceDesk]) -> Response[bytes]:
    def produce(reference: str) -> tuple[str, Any]:
        item = open311.request_view(desk, reference)
        return "service_requests", [request_payload(item)]

    return await answer(request, name, produce)


@get("/tokens/{name:str}", operation_id="open311_token", include_in_schema=False)
async def token(request: Request[Any, Any, Any], name: str,
                desk: NamedDependency[ServiceDesk]) -> Response[bytes]:
    def produce(value: str) -> tuple[str, Any]:
        reference = open311.token_reference(desk, value)
        return "service_requests", [{"service_request_id": reference, "token": value}]

    return await answer(request, name, produce)


async def create_request(request: Request[Any, Any, Any], document: str,
                         desk: NamedDependency[ServiceDesk],
                         open311_limiter: NamedDependency[RateLimiter],
                         file_store: NamedDependency[FileStore],
                         settings: NamedDependency[Settings]) -> Response[bytes]:
    """POST Service Request (its route is made by `open311_router`, which bounds its body by
    the attachment limit: the form may carry the resident's photo as `media`)."""
    fmt = format_of(document)
    limiter = open311_limiter
    try:
        name, fmt = split_format(document)
        if name != "requests":
            raise Open311Error(404, f"POST {document} is not a resource of this endpoint")
        limiter.admit(f"address:{request.client.host if request.client else '?'}",
                      limiter.per_address)
        fields, media = await read_form(request)
    except Exception as error:
        return error_response(fmt, error)

    def produce() -> tuple[str, Any]:
        client = open311.authenticate(desk, single(fields, "api_key"))
        limiter.admit(f"key:{client.key_id}", limiter.per_key)
        check_jurisdiction(single(fields, "jurisdiction_id"))
        form = replace(parse_request(fields), media=media)
        submitted = open311.submit_request(desk, client, form, file_store,
                                           max_bytes=settings.attachment_max_bytes)
        # `status_url` is ours, not GeoReport's: the page (with the request's public token)
        # where the app's user can follow the request. GeoReport's `token` keeps its meaning.
        status_url = str(request.base_url).rstrip("/") + submitted.status_path
        return "service_requests", [{"token": submitted.token,
                                     "service_notice": submitted.service_notice,
                                     "account_id": None, "status_url": status_url}]

    return await respond(fmt, produce)


@route(["/services", "/requests", "/tokens"], http_method=[HttpMethod.GET, HttpMethod.POST],
       operation_id="open311_no_format", include_in_schema=False)
async def no_format(request: Request[Any, Any, Any]) -> Response[bytes]:
    """These words are also folders of the tree, so without a format they would miss the
    `/{document}` route and get the desk's own 404."""
    return error_response("json", Open311Error(404, f"{request.url.path} is not a resource of "
                                                    "this endpoint: add .json or .xml"))


OPEN311_HANDLERS = {HTTPException: exception_handler, ValidationException: exception_handler,
                    DomainError: exception_handler, Exception: exception_handler}

def open311_router(max_body_bytes: int) -> Router:
    """GeoReport v2's routes; a POST Service Request's body may be `max_body_bytes` (the
    attachment limit, for its `media`), every other body the app's own limit."""
    create = post("/{document:str}", operation_id="open311_create_request",
                  include_in_schema=False, status_code=200,
                  request_max_body_size=max_body_bytes)(create_request)
    return Router(
        path=BASE, tags=["open311"],
        exception_handlers=OPEN311_HANDLERS,  # type: ignore[arg-type]
        route_handlers=[document, service_definition, one_request, token, create, no_format])
