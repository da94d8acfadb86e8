"""Seed 000: listing, creating, reading, updating and deleting products."""

from __future__ import annotations

import pytest

from tests.conftest import fails, ok


async def create(client, org, **fields):
    body = {"name": "Epic Drum Kit Vol. 2", "slug": "epic-drums-v2", **fields}
    return ok(await client.post("/api/products", json=body, headers=org.member), 201)["product"]


async def test_created_product_is_a_draft_of_the_callers_org(client, org):
    product = await create(
        client,
        org,
        description="High-energy drum samples for electronic music",
        metadata={"category": "drums", "tags": ["electronic", "edm", "trap"]},
    )
    assert product["id"] == "epic-drums-v2"
    assert product["slug"] == "epic-drums-v2"
    assert product["status"] == "draft"
    assert product["orgId"] == "audio-company"
    assert product["activeVersion"] is None
    assert product["createdAt"].endswith("Z")
    again = ok(await client.get("/api/products/epic-drums-v2", headers=org.viewer))["product"]
    assert again["metadata"] == {"category": "drums", "tags": ["electronic", "edm", "trap"]}
    assert again["description"] == "High-energy drum samples for electronic music"


async def test_slug_is_derived_from_the_name_when_omitted(client, org):
    product = ok(await client.post("/api/products", json={"name": "Épic Drüms: Vol. 3!"}, headers=org.member), 201)
    assert product["product"]["id"] == "epic-drums-vol-3"


async def test_duplicate_slug_is_a_conflict(client, org):
    await create(client, org)
    fails(await client.post("/api/products", json={"name": "x", "slug": "epic-drums-v2"}, headers=org.member), 409, "epic-drums-v2")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": 12}, "name"),
        ({"name": "ok", "slug": "Not A Slug"}, "slug"),
        ({"name": "ok", "metadata": [1, 2]}, "metadata"),
    ],
)
async def test_invalid_product_is_refused_naming_the_field(client, org, body, field):
    error = fails(await client.post("/api/products", json=body, headers=org.member), 422)
    assert field in error
    listed = ok(await client.get("/api/products", headers=org.viewer))
    assert listed["pagination"]["total"] == 0


async def test_malformed_json_is_a_400_in_the_envelope(client, org):
    response = await client.post(
        "/api/products", content=b"{not json", headers={**org.member, "Content-Type": "application/json"}
    )
    fails(response, 400)


async def test_list_has_the_seed_envelope_and_pagination(client, org):
    for index in range(3):
        await create(client, org, name=f"Kit {index}", slug=f"kit-{index}")
    data = ok(await client.get("/api/products?limit=2&offset=0", headers=org.viewer))
    assert set(data) == {"products", "pagination"}
    assert data["pagination"] == {"total": 3, "limit": 2, "offset": 0, "hasMore": True}
    assert len(data["products"]) == 2
    first = data["products"][0]
    assert {"id", "name", "slug", "status", "activeVersion", "createdAt", "updatedAt"} <= set(first)
    rest = ok(await client.get("/api/products?limit=2&offset=2", headers=org.viewer))
    assert rest["pagination"]["hasMore"] is False
    assert len(rest["products"]) == 1
    seen = {p["id"] for p in data["products"]} | {p["id"] for p in rest["products"]}
    assert seen == {"kit-0", "kit-1", "kit-2"}


async def test_limit_defaults_to_50_and_is_capped_at_100(client, org):
    assert ok(await client.get("/api/products", headers=org.viewer))["pagination"]["limit"] == 50
    assert ok(await client.get("/api/products?limit=1000", headers=org.viewer))["pagination"]["limit"] == 100
    fails(await client.get("/api/products?offset=-1", headers=org.viewer), 422, "offset")
    fails(await client.get("/api/products?limit=many", headers=org.viewer), 422, "limit")


async def test_list_filters_by_status_and_searches_names_and_descriptions(client, org):
    await create(client, org, name="Epic Drums", slug="drums", description="kicks and snares")
    await create(client, org, name="Lush Pads", slug="pads", description="ambient textures")
    ok(await client.patch("/api/products/pads", json={"status": "published"}, headers=org.member))

    published = ok(await client.get("/api/products?status=published", headers=org.viewer))["products"]
    assert [p["id"] for p in published] == ["pads"]
    by_name = ok(await client.get("/api/products?search=drum", headers=org.viewer))["products"]
    assert [p["id"] for p in by_name] == ["drums"]
    by_description = ok(await client.get("/api/products?search=AMBIENT", headers=org.viewer))["products"]
    assert [p["id"] for p in by_description] == ["pads"]
    fails(await client.get("/api/products?status=live", headers=org.viewer), 422, "status")


async def test_patch_changes_only_the_given_fields(client, org):
    await create(client, org, description="before", metadata={"a": 1})
    product = ok(
        await client.patch("/api/products/epic-drums-v2", json={"name": "Renamed", "status": "archived"}, headers=org.member)
    )["product"]
    assert product["name"] == "Renamed"
    assert product["status"] == "archived"
    assert product["description"] == "before"
    assert product["metadata"] == {"a": 1}
    fails(await client.patch("/api/products/epic-drums-v2", json={"status": "deleted"}, headers=org.member), 422, "status")


async def test_activating_a_version_that_is_not_ready_is_refused(client, org):
    await create(client, org)
    files = [{"path": "a.wav", "size": 3, "sha256": "0" * 64}]
    ok(await client.post("/api/products/epic-drums-v2/versions", json={"version": "1.0.0", "files": files}, headers=org.member), 201)
    fails(
        await client.patch("/api/products/epic-drums-v2", json={"activeVersion": "1.0.0"}, headers=org.member), 409, "not ready"
    )
    fails(await client.patch("/api/products/epic-drums-v2", json={"activeVersion": "9.9.9"}, headers=org.member), 404)


async def test_published_product_cannot_be_deleted(client, org):
    await create(client, org)
    ok(await client.patch("/api/products/epic-drums-v2", json={"status": "published"}, headers=org.member))
    fails(await client.delete("/api/products/epic-drums-v2", headers=org.admin), 409, "published")
    ok(await client.get("/api/products/epic-drums-v2", headers=org.viewer))


async def test_deleting_a_product_needs_admin_and_removes_it(client, org):
    await create(client, org)
    fails(await client.delete("/api/products/epic-drums-v2", headers=org.member), 403, "admin")
    ok(await client.delete("/api/products/epic-drums-v2", headers=org.admin))
    fails(await client.get("/api/products/epic-drums-v2", headers=org.viewer), 404)


async def test_unknown_product_is_404(client, org):
    fails(await client.get("/api/products/nope", headers=org.viewer), 404, "nope")
    fails(await client.patch("/api/products/nope", json={"name": "x"}, headers=org.member), 404)
