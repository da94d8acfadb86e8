"""Helpers for driving ``/api/v1`` the way a JSON:API client does: every
request and answer is ``application/vnd.api+json``, and every answer is
checked for the JSON:API envelope before a test looks inside."""

from __future__ import annotations

import base64
import struct
import zlib
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import Org

JSONAPI = "application/vnd.api+json"
PUBLIC_URL = "http://hub.test"
API = f"{PUBLIC_URL}/api/v1"


def jsonapi(auth: dict[str, str]) -> dict[str, str]:
    """Headers of a JSON:API request with the key ``auth``."""
    return {**auth, "Content-Type": JSONAPI, "Accept": JSONAPI}


def document(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    """A successful answer's document, after checking its envelope."""
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.status_code} {response.text}"
    assert response.headers["content-type"] == JSONAPI
    body = response.json()
    assert body["jsonapi"] == {"version": "1.0"}, body
    assert "errors" not in body
    return body


def errors(response: httpx.Response, status: int) -> list[dict[str, Any]]:
    """The error objects of a failed answer, after checking their envelope."""
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.status_code} {response.text}"
    assert response.headers["content-type"] == JSONAPI
    body = response.json()
    assert set(body) == {"jsonapi", "errors"}, body
    assert body["jsonapi"] == {"version": "1.0"}
    for error in body["errors"]:
        assert error["status"] == str(status), error
        assert isinstance(error["title"], str) and isinstance(error["detail"], str), error
    return body["errors"]


def details(response: httpx.Response, status: int) -> list[str]:
    return [e["detail"] for e in errors(response, status)]


def png(width: int = 2, height: int = 2, seed: int = 0) -> bytes:
    """A real (tiny) PNG image; ``seed`` changes its pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    # Each row: filter type 0, then one RGB pixel repeated across the width.
    rows = b"".join(b"\x00" + bytes([(seed + y) % 256, 0, 0]) * width for y in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def data_uri(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


@dataclass
class V1:
    """One API key's view of ``/api/v1``."""

    client: httpx.AsyncClient
    auth: dict[str, str]

    async def get(self, path: str, params: dict[str, Any] | None = None) -> httpx.Response:
        return await self.client.get(f"/api/v1{path}", params=params, headers=jsonapi(self.auth))

    async def post(self, path: str, body: Any) -> httpx.Response:
        return await self.client.post(f"/api/v1{path}", json=body, headers=jsonapi(self.auth))

    async def patch(self, path: str, body: Any) -> httpx.Response:
        return await self.client.patch(f"/api/v1{path}", json=body, headers=jsonapi(self.auth))

    async def delete(self, path: str) -> httpx.Response:
        return await self.client.delete(f"/api/v1{path}", headers=jsonapi(self.auth))

    async def create(self, resource_type: str, attributes: dict[str, Any], relationships: dict[str, Any] | None = None) -> dict:
        """Create a resource and return its resource object."""
        data: dict[str, Any] = {"type": resource_type, "attributes": attributes}
        if relationships:
            data["relationships"] = relationships
        return document(await self.post(f"/{resource_type}", {"data": data}), 201)["data"]


def link(resource_type: str, resource_id: str | None) -> dict[str, Any]:
    """A to-one relationship of a request document."""
    return {"data": None if resource_id is None else {"type": resource_type, "id": resource_id}}


@dataclass
class Catalog:
    """An organization with the resources a product links to."""

    org: Org
    admin: V1
    member: V1
    viewer: V1
    label: str
    language: str
    product_type: str

    def product_body(self, **attributes: Any) -> dict[str, Any]:
        """The seed's create-product document, with ``attributes`` changed
        (None removes one)."""
        values = {
            "name": "Product title",
            "upc-code": "8088111222333",
            "copyright-line": "Records Music",
            "production-line": "2023 Records Music",
            "production-year": 2023,
            "status": "draft",
            "artist": ["Artist name"],
        }
        values.update(attributes)
        return {
            "data": {
                "type": "products",
                "attributes": {k: v for k, v in values.items() if v is not None},
                "relationships": {
                    "label": link("labels", self.label),
                    "language": link("languages", self.language),
                },
            }
        }

    async def product(self, **attributes: Any) -> dict[str, Any]:
        """Create a product (through the member key) and return it."""
        return document(await self.member.post("/products", self.product_body(**attributes)), 201)["data"]


async def make_catalog(client: httpx.AsyncClient, org: Org) -> Catalog:
    member = V1(client, org.member)
    label = await member.create("labels", {"name": "Records Music"})
    language = await member.create("languages", {"code": "en", "name": "English"})
    product_type = await member.create("product-types", {"name": "Album"})
    return Catalog(
        org=org,
        admin=V1(client, org.admin),
        member=member,
        viewer=V1(client, org.viewer),
        label=label["id"],
        language=language["id"],
        product_type=product_type["id"],
    )


@pytest.fixture
async def shop(client: httpx.AsyncClient, org: Org) -> Catalog:
    return await make_catalog(client, org)


@pytest.fixture
async def other_shop(client: httpx.AsyncClient, other_org: Org) -> Catalog:
    return await make_catalog(client, other_org)
