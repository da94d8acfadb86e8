"""Payment events converge, whatever order the provider delivers them in.

For each scenario (a payment and what happened to it afterwards) every
permutation of its events is delivered to a fresh payment, either processed
one by one or all stored first and processed together; the purchase must
end in the same state each time: a refund or a lost dispute leaves no
usable link, an open dispute holds the links (403), a won dispute or a
failed refund gives them back, and a purchase whose reversal came first is
never emailed.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from hub.tables import DownloadToken, OutboxMessage, Purchase
from hub.testing import paypal
from hub.testing.inbox import drain_inbox
from hub.testing.stripe import charge_dispute, charge_refunded, checkout_session_completed, refund_updated, stripe_id
from tests.conftest import ok
from tests.plugins.test_paypal import PRODUCTS, CertificateFetches, paypal_shop
from tests.plugins.test_stripe import stripe_shop
from tests.support.fake_paypal import fake_paypal
from tests.support.fake_stripe import fake_stripe_server

STRIPE_SCENARIOS = {
    "refunded": (("completed", "refunded"), "refunded"),
    "refund failed": (("completed", "refunded", "refund failed"), "paid"),
    "dispute open": (("completed", "dispute opened"), "on_hold"),
    "dispute won": (("completed", "dispute opened", "dispute won"), "paid"),
    "dispute lost": (("completed", "dispute opened", "dispute lost"), "charged_back"),
    "dispute won, then refunded": (("completed", "dispute opened", "dispute won", "refunded"), "refunded"),
}
PAYPAL_SCENARIOS = {
    "refunded": (("completed", "refunded"), "refunded"),
    "dispute open": (("completed", "dispute opened"), "on_hold"),
    "dispute won": (("completed", "dispute opened", "dispute won"), "paid"),
    "dispute lost": (("completed", "dispute opened", "dispute lost"), "charged_back"),
}
PROCESSING = ["one by one", "all stored first"]


async def purchase_state(provider_ref: str) -> tuple[dict, int, int, int]:
    """The purchase, its tokens, its usable (unrevoked) tokens, and its delivery emails."""
    purchase = await Purchase.select().where(Purchase.provider_ref == provider_ref).first()
    assert purchase is not None, f"no purchase recorded for {provider_ref}"
    usable = await DownloadToken.count().where(
        DownloadToken.purchase == purchase["id"], DownloadToken.revoked_at.is_null()
    )
    tokens = await DownloadToken.count().where(DownloadToken.purchase == purchase["id"])
    emails = await OutboxMessage.count().where(OutboxMessage.dedupe_key == f"delivery:{purchase['id']}")
    return purchase, tokens, usable, emails


def check_end_state(order: tuple[str, ...], expected: str, purchase: dict, tokens: int, usable: int, emails: int) -> None:
    where = f"events in the order {order}"
    assert purchase["status"] == expected, where
    if expected == "paid":
        assert usable == tokens >= 1 and emails == 1, where
    elif expected in ("refunded", "charged_back"):
        assert usable == 0, where
    if order[-1] == "completed" and expected != "paid":
        # Every reversal was known when the payment came: nothing was sent.
        assert emails == 0 and usable == 0, where
    assert emails <= 1, where


async def deliver_all(shop, events: list[dict], processing: str) -> None:
    for event in events:
        response = await (shop.deliver(event) if processing == "one by one" else shop.post(event))
        assert response.status_code == 200, response.text
    await drain_inbox(shop.hub)


# --- Stripe --------------------------------------------------------------------


@pytest.fixture
async def stripe(settings) -> AsyncIterator:
    with fake_stripe_server() as fake:
        async with stripe_shop(settings, fake) as shop:
            yield shop


def stripe_events(names: tuple[str, ...]) -> tuple[str, dict[str, dict]]:
    """One fresh payment's events, stamped one second apart in the natural order."""
    session_id, payment_intent, dispute_id = stripe_id("cs_test"), stripe_id("pi"), stripe_id("dp")
    start = 1_800_000_000
    built = {
        "completed": checkout_session_completed(session_id=session_id, payment_intent=payment_intent, products="epic-drums-v1"),
        "refunded": charge_refunded(payment_intent=payment_intent),
        "refund failed": refund_updated(payment_intent=payment_intent, status="failed"),
        "dispute opened": charge_dispute("charge.dispute.created", payment_intent=payment_intent, dispute_id=dispute_id),
        "dispute won": charge_dispute("charge.dispute.closed", payment_intent=payment_intent, dispute_id=dispute_id, status="won"),
        "dispute lost": charge_dispute("charge.dispute.closed", payment_intent=payment_intent, dispute_id=dispute_id, status="lost"),
    }
    events = {}
    for index, name in enumerate(names):
        events[name] = {**built[name], "created": start + index}
    return session_id, events


@pytest.mark.parametrize("processing", PROCESSING)
@pytest.mark.parametrize("scenario", list(STRIPE_SCENARIOS))
async def test_stripe_events_in_any_order_end_in_the_same_state(stripe, scenario, processing):
    names, expected = STRIPE_SCENARIOS[scenario]
    for order in itertools.permutations(names):
        session_id, events = stripe_events(names)
        await deliver_all(stripe, [events[name] for name in order], processing)
        check_end_state(order, expected, *await purchase_state(session_id))


async def test_a_charge_refunded_again_after_its_refund_failed_is_refunded(stripe):
    session_id, events = stripe_events(("completed", "refunded", "refund failed"))
    again = {**charge_refunded(payment_intent=events["refunded"]["data"]["object"]["payment_intent"]), "created": events["refund failed"]["created"] + 1}
    again["data"]["object"]["id"] = events["refunded"]["data"]["object"]["id"]  # the same charge
    for name in ("completed", "refunded", "refund failed"):
        await stripe.deliver(events[name])
    await stripe.deliver(again)
    [purchase] = await stripe.purchases()
    assert purchase["status"] == "refunded" and all(t["revoked"] for t in purchase["tokens"])


async def test_a_stripe_refund_before_the_payment_sends_nothing_and_shows_refunded(stripe):
    session_id, events = stripe_events(("completed", "refunded"))
    await stripe.deliver(events["refunded"])
    await stripe.deliver(events["completed"])
    [purchase] = await stripe.purchases()
    assert purchase["status"] == "refunded" and purchase["tokens"] == []
    assert await OutboxMessage.count() == 0


async def test_a_disputed_stripe_purchase_is_on_hold_then_restored(stripe):
    session_id, events = stripe_events(("completed", "dispute opened", "dispute won"))
    await stripe.deliver(events["completed"])
    [message] = await stripe.mailbox.wait_for(1)
    link = next(line for line in message.get_content().split() if "/download?token=" in line)
    assert (await stripe.client.get(link, headers={"Accept": "application/json"})).status_code == 200

    await stripe.deliver(events["dispute opened"])
    [purchase] = await stripe.purchases()
    assert purchase["status"] == "on_hold"
    held = await stripe.client.get(link, headers={"Accept": "application/json"})
    assert held.status_code == 403
    # A shop without a display name is named by the hub's host, never by its id.
    assert held.json()["purchaseStatus"] == "on_hold" and held.json()["shop"] == "hub.test"
    page = await stripe.client.get(link)
    assert page.status_code == 403 and "on hold" in page.text and "hub.test" in page.text
    assert "audio-company" not in page.text

    await stripe.deliver(events["dispute won"])
    [purchase] = await stripe.purchases()
    assert purchase["status"] == "paid"
    assert (await stripe.client.get(link, headers={"Accept": "application/json"})).status_code == 200


# --- PayPal --------------------------------------------------------------------


@pytest.fixture
async def paypal_store(settings, monkeypatch) -> AsyncIterator:
    import continuata_plugins.paypal as paypal_plugin

    certificates = CertificateFetches(paypal.make_signing_identity())
    monkeypatch.setattr(paypal_plugin, "certificate_fetcher", certificates)
    with fake_paypal() as fake:
        async with paypal_shop(settings, fake, certificates) as shop:
            yield shop


def paypal_events(shop, names: tuple[str, ...]) -> tuple[str, dict[str, dict]]:
    """One fresh order's events (PayPal's API knows the order, its capture
    already refunded), stamped one second apart in the natural order."""
    order = shop.sell()
    capture = order["purchase_units"][0]["payments"]["captures"][0]
    shop.paypal.captures[capture["id"]] = {**capture, "status": "REFUNDED"}
    dispute_id = f"PP-D-{stripe_id('x')[-8:]}"
    built = {
        "completed": paypal.capture_completed(capture_id=capture["id"], order_id=order["id"], custom_id=PRODUCTS),
        "refunded": paypal.capture_refunded(capture_id=capture["id"]),
        "dispute opened": paypal.dispute_created(capture_id=capture["id"], dispute_id=dispute_id),
        "dispute won": paypal.dispute_resolved(capture_id=capture["id"], dispute_id=dispute_id),
        "dispute lost": paypal.dispute_resolved(
            capture_id=capture["id"], dispute_id=dispute_id, outcome_code="RESOLVED_BUYER_FAVOUR"
        ),
    }
    start = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    events = {}
    for index, name in enumerate(names):
        stamp = (start + timedelta(seconds=index)).strftime("%Y-%m-%dT%H:%M:%SZ")
        events[name] = {**built[name], "create_time": stamp}
    return order["id"], events


@pytest.mark.parametrize("processing", PROCESSING)
@pytest.mark.parametrize("scenario", list(PAYPAL_SCENARIOS))
async def test_paypal_events_in_any_order_end_in_the_same_state(paypal_store, scenario, processing):
    names, expected = PAYPAL_SCENARIOS[scenario]
    for order in itertools.permutations(names):
        order_id, events = paypal_events(paypal_store, names)
        await deliver_all(paypal_store, [events[name] for name in order], processing)
        check_end_state(order, expected, *await purchase_state(order_id))


# --- the plugins are told ----------------------------------------------------------


async def test_each_transition_is_an_event_hook(settings):
    from hub.clock import utcnow
    from hub.plugins.hookspecs import hookimpl
    from hub.services.purchases import PurchaseIn, PurchaseItem, record_purchase
    from hub.services.reversals import (
        DISPUTE_OPENED,
        DISPUTE_WON,
        REFUND,
        REFUND_CANCELLED,
        ReversalIn,
        record_reversal,
    )
    from hub.testing.app import hub_client, make_app, make_org
    from hub.testing.events import events_settled
    from tests.conftest import _empty_postgres
    from tests.test_tokens_api import ready_product

    seen: list[tuple[str, str]] = []

    class Watcher:
        @hookimpl
        def purchase_suspended(self, purchase):
            seen.append(("suspended", purchase["status"]))

        @hookimpl
        async def purchase_restored(self, purchase):
            seen.append(("restored", purchase["status"]))

        @hookimpl
        def purchase_refunded(self, purchase, revoked_tokens):
            seen.append(("refunded", f"{purchase['status']}, {len(revoked_tokens)} revoked"))

    app = make_app(settings, plugins=[("watcher", Watcher())], entry_points="none")
    async with hub_client(app) as client:
        await _empty_postgres(app)
        hub = app.state.hub

        headers = await make_org("shop")
        keys = type("Keys", (), {"admin": headers, "member": headers, "viewer": headers})
        await ready_product(client, keys, slug="pack")
        await record_purchase(
            hub, PurchaseIn(org="shop", provider="api", provider_ref="order-1", customer_email="b@example.com", items=[PurchaseItem("pack")])
        )
        for kind in (DISPUTE_OPENED, DISPUTE_WON, REFUND, REFUND_CANCELLED):
            await record_reversal(
                hub, ReversalIn(org="shop", provider="api", payment_ref="order-1", kind=kind, reference="x", occurred_at=utcnow())
            )
        # Event hooks run in the worker, after each commit, in no promised order.
        await events_settled(hub)
        assert sorted(seen) == sorted([
            ("suspended", "on_hold"),
            ("restored", "paid"),
            ("refunded", "refunded, 1 revoked"),
            ("restored", "paid"),
        ])
        [purchase] = ok(await client.get("/api/purchases", headers=headers))["purchases"]
        assert purchase["status"] == "paid" and not purchase["tokens"][0]["revoked"]
