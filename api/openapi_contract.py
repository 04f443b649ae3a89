"""The OpenAPI document states what the server enforces, so a client (or schemathesis) can trust it.

Litestar's generated document leaves out several rules the server applies; this adds them once,
after every route is known, from the same definitions the server checks with:
- `additionalProperties: false` on every request body object whose struct forbids unknown
  fields (all of api.schemas.Body), recursively;
- a `pattern` refusing control characters on every free string of a body or a parameter
  (api.plain_text: line breaks and tabs only in multi-line text);
- `minimum`/`maximum` on every bounded integer, in a parameter or a body (Litestar drops a
  bound of 0);
- the `Idempotency-Key` header on every operation that honours it (`opt={"idempotent": True}`);
- the `Location` header on every 201 answer, and 415 wherever a body is taken;
- a `time` as the wall-clock time it is, not an ISO 8601 duration;
- links from each 201 to the operations on what it created.
"""

from __future__ import annotations

from litestar import Litestar
from litestar.enums import ParamType
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import (
    Link,
    OpenAPI,
    OpenAPIFormat,
    OpenAPIHeader,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    Reference,
    Schema,
)
from litestar.routes import HTTPRoute
from msgspec import inspect

from api.plain_text import MULTI_LINE_PATTERN, ONE_LINE_PATTERN, unwrapped
from api.problems import wire_names

IDEMPOTENT = "idempotent"  # the `opt` key of a handler that honours Idempotency-Key
IDEMPOTENCY_KEY = Parameter(
    name="Idempotency-Key", param_in=ParamType.HEADER, required=False,
    description="Any 1-200 printable characters, unique per intended change: a retried request "
                "with the same key gets the first answer (Idempotent-Replayed: true) and "
                "records nothing twice; the same key on a different request is 422.",
    schema=Schema(type=OpenAPIType.STRING, min_length=1, max_length=200,
                  pattern="^[\\u0020-\\u007e\\u00a1-\\u00ac\\u00ae-\\u00ff]+$"))
# A wall-clock time as msgspec reads it, without an offset (the desk's times are local).
TIME_PATTERN = "^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?$"
LOCATION = OpenAPIHeader(description="The URL of what was created (or of the list holding it)",
                         required=True, schema=Schema(type=OpenAPIType.STRING))


def state_what_is_enforced(app: Litestar) -> None:
    """Completes app's OpenAPI document (Litestar builds it once and serves it from then on)."""
    document = app.openapi_schema
    for schema in (document.components.schemas or {}).values():
        _times_as_times(schema)
    _link_what_is_created(document)
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or document.paths is None:
            continue
        item = document.paths.get(route.path_format or "/")
        if item is None:
            continue
        for handler in route.route_handlers:
            for method in handler.http_methods:
                operation = getattr(item, method.lower(), None)
                if isinstance(operation, Operation):
                    _complete(document, handler, operation)


def _times_as_times(schema: Schema) -> None:
    """Litestar documents a `time` as an ISO 8601 duration; msgspec writes and reads it as
    RFC 3339's partial-time (the API has no durations)."""
    for child in (schema.properties or {}).values():
        if not isinstance(child, Schema):
            continue
        for member in [child, *(m for m in child.one_of or [] if isinstance(m, Schema))]:
            if member.format == OpenAPIFormat.DURATION:
                member.format = None
                child.pattern = TIME_PATTERN


def _complete(document: OpenAPI, handler: HTTPRouteHandler, operation: Operation) -> None:
    _bound_parameters(handler, operation)
    data = handler.parsed_data_field
    body = operation.request_body
    if data is not None and body is not None and not isinstance(body, Reference):
        media = (body.content or {}).get("application/json")
        if media is not None and media.schema is not None:
            _constrain(document, media.schema, inspect.type_info(data.annotation), set())
    if handler.opt.get(IDEMPOTENT):
        operation.parameters = [*(operation.parameters or []), IDEMPOTENCY_KEY]
    responses = operation.responses or {}
    created = responses.get("201")
    if isinstance(created, OpenAPIResponse):
        created.headers = {**(created.headers or {}), "Location": LOCATION}
    refused = responses.get("400")
    if body is not None and "415" not in responses and isinstance(refused, OpenAPIResponse):
        responses["415"] = OpenAPIResponse(
            description="The body is not said to be JSON (Content-Type: application/json)",
            content=refused.content)


def _is_free_string(schema: Schema) -> bool:
    """A string with no rule of its own yet (no pattern, format or list of values)."""
    if schema.pattern or schema.format or schema.enum or schema.const is not None:
        return False
    kinds = [schema.type] + [member.type for member in schema.one_of or []
                             if isinstance(member, Schema)]
    return OpenAPIType.STRING in kinds or any(
        isinstance(kind, list) and OpenAPIType.STRING in kind for kind in kinds)


def _bound_parameters(handler: HTTPRouteHandler, operation: Operation) -> None:
    aliases = wire_names(handler)
    arguments = {aliases.get(argument, argument): field.kwarg_definition
                 for argument, field in handler.parsed_fn_signature.parameters.items()}
    for parameter in operation.parameters or []:
        if not isinstance(parameter, Parameter) or not isinstance(parameter.schema, Schema):
            continue
        schema, kwarg = parameter.schema, arguments.get(parameter.name)
        for limit, attribute in (("ge", "minimum"), ("le", "maximum")):
            bound = getattr(kwarg, limit, None)
            if bound is not None and getattr(schema, attribute) is None:
                setattr(schema, attribute, bound)
        if _is_free_string(schema):
            schema.pattern = ONE_LINE_PATTERN


def _constrain(document: OpenAPI, schema: Schema | Reference, info: inspect.Type,
               seen: set[str]) -> None:
    """Walks a body's schema beside the msgspec type the server decodes it with."""
    info, multi_line = unwrapped(info)
    if isinstance(info, inspect.UnionType):
        members = [m for m in info.types if not isinstance(unwrapped(m)[0], inspect.NoneType)]
        if len(members) == 1:
            inner, marked = unwrapped(members[0])
            info, multi_line = inner, multi_line or marked
    if isinstance(schema, Reference):
        name = schema.ref.rsplit("/", 1)[-1]
        if name in seen or document.components.schemas is None:
            return
        seen.add(name)
        schema = document.components.schemas[name]
    if isinstance(info, inspect.StructType | inspect.CollectionType | inspect.DictType) \
            and schema.one_of:
        # An optional object, list or mapping: `oneOf: [{$ref: ...}, {type: null}]`.
        for member in schema.one_of:
            if isinstance(member, Reference) or member.properties is not None \
                    or member.items is not None or member.additional_properties is not None:
                _constrain(document, member, info, seen)
    elif isinstance(info, inspect.StructType) and schema.properties is not None:
        if info.forbid_unknown_fields:
            schema.additional_properties = False
        for field in info.fields:
            child = schema.properties.get(field.encode_name)
            if child is not None:
                _constrain(document, child, field.type, seen)
    elif isinstance(info, inspect.CollectionType) and isinstance(schema.items, Schema | Reference):
        _constrain(document, schema.items, info.item_type, seen)
    elif isinstance(info, inspect.DictType):
        _constrain_mapping(document, schema, info, seen)
    elif isinstance(info, inspect.StrType):
        # Litestar keeps the bounds of a field's own string, not of a list item's or a value's.
        if schema.min_length is None and info.min_length:
            schema.min_length = info.min_length
        if schema.max_length is None and info.max_length is not None:
            schema.max_length = info.max_length
        if info.pattern and not schema.pattern:
            schema.pattern = info.pattern
        elif _is_free_string(schema):
            schema.pattern = MULTI_LINE_PATTERN if multi_line else ONE_LINE_PATTERN
    elif isinstance(info, inspect.IntType):
        # Litestar leaves out a bound of 0 (it tests the bound's truth, not its presence).
        if info.ge is not None and schema.minimum is None:
            schema.minimum = info.ge
        if info.le is not None and schema.maximum is None:
            schema.maximum = info.le


def _constrain_mapping(document: OpenAPI, schema: Schema, info: inspect.DictType,
                       seen: set[str]) -> None:
    """An object of free keys: their rule (`propertyNames`) and their values' rule."""
    key, _ = unwrapped(info.key_type)
    if isinstance(key, inspect.StrType):
        schema.property_names = Schema(
            pattern=key.pattern or ONE_LINE_PATTERN, min_length=key.min_length,
            max_length=key.max_length)
    values = schema.additional_properties
    if isinstance(values, Schema | Reference):
        _constrain(document, values, info.value_type, seen)


def _link_what_is_created(document: OpenAPI) -> None:
    """OpenAPI links from each 201 to the operations on what it made: POST /api/v1/cases
    answers a case whose `id` is the `{case_id}` of GET /api/v1/cases/{case_id}, its history
    and every command; POST /api/v1/departments a `code` for /api/v1/departments/{code}.
    Clients (and schemathesis' stateful phase) follow them."""
    paths = document.paths or {}
    for collection, item in paths.items():
        created = item.post.responses.get("201") if item.post and item.post.responses else None
        if not isinstance(created, OpenAPIResponse):
            continue
        links: dict[str, Link | Reference] = {}
        for path, member in paths.items():
            head, _, rest = path.partition(collection + "/{")
            if head or not rest:
                continue
            parameter = rest.split("}", 1)[0]
            field = "id" if parameter.endswith("_id") else parameter
            for operation in (member.get, member.post, member.put, member.patch):
                if operation is not None and operation.operation_id:
                    links[operation.operation_id] = Link(
                        operation_id=operation.operation_id,
                        parameters={parameter: f"$response.body#/{field}"})
        if links:
            created.links = links
