"""Shopify, Lemon Squeezy and Paddle events converge, whatever order they
arrive in: every permutation of a scenario's events, delivered to a fresh
order one by one or all stored first, ends in the same state (a refund
or a lost dispute leaves no usable link, an open dispute holds them, a won
one gives them back, and a purchase whose reversal came first is never
emailed). Built on the providers' own published examples."""

from __future__ import annotations

import copy
import itertools
import secrets
from collections.abc import AsyncIterator

import pytest

from hub.testing.inbox import drain_inbox
from tests.plugins import test_lemonsqueezy as lemon
from tests.plugins import test_paddle as paddle_tests
from tests.plugins import test_shopify as shopify
from tests.plugins.test_payment_order import PROCESSING, check_end_state, purchase_state
from tests.support.fake_paddle import fake_paddle_server
from tests.support.storefronts import fixture, store_shop


async def deliver_all(shop, requests: list[tuple[bytes, dict]], processing: str) -> None:
    for body, headers in requests:
        response = await (shop.deliver(body, headers) if processing == "one by one" else shop.post(body, headers))
        assert response.status_code == 200, response.text
    await drain_inbox(shop.hub)


def fresh() -> int:
    return secrets.randbelow(10**12) + 10**12


# --- Shopify -------------------------------------------------------------------

SHOPIFY = {
    "refunded": (("paid", "refund"), "refunded"),
    "dispute open": (("paid", "dispute opened"), "on_hold"),
    "dispute won": (("paid", "dispute opened", "dispute won"), "paid"),
    "dispute lost": (("paid", "dispute opened", "dispute lost"), "charged_back"),
}


def shopify_events(names: tuple[str, ...]) -> tuple[str, dict[str, tuple[bytes, dict]]]:
    order = shopify.order()
    order["id"] = fresh()
    for line in order["line_items"]:
        line["id"] = fresh()
    refund = shopify.refund()
    refund.update(id=fresh(), order_id=order["id"], created_at="2030-01-01T00:00:02+00:00")
    refund["refund_line_items"] = [
        {"id": fresh(), "quantity": 1, "line_item_id": line["id"], "line_item": {"id": line["id"], "quantity": 1}}
        for line in order["line_items"]
    ]
    dispute = {**fixture("shopify", "dispute.json")["dispute"], "id": fresh(), "order_id": order["id"],
               "initiated_at": "2030-01-01T00:00:01+00:00", "finalized_on": "2030-01-01T00:00:03+00:00"}
    built = {
        "paid": shopify.request("orders/paid", order),
        "refund": shopify.request("refunds/create", refund),
        "dispute opened": shopify.request("disputes/create", {**dispute, "status": "needs_response"}),
        "dispute won": shopify.request("disputes/update", {**dispute, "status": "won"}),
        "dispute lost": shopify.request("disputes/update", {**dispute, "status": "lost"}),
    }
    return str(order["id"]), {name: built[name] for name in names}


@pytest.fixture
async def shopify_shop(settings) -> AsyncIterator:
    async with store_shop(settings, "shopify", shopify.PATH, HUB_SHOPIFY_WEBHOOK_SECRET=shopify.SECRET) as shop:
        await shop.map("shopify", "variant", "39072856", "epic-drums-v1")
        await shop.map("shopify", "variant", "49148385", "synth-pads")
        yield shop


@pytest.mark.parametrize("processing", PROCESSING)
@pytest.mark.parametrize("scenario", list(SHOPIFY))
async def test_shopify_events_in_any_order_end_in_the_same_state(shopify_shop, scenario, processing):
    names, expected = SHOPIFY[scenario]
    for order in itertools.permutations(names):
        order_id, events = shopify_events(names)
        await deliver_all(shopify_shop, [events[name] for name in order], processing)
        check_end_state(order, expected, *await purchase_state(order_id))


# --- Lemon Squeezy ---------------------------------------------------------------

LEMON = {
    "refunded": (("created", "refunded"), "refunded"),
    "partly refunded": (("created", "partly refunded"), "paid"),
}


def lemon_events(names: tuple[str, ...]) -> tuple[str, dict[str, tuple[bytes, dict]]]:
    order_id = str(fresh())
    built = {"created": lemon.order_created(), "refunded": lemon.order_refunded(),
             "partly refunded": lemon.order_refunded(amount=100)}
    for event in built.values():
        event["data"]["id"] = order_id
    return order_id, {name: lemon.request(built[name]) for name in names}


@pytest.fixture
async def lemon_shop(settings) -> AsyncIterator:
    async with store_shop(settings, "lemonsqueezy", lemon.PATH, HUB_LEMONSQUEEZY_WEBHOOK_SECRET=lemon.SECRET) as shop:
        await shop.map("lemonsqueezy", "variant", "1", "epic-drums-v1")
        yield shop


@pytest.mark.parametrize("processing", PROCESSING)
@pytest.mark.parametrize("scenario", list(LEMON))
async def test_lemon_squeezy_events_in_any_order_end_in_the_same_state(lemon_shop, scenario, processing):
    names, expected = LEMON[scenario]
    for order in itertools.permutations(names):
        order_id, events = lemon_events(names)
        await deliver_all(lemon_shop, [events[name] for name in order], processing)
        check_end_state(order, expected, *await purchase_state(order_id))


# --- Paddle ----------------------------------------------------------------------

PADDLE = {
    "refunded": (("completed", "refunded"), "refunded"),
    "chargeback": (("completed", "chargeback"), "on_hold"),
    "chargeback reversed": (("completed", "chargeback", "chargeback reversed"), "paid"),
}


def paddle_events(names: tuple[str, ...]) -> tuple[str, dict[str, tuple[bytes, dict]]]:
    txn_id = f"txn_{secrets.token_hex(13)}"
    completed = paddle_tests.transaction()
    completed["data"]["id"] = txn_id

    def adjustment(action: str, when: str, **changes) -> dict:
        event = paddle_tests.adjustment("adjustment.updated", action=action, status="approved", items=[],
                                        transaction_id=txn_id, id=f"adj_{secrets.token_hex(13)}", updated_at=when,
                                        **changes)
        event["data"]["transaction_id"] = txn_id
        return event

    built = {
        "completed": completed,
        "refunded": adjustment("refund", "2030-01-01T00:00:02Z"),
        "chargeback": adjustment("chargeback", "2030-01-01T00:00:02Z"),
        "chargeback reversed": adjustment("chargeback_reverse", "2030-01-01T00:00:03Z"),
    }
    return txn_id, {name: paddle_tests.request(copy.deepcopy(built[name])) for name in names}


@pytest.fixture
async def paddle_shop(settings) -> AsyncIterator:
    with fake_paddle_server() as fake:
        fake.customers[paddle_tests.CUSTOMER] = {"id": paddle_tests.CUSTOMER, "email": "buyer@example.com"}
        async with store_shop(settings, "paddle", paddle_tests.PATH, HUB_PADDLE_WEBHOOK_SECRET=paddle_tests.SECRET,
                              HUB_PADDLE_API_KEY=fake.api_key, HUB_PADDLE_API_BASE=fake.url) as shop:
            await shop.map("paddle", "product", "pro_01gsz4t5hdjse780zja8vvr7jg", "epic-drums-v1")
            await shop.map("paddle", "product", "pro_01h1vjes1y163xfj1rh1tkfb65", "synth-pads")
            await shop.map("paddle", "product", "pro_01gsz97mq9pa4fkyy0wqenepkz", "synth-pads")
            yield shop


@pytest.mark.parametrize("processing", PROCESSING)
@pytest.mark.parametrize("scenario", list(PADDLE))
async def test_paddle_events_in_any_order_end_in_the_same_state(paddle_shop, scenario, processing):
    names, expected = PADDLE[scenario]
    for order in itertools.permutations(names):
        txn_id, events = paddle_events(names)
        await deliver_all(paddle_shop, [events[name] for name in order], processing)
        check_end_state(order, expected, *await purchase_state(txn_id))
