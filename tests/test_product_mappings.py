"""Product mappings through the main API: a storefront's product, variant
or SKU → a hub product, per organization; bad input gets the API's error
envelope and changes nothing."""

from __future__ import annotations

from hub.services.product_mappings import map_item
from hub.tables import ProductMapping
from tests.conftest import fails, make_org, ok
from tests.test_tokens_api import ready_product

PATH = "/api/product-mappings"


def mapping(provider="shopify", kind="variant", external_id="39072856", product="epic-drums-v1") -> dict:
    return {"provider": provider, "kind": kind, "externalId": external_id, "product": product}


async def test_an_admin_maps_lists_and_deletes(client, org):
    await ready_product(client, org)
    made = ok(await client.post(PATH, headers=org.admin, json=mapping()), 201)["mapping"]
    assert made["provider"] == "shopify" and made["externalId"] == "39072856" and made["product"] == "epic-drums-v1"
    listed = ok(await client.get(PATH, headers=org.admin))["mappings"]
    assert [m["id"] for m in listed] == [made["id"]]
    assert ok(await client.get(PATH, headers=org.admin, params={"provider": "paddle"}))["mappings"] == []
    assert ok(await client.delete(f"{PATH}/{made['id']}", headers=org.admin)) == {"deleted": made["id"]}
    fails(await client.delete(f"{PATH}/{made['id']}", headers=org.admin), 404)


async def test_bad_mappings_are_refused_and_change_nothing(client, org):
    await ready_product(client, org)
    ok(await client.post(PATH, headers=org.admin, json=mapping()), 201)
    fails(await client.post(PATH, headers=org.admin, json=mapping()), 409, "mapped already")
    fails(await client.post(PATH, headers=org.admin, json=mapping(external_id="1", product="nope")), 404, "nope")
    fails(await client.post(PATH, headers=org.admin, json=mapping(kind="colour")), 422, "kind")
    fails(await client.post(PATH, headers=org.admin, json=mapping(external_id=" ")), 422, "externalId")
    fails(await client.post(PATH, headers=org.admin, json=mapping(provider="shop ify")), 422, "provider")
    fails(await client.post(PATH, headers=org.member, json=mapping(external_id="2")), 403)
    assert await ProductMapping.count() == 1


async def test_another_organizations_mappings_are_neither_seen_nor_used(client, org):
    await ready_product(client, org)
    made = ok(await client.post(PATH, headers=org.admin, json=mapping()), 201)["mapping"]
    other = await make_org("other-shop")
    assert ok(await client.get(PATH, headers=other.admin))["mappings"] == []
    fails(await client.delete(f"{PATH}/{made['id']}", headers=other.admin), 404)
    item = await map_item("other-shop", "shopify", variant_id=39072856)
    assert item.unmapped and item.product_id != "epic-drums-v1"
    mine = await map_item(org.id, "shopify", product_id=1, variant_id=39072856, sku="x")
    assert mine.product_id == "epic-drums-v1" and not mine.unmapped


async def test_a_variant_mapping_wins_over_the_product_and_a_slug_sku_maps_itself(client, org):
    await ready_product(client, org)
    await ready_product(client, org, slug="synth-pads")
    ok(await client.post(PATH, headers=org.admin, json=mapping(kind="product", external_id="7", product="synth-pads")), 201)
    ok(await client.post(PATH, headers=org.admin, json=mapping(kind="variant", external_id="8")), 201)
    assert (await map_item(org.id, "shopify", product_id=7, variant_id=8)).product_id == "epic-drums-v1"
    assert (await map_item(org.id, "shopify", product_id=7, variant_id=9)).product_id == "synth-pads"
    assert (await map_item(org.id, "shopify", product_id=5, sku="synth-pads@1.0.0")).version == "1.0.0"
    assert (await map_item(org.id, "paddle", product_id=7)).unmapped  # another provider's ids
