"""Tenants never reach each other through the console: every console action
that takes an id, given the id of another organization's thing (or an id
of nothing), answers 404, writes no audit entry and changes nothing."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass

import pytest

from hub.services import uploads as upload_service
from hub.services import versions as version_service
from hub.services.accounts import create_api_key, create_organization
from hub.services.people import ensure_user, set_membership
from hub.services.product_mappings import add_mapping
from hub.services.purchases import PurchaseIn, PurchaseItem, record_purchase
from hub.tables import (
    ApiKey,
    AuditEntry,
    ConsoleUser,
    DownloadToken,
    Membership,
    OutboxMessage,
    Product,
    ProductMapping,
    Purchase,
    UploadPart,
    Version,
    VersionFile,
)
from hub.testing.products import ready_product
from tests.console.conftest import csrf_of

OTHER = "other-shop"
SAMPLE = b"other shop's sample"


@dataclass
class OtherShop:
    """Ids of another organization's things (the attacker's targets)."""

    user_id: str
    key_id: str
    slug: str
    purchase_id: str
    token_id: str
    problem_purchase_id: str
    message_id: str
    upload_id: str
    mapping_id: str


async def _settled() -> bool:
    return await OutboxMessage.count().where(OutboxMessage.status.is_in(["pending", "sending"])) == 0


@pytest.fixture
async def other_shop(console_app, owner) -> OtherShop:
    hub = console_app.state.hub
    await create_organization(OTHER)
    member = await ensure_user("someone@other.example")  # no password: no argon2 work
    await set_membership(member["id"], OTHER, "member")
    secret, key = await create_api_key(OTHER, "admin")
    await ready_product(owner, {"Authorization": f"Bearer {secret}"}, slug="other-pack")
    sold = await record_purchase(
        hub, PurchaseIn(org=OTHER, provider="stripe", provider_ref="cs_other_1", customer_email="b@other.example",
                        items=[PurchaseItem("other-pack")], amount=100, currency="eur"),
    )
    problem = await record_purchase(
        hub, PurchaseIn(org=OTHER, provider="stripe", provider_ref="cs_other_2", customer_email="c@other.example",
                        items=[PurchaseItem("no-such-pack")], amount=100, currency="eur"),
    )
    assert problem.purchase["problem"]
    # A version whose file's upload is in progress.
    await version_service.create_version(
        hub, OTHER, "other-pack", version="2.0.0", changelog="",
        files=[{"path": "snare.wav", "size": len(SAMPLE), "sha256": hashlib.sha256(SAMPLE).hexdigest()}],
    )
    started = await upload_service.start_upload(hub, OTHER, "other-pack", "2.0.0", "snare.wav")
    for _ in range(200):
        if await _settled():
            break
        await asyncio.sleep(0.05)
    # One of its emails failed (the Problems page offers to retry it).
    message = await OutboxMessage.select(OutboxMessage.id).where(OutboxMessage.org == OTHER).first()
    await OutboxMessage.update({OutboxMessage.status: "failed", OutboxMessage.last_error: "refused"}).where(
        OutboxMessage.id == message["id"]
    )
    token = await DownloadToken.select(DownloadToken.id).where(DownloadToken.purchase == sold.purchase["id"]).first()
    mapping = await add_mapping(OTHER, provider="shopify", kind="sku", external_id="OTHER-SKU", product="other-pack")
    return OtherShop(
        user_id=member["id"], key_id=key["id"], slug="other-pack", purchase_id=sold.purchase["id"],
        token_id=token["id"], problem_purchase_id=problem.purchase["id"], message_id=message["id"],
        upload_id=started["id"], mapping_id=mapping.id,
    )


MADE_UP = "made-up-0000"

# (name, method, path template, form or JSON body). ``{x}`` is filled with
# the other shop's id, or with an id of nothing.
ACTIONS = [
    ("member.remove", "POST", "/console/settings/members/{user_id}/remove", {}),
    ("api_key.revoke", "POST", "/console/settings/keys/{key_id}/revoke", {}),
    ("product.page", "GET", "/console/products/{slug}", None),
    ("product.update", "POST", "/console/products/{slug}", {"name": "Mine now", "status": "draft"}),
    ("product.activate_version", "POST", "/console/products/{slug}/activate", {"version": "1.0.0"}),
    ("version.create", "JSON", "/console/products/{slug}/versions",
     {"version": "9.0.0", "files": [{"path": "a.wav", "size": 1, "sha256": "0" * 64}]}),
    ("upload.start", "JSON", "/console/products/{slug}/versions/2.0.0/uploads", {"path": "snare.wav"}),
    ("upload.part", "PUT", "/console/uploads/{upload_id}/parts/1", SAMPLE),
    ("upload.complete", "JSON", "/console/uploads/{upload_id}/complete", {}),
    ("purchase.page", "GET", "/console/purchases/{purchase_id}", None),
    ("purchase.resend_delivery", "POST", "/console/purchases/{purchase_id}/resend", {"email": "thief@example.com"}),
    *[
        (f"link.{action}", "POST", f"/console/purchases/{{purchase_id}}/links/{{token_id}}/{action}", fields)
        for action, fields in [("fresh", {}), ("extend", {"days": "30"}), ("limit", {"limit": "99"}),
                               ("reset", {}), ("revoke", {}), ("restore", {})]
    ],
    *[
        (f"links.{action}", "POST", f"/console/links/{{token_id}}/{action}", fields)
        for action, fields in [("send", {}), ("extend", {"days": "30"}), ("revoke", {}), ("restore", {})]
    ],
    ("product.archive", "POST", "/console/products/{slug}/archive", {}),
    ("product.delete", "POST", "/console/products/{slug}/delete", {}),
    ("version.delete", "POST", "/console/products/{slug}/versions/1.0.0/delete", {}),
    ("purchase.fix_and_fulfil", "POST", "/console/problems/purchases/{problem_purchase_id}/fulfil",
     {"email": "thief@example.com", "items": "other-pack"}),
    ("email.retry", "POST", "/console/problems/emails/{message_id}/retry", {}),
    ("product_mapping.delete", "POST", "/console/settings/payments/mappings/{mapping_id}/delete", {}),
]


async def _everything() -> dict:
    """What an action could change, in every organization."""
    tables = [ConsoleUser, Membership, ApiKey, Product, Version, VersionFile, UploadPart, Purchase, DownloadToken,
              OutboxMessage, AuditEntry, ProductMapping]
    return {table._meta.tablename: await table.select().order_by(table._meta.primary_key) for table in tables}


async def _ask(client, method: str, path: str, body, csrf: str):
    if method == "GET":
        return await client.get(path)
    headers = {"X-CSRF-Token": csrf, "Accept": "application/json"}
    if method == "PUT":
        return await client.put(path, content=body, headers=headers)
    if method == "JSON":
        return await client.post(path, json=body, headers=headers)
    return await client.post(path, data={"_csrf_token": csrf, **body})


@pytest.mark.parametrize("whose", ["another organization's", "nobody's"])
@pytest.mark.parametrize(("name", "method", "path", "body"), ACTIONS, ids=[a[0] for a in ACTIONS])
async def test_an_id_outside_the_organization_is_not_found_and_changes_nothing(
    owner, other_shop, whose, name, method, path, body
):
    ids = vars(other_shop) if whose == "another organization's" else {k: MADE_UP for k in vars(other_shop)}
    if whose == "nobody's" and "{slug}" in path:
        ids = {**ids, "slug": "no-such-product"}
    csrf = csrf_of((await owner.get("/console/settings/members")).text)
    before = await _everything()
    answer = await _ask(owner, method, path.format(**ids), body, csrf)
    assert answer.status_code == 404, f"{name}: {answer.status_code} {answer.text[:500]}"
    await asyncio.sleep(0.05)  # anything queued by mistake would be written by now
    after = await _everything()
    for table, rows in before.items():
        assert after[table] == rows, f"{name} changed {table}"
