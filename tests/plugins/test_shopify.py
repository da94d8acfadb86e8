"""The Shopify plugin, driven with Shopify's own published examples
(``tests/fixtures/shopify``: order.json, refund.json, dispute.json from
Shopify/shopify_python_api), signed as Shopify signs them."""

from __future__ import annotations

import asyncio
import copy
import itertools
from collections.abc import AsyncIterator

import pytest

from continuata_plugins.shopify.webhook import signature_of
from hub.services.problems import unfulfilled_purchases
from tests.conftest import fails
from tests.support.storefronts import ORG, StoreShop, fixture, store_shop, written

SECRET = "shpss_continuata_test"
SHOP = "audio-company.myshopify.com"
PATH = "/plugins/shopify/webhook"
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
_ids = itertools.count(1)


def request(topic: str, body: dict, *, event_id: str | None = None, secret: str = SECRET) -> tuple[bytes, dict]:
    raw = __import__("json").dumps(body).encode()
    return raw, {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-Event-Id": event_id or f"evt-{next(_ids)}",
        "X-Shopify-Hmac-Sha256": signature_of(raw, secret),
    }


def order() -> dict:
    """Shopify's order.json, as an orders/paid body: its three lines (two
    variants of one product and a third) are the hub's products by mapping
    (line 1, 2) and by SKU (line 3 set to a hub slug)."""
    body = copy.deepcopy(fixture("shopify", "order.json")["order"])
    body["line_items"][2]["sku"] = "synth-pads"
    return body


def refund() -> dict:
    """Shopify's refund.json: lines 703073504 (the third) and 466157049 (the first)."""
    return copy.deepcopy(fixture("shopify", "refund.json")["refund"])


@pytest.fixture
async def shop(settings) -> AsyncIterator[StoreShop]:
    async with store_shop(settings, "shopify", PATH, HUB_SHOPIFY_WEBHOOK_SECRET=SECRET,
                          HUB_SHOPIFY_SHOPS=f"{SHOP}={ORG}") as running:
        await running.map("shopify", "variant", "39072856", "epic-drums-v1")
        await running.map("shopify", "variant", "49148385", "synth-pads")
        yield running


async def test_a_paid_order_replayed_ten_times_is_one_purchase_and_one_email(shop):
    body, headers = request("orders/paid", order())
    answers = await asyncio.gather(*(shop.post(body, headers) for _ in range(10)))
    assert [a.status_code for a in answers] == [200] * 10
    assert sum(a.json()["duplicate"] for a in answers) == 9
    await shop.deliver(body, headers)
    [purchase] = await shop.purchases()
    assert purchase["provider"] == "shopify" and purchase["customerEmail"] == "bob.norman@hostmail.com"
    assert [item["productId"] for item in purchase["items"]] == ["epic-drums-v1", "synth-pads", "synth-pads"]
    assert purchase["amount"] == 40994 and purchase["currency"] == "USD" and purchase["status"] == "paid"
    assert len(purchase["tokens"]) == 3
    [message] = await shop.mailbox.wait_for(1)
    assert message["To"] == "bob.norman@hostmail.com"
    await asyncio.sleep(0.2)
    assert len(shop.mailbox.messages) == 1


@SQLITE_ONLY
async def test_one_changed_byte_is_refused_and_nothing_is_written(shop):
    body, headers = request("orders/paid", order())
    tampered = body.replace(b"bob.norman", b"bob.normal")
    fails(await shop.deliver(tampered, headers), 400, "X-Shopify-Hmac-Sha256")
    fails(await shop.deliver(body, {**headers, "X-Shopify-Hmac-Sha256": signature_of(body, "another")}), 400)
    fails(await shop.deliver(body, {k: v for k, v in headers.items() if k != "X-Shopify-Hmac-Sha256"}), 400)
    fails(await shop.deliver(body, {**headers, "X-Shopify-Shop-Domain": "stranger.myshopify.com"}), 400,
          "not connected")
    assert await written() == (0, 0, 0, 0)


async def test_an_unmapped_line_is_kept_and_shown_in_problems(shop):
    body = order()
    body["line_items"][2]["sku"] = "IPOD2008BLACK"  # no mapping, no such hub slug
    await shop.deliver(*request("orders/paid", body))
    [purchase] = await shop.purchases()
    assert len(purchase["tokens"]) == 2
    [problem] = await unfulfilled_purchases(shop.org.id)
    assert "shopify item" in problem["problem"] and "SKU IPOD2008BLACK" in problem["problem"]
    assert "not mapped to a hub product" in problem["problem"]


async def test_a_partial_refund_revokes_only_the_refunded_lines(shop):
    await shop.deliver(*request("orders/paid", order()))
    await shop.deliver(*request("refunds/create", refund()))
    [purchase] = await shop.purchases()
    assert purchase["status"] == "paid"
    revoked = sorted(t["productId"] for t in purchase["tokens"] if t["revoked"])
    assert revoked == ["epic-drums-v1", "synth-pads"]  # lines 1 and 3; line 2 (synth-pads) still works
    assert sum(not t["revoked"] for t in purchase["tokens"]) == 1

    rest = refund()
    rest["id"] = 509562970
    rest["refund_line_items"] = [{"id": 1, "quantity": 1, "line_item_id": 518995019,
                                  "line_item": {"id": 518995019, "quantity": 1}}]
    await shop.deliver(*request("refunds/create", rest))
    [purchase] = await shop.purchases()
    assert purchase["status"] == "refunded" and all(t["revoked"] for t in purchase["tokens"])


async def test_a_refund_of_part_of_a_lines_quantity_keeps_its_link(shop):
    await shop.deliver(*request("orders/paid", order()))
    part = refund()
    part["refund_line_items"] = part["refund_line_items"][:1]
    part["refund_line_items"][0]["line_item"]["quantity"] = 2
    answer = await shop.deliver(*request("refunds/create", part))
    assert answer.status_code == 200
    [purchase] = await shop.purchases()
    assert purchase["status"] == "paid" and not any(t["revoked"] for t in purchase["tokens"])


async def test_a_full_refund_before_its_order_sends_nothing(shop):
    everything = refund()
    everything["refund_line_items"].append(
        {"id": 2, "quantity": 1, "line_item_id": 518995019, "line_item": {"id": 518995019, "quantity": 1}}
    )
    await shop.deliver(*request("refunds/create", everything))
    await shop.deliver(*request("orders/paid", order()))
    [purchase] = await shop.purchases()
    assert purchase["status"] == "refunded" and not any(not t["revoked"] for t in purchase["tokens"])
    await asyncio.sleep(0.2)
    assert shop.mailbox.messages == []


async def test_a_dispute_holds_the_order_and_its_resolution_restores_or_revokes_it(shop):
    await shop.deliver(*request("orders/paid", order()))
    dispute = fixture("shopify", "dispute.json")["dispute"]
    dispute["order_id"] = 450789469  # the fixture's dispute names no order
    opened = {**dispute, "status": "needs_response", "finalized_on": None}
    await shop.deliver(*request("disputes/create", opened))
    [purchase] = await shop.purchases()
    assert purchase["status"] == "on_hold"
    await shop.deliver(*request("disputes/update", {**dispute, "finalized_on": "2013-07-05T07:00:00-04:00"}))
    [purchase] = await shop.purchases()
    assert purchase["status"] == "paid"  # the fixture's dispute was won

    lost = {**dispute, "id": 1052608617, "status": "lost", "finalized_on": "2013-08-05T07:00:00-04:00"}
    await shop.deliver(*request("disputes/update", lost))
    [purchase] = await shop.purchases()
    assert purchase["status"] == "charged_back" and all(t["revoked"] for t in purchase["tokens"])


@SQLITE_ONLY
async def test_odd_shapes_are_stored_and_noted_never_a_server_error(shop):
    odd = {"id": 1, "line_items": 7, "email": ["not", "text"], "total_price": "ten"}
    answer = await shop.deliver(*request("orders/paid", odd))
    assert answer.status_code == 200
    [purchase] = await shop.purchases()
    assert purchase["problem"] and purchase["amount"] is None
    for body in (b"[1, 2]", b"not json", b'{"a": ' * 100 + b"1" + b"}" * 100):
        _, headers = request("orders/paid", {})
        headers["X-Shopify-Hmac-Sha256"] = signature_of(body, SECRET)
        fails(await shop.deliver(body, headers), 400)
    weird_refund = {"id": 2, "order_id": 1, "refund_line_items": {"x": 1}}
    assert (await shop.deliver(*request("refunds/create", weird_refund))).status_code == 200
    assert (await shop.deliver(*request("products/update", {"id": 3}))).status_code == 200
