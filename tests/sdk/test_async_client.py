"""``continuata.AsyncClient``: the same operations awaited, lists as ``async for``."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

import continuata
from tests.sdk.conftest import ORG
from tests.support.flaky_proxy import flaky_proxy


async def test_async_client_does_what_the_blocking_one_does(sdk_hub, tmp_path):
    async with continuata.AsyncClient(api_key=sdk_hub.admin_key, org_id=ORG, base_url=sdk_hub.url) as client:
        me = await client.me()
        assert me.organization.id == ORG

        prefix = f"async-{os.urandom(3).hex()}"
        for n in range(3):
            await client.products.create(name=f"{prefix} {n}", slug=f"{prefix}-{n}")
        slugs = [p.slug async for p in client.products.list(search=prefix, page_size=2)]
        assert sorted(slugs) == [f"{prefix}-{n}" for n in range(3)]

        token = await client.products.create_token(
            product_id="epic-drums-v1", expires_at=datetime.now() + timedelta(days=30), metadata={"source": "async"}
        )
        assert token.download_url and abs(token.expires_at - (datetime.now(UTC) + timedelta(days=30))) < timedelta(minutes=5)
        assert token.id in [t.id async for t in client.products.list_tokens("epic-drums-v1")]

        folder = tmp_path / "async-kit"
        (folder / "loops").mkdir(parents=True)
        (folder / "loops" / "a.wav").write_bytes(os.urandom(300_000))
        progress: list[int] = []
        version = await client.versions.upload_folder(
            f"{prefix}-0", "1.0.0", folder, on_progress=lambda p: progress.append(p.bytes_done)
        )
        assert version.status == "ready" and progress[-1] == 300_000
        assert [v.version for v in await client.versions.list(f"{prefix}-0")] == ["1.0.0"]

        with pytest.raises(continuata.NotFoundError) as missing:
            await client.products.get(f"{prefix}-nope")
        assert missing.value.status_code == 404


async def test_async_org_mismatch_and_retries(sdk_hub):
    async with continuata.AsyncClient(api_key=sdk_hub.admin_key, org_id="not-mine", base_url=sdk_hub.url) as wrong:
        with pytest.raises(continuata.OrganizationMismatchError):
            await wrong.products.get("epic-drums-v1")

    with flaky_proxy(sdk_hub.url) as proxy:
        async with continuata.AsyncClient(api_key=sdk_hub.admin_key, base_url=proxy.url, max_retries=1) as client:
            proxy.fail_next(1)
            assert (await client.products.get("epic-drums-v1")).id == "epic-drums-v1"
            assert proxy.seen["GET"] == 2
            proxy.fail_next(1)
            with pytest.raises(continuata.InternalServerError):
                await client.generate_download_url("epic-drums-v1")
            assert proxy.seen["POST"] == 1
