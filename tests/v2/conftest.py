"""Helpers for the v2 product downloads surface: data URIs, the v2 error
envelope, and a look into the organization's media folder of the blob store."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar

from tests.conftest import Org, ok

# A real 1×1 transparent PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
PRODUCT = "epic-drums"


def data_uri(data: bytes, mime_type: str = "image/png") -> str:
    return f"data:{mime_type};base64,{base64.b64encode(data).decode()}"


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def url(product: str = PRODUCT) -> str:
    return f"/api/v2/products/{product}/downloads.json"


async def add_download(client: httpx.AsyncClient, org: Org, file: Any, product: str = PRODUCT) -> httpx.Response:
    """POST a Product Download as the seed's client does, with a member key."""
    return await client.post(url(product), json={"data": {"file": file}}, headers=org.member)


def created(response: httpx.Response) -> dict:
    """The ``data`` of a 201 in the v2 envelope."""
    assert response.status_code == 201, f"{response.status_code}: {response.text}"
    body = response.json()
    assert body["success"] is True and body["status"] == 201, body
    return body["data"]


def refused(response: httpx.Response, status: int, *, name: str | None = None, ref: str | None = None) -> dict:
    """Assert the v2 error envelope (one error); returns that error."""
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    body = response.json()
    assert set(body) == {"success", "status", "context", "errors"}, body
    assert body["success"] is False and body["status"] == status and body["context"] == "data", body
    assert len(body["errors"]) == 1, body
    error = body["errors"][0]
    assert set(error) == {"name", "message", "ref"} and error["message"], error
    if name is not None:
        assert error["name"] == name, error
    if ref is not None:
        assert error["ref"] == ref, error
    return error


def media_blobs(app: Litestar, org_id: str) -> list[Path]:
    """Every blob under the organization's media prefix (local storage)."""
    folder = Path(app.state.hub.blobs.root) / "orgs" / org_id / "media"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.fixture
async def product(client: httpx.AsyncClient, org: Org) -> str:
    """A draft product of ``org`` (no version needed to attach downloads)."""
    ok(await client.post("/api/products", json={"name": "Epic Drum Kit", "slug": PRODUCT}, headers=org.member), 201)
    return PRODUCT
