"""Seed 000 tokens and seed 001 integration endpoints: minting, listing,
revoking, generate-download-url, and the purchases a core service records."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

import hub.testing.products
from hub.errors import NotFound
from hub.secrets import hash_secret
from hub.services.purchases import PurchaseIn, PurchaseItem, record_purchase
from hub.tables import DownloadToken
from tests.conftest import PUBLIC_URL, fails, ok


async def ready_product(client, org, slug: str = "epic-drums-v1", version: str = "1.0.0") -> None:
    """A product whose version ``version`` holds one uploaded file (the test kit's, with ``org``'s member key)."""
    await hub.testing.products.ready_product(client, org.member, slug, version)


async def test_minted_token_has_the_seed_shape(client, org):
    await ready_product(client, org)
    body = {
        "customerEmail": "customer@example.com",
        "expiresAt": "2099-02-01T00:00:00Z",
        "maxDownloads": None,
        "metadata": {"orderId": "order_abc123", "customerName": "John Doe", "licenseType": "standard"},
    }
    token = ok(await client.post("/api/products/epic-drums-v1/tokens", json=body, headers=org.member), 201)["token"]
    assert token["id"].startswith("token_")
    assert token["token"].startswith("ct_download_")
    assert len(token["token"]) >= len("ct_download_") + 40
    assert token["downloadUrl"] == f"{PUBLIC_URL}/download?token={token['token']}"
    assert token["expiresAt"] == "2099-02-01T00:00:00Z"
    assert token["maxDownloads"] is None
    assert token["usedCount"] == 0
    assert token["product"] == {"id": "epic-drums-v1", "name": "Epic Drum Kit Vol. 1", "version": "1.0.0"}
    assert token["metadata"]["orderId"] == "order_abc123"


async def test_token_defaults_to_30_days_and_the_active_version(client, org):
    await ready_product(client, org)
    await ready_product(client, org, version="1.1.0")  # ready, but 1.0.0 stays active
    token = ok(await client.post("/api/products/epic-drums-v1/tokens", json={}, headers=org.member), 201)["token"]
    expires = datetime.fromisoformat(token["expiresAt"].replace("Z", "+00:00"))
    assert abs(expires - (datetime.now(UTC) + timedelta(days=30))) < timedelta(minutes=1)
    assert token["product"]["version"] == "1.0.0"
    named = ok(await client.post("/api/products/epic-drums-v1/tokens", json={"version": "1.1.0"}, headers=org.member), 201)
    assert named["token"]["product"]["version"] == "1.1.0"


async def test_only_the_hash_of_a_token_is_stored(client, org):
    await ready_product(client, org)
    token = ok(await client.post("/api/products/epic-drums-v1/tokens", json={}, headers=org.member), 201)["token"]
    rows = await DownloadToken.select().output(load_json=True)
    assert len(rows) == 1
    assert token["token"] not in repr(rows)
    assert rows[0]["token_hash"] == hash_secret(token["token"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"customerEmail": "not-an-email"}, "customerEmail"),
        ({"expiresAt": "2001-01-01T00:00:00Z"}, "expiresAt"),
        ({"maxDownloads": 0}, "maxDownloads"),
        ({"maxDownloads": "three"}, "maxDownloads"),
        ({"metadata": "x"}, "metadata"),
    ],
)
async def test_invalid_token_request_is_refused_naming_the_field(client, org, body, field):
    await ready_product(client, org)
    assert field in fails(await client.post("/api/products/epic-drums-v1/tokens", json=body, headers=org.member), 422)
    assert await DownloadToken.count() == 0


async def test_product_without_a_ready_version_cannot_mint(client, org):
    ok(await client.post("/api/products", json={"name": "Empty", "slug": "empty"}, headers=org.member), 201)
    fails(await client.post("/api/products/empty/tokens", json={}, headers=org.member), 409, "no active version")


async def test_tokens_are_listed_without_secrets_and_revoked_by_admins(client, org):
    await ready_product(client, org)
    minted = [
        ok(await client.post("/api/products/epic-drums-v1/tokens", json={"customerEmail": f"c{i}@example.com"}, headers=org.member), 201)["token"]
        for i in range(3)
    ]
    listed = ok(await client.get("/api/products/epic-drums-v1/tokens?limit=2", headers=org.viewer))
    assert listed["pagination"] == {"total": 3, "limit": 2, "offset": 0, "hasMore": True}
    assert all("token" not in t and "downloadUrl" not in t for t in listed["tokens"])

    target = minted[0]["id"]
    fails(await client.delete(f"/api/products/epic-drums-v1/tokens/{target}", headers=org.member), 403)
    revoked = ok(await client.delete(f"/api/products/epic-drums-v1/tokens/{target}", headers=org.admin))["token"]
    assert revoked["revoked"] is True and revoked["revokedAt"]
    page = await client.get(f"/download?token={minted[0]['token']}", headers={"Accept": "application/json"})
    assert page.status_code == 410
    assert page.json() == {"success": False, "error": "This download link has been revoked."}
    still = await client.get(f"/download?token={minted[1]['token']}", headers={"Accept": "application/json"})
    assert still.status_code == 200
    fails(await client.delete("/api/products/epic-drums-v1/tokens/token_nope", headers=org.admin), 404)


async def test_generate_download_url_mints_a_24_hour_link(client, org):
    await ready_product(client, org)
    response = await client.post(
        "/api/generate-download-url", json={"productId": "epic-drums-v1", "version": "1.0.0"}, headers=org.member
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"success", "productId", "version", "downloadToken", "downloadUrl", "expiresAt"}
    assert body["success"] is True and body["productId"] == "epic-drums-v1" and body["version"] == "1.0.0"
    assert body["downloadUrl"] == f"{PUBLIC_URL}/download?token={body['downloadToken']}"
    expires = datetime.strptime(body["expiresAt"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert abs(expires - (datetime.now(UTC) + timedelta(hours=24))) < timedelta(minutes=1)
    page = await client.get(body["downloadUrl"].removeprefix(PUBLIC_URL), headers={"Accept": "application/json"})
    assert page.json()["data"]["files"][0]["path"] == "kick.wav"


async def test_generate_download_url_for_a_version_that_is_not_ready_is_404(client, org):
    await ready_product(client, org)
    files = [{"path": "x", "size": 1, "sha256": "a" * 64}]
    ok(await client.post("/api/products/epic-drums-v1/versions", json={"version": "2.0.0", "files": files}, headers=org.member), 201)
    for body, text in [
        ({"productId": "epic-drums-v1", "version": "2.0.0"}, "No active manifest for epic-drums-v1@2.0.0"),
        ({"productId": "epic-drums-v1", "version": "9.9.9"}, "No active manifest for epic-drums-v1@9.9.9"),
        ({"productId": "nope", "version": "1.0.0"}, "No active manifest for nope@1.0.0"),
    ]:
        response = await client.post("/api/generate-download-url", json=body, headers=org.member)
        assert response.status_code == 404
        assert response.json() == {"success": False, "error": text}
    fails(await client.post("/api/generate-download-url", json={}, headers=org.member), 422, "productId")


async def test_purchases_are_recorded_once_and_listed_with_their_tokens(client, org, app):
    await ready_product(client, org)
    hub = app.state.hub
    order = PurchaseIn(
        org=org.id,
        provider="api",
        provider_ref="order_1",
        customer_email="Buyer@Example.com",
        customer_name="Ada",
        items=[PurchaseItem("epic-drums-v1"), PurchaseItem("missing-product")],
        amount=1999,
        currency="eur",
    )
    first = await record_purchase(hub, order)
    again = await record_purchase(hub, order)
    assert first.created and not again.created
    assert len(first.tokens) == 1
    assert again.purchase["id"] == first.purchase["id"]
    await record_purchase(hub, PurchaseIn(org=org.id, provider="api", provider_ref="order_2", customer_email="other@example.com", items=[PurchaseItem("epic-drums-v1")]))

    listed = ok(await client.get("/api/purchases", headers=org.viewer))
    assert listed["pagination"]["total"] == 2
    mine = ok(await client.get("/api/purchases?customerEmail=BUYER@example.com", headers=org.viewer))["purchases"]
    assert len(mine) == 1
    purchase = mine[0]
    assert purchase["providerRef"] == "order_1"
    assert purchase["customerEmail"] == "buyer@example.com"
    assert purchase["amount"] == 1999
    assert "missing-product" in purchase["problem"]
    assert [t["productId"] for t in purchase["tokens"]] == ["epic-drums-v1"]
    assert await DownloadToken.count() == 2


async def test_a_purchase_recorded_through_the_api_mints_links_once(client, org):
    await ready_product(client, org)
    body = {
        "reference": "order-77",
        "customerEmail": "Buyer@Example.com",
        "customerName": "Ada",
        "items": [{"productId": "epic-drums-v1"}, {"productId": "ghost"}],
        "amount": 2900,
        "currency": "EUR",
    }
    created = ok(await client.post("/api/purchases", json=body, headers=org.member), 201)
    assert created["created"] is True
    purchase = created["purchase"]
    assert purchase["provider"] == "api" and purchase["providerRef"] == "order-77"
    assert purchase["currency"] == "eur" and purchase["customerEmail"] == "buyer@example.com"
    assert "ghost" in purchase["problem"]
    [token] = purchase["tokens"]
    assert token["downloadUrl"].startswith(f"{PUBLIC_URL}/download?token=ct_download_")
    page = await client.get(token["downloadUrl"].removeprefix(PUBLIC_URL), headers={"Accept": "application/json"})
    assert page.status_code == 200

    replay = ok(await client.post("/api/purchases", json=body, headers=org.member), 200)
    assert replay["created"] is False
    assert replay["purchase"]["id"] == purchase["id"]
    assert "token" not in replay["purchase"]["tokens"][0]
    assert ok(await client.get("/api/purchases", headers=org.viewer))["pagination"]["total"] == 1
    fails(await client.post("/api/purchases", json={**body, "reference": "x", "customerEmail": "nope"}, headers=org.member), 422, "customerEmail")


async def test_mints_at_the_same_moment_each_get_their_own_working_token(client, org):
    """Mints arriving together are committed together (one statement); each
    answer still names its own token, stored once, whose page works, and a
    bad request among them fails alone."""
    await ready_product(client, org)
    bodies = [{"metadata": {"n": n}} for n in range(40)] + [{"maxDownloads": 0}]
    answers = await asyncio.gather(
        *(client.post("/api/products/epic-drums-v1/tokens", json=body, headers=org.member) for body in bodies)
    )
    fails(answers[-1], 422, "maxDownloads")
    tokens = [ok(answer, 201)["token"] for answer in answers[:-1]]
    assert sorted(t["metadata"]["n"] for t in tokens) == list(range(40))
    rows = await DownloadToken.select(DownloadToken.id, DownloadToken.token_hash, DownloadToken.metadata).output(load_json=True)
    assert sorted((r["id"], r["token_hash"], r["metadata"]["n"]) for r in rows) == sorted(
        (t["id"], hash_secret(t["token"]), t["metadata"]["n"]) for t in tokens
    )
    for token in tokens[::13]:
        page = ok(await client.get("/download", params={"token": token["token"]}, headers={"Accept": "application/json"}))
        assert page["maxDownloads"] is None and page["product"]["id"] == "epic-drums-v1"


async def test_a_mint_for_a_product_deleted_meanwhile_is_not_found_and_stores_nothing(client, org, app):
    from hub.services.tokens import mint_token
    from hub.tables import Product

    await ready_product(client, org)
    ok(await client.post("/api/products/epic-drums-v1/tokens", json={}, headers=org.member), 201)  # its version known
    hub = app.state.hub
    product_seen = hub.db.fetch  # the mint's read sees the product; it is deleted before the insert

    async def read_then_delete(sql, *args):
        rows = await product_seen(sql, *args)
        if "hub_webhook_endpoint" in sql:
            await Product.delete().where(Product.slug == "epic-drums-v1")
        return rows

    hub.db.fetch = read_then_delete
    try:
        with pytest.raises(NotFound, match="epic-drums-v1"):
            await mint_token(hub, org.id, "epic-drums-v1")
    finally:
        del hub.db.fetch
    assert await DownloadToken.count() == 0  # the first token went with its product
