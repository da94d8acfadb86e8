"""The console's Licenses page: find keys, see their machines, disable and
enable a key, free every seat of one; the public key for offline files."""

from __future__ import annotations

import html

from hub.services.accounts import create_api_key
from hub.tables import AuditEntry
from hub.testing.products import ready_product
from tests.console.conftest import post_form


async def licensed_key(owner) -> str:
    secret, _ = await create_api_key("audio-company", "admin")
    headers = {"Authorization": f"Bearer {secret}"}
    await ready_product(owner, headers, "synth-pro", name="Synth Pro")
    assert (await owner.put("/api/products/synth-pro/license", json={"enabled": True, "activationLimit": 1},
                            headers=headers)).status_code == 200
    sale = {"reference": "order-1", "customerEmail": "buyer@example.com", "items": [{"productId": "synth-pro"}]}
    answer = await owner.post("/api/purchases", json=sale, headers=headers)
    return answer.json()["data"]["purchase"]["licenses"][0]["key"]


async def test_keys_are_found_by_key_buyer_product_and_end_and_the_key_is_never_shown(owner):
    key = await licensed_key(owner)
    assert (await owner.post("/api/licenses/activate", json={"key": key, "fingerprint": "fp", "name": "Studio"})).status_code == 200
    for query in (key, key.lower().replace("-", ""), "buyer@example.com", "synth-pro", key[-7:], ""):
        page = await post_form(owner, "/console/licenses", "/console/licenses", q=query)
        assert page.status_code == 200 and "Synth Pro" in page.text and "Studio" in page.text, query
        assert key not in page.text  # only its last characters
    assert "buyer@example.com" in (await owner.get("/console/licenses", params={"q": "buyer@example.com"})).text
    for query in ("someone@else.com", "nope-product", "ZZZZZ-Z"):
        page = await post_form(owner, "/console/licenses", "/console/licenses", q=query)
        assert "No licenses match" in page.text, query
    public = await owner.get("/api/licenses/public-key", params={"org": "audio-company"})
    assert public.json()["data"]["publicKey"] in (await owner.get("/console/licenses")).text


async def test_the_shop_disables_enables_and_resets_a_key(owner):
    key = await licensed_key(owner)
    assert (await owner.post("/api/licenses/activate", json={"key": key, "fingerprint": "old", "name": "Old PC"})).status_code == 200
    license_id = (await owner.post("/api/licenses/validate", json={"key": key})).json()["data"]["license"]["id"]

    done = await post_form(owner, "/console/licenses", f"/console/licenses/{license_id}/disable", back="?q=synth-pro&status=")
    assert done.status_code == 303 and done.headers["location"] == "/console/licenses?q=synth-pro&status="
    assert (await owner.post("/api/licenses/validate", json={"key": key})).json()["data"]["code"] == "DISABLED"
    assert "disabled" in (await owner.get("/console/licenses?status=disabled")).text
    await post_form(owner, "/console/licenses", f"/console/licenses/{license_id}/enable")
    assert (await owner.post("/api/licenses/validate", json={"key": key})).json()["data"]["code"] == "VALID"

    # Every seat taken: the shop frees them, the new computer activates.
    assert (await owner.post("/api/licenses/activate", json={"key": key, "fingerprint": "new"})).status_code == 422
    await post_form(owner, "/console/licenses", f"/console/licenses/{license_id}/reset", back="//evil.example")
    assert "Old PC" not in html.unescape((await owner.get("/console/licenses")).text)
    assert (await owner.post("/api/licenses/activate", json={"key": key, "fingerprint": "new"})).status_code == 200
    actions = [row["action"] for row in await AuditEntry.select(AuditEntry.action).where(AuditEntry.target == license_id)]
    assert sorted(actions) == ["license.disable", "license.enable", "license.reset"]


async def test_another_shops_key_cannot_be_touched(owner):
    from hub.services.accounts import create_organization

    await create_organization("other-shop")
    refused = await post_form(owner, "/console/licenses", "/console/licenses/license_nope/disable")
    assert refused.status_code == 404
