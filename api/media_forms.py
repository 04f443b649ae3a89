"""OpenAPI for a route whose 200 answer also comes as a file: its other media types beside JSON."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, Operation, Schema
from litestar.openapi.spec.enums import OpenAPIType


def operation_with_forms(description: str, forms: dict[str, str]) -> type[Operation]:
    """An `operation_class` that adds `forms` (media type: what its body is) to the generated
    JSON of the 200 answer, each a string, and gives that answer `description`."""

    @dataclass
    class OperationWithForms(Operation):
        def __post_init__(self) -> None:
            answer = (self.responses or {}).get("200")
            if isinstance(answer, OpenAPIResponse) and answer.content is not None:
                for media_type, body in forms.items():
                    answer.content[media_type] = OpenAPIMediaType(
                        schema=Schema(type=OpenAPIType.STRING, description=body))
                answer.description = description

    return OperationWithForms
