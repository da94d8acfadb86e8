"""The Paddle Billing plugin, driven with Paddle's own simulation payloads
(``tests/fixtures/paddle``, from PaddleHQ/paddle-python-sdk) wrapped in
Paddle's notification envelope and signed as Paddle signs them; the
buyer's email read from a fake Paddle API on loopback."""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import time
from collections.abc import AsyncIterator

import pytest

from continuata_plugins.paddle.webhook import signature_header
from hub.services.problems import unfulfilled_purchases
from hub.testing.inbox import drain_inbox, outcome_of, retry_now
from tests.conftest import fails
from tests.support.fake_paddle import FakePaddle, fake_paddle_server
from tests.support.storefronts import StoreShop, fixture, store_shop, written

SECRET = "pdl_ntfset_continuata_test"
PATH = "/plugins/paddle/webhook"
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
CUSTOMER = "ctm_01hv6y1jedq4p1n0yqn5ba3ky4"
_ids = itertools.count(1)


def envelope(event_type: str, data: dict, occurred_at: str) -> dict:
    """A notification as Paddle sends it, around a simulation payload."""
    return {"event_id": f"evt_01hv{next(_ids):020d}", "event_type": event_type, "occurred_at": occurred_at,
            "notification_id": f"ntf_01hv{next(_ids):020d}", "data": data}


def request(event: dict, *, secret: str = SECRET, timestamp: int | None = None) -> tuple[bytes, dict]:
    raw = json.dumps(event).encode()
    return raw, {"Content-Type": "application/json", "Paddle-Signature": signature_header(raw, secret, timestamp)}


def transaction() -> dict:
    return envelope("transaction.completed", copy.deepcopy(fixture("paddle", "transaction.completed.json")),
                    "2024-04-12T10:18:49.000000Z")


def adjustment(name: str = "adjustment.created", **changes) -> dict:
    """Paddle's adjustment payload, pointed at the fixture transaction (the
    SDK's files name different transactions) and its first line item."""
    data = copy.deepcopy(fixture("paddle", f"{name}.json"))
    txn = fixture("paddle", "transaction.completed.json")
    data["transaction_id"] = txn["id"]
    data["items"][0]["item_id"] = txn["details"]["line_items"][0]["id"]
    data.update(changes)
    return envelope(name, data, data["updated_at"])


@pytest.fixture
def paddle() -> AsyncIterator[FakePaddle]:
    with fake_paddle_server() as fake:
        fake.customers[CUSTOMER] = {"id": CUSTOMER, "email": "weloveyourproduct@paddle.com", "name": "Jo"}
        yield fake


@pytest.fixture
async def shop(settings, paddle) -> AsyncIterator[StoreShop]:
    async with store_shop(settings, "paddle", PATH, HUB_PADDLE_WEBHOOK_SECRET=SECRET, HUB_PADDLE_API_KEY=paddle.api_key,
                          HUB_PADDLE_API_BASE=paddle.url) as running:
        await running.map("paddle", "product", "pro_01gsz4t5hdjse780zja8vvr7jg", "epic-drums-v1")
        await running.map("paddle", "product", "pro_01h1vjes1y163xfj1rh1tkfb65", "synth-pads")
        await running.map("paddle", "variant", "pri_01gsz98e27ak2tyhexptwc58yk", "synth-pads")
        yield running


async def test_a_transaction_replayed_ten_times_is_one_purchase_and_one_email(shop, paddle):
    body, headers = request(transaction())
    answers = await asyncio.gather(*(shop.post(body, headers) for _ in range(10)))
    assert [a.status_code for a in answers] == [200] * 10
    assert sum(a.json()["duplicate"] for a in answers) == 9
    await shop.deliver(body, headers)
    [purchase] = await shop.purchases()
    assert purchase["customerEmail"] == "weloveyourproduct@paddle.com" and purchase["provider"] == "paddle"
    assert [i["productId"] for i in purchase["items"]] == ["epic-drums-v1", "synth-pads", "synth-pads"]
    assert purchase["amount"] == 65215 and purchase["currency"] == "USD" and not purchase["problem"]
    [message] = await shop.mailbox.wait_for(1)
    assert message["To"] == "weloveyourproduct@paddle.com"
    await asyncio.sleep(0.2)
    assert len(shop.mailbox.messages) == 1
    assert paddle.requests == [f"/customers/{CUSTOMER}"]


@SQLITE_ONLY
async def test_one_changed_byte_a_stale_ts_or_another_secret_is_refused_and_nothing_is_written(shop):
    body, headers = request(transaction())
    fails(await shop.deliver(body.replace(b"txn_01hv8wptq", b"txn_01hv8wptr"), headers), 400, "Paddle-Signature")
    fails(await shop.deliver(*request(transaction(), secret="pdl_ntfset_other")), 400, "Paddle-Signature")
    fails(await shop.deliver(*request(transaction(), timestamp=int(time.time()) - 3600)), 400, "seconds old")
    fails(await shop.deliver(body, {"Paddle-Signature": "h1=abc"}), 400, "ts=")
    fails(await shop.deliver(body, {}), 400, "Paddle-Signature")
    assert await written() == (0, 0, 0, 0)


@SQLITE_ONLY
async def test_during_a_secret_rotation_any_h1_may_match(shop):
    body = json.dumps(transaction()).encode()
    ts = int(time.time())
    old = signature_header(body, "pdl_ntfset_retired", ts)
    new = signature_header(body, SECRET, ts)
    header = f"{old};h1={new.split('h1=')[1]}"
    assert (await shop.deliver(body, {"Paddle-Signature": header})).status_code == 200
    assert len(await shop.purchases()) == 1


async def test_while_paddle_cannot_name_the_buyer_the_purchase_waits_then_is_sent_once(shop, paddle):
    paddle.failing = True
    event = transaction()
    await shop.deliver(*request(event))
    [purchase] = await shop.purchases()
    assert not purchase["customerEmail"] and len(purchase["tokens"]) == 3
    [problem] = await unfulfilled_purchases(shop.org.id)
    assert "waiting for the buyer's email" in problem["problem"] and CUSTOMER in problem["problem"]
    stored = await outcome_of(event["event_id"])
    assert stored["status"] != "done" and "Paddle answered 500" in stored["last_error"]
    await asyncio.sleep(0.2)
    assert shop.mailbox.messages == []

    paddle.failing = False
    for _ in range(3):  # the retry that gets the address sends; any later one changes nothing
        await retry_now()
        await drain_inbox(shop.hub)
    [message] = await shop.mailbox.wait_for(1)
    assert message["To"] == "weloveyourproduct@paddle.com"
    assert (await outcome_of(event["event_id"]))["status"] == "done"
    [purchase] = await shop.purchases()
    assert purchase["customerEmail"] == "weloveyourproduct@paddle.com" and not purchase["problem"]
    assert await unfulfilled_purchases(shop.org.id) == []
    await shop.deliver(*request(event))  # Paddle delivers it again: nothing more
    await asyncio.sleep(0.2)
    assert len(shop.mailbox.messages) == 1


async def test_without_an_api_key_the_purchase_waits_in_problems_for_fix_and_fulfil(settings):
    async with store_shop(settings, "paddle", PATH, HUB_PADDLE_WEBHOOK_SECRET=SECRET) as shop:
        await shop.map("paddle", "product", "pro_01gsz4t5hdjse780zja8vvr7jg", "epic-drums-v1")
        event = transaction()
        await shop.deliver(*request(event))
        assert (await outcome_of(event["event_id"]))["status"] == "done"
        [problem] = await unfulfilled_purchases(shop.org.id)
        assert "waiting for the buyer's email" in problem["problem"] and "HUB_PADDLE_API_KEY is not set" in problem["problem"]
        assert "not mapped to a hub product" in problem["problem"]  # the two other items: nothing maps them


async def test_a_refund_pending_approval_changes_nothing_and_an_approved_full_one_revokes_its_item(shop):
    await shop.deliver(*request(transaction()))
    await shop.deliver(*request(adjustment()))  # Paddle's payload: a partial refund pending approval
    [purchase] = await shop.purchases()
    assert purchase["status"] == "paid" and not any(t["revoked"] for t in purchase["tokens"])

    partial = adjustment("adjustment.updated", status="approved")
    await shop.deliver(*request(partial))
    [purchase] = await shop.purchases()
    assert not any(t["revoked"] for t in purchase["tokens"])  # type "partial": the link stays

    full = adjustment("adjustment.updated", status="approved", updated_at="2024-04-15T09:00:00.000000Z")
    full["data"]["items"][0]["type"] = "full"
    await shop.deliver(*request(full))
    [purchase] = await shop.purchases()
    assert purchase["status"] == "paid"
    assert sorted(t["productId"] for t in purchase["tokens"] if t["revoked"]) == ["epic-drums-v1"]


async def test_a_chargeback_holds_and_its_reverse_restores(shop):
    await shop.deliver(*request(transaction()))
    chargeback = adjustment("adjustment.created", action="chargeback", status="approved")
    await shop.deliver(*request(chargeback))
    [purchase] = await shop.purchases()
    assert purchase["status"] == "on_hold"
    reverse = adjustment("adjustment.created", id="adj_01hvgf2s84dr6reszzg29zbvcn", action="chargeback_reverse",
                         status="approved", updated_at="2024-04-20T08:48:20.239695Z")
    await shop.deliver(*request(reverse))
    [purchase] = await shop.purchases()
    assert purchase["status"] == "paid"


async def test_a_refund_of_the_whole_transaction_before_it_sends_nothing(shop):
    refund = adjustment("adjustment.updated", status="approved", items=[])
    await shop.deliver(*request(refund))
    await shop.deliver(*request(transaction()))
    [purchase] = await shop.purchases()
    assert purchase["status"] == "refunded"
    await asyncio.sleep(0.2)
    assert shop.mailbox.messages == []
