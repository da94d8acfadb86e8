"""API keys: 401 without a valid key, 403 when the role is too low, and an
organization never sees another's data."""

from __future__ import annotations

from tests.conftest import fails, ok


async def test_missing_key_is_401(client, org):
    fails(await client.get("/api/products"), 401, "Missing API key")


async def test_unknown_or_malformed_key_is_401(client, org):
    fails(await client.get("/api/products", headers={"Authorization": "Bearer ct_key_nope"}), 401, "Invalid API key")
    fails(await client.get("/api/products", headers={"Authorization": "Basic abc"}), 401)


async def test_viewer_key_cannot_write(client, org):
    fails(await client.post("/api/products", json={"name": "x"}, headers=org.viewer), 403, "member")
    fails(await client.post("/api/generate-download-url", json={"productId": "x"}, headers=org.viewer), 403)


async def test_reports_need_admin(client, org):
    fails(await client.get("/api/reports/downloads", headers=org.member), 403, "admin")
    response = await client.get("/api/reports/downloads", headers=org.admin)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")


async def test_other_organizations_products_are_invisible(client, org, other_org):
    ok(await client.post("/api/products", json={"name": "Secret", "slug": "secret"}, headers=org.member), 201)
    assert ok(await client.get("/api/products", headers=other_org.admin))["pagination"]["total"] == 0
    fails(await client.get("/api/products/secret", headers=other_org.admin), 404)
    fails(await client.patch("/api/products/secret", json={"name": "mine"}, headers=other_org.admin), 404)
    fails(await client.delete("/api/products/secret", headers=other_org.admin), 404)
    fails(await client.post("/api/products/secret/tokens", json={}, headers=other_org.admin), 404)
    fails(await client.get("/api/products/secret/tokens", headers=other_org.admin), 404)
    fails(
        await client.post("/api/generate-download-url", json={"productId": "secret"}, headers=other_org.admin), 404
    )
    # The same slug is free in the other organization.
    ok(await client.post("/api/products", json={"name": "Mine", "slug": "secret"}, headers=other_org.member), 201)
    assert ok(await client.get("/api/products/secret", headers=org.viewer))["product"]["name"] == "Secret"


async def test_unknown_route_is_404_in_the_envelope(client, org):
    fails(await client.get("/api/nothing-here", headers=org.viewer), 404)
