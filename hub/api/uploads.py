"""Multipart uploads of a version's files (see README, "Uploading products").

Parts go through the hub (``PUT /api/uploads/{id}/parts/{n}``) on every
storage; with S3 a client may instead ask for presigned part URLs and send
the parts straight to the bucket, then report their ETags on completion.
"""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, delete, get, post, put

from hub import resources
from hub.api.openapi import KEYED, PartUploadOperation, errors
from hub.api.schemas import AbortedAnswer, PartAnswer, UploadAnswer, UploadCompletedAnswer, answer
from hub.context import Hub
from hub.requests import read_upload_part
from hub.services import uploads as upload_service
from hub.services.accounts import Principal


class UploadStart(msgspec.Struct, rename="camel"):
    path: str
    presign: bool = False


class CompletedPart(msgspec.Struct, rename="camel"):
    part_number: int
    etag: str


class UploadComplete(msgspec.Struct, rename="camel"):
    parts: list[CompletedPart] | None = None


class UploadController(Controller):
    tags = ["Uploads"]

    @post(
        "/api/products/{product_id:str}/versions/{version:str}/uploads",
        summary="Initiate (or resume) a file's upload",
        operation_id="startUpload",
        responses=errors(*KEYED, 404, 409, 503),
    )
    async def start_upload(
        self, hub: Hub, principal: Principal, product_id: str, version: str, data: UploadStart
    ) -> UploadAnswer:
        upload = await upload_service.start_upload(
            hub, principal.org, product_id, version, data.path, presign=data.presign
        )
        return answer(UploadAnswer, {"upload": upload})

    @get(
        "/api/uploads/{upload_id:str}",
        summary="An upload's parts and which were received",
        operation_id="getUpload",
        responses=errors(*KEYED, 404, 503),
    )
    async def get_upload(self, hub: Hub, principal: Principal, upload_id: str, presign: bool = False) -> UploadAnswer:
        upload = await upload_service.describe_upload(hub, principal.org, upload_id, presign=presign)
        return answer(UploadAnswer, {"upload": upload})

    @put(
        "/api/uploads/{upload_id:str}/parts/{part_number:int}",
        summary="Upload one part (raw bytes, application/octet-stream)",
        request_max_body_size=None,
        operation_id="uploadPart",
        operation_class=PartUploadOperation,
        responses=errors(*KEYED, 404, 409, 413, 503),
    )
    async def upload_part(
        self, hub: Hub, principal: Principal, request: Request, upload_id: str, part_number: int
    ) -> PartAnswer:
        data = await read_upload_part(request, hub.settings.upload_part_size)
        part = await upload_service.upload_part(hub, principal.org, upload_id, part_number, data)
        return answer(PartAnswer, {"part": part})

    @post(
        "/api/uploads/{upload_id:str}/complete",
        summary="Assemble the parts and verify size and sha256",
        status_code=200,
        operation_id="completeUpload",
        responses=errors(*KEYED, 404, 409, 503),
    )
    async def complete_upload(
        self, hub: Hub, principal: Principal, upload_id: str, data: UploadComplete | None = None
    ) -> UploadCompletedAnswer:
        parts = None
        if data is not None and data.parts is not None:
            parts = [{"partNumber": p.part_number, "etag": p.etag} for p in data.parts]
        result = await upload_service.complete_upload(hub, principal.org, upload_id, parts)
        return answer(
            UploadCompletedAnswer,
            {"file": resources.version_file(result["file"]), "version": resources.version(result["version"])},
        )

    @delete(
        "/api/uploads/{upload_id:str}",
        summary="Abort an upload and drop its parts",
        status_code=200,
        operation_id="abortUpload",
        responses=errors(*KEYED, 404, 409, 503),
    )
    async def abort_upload(self, hub: Hub, principal: Principal, upload_id: str) -> AbortedAnswer:
        await upload_service.abort_upload(hub, principal.org, upload_id)
        return answer(AbortedAnswer, {"aborted": upload_id})

