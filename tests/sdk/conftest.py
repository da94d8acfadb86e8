"""A real hub for the SDK tests: ``continuata-hub init --org your-org-id``
and ``serve`` (the seed's examples use ``org_id='your-org-id'``), with the
product ``epic-drums-v1`` whose version 1.0.0 is ready, set up with plain
HTTP so the SDK is tested against the hub, not against itself.

One hub per module and database; tests use their own product slugs."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import DATABASES, POSTGRES_URL, empty_postgres
from tests.support.server import HubServer, hub_server, run_cli

ORG = "your-org-id"
KICK = b"kick drum, 1.0.0"


@dataclass
class SdkHub:
    server: HubServer
    viewer_key: str
    data_dir: Path

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def admin_key(self) -> str:
        return self.server.admin_key


def ready_version(api: httpx.Client, slug: str, version: str, files: dict[str, bytes]) -> None:
    """Create ``slug`` (if new) and upload ``files`` as its ``version``, plain HTTP."""
    if api.get(f"/api/products/{slug}").status_code == 404:
        assert api.post("/api/products", json={"name": "Epic Drum Kit Vol. 1", "slug": slug}).status_code == 201
    manifest = [{"path": p, "size": len(d), "sha256": hashlib.sha256(d).hexdigest()} for p, d in files.items()]
    created = api.post(f"/api/products/{slug}/versions", json={"version": version, "files": manifest})
    assert created.status_code == 201, created.text
    for path, data in files.items():
        upload = api.post(f"/api/products/{slug}/versions/{version}/uploads", json={"path": path}).json()["data"]["upload"]
        assert api.put(f"/api/uploads/{upload['id']}/parts/1", content=data).status_code == 200
        assert api.post(f"/api/uploads/{upload['id']}/complete").status_code == 200


@pytest.fixture(scope="module", params=DATABASES)
def sdk_hub(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SdkHub]:
    # The endpoint tests register receivers on loopback.
    settings: dict[str, str] = {"HUB_UPLOAD_PART_SIZE": str(5 * 1024 * 1024), "HUB_WEBHOOKS_ALLOW_PRIVATE": "true"}
    if request.param == "postgres":
        settings["HUB_DATABASE_URL"] = request.getfixturevalue("fresh_postgres")
        empty_postgres()
    data_dir = tmp_path_factory.mktemp("sdk-hub")
    try:
        with hub_server(data_dir, org=ORG, **settings) as server:
            viewer = run_cli(server.env, data_dir, "keys", "create", "--org", ORG, "--role", "viewer")
            viewer_key = viewer.stdout.strip().splitlines()[-1]
            with httpx.Client(base_url=server.url, headers=server.auth, timeout=30) as api:
                ready_version(api, "epic-drums-v1", "1.0.0", {"kick.wav": KICK})
            yield SdkHub(server, viewer_key, data_dir)
    finally:
        if request.param == "postgres" and POSTGRES_URL:
            empty_postgres()


@pytest.fixture
def hub_env(sdk_hub: SdkHub, monkeypatch: pytest.MonkeyPatch) -> SdkHub:
    """``CONTINUATA_API_KEY`` and ``CONTINUATA_API_URL`` set, as an integrator sets them."""
    monkeypatch.setenv("CONTINUATA_API_KEY", sdk_hub.admin_key)
    monkeypatch.setenv("CONTINUATA_API_URL", sdk_hub.url)
    return sdk_hub
