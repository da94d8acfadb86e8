"""The Lemon Squeezy plugin, driven with a Lemon Squeezy client library's
published webhook stub (``tests/fixtures/lemonsqueezy/order_created.json``,
from NdoleStudio/lemonsqueezy-go), signed as Lemon Squeezy signs it."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncIterator

import pytest

from continuata_plugins.lemonsqueezy.webhook import signature_of
from hub.services.problems import unfulfilled_purchases
from tests.conftest import fails
from tests.support.storefronts import StoreShop, fixture, store_shop, written

SECRET = "lemon-signing-secret"
PATH = "/plugins/lemonsqueezy/webhook"
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def request(event: dict, *, secret: str = SECRET) -> tuple[bytes, dict]:
    raw = json.dumps(event).encode()
    return raw, {"Content-Type": "application/json", "X-Event-Name": event["meta"]["event_name"],
                 "X-Signature": signature_of(raw, secret)}


def order_created() -> dict:
    return copy.deepcopy(fixture("lemonsqueezy", "order_created.json"))


def order_refunded(*, amount: int | None = None) -> dict:
    """The stub's order as Lemon Squeezy's docs describe ``order_refunded``
    (no published stub was found, see SOURCE.md): the same order, refunded
    in full, or by ``amount`` (``refunded`` false), and updated later."""
    event = order_created()
    event["meta"]["event_name"] = "order_refunded"
    attributes = event["data"]["attributes"]
    total = attributes["total"]
    # A refund changes the order: Lemon Squeezy's updated_at moves on (the
    # event's key is its name, the order and updated_at).
    when = "2023-01-18T09:00:00.000000Z" if amount is None else "2023-01-18T08:00:00.000000Z"
    attributes.update(
        refunded=amount is None, refunded_at=when, updated_at=when,
        refunded_amount=total if amount is None else amount,
        status="refunded" if amount is None else "partial_refund",
    )
    return event


@pytest.fixture
async def shop(settings) -> AsyncIterator[StoreShop]:
    async with store_shop(settings, "lemonsqueezy", PATH, HUB_LEMONSQUEEZY_WEBHOOK_SECRET=SECRET) as running:
        await running.map("lemonsqueezy", "variant", "1", "epic-drums-v1")
        yield running


async def test_an_order_replayed_ten_times_is_one_purchase_and_one_email(shop):
    body, headers = request(order_created())
    answers = await asyncio.gather(*(shop.post(body, headers) for _ in range(10)))
    assert [a.status_code for a in answers] == [200] * 10
    assert sum(a.json()["duplicate"] for a in answers) == 9
    await shop.deliver(body, headers)
    [purchase] = await shop.purchases()
    assert purchase["customerEmail"] == "dan@lemonsqueezy.com" and purchase["provider"] == "lemonsqueezy"
    assert [i["productId"] for i in purchase["items"]] == ["epic-drums-v1"] and len(purchase["tokens"]) == 1
    assert purchase["amount"] == 1859 and purchase["currency"] == "EUR"
    assert purchase["metadata"]["lemonSqueezyCustomData"] == {"customer_id": 25}
    [message] = await shop.mailbox.wait_for(1)
    assert message["To"] == "dan@lemonsqueezy.com"
    await asyncio.sleep(0.2)
    assert len(shop.mailbox.messages) == 1


@SQLITE_ONLY
async def test_one_changed_byte_is_refused_and_nothing_is_written(shop):
    body, headers = request(order_created())
    fails(await shop.deliver(body.replace(b"dan@", b"dam@"), headers), 400, "X-Signature")
    fails(await shop.deliver(body, {**headers, "X-Signature": signature_of(body, "not-the-secret")}), 400)
    fails(await shop.deliver(body, {"Content-Type": "application/json"}), 400, "X-Signature")
    not_an_event = b'{"meta": {}}'
    fails(await shop.deliver(not_an_event, {"X-Signature": signature_of(not_an_event, SECRET)}), 400, "event_name")
    assert await written() == (0, 0, 0, 0)


async def test_custom_data_naming_a_hub_slug_maps_itself(shop):
    event = order_created()
    event["meta"]["custom_data"] = {"continuata_product": "synth-pads"}
    event["data"]["attributes"]["first_order_item"]["variant_id"] = 999  # no mapping
    event["data"]["id"] = "2"
    await shop.deliver(*request(event))
    [purchase] = await shop.purchases()
    assert [i["productId"] for i in purchase["items"]] == ["synth-pads"] and not purchase["problem"]


async def test_an_unmapped_variant_is_kept_and_shown_in_problems(shop):
    event = order_created()
    event["data"]["attributes"]["first_order_item"]["variant_id"] = 999
    await shop.deliver(*request(event))
    [problem] = await unfulfilled_purchases(shop.org.id)
    assert "lemonsqueezy item 'Product One' (product 1, variant 999)" in problem["problem"]


async def test_a_full_refund_revokes_and_a_partial_one_does_not(shop):
    await shop.deliver(*request(order_created()))
    await shop.deliver(*request(order_refunded(amount=500)))
    [purchase] = await shop.purchases()
    assert purchase["status"] == "paid" and not purchase["tokens"][0]["revoked"]
    await shop.deliver(*request(order_refunded()))
    [purchase] = await shop.purchases()
    assert purchase["status"] == "refunded" and purchase["tokens"][0]["revoked"]


async def test_a_refund_before_its_order_sends_nothing(shop):
    await shop.deliver(*request(order_refunded()))
    await shop.deliver(*request(order_created()))
    [purchase] = await shop.purchases()
    assert purchase["status"] == "refunded" and all(t["revoked"] for t in purchase["tokens"])
    await asyncio.sleep(0.2)
    assert shop.mailbox.messages == []
