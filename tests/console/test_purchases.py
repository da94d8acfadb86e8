"""Purchases: search, a purchase's page, and what support does: resend the
delivery email (same or corrected address), a fresh link, a later expiry,
a higher or reset limit, revoke and restore."""

from __future__ import annotations

import re

import pytest

from hub.services.accounts import create_api_key
from hub.services.people import create_user
from hub.services.purchases import PurchaseIn, PurchaseItem, record_purchase
from hub.tables import OutboxMessage
from tests.console.conftest import PASSWORD, browser_of, csrf_of, post_form, sign_in
from tests.plugins.test_outbox import eventually
from tests.test_tokens_api import ready_product


class Keys:
    def __init__(self, headers):
        self.admin = self.member = self.viewer = headers


@pytest.fixture
async def purchase(console_app, owner, mailbox) -> dict:
    secret, _ = await create_api_key("audio-company", "admin")
    await ready_product(owner, Keys({"Authorization": f"Bearer {secret}"}), slug="pack")
    recorded = await record_purchase(
        console_app.state.hub,
        PurchaseIn(org="audio-company", provider="stripe", provider_ref="cs_test_42", customer_email="buyer@example.com",
                   items=[PurchaseItem("pack")], amount=2900, currency="eur"),
    )
    await mailbox.wait_for(1)
    # The message reaches the inbox a moment before the worker records it
    # sent: the page is read once the outbox holds nothing unsent.
    await eventually(_all_sent, what="the delivery email recorded as sent")
    return recorded.purchase


async def _all_sent() -> bool:
    return await OutboxMessage.count().where(OutboxMessage.status != "sent") == 0


def links_in(message) -> list[str]:
    return re.findall(r"http://hub\.test(/download\?token=\S+)", message.get_content())


async def test_purchases_are_found_by_email_reference_date_provider_and_status(owner, purchase):
    for query in ("q=buyer@example.com", "q=BUYER@example.com", "q=cs_test_42", f"q={purchase['id']}",
                  "provider=stripe", "status=paid", "since=2000-01-01&until=2999-12-31"):
        page = await owner.get(f"/console/purchases?{query}")
        assert page.status_code == 200 and "buyer@example.com" in page.text, query
    for query in ("q=someone@else.com", "provider=paypal", "status=refunded", "until=2000-01-01"):
        page = await owner.get(f"/console/purchases?{query}")
        assert page.status_code == 200 and "No purchases match" in page.text, query
    bad = await owner.get("/console/purchases?since=yesterday")
    assert bad.status_code == 422 and "since must be a date" in bad.text


async def test_a_purchase_page_shows_items_links_and_emails(owner, purchase, mailbox):
    page = await owner.get(f"/console/purchases/{purchase['id']}")
    assert page.status_code == 200
    assert "cs_test_42" in page.text and "29.00 EUR" in page.text and "Epic Drum Kit Vol. 1" in page.text
    assert "working" in page.text and "No downloads yet" in page.text
    assert "buyer@example.com" in page.text and ">sent<" in page.text
    assert (await owner.get("/console/purchases/purchase_nope")).status_code == 404


async def test_a_purchase_page_shows_whether_it_was_paid_live_or_in_test_mode(console_app, owner, purchase):
    live = await owner.get(f"/console/purchases/{purchase['id']}")
    assert re.search(r"<dt>Mode</dt><dd>live</dd>", live.text)
    recorded = await record_purchase(
        console_app.state.hub,
        PurchaseIn(org="audio-company", provider="stripe", provider_ref="cs_test_43", customer_email="buyer@example.com",
                   items=[PurchaseItem("pack")], livemode=False),
    )
    test_mode = await owner.get(f"/console/purchases/{recorded.purchase['id']}")
    assert test_mode.status_code == 200 and '<dt>Mode</dt><dd><span class="badge bad">test</span>' in test_mode.text


async def test_resend_to_a_corrected_address_sends_working_links(owner, purchase, mailbox):
    resent = await post_form(owner, f"/console/purchases/{purchase['id']}", f"/console/purchases/{purchase['id']}/resend",
                             email="Buyer2@Example.com")
    assert resent.status_code == 303
    messages = await mailbox.wait_for(2)
    assert messages[-1]["To"] == "buyer2@example.com"
    link = links_in(messages[-1])[0]
    assert (await owner.get(link, headers={"Accept": "application/json"})).status_code == 200
    page = await owner.get(f"/console/purchases/{purchase['id']}")
    assert "buyer2@example.com" in page.text
    same = await post_form(owner, f"/console/purchases/{purchase['id']}", f"/console/purchases/{purchase['id']}/resend")
    assert same.status_code == 303
    assert (await mailbox.wait_for(3))[-1]["To"] == "buyer2@example.com"
    wrong = await post_form(owner, f"/console/purchases/{purchase['id']}", f"/console/purchases/{purchase['id']}/resend",
                            email="not an address")
    assert wrong.status_code == 422


async def test_revoke_stops_every_link_and_restore_brings_them_back(owner, purchase, mailbox):
    original = links_in(mailbox.messages[0])[0]
    page = await owner.get(f"/console/purchases/{purchase['id']}")
    token_id = re.search(r"/links/(token_[0-9a-f]+)/revoke", page.text).group(1)
    fresh_page = await owner.post(f"/console/purchases/{purchase['id']}/links/{token_id}/fresh", data={"_csrf_token": csrf_of(page.text)})
    fresh = re.search(r'id="fresh-url"[^>]*value="http://hub\.test([^"]+)"', fresh_page.text).group(1)
    for link in (original, fresh):
        assert (await owner.get(link, headers={"Accept": "application/json"})).status_code == 200
    revoked = await post_form(owner, f"/console/purchases/{purchase['id']}", f"/console/purchases/{purchase['id']}/links/{token_id}/revoke", confirm="yes")
    assert revoked.status_code == 303
    for link in (original, fresh):
        assert (await owner.get(link, headers={"Accept": "application/json"})).status_code == 410
    await post_form(owner, f"/console/purchases/{purchase['id']}", f"/console/purchases/{purchase['id']}/links/{token_id}/restore")
    assert (await owner.get(original, headers={"Accept": "application/json"})).status_code == 200
    log = await owner.get("/console/settings/audit")
    assert "link.revoke" in log.text and "link.restore" in log.text and "link.fresh" in log.text


async def test_limit_reset_and_expiry_change_the_link(owner, purchase):
    base = f"/console/purchases/{purchase['id']}"
    page = await owner.get(base)
    token_id = re.search(r"/links/(token_[0-9a-f]+)/revoke", page.text).group(1)
    assert (await post_form(owner, base, f"{base}/links/{token_id}/limit", limit="7")).status_code == 303
    assert "of 7 (7 left)" in (await owner.get(base)).text
    assert (await post_form(owner, base, f"{base}/links/{token_id}/limit", limit="")).status_code == 303
    assert "(no limit)" in (await owner.get(base)).text
    assert (await post_form(owner, base, f"{base}/links/{token_id}/reset")).status_code == 303
    before = re.search(r"expires (\d{4}-\d\d-\d\d)", (await owner.get(base)).text).group(1)
    assert (await post_form(owner, base, f"{base}/links/{token_id}/extend", days="400")).status_code == 303
    after = re.search(r"expires (\d{4}-\d\d-\d\d)", (await owner.get(base)).text).group(1)
    assert after > before
    for action, field, value in (("limit", "limit", "0"), ("limit", "limit", "lots"), ("extend", "days", "-3"), ("extend", "days", "")):
        refused = await post_form(owner, base, f"{base}/links/{token_id}/{action}", **{field: value})
        assert refused.status_code == 422, (action, value)
    assert (await post_form(owner, base, f"{base}/links/{token_id}/explode")).status_code == 404
    assert (await post_form(owner, base, f"{base}/links/token_nope/revoke")).status_code == 404


async def test_viewers_see_purchases_but_cannot_change_them(console_app, purchase):
    await create_user("audio-company", "viewer@example.com", "viewer", PASSWORD)
    async with browser_of(console_app, ip="192.0.2.5") as viewer:
        await sign_in(viewer, "viewer@example.com")
        page = await viewer.get(f"/console/purchases/{purchase['id']}")
        assert page.status_code == 200 and "Revoke" not in page.text
        refused = await viewer.post(f"/console/purchases/{purchase['id']}/resend", data={"_csrf_token": csrf_of(page.text)})
        assert refused.status_code == 403


async def test_another_organizations_purchase_is_not_found(console_app, purchase):
    from hub.services.accounts import create_organization

    await create_organization("other-shop")
    await create_user("other-shop", "them@example.com", "admin", PASSWORD)
    async with browser_of(console_app, ip="192.0.2.6") as them:
        await sign_in(them, "them@example.com")
        assert (await them.get(f"/console/purchases/{purchase['id']}")).status_code == 404
        assert "No purchases match" in (await them.get("/console/purchases?q=buyer@example.com")).text
