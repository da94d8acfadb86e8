"""Put a product on sale the way a shop does: through the HTTP API.

``sell`` creates a product, a version with the given files, uploads every
file through the real multipart endpoints (initiate, parts, complete) and
mints a download token; ``mint`` adds another token for the same product.
Both return a :class:`Delivery`: what a buyer's email would carry (the token
secret and the page link) plus each file's download URL, as the download
page lists it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx


@dataclass(frozen=True)
class Delivery:
    """A minted token and everything a test needs to use it."""

    product_id: str
    version: str
    token_id: str
    secret: str
    download_url: str
    files: dict[str, bytes]
    urls: dict[str, str] = field(default_factory=dict)
    """File path → its download URL (from the JSON download page)."""
    token: dict[str, Any] = field(default_factory=dict)
    """The token as ``POST /api/products/{id}/tokens`` answered it."""

    def url(self, path: str) -> str:
        return self.urls[path]


def _data(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.status_code} {response.text}"
    body = response.json()
    assert body["success"] is True, body
    return body["data"]


def manifest(files: dict[str, bytes]) -> list[dict]:
    return [{"path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()} for path, data in files.items()]


async def upload_version(
    client: httpx.AsyncClient, headers: dict[str, str], product_id: str, version: str, files: dict[str, bytes]
) -> dict:
    """Create ``version`` of ``product_id`` and upload ``files`` part by part; returns the ready version."""
    created = _data(
        await client.post(
            f"/api/products/{product_id}/versions",
            json={"version": version, "changelog": "First release", "files": manifest(files)},
            headers=headers,
        ),
        201,
    )
    assert created["version"]["status"] == "pending"
    result: dict = {}
    for path, data in files.items():
        upload = _data(
            await client.post(
                f"/api/products/{product_id}/versions/{version}/uploads", json={"path": path}, headers=headers
            ),
            201,
        )["upload"]
        for part in upload["parts"]:
            offset = (part["partNumber"] - 1) * upload["partSize"]
            chunk = data[offset : offset + part["size"]]
            _data(
                await client.put(
                    f"/api/uploads/{upload['id']}/parts/{part['partNumber']}",
                    content=chunk,
                    headers={**headers, "Content-Type": "application/octet-stream"},
                ),
                200,
            )
        result = _data(await client.post(f"/api/uploads/{upload['id']}/complete", headers=headers), 200)
        assert result["file"]["status"] == "ready", result
    assert result["version"]["status"] == "ready", result
    return result["version"]


async def mint(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    product_id: str,
    files: dict[str, bytes],
    *,
    customer_email: str | None = "buyer@example.com",
    max_downloads: int | None = None,
    expires_at: datetime | None = None,
    version: str | None = None,
) -> Delivery:
    """Mint a token for ``product_id`` and read its file URLs from the JSON page.

    The page visit leaves the client's cookie jar as it was, so the caller's
    next request does not carry a download-session cookie it never asked for.
    """
    body: dict[str, Any] = {"customerEmail": customer_email, "maxDownloads": max_downloads}
    if expires_at is not None:
        body["expiresAt"] = expires_at.isoformat()
    if version is not None:
        body["version"] = version
    token = _data(await client.post(f"/api/products/{product_id}/tokens", json=body, headers=headers), 201)["token"]
    jar = httpx.Cookies(client.cookies)
    try:
        page = _data(await client.get(token["downloadUrl"], headers={"Accept": "application/json"}), 200)
    finally:
        client.cookies = jar
    return Delivery(
        product_id=product_id,
        version=page["product"]["version"],
        token_id=token["id"],
        secret=token["token"],
        download_url=token["downloadUrl"],
        files=dict(files),
        urls={f["path"]: f["url"] for f in page["files"]},
        token=token,
    )


async def sell(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    files: dict[str, bytes],
    *,
    slug: str = "epic-drums",
    name: str = "Epic Drum Kit",
    version: str = "1.0.0",
    customer_email: str | None = "buyer@example.com",
    max_downloads: int | None = None,
    expires_at: datetime | None = None,
) -> Delivery:
    """Create a product with one ready version holding ``files`` and mint a token for it."""
    _data(await client.post("/api/products", json={"name": name, "slug": slug}, headers=headers), 201)
    await upload_version(client, headers, slug, version, files)
    return await mint(
        client,
        headers,
        slug,
        files,
        customer_email=customer_email,
        max_downloads=max_downloads,
        expires_at=expires_at,
    )
