"""The console's side of updates for past buyers: update rights on the
product page (and what a change means), the activation's buyer count and
notify choice, the update emails' progress, and who unsubscribed."""

from __future__ import annotations

import asyncio

import hub.testing.products
from hub.services.accounts import create_api_key
from hub.services.purchases import PurchaseIn, PurchaseItem, record_purchase
from hub.tables import UpdatePublication, UpdateUnsubscribe
from tests.console.conftest import post_form


async def test_rights_the_buyer_count_notify_and_progress(console_app, owner, mailbox):
    secret, _ = await create_api_key("audio-company", "admin")
    key = {"Authorization": f"Bearer {secret}"}
    await hub.testing.products.ready_product(owner, key, "pack", "1.0.0", files={"kick.wav": b"kick"})
    for email in ("a@example.com", "b@example.com"):
        await record_purchase(
            console_app.state.hub,
            PurchaseIn(org="audio-company", provider="api", provider_ref=f"o-{email}", customer_email=email,
                       items=[PurchaseItem("pack")]),
        )
    await hub.testing.products.ready_product(owner, key, "pack", "2.0.0", files={"kick.wav": b"kick 2", "hat.wav": b"hat"})

    page = await owner.get("/console/products/pack")
    assert "A change applies to versions released from now on" in page.text
    refused = await post_form(owner, "/console/products/pack", "/console/products/pack", name="Pack", status="draft",
                              update_rights="window", update_days="")
    assert refused.status_code == 422 and "number of days" in refused.text
    saved = await post_form(owner, "/console/products/pack", "/console/products/pack", name="Pack", status="draft",
                            update_rights="window", update_days="365")
    assert saved.status_code == 303
    assert 'value="365"' in (await owner.get("/console/products/pack")).text

    confirm = await owner.get("/console/products/pack/activate?version=2.0.0")
    assert confirm.status_code == 200 and "<strong>2</strong> buyers entitled to 2.0.0" in confirm.text
    done = await post_form(owner, "/console/products/pack/activate?version=2.0.0", "/console/products/pack/activate",
                           version="2.0.0", notify="yes", note="Fresh hats")
    assert done.status_code == 303 and done.headers["location"].endswith("done=notified")
    for _ in range(100):
        publication = await UpdatePublication.select().first()
        if publication and publication["status"] == "done":
            break
        await asyncio.sleep(0.1)
    await mailbox.wait_for(4)  # two deliveries, two updates
    page = (await owner.get("/console/products/pack")).text
    assert "Update emails" in page and "2 queued" in page
    again = await owner.get("/console/products/pack/activate?version=2.0.0")
    assert "they are not told twice" in again.text

    await UpdateUnsubscribe.insert(UpdateUnsubscribe(id="u1", org="audio-company", email="a@example.com",
                                                     created_at=publication["created_at"]))
    assert "<code>a@example.com</code>" in (await owner.get("/console/products/pack")).text
