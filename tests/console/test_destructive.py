"""Every destructive action asks first, naming what will happen; products
are archived (links keep working) or deleted when never sold; a version no
link delivers is deleted."""

from __future__ import annotations

import re

from hub.services.accounts import create_api_key
from hub.services.people import create_user
from hub.tables import ApiKey, Membership, Product, Version
from tests.console.conftest import post_form
from tests.console.test_purchases import Keys
from tests.test_tokens_api import ready_product


async def test_revoking_a_key_asks_first_and_names_the_key(owner):
    secret, key = await create_api_key("audio-company", "member", label="Storefront")
    asked = await post_form(owner, "/console/settings/keys", f"/console/settings/keys/{key['id']}/revoke")
    assert asked.status_code == 200
    assert "Revoke the API key “Storefront”" in asked.text and "stops working at once" in asked.text
    assert (await ApiKey.select(ApiKey.revoked_at).where(ApiKey.id == key["id"]).first())["revoked_at"] is None
    assert 'name="confirm" value="yes"' in asked.text and 'href="/console/settings/keys">Cancel</a>' in asked.text
    done = await post_form(owner, "/console/settings/keys", f"/console/settings/keys/{key['id']}/revoke", confirm="yes")
    assert done.status_code == 303
    assert (await ApiKey.select(ApiKey.revoked_at).where(ApiKey.id == key["id"]).first())["revoked_at"] is not None


async def test_removing_a_member_asks_first_and_names_them(owner):
    helper = await create_user("audio-company", "helper@example.com", "member", "a long enough password")
    asked = await post_form(owner, "/console/settings/members", f"/console/settings/members/{helper['id']}/remove")
    assert asked.status_code == 200 and "Remove helper@example.com from audio-company" in asked.text
    assert await Membership.count().where(Membership.user_id == helper["id"]) == 1
    done = await post_form(owner, "/console/settings/members", f"/console/settings/members/{helper['id']}/remove", confirm="yes")
    assert done.status_code == 303 and await Membership.count().where(Membership.user_id == helper["id"]) == 0


async def test_a_product_never_sold_is_deleted_after_asking_and_a_sold_one_only_archived(owner):
    secret, _ = await create_api_key("audio-company", "admin")
    api = {"Authorization": f"Bearer {secret}"}
    await ready_product(owner, Keys(api), slug="pack")
    await ready_product(owner, Keys(api), slug="unsold")
    await owner.post("/api/products/pack/tokens", json={"customerEmail": "fan@example.com"}, headers=api)
    token = (await owner.post("/api/products/pack/tokens", json={"customerEmail": "fan@example.com"}, headers=api)).json()["data"]["token"]

    sold_page = await owner.get("/console/products/pack")
    assert "Delete this product" not in sold_page.text and "Archive this product" in sold_page.text
    refused = await post_form(owner, "/console/products/pack", "/console/products/pack/delete", confirm="yes")
    assert refused.status_code == 409 and "archive it instead" in refused.text
    asked = await post_form(owner, "/console/products/pack", "/console/products/pack/archive")
    assert asked.status_code == 200 and "Every link already sent keeps working" in asked.text
    archived = await post_form(owner, "/console/products/pack", "/console/products/pack/archive", confirm="yes")
    assert archived.status_code == 303
    assert (await Product.select(Product.status).where(Product.slug == "pack").first())["status"] == "archived"
    download = token["downloadUrl"].removeprefix("http://hub.test")
    assert (await owner.get(download, headers={"Accept": "application/json"})).status_code == 200  # links keep working
    send_form = await owner.get("/console/send")
    assert 'value="pack"' not in send_form.text and 'value="unsold"' in send_form.text

    await post_form(owner, "/console/products/unsold", "/console/products/unsold/archive", confirm="yes")
    asked = await post_form(owner, "/console/products/unsold", "/console/products/unsold/delete")
    assert asked.status_code == 200 and "deleted for good" in asked.text
    assert await Product.count().where(Product.slug == "unsold") == 1
    deleted = await post_form(owner, "/console/products/unsold", "/console/products/unsold/delete", confirm="yes")
    assert deleted.status_code == 303 and await Product.count().where(Product.slug == "unsold") == 0
    assert "The product was deleted." in (await owner.get(deleted.headers["location"])).text


async def test_a_version_no_link_delivers_is_deleted_and_the_active_one_is_not(owner):
    secret, _ = await create_api_key("audio-company", "admin")
    api = {"Authorization": f"Bearer {secret}"}
    await ready_product(owner, Keys(api), slug="pack", version="1.0.0")
    await owner.post("/api/products/pack/tokens", json={"customerEmail": "fan@example.com"}, headers=api)  # delivers 1.0.0
    data = b"second"
    import hashlib

    files = [{"path": "b.txt", "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}]
    assert (await owner.post("/api/products/pack/versions", json={"version": "2.0.0", "files": files}, headers=api)).status_code == 201
    page = await owner.get("/console/products/pack")
    assert "Delete version 2.0.0" in page.text and "Delete version 1.0.0" not in page.text
    active = await post_form(owner, "/console/products/pack", "/console/products/pack/versions/1.0.0/delete", confirm="yes")
    assert active.status_code == 409 and "active version" in active.text
    asked = await post_form(owner, "/console/products/pack", "/console/products/pack/versions/2.0.0/delete")
    assert asked.status_code == 200 and "Delete version 2.0.0 of" in asked.text
    done = await post_form(owner, "/console/products/pack", "/console/products/pack/versions/2.0.0/delete", confirm="yes")
    assert done.status_code == 303
    assert [v["version"] for v in await Version.select(Version.version)] == ["1.0.0"]
    assert re.search(r"The version was deleted", (await owner.get(done.headers["location"])).text)
