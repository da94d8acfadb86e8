"""The v2 documents as types, for the OpenAPI schema: the seed's names
(``productId``, ``mimeType``, ``createdAt``), the success envelope
``{success, status, data}`` and the error envelope ``{success, status,
context, errors: [{name, message, ref}]}``. tests/v2/test_openapi.py checks
every answer against them."""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

from hub.api.openapi import errors
from hub.api.request_bodies import body_operation


class V2ContentUri(msgspec.Struct):
    """A data URI with the name and Media Library folder to keep it under."""

    src: str
    filename: str | None | UnsetType = UNSET
    directory: str | None | UnsetType = UNSET


class V2ProductDownloadIn(msgspec.Struct):
    file: str | V2ContentUri
    """``data:<type>;base64,...``, or a Content URI request object."""


class V2CreateProductDownloadRequest(msgspec.Struct):
    data: V2ProductDownloadIn


class V2File(msgspec.Struct, rename="camel"):
    filename: str
    directory: str
    mime_type: str
    size: int
    md5: str
    sha256: str


class V2ProductDownload(msgspec.Struct, rename="camel"):
    id: str
    product_id: str
    file: V2File
    created_at: str


class V2ProductDownloadCreated(msgspec.Struct):
    success: Literal[True]
    status: Literal[201]
    data: V2ProductDownload


class V2Error(msgspec.Struct):
    name: str
    """The property at fault, relative to ``data`` (empty for the request as a whole)."""
    message: str
    ref: str
    """``error.required``, ``error.invalid``, ``error.not-unique``, ``error.not-found``..."""


class V2Errors(msgspec.Struct):
    success: Literal[False]
    status: int
    context: str
    errors: list[V2Error]


ERRORS = (401, 403, 404, 413, 422)  # and 400, as everywhere


def documented(operation_id: str) -> dict[str, Any]:
    """The OpenAPI keywords of the v2 route: operationId, request document,
    and the v2 error envelope for every status it answers."""
    return {
        "operation_id": operation_id,
        "operation_class": body_operation(V2CreateProductDownloadRequest, "application/json"),
        "responses": errors(*ERRORS, body=V2Errors),
    }
