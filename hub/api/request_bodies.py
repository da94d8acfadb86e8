"""Request bodies in the OpenAPI schema for routes that read their body
themselves.

The v1 and v2 surfaces read request documents by hand, so that every
problem is answered at once in the surface's own envelope (Litestar's
``data`` parameter stops at the first and answers in its own words); a
route then declares its document with ``operation_class=body_operation(T)``
and Litestar does not decode it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema


def inline_schema(struct: type) -> dict[str, Any]:
    """The JSON Schema of ``struct`` with its definitions written in place
    (request documents are not recursive): an OpenAPI document resolves
    ``#/$defs/...`` from its own root, not the schema's."""
    schema = msgspec.json.schema(struct)
    definitions = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(definitions[ref.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    return resolve(schema)


class _RawSchema(Schema):
    """A schema written as JSON Schema already (see :func:`inline_schema`)."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self._schema = schema

    def to_schema(self) -> dict[str, Any]:
        return self._schema


def body_operation(struct: type, media_type: str) -> type[Operation]:
    """An ``operation_class`` that documents ``struct`` as the request body
    of a route that reads its body itself (to answer every problem at once
    in its surface's envelope, rather than Litestar's first one)."""
    schema = inline_schema(struct)

    @dataclass
    class DocumentedBody(Operation):
        def __post_init__(self) -> None:
            self.request_body = RequestBody(
                content={media_type: OpenAPIMediaType(schema=_RawSchema(schema))}, required=True
            )

    return DocumentedBody
