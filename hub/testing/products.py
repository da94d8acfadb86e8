"""A product with a ready version, made through the API as a shop would."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import httpx


def _ok(response: httpx.Response, step: str) -> dict:
    if response.status_code >= 300:
        raise AssertionError(f"{step} answered {response.status_code}: {response.text}")
    return response.json()


async def ready_product(
    client: httpx.AsyncClient,
    headers: Mapping[str, str],
    slug: str = "epic-drums-v1",
    version: str = "1.0.0",
    *,
    name: str = "Epic Drum Kit Vol. 1",
    files: Mapping[str, bytes] | None = None,
) -> dict:
    """Create the product ``slug`` (unless it exists) and its version
    ``version`` holding ``files`` (``{path: bytes}``; one small
    ``kick.wav`` by default), upload every file and so make the version
    ready (the product's first ready version becomes its active one).

    :param client: a client of a running app (:func:`hub.testing.app.hub_client`).
    :param headers: an admin or member key's headers (:func:`hub.testing.app.make_org`).
    :return: the version as ``GET /api/products/{slug}/versions/{version}`` shows it.
    :raises AssertionError: naming the step the API refused.
    """
    files = dict(files or {"kick.wav": b"kick drum"})
    if (await client.get(f"/api/products/{slug}", headers=headers)).status_code == 404:
        _ok(await client.post("/api/products", json={"name": name, "slug": slug}, headers=headers), "Creating the product")
    manifest = [{"path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()} for path, data in files.items()]
    _ok(
        await client.post(f"/api/products/{slug}/versions", json={"version": version, "files": manifest}, headers=headers),
        "Creating the version",
    )
    for path, data in files.items():
        started = _ok(
            await client.post(f"/api/products/{slug}/versions/{version}/uploads", json={"path": path}, headers=headers),
            f"Starting the upload of {path}",
        )
        upload = started["data"]["upload"]
        _ok(await client.put(f"/api/uploads/{upload['id']}/parts/1", content=data, headers=headers), f"Uploading {path}")
        _ok(await client.post(f"/api/uploads/{upload['id']}/complete", headers=headers), f"Completing {path}")
    return _ok(await client.get(f"/api/products/{slug}/versions/{version}", headers=headers), "Reading the version")["data"]
