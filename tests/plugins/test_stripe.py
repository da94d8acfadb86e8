"""The Stripe plugin: signed Checkout webhooks become one purchase, one set
of tokens and one email, whatever order, replay or concurrency they arrive
in; refunds revoke the links; nothing unsigned or stale changes anything."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

import httpx
import pytest

import continuata_plugins.stripe as stripe_plugin
from hub.context import Hub
from hub.services.setup_status import payment_providers
from hub.settings import Settings, SettingsError
from hub.tables import InboxEvent, OutboxMessage, Purchase
from hub.testing.app import hub_client, make_app
from hub.testing.inbox import drain_inbox, outcome_of, retry_now
from hub.testing.mailbox import CapturedMailbox, PlainEmails
from hub.testing.stripe import (
    async_payment_succeeded,
    charge_refunded,
    checkout_session_completed,
    event,
    sign,
    stripe_id,
    webhook_request,
)
from tests.conftest import Org, _empty_postgres, fails, make_org, ok
from tests.support.fake_stripe import FakeStripe, fake_stripe_server, line_item
from tests.test_tokens_api import ready_product

WEBHOOK = "/plugins/stripe/webhook"
SECRET = "whsec_test_continuata"
ORG = "audio-company"
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@dataclass
class Shop:
    client: httpx.AsyncClient
    org: Org
    mailbox: CapturedMailbox
    stripe: FakeStripe

    hub: Hub

    async def deliver(self, stripe_event: dict, secret=SECRET, timestamp: int | None = None) -> httpx.Response:
        """Post the event, then wait until the worker processed what it stored."""
        response = await self.post(stripe_event, secret, timestamp)
        await drain_inbox(self.hub)
        return response

    async def post(self, stripe_event: dict, secret=SECRET, timestamp: int | None = None) -> httpx.Response:
        body, headers = webhook_request(stripe_event, secret, timestamp)
        return await self.client.post(WEBHOOK, content=body, headers=headers)

    async def purchases(self) -> list[dict]:
        return ok(await self.client.get("/api/purchases", headers=self.org.admin))["purchases"]


@contextlib.asynccontextmanager
async def stripe_shop(settings: Settings, fake: FakeStripe, **extra: str) -> AsyncIterator[Shop]:
    """A hub with the Stripe plugin (from its entry point), a captured
    mailbox, one organization and two products ready to sell."""
    extra = {
        "HUB_STRIPE_WEBHOOK_SECRET": SECRET,
        "HUB_STRIPE_API_KEY": fake.api_key,
        "HUB_STRIPE_API_BASE": fake.url,
        **extra,
    }
    mailbox = CapturedMailbox()
    app = make_app(
        replace(settings, extra={k: v for k, v in extra.items() if v is not None}),
        plugins=[("mailbox", mailbox), ("plain-emails", PlainEmails())],
        entry_points="stripe",
    )
    async with hub_client(app) as client:
        await _empty_postgres(app)
        org = await make_org(ORG)
        await ready_product(client, org, slug="epic-drums-v1")
        await ready_product(client, org, slug="synth-pads")
        yield Shop(client, org, mailbox, fake, app.state.hub)


@pytest.fixture
def fake_stripe():
    with fake_stripe_server() as fake:
        yield fake


@pytest.fixture
async def shop(settings, fake_stripe) -> AsyncIterator[Shop]:
    async with stripe_shop(settings, fake_stripe) as running_shop:
        yield running_shop


def links_in(message) -> list[str]:
    return re.findall(r"http://hub\.test/download\?token=\S+", message.get_content())


async def stored_events() -> int:
    return await InboxEvent.count()


# --- a paid order ------------------------------------------------------------


async def test_paid_checkout_session_records_one_purchase_and_emails_working_links(shop):
    completed = checkout_session_completed(products="epic-drums-v1, synth-pads@1.0.0", client_reference_id="order-42")
    session = completed["data"]["object"]
    response = await shop.deliver(completed)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["received"] is True and answer["duplicate"] is False

    [purchase] = await shop.purchases()
    assert purchase["provider"] == "stripe"
    assert purchase["providerRef"] == session["id"]
    assert purchase["customerEmail"] == "buyer@example.com"
    assert purchase["customerName"] == "Ada Buyer"
    assert (purchase["amount"], purchase["currency"]) == (1900, "USD")
    assert purchase["items"] == [
        {"productId": "epic-drums-v1", "version": None},
        {"productId": "synth-pads", "version": "1.0.0"},
    ]
    assert purchase["problem"] is None
    assert purchase["metadata"]["stripePaymentIntent"] == session["payment_intent"]
    assert purchase["metadata"]["stripeClientReferenceId"] == "order-42"
    assert sorted(t["productId"] for t in purchase["tokens"]) == ["epic-drums-v1", "synth-pads"]

    [message] = await shop.mailbox.wait_for(1)
    assert message["To"] == "buyer@example.com"
    links = links_in(message)
    assert len(links) == 2
    page = ok(await shop.client.get(links[0], headers={"Accept": "application/json"}))
    assert [f["path"] for f in page["files"]] == ["kick.wav"]
    assert shop.stripe.requests == []  # the metadata named the products: no API call


async def test_line_items_name_the_products_when_the_session_does_not(shop):
    completed = checkout_session_completed(products=None)
    session_id = completed["data"]["object"]["id"]
    shop.stripe.add_session(
        session_id,
        line_items=[
            line_item(product_id="epic-drums-v1", on="price"),
            line_item(product_id="synth-pads", on="product", quantity=3),
            line_item(product_id=None, name="Gift wrapping"),
        ],
    )
    assert (await shop.deliver(completed)).status_code == 200
    [purchase] = await shop.purchases()
    assert [i["productId"] for i in purchase["items"]] == ["epic-drums-v1", "synth-pads"]
    assert len(purchase["tokens"]) == 2
    [(path, query)] = shop.stripe.requests
    assert path == f"/v1/checkout/sessions/{session_id}/line_items"
    assert query["expand"] == ["data.price.product"]


async def test_line_items_are_read_page_by_page(shop):
    completed = checkout_session_completed(products=None)
    session_id = completed["data"]["object"]["id"]
    shop.stripe.add_session(
        session_id, line_items=[line_item(product_id=None) for _ in range(120)] + [line_item(product_id="synth-pads")]
    )
    assert (await shop.deliver(completed)).status_code == 200
    [purchase] = await shop.purchases()
    assert [i["productId"] for i in purchase["items"]] == ["synth-pads"]
    assert len(shop.stripe.requests) == 2


@SQLITE_ONLY
async def test_an_unknown_product_is_recorded_with_its_problem(shop):
    assert (await shop.deliver(checkout_session_completed(products="no-such-pack"))).status_code == 200
    [purchase] = await shop.purchases()
    assert "no-such-pack" in purchase["problem"]
    assert purchase["tokens"] == []
    assert await OutboxMessage.count() == 0


@SQLITE_ONLY
async def test_a_session_naming_no_product_is_recorded_with_a_problem(shop):
    completed = checkout_session_completed(products=None)
    shop.stripe.add_session(completed["data"]["object"]["id"], line_items=[line_item(product_id=None)])
    assert (await shop.deliver(completed)).status_code == 200
    [purchase] = await shop.purchases()
    assert "names no product" in purchase["problem"]


# --- exactly once ------------------------------------------------------------


async def test_replayed_stripe_webhook_sends_one_email(shop):
    completed = checkout_session_completed(products=None)
    shop.stripe.add_session(completed["data"]["object"]["id"], line_items=[line_item(product_id="epic-drums-v1")])
    first = await shop.deliver(completed)
    again = await shop.deliver(completed)
    assert first.status_code == again.status_code == 200
    assert again.json()["received"] is True and again.json()["duplicate"] is True
    assert len(await shop.purchases()) == 1
    await shop.mailbox.wait_for(1)
    assert await OutboxMessage.count() == 1
    assert await stored_events() == 1
    assert len(shop.stripe.requests) == 1  # the replay did not ask Stripe again


async def test_webhook_events_are_counted_by_outcome_in_the_metrics(shop):
    from hub.metrics import REGISTRY

    def counted(outcome: str) -> float:
        return REGISTRY.get_sample_value("hub_webhook_events_total", {"provider": "stripe", "outcome": outcome}) or 0.0

    before = {outcome: counted(outcome) for outcome in ("stored", "duplicate")}
    completed = checkout_session_completed(products=None)
    shop.stripe.add_session(completed["data"]["object"]["id"], line_items=[line_item(product_id="epic-drums-v1")])
    for _ in range(3):
        assert (await shop.deliver(completed)).status_code == 200
    assert counted("stored") == before["stored"] + 1
    assert counted("duplicate") == before["duplicate"] + 2


async def test_concurrent_deliveries_yield_one_purchase_and_one_email(shop):
    completed = checkout_session_completed(products="epic-drums-v1")
    answers = await asyncio.gather(*(shop.deliver(completed) for _ in range(10)))
    assert [a.status_code for a in answers] == [200] * 10, [a.text for a in answers]
    assert sum(not a.json()["duplicate"] for a in answers) == 1
    [purchase] = await shop.purchases()
    assert len(purchase["tokens"]) == 1
    await shop.mailbox.wait_for(1)
    assert await OutboxMessage.count() == 1
    assert await stored_events() == 1
    await asyncio.sleep(0.2)
    assert len(shop.mailbox.messages) == 1


@pytest.mark.parametrize("order", ["completed first", "async_payment_succeeded first"])
async def test_both_paid_events_of_one_session_yield_one_purchase(shop, order):
    session_id, payment_intent = stripe_id("cs_test"), stripe_id("pi")
    events = [
        checkout_session_completed(session_id=session_id, payment_intent=payment_intent, products="epic-drums-v1"),
        async_payment_succeeded(session_id=session_id, payment_intent=payment_intent, products="epic-drums-v1"),
    ]
    if order != "completed first":
        events.reverse()
    for stripe_event in events:
        assert (await shop.deliver(stripe_event)).status_code == 200
    [purchase] = await shop.purchases()
    assert purchase["providerRef"] == session_id
    assert len(purchase["tokens"]) == 1
    await shop.mailbox.wait_for(1)
    assert await OutboxMessage.count() == 1
    assert await stored_events() == 2


async def test_an_unpaid_session_waits_for_its_async_payment(shop):
    session_id = stripe_id("cs_test")
    pending = checkout_session_completed(session_id=session_id, payment_status="unpaid", products="epic-drums-v1")
    answer = await shop.deliver(pending)
    assert answer.status_code == 200 and answer.json()["received"] is True
    assert await shop.purchases() == []
    assert await stored_events() == 1
    assert (await shop.deliver(pending)).json()["duplicate"] is True

    paid = async_payment_succeeded(session_id=session_id, products="epic-drums-v1")
    assert (await shop.deliver(paid)).status_code == 200
    [purchase] = await shop.purchases()
    assert purchase["providerRef"] == session_id
    await shop.mailbox.wait_for(1)


@SQLITE_ONLY
async def test_a_session_needing_no_payment_is_fulfilled(shop):
    free = checkout_session_completed(payment_status="no_payment_required", amount_total=0, products="synth-pads")
    assert (await shop.deliver(free)).status_code == 200
    assert len(await shop.purchases()) == 1


@SQLITE_ONLY
async def test_a_session_that_only_saves_a_card_is_acknowledged(shop):
    setup = checkout_session_completed(mode="setup", payment_status="no_payment_required", amount_total=0)
    assert (await shop.deliver(setup)).status_code == 200
    assert await shop.purchases() == []
    assert await stored_events() == 1


@SQLITE_ONLY
async def test_other_events_are_acknowledged_once(shop):
    other = event("payment_intent.created", {"id": stripe_id("pi"), "object": "payment_intent"})
    first = await shop.deliver(other)
    assert first.status_code == 200 and first.json() == {
        "received": True,
        "duplicate": False,
        "note": "stored; the hub processes it shortly",
    }
    assert (await outcome_of(other["id"]))["outcome"] == "payment_intent.created needs nothing from the hub"
    assert (await shop.deliver(other)).json()["duplicate"] is True
    assert await stored_events() == 1
    assert await shop.purchases() == []


# --- signatures ----------------------------------------------------------------


@SQLITE_ONLY
async def test_a_forged_signature_is_refused_and_changes_nothing(shop):
    completed = checkout_session_completed(products="epic-drums-v1")
    fails(await shop.deliver(completed, secret="whsec_not_the_shops"), 400, "Stripe-Signature")

    body, headers = webhook_request(completed, SECRET)
    tampered = body.replace(b"buyer@example.com", b"thief@example.com")
    fails(await shop.client.post(WEBHOOK, content=tampered, headers=headers), 400, "Stripe-Signature")

    unsigned = {k: v for k, v in headers.items() if k != "Stripe-Signature"}
    fails(await shop.client.post(WEBHOOK, content=body, headers=unsigned), 400, "Stripe-Signature")
    fails(await shop.client.post(WEBHOOK, content=body, headers={**headers, "Stripe-Signature": "v1=abc"}), 400)
    not_text = b"\xff\xfe"
    fails(await shop.client.post(WEBHOOK, content=not_text, headers={"Stripe-Signature": sign(not_text, SECRET)}), 400)

    assert await shop.purchases() == []
    assert await stored_events() == 0
    assert await OutboxMessage.count() == 0


async def test_an_oversized_webhook_is_refused_and_stores_nothing(shop):
    huge = checkout_session_completed(products="epic-drums-v1", metadata={"padding": "x" * 1_100_000})
    answer = await shop.deliver(huge)
    assert answer.status_code == 413, answer.text
    assert await stored_events() == 0 and await shop.purchases() == []


@SQLITE_ONLY
async def test_a_stale_timestamp_is_refused_but_a_future_one_is_not(shop):
    stale = checkout_session_completed(products="epic-drums-v1")
    fails(await shop.deliver(stale, timestamp=int(time.time()) - 400), 400, "tolerance")
    assert await stored_events() == 0

    ahead = checkout_session_completed(products="epic-drums-v1")
    assert (await shop.deliver(ahead, timestamp=int(time.time()) + 400)).status_code == 200
    assert len(await shop.purchases()) == 1


@SQLITE_ONLY
async def test_one_valid_signature_among_several_is_enough(shop):
    """While a secret is rolled, Stripe signs with the old and the new one."""
    completed = checkout_session_completed(products="epic-drums-v1")
    body, headers = webhook_request(completed, ["whsec_expired_secret", SECRET])
    assert headers["Stripe-Signature"].count("v1=") == 2
    assert (await shop.client.post(WEBHOOK, content=body, headers=headers)).status_code == 200
    await drain_inbox(shop.hub)
    assert len(await shop.purchases()) == 1


@SQLITE_ONLY
async def test_any_configured_secret_verifies(settings, fake_stripe):
    async with stripe_shop(settings, fake_stripe, HUB_STRIPE_WEBHOOK_SECRET=f"whsec_dashboard, {SECRET}") as shop:
        assert (await shop.deliver(checkout_session_completed(products="synth-pads"))).status_code == 200
        assert (await shop.deliver(checkout_session_completed(products="synth-pads"), "whsec_dashboard")).status_code == 200
        fails(await shop.deliver(checkout_session_completed(products="synth-pads"), "whsec_other"), 400)
        assert len(await shop.purchases()) == 2


# --- refunds -----------------------------------------------------------------


async def test_a_full_refund_revokes_the_links(shop):
    payment_intent = stripe_id("pi")
    await shop.deliver(checkout_session_completed(payment_intent=payment_intent, products="epic-drums-v1, synth-pads"))
    [message] = await shop.mailbox.wait_for(1)
    link = links_in(message)[0]
    assert (await shop.client.get(link, headers={"Accept": "application/json"})).status_code == 200

    refunded = await shop.deliver(charge_refunded(payment_intent=payment_intent))
    assert refunded.status_code == 200, refunded.text
    [purchase] = await shop.purchases()
    assert purchase["status"] == "refunded"
    assert all(t["revoked"] for t in purchase["tokens"])
    gone = await shop.client.get(link, headers={"Accept": "application/json"})
    assert gone.status_code == 410
    assert shop.stripe.requests == []  # found through the purchase's own metadata


async def test_a_refund_finds_its_session_through_stripe_when_the_hub_does_not_know_it(shop):
    completed = checkout_session_completed(products="epic-drums-v1")
    session = completed["data"]["object"]
    session["payment_intent"] = None  # not known at completion (seen with some payment methods)
    await shop.deliver(completed)
    payment_intent = stripe_id("pi")
    shop.stripe.add_session(session["id"], payment_intent=payment_intent)

    assert (await shop.deliver(charge_refunded(payment_intent=payment_intent))).status_code == 200
    [purchase] = await shop.purchases()
    assert purchase["status"] == "refunded"
    [(path, query)] = shop.stripe.requests
    assert path == "/v1/checkout/sessions" and query["payment_intent"] == [payment_intent]


@SQLITE_ONLY
async def test_a_partial_refund_keeps_the_links(shop):
    payment_intent = stripe_id("pi")
    await shop.deliver(checkout_session_completed(payment_intent=payment_intent, products="epic-drums-v1"))
    partial = charge_refunded(payment_intent=payment_intent, amount=1900, amount_refunded=500)
    answer = await shop.deliver(partial)
    assert answer.status_code == 200 and "partial" in (await outcome_of(partial["id"]))["outcome"]
    [purchase] = await shop.purchases()
    assert purchase["status"] == "paid" and not any(t["revoked"] for t in purchase["tokens"])


@SQLITE_ONLY
async def test_a_refund_of_a_payment_the_hub_never_sold_is_acknowledged(shop):
    answer = await shop.deliver(charge_refunded(payment_intent=stripe_id("pi")))
    assert answer.status_code == 200 and answer.json()["received"] is True
    assert await stored_events() == 1


# --- configuration ---------------------------------------------------------------


@SQLITE_ONLY
async def test_without_a_webhook_secret_the_route_is_not_served(settings, fake_stripe, caplog):
    with caplog.at_level(logging.WARNING, logger="hub.plugins.stripe"):
        async with stripe_shop(settings, fake_stripe, HUB_STRIPE_WEBHOOK_SECRET=None) as shop:
            response = await shop.deliver(checkout_session_completed(products="epic-drums-v1"))
            assert response.status_code == 404
    assert "HUB_STRIPE_WEBHOOK_SECRET is not set" in caplog.text


@SQLITE_ONLY
async def test_with_several_organizations_the_shop_must_name_one(settings, fake_stripe, tmp_path):
    async with stripe_shop(settings, fake_stripe) as shop:
        await make_org("other-shop")
        refused = await shop.deliver(checkout_session_completed(products="epic-drums-v1"))
        fails(refused, 400, "HUB_STRIPE_ORG")
        assert await stored_events() == 0 and await Purchase.count() == 0

    elsewhere = replace(settings, database_url=f"sqlite:///{tmp_path / 'named.sqlite3'}")
    async with stripe_shop(elsewhere, fake_stripe, HUB_STRIPE_ORG="other-shop") as shop:
        await make_org("other-shop")
        other = await shop.deliver(checkout_session_completed(products="epic-drums-v1"))
        assert other.status_code == 200
        assert await shop.purchases() == []  # audio-company's list
        assert (await Purchase.select(Purchase.org).first())["org"] == "other-shop"


@SQLITE_ONLY
async def test_a_stripe_api_outage_keeps_the_event_and_retries_it(shop):
    completed = checkout_session_completed(products=None)
    shop.stripe.add_session(completed["data"]["object"]["id"], line_items=[line_item(product_id="synth-pads")])
    shop.stripe.failing = True
    assert (await shop.deliver(completed)).status_code == 200  # stored: Stripe need not send it again
    waiting = await outcome_of(completed["id"])
    assert waiting["status"] == "pending" and "Stripe's API" in waiting["last_error"]
    assert await shop.purchases() == []
    shop.stripe.failing = False
    await retry_now()
    await drain_inbox(shop.hub)
    assert (await outcome_of(completed["id"]))["status"] == "done"
    assert len(await shop.purchases()) == 1


@SQLITE_ONLY
async def test_without_an_api_key_a_session_without_metadata_fails_visibly(settings, fake_stripe):
    async with stripe_shop(replace(settings, inbox_max_attempts=2), fake_stripe, HUB_STRIPE_API_KEY=None) as shop:
        completed = checkout_session_completed(products=None)
        assert (await shop.deliver(completed)).status_code == 200
        await retry_now()
        await drain_inbox(shop.hub)
        failed = await outcome_of(completed["id"])
        assert failed["status"] == "failed" and failed["attempts"] == 2
        assert "HUB_STRIPE_API_KEY" in failed["last_error"]
        assert (await shop.deliver(checkout_session_completed(products="synth-pads"))).status_code == 200
        assert len(await shop.purchases()) == 1


def test_the_plugin_declares_its_settings():
    names = {setting.name for setting in stripe_plugin.hub_settings()}
    assert names == {
        "HUB_STRIPE_WEBHOOK_SECRET",
        "HUB_STRIPE_API_KEY",
        "HUB_STRIPE_API_BASE",
        "HUB_STRIPE_ORG",
        "HUB_STRIPE_ACCOUNT_ID",
        "HUB_STRIPE_REFUSE_TEST_EVENTS",
    }


# --- Connect accounts and test mode --------------------------------------------


async def test_a_connected_accounts_payment_is_set_aside_and_never_sold(settings, fake_stripe):
    async with stripe_shop(settings, fake_stripe, HUB_STRIPE_ACCOUNT_ID="acct_1ShopOwn") as shop:
        foreign = checkout_session_completed(products="epic-drums-v1", account="acct_1Stranger")
        response = await shop.deliver(foreign)

        assert response.status_code == 200 and response.json()["duplicate"] is False
        stored = await outcome_of(foreign["id"])
        assert stored["status"] == "done"
        assert stored["outcome"] == (
            "ignored: event of connected account acct_1Stranger, not the shop's own (HUB_STRIPE_ACCOUNT_ID)"
        )
        assert await shop.purchases() == [] and await OutboxMessage.count() == 0
        # A refund of the other account's payment reverses nothing either.
        refund = charge_refunded(payment_intent=foreign["data"]["object"]["payment_intent"])
        refund["account"] = "acct_1Stranger"
        await shop.deliver(refund)
        assert (await outcome_of(refund["id"]))["outcome"].startswith("ignored: event of connected account")

        # The shop's own account, named or not, sells.
        await shop.deliver(checkout_session_completed(products="epic-drums-v1", account="acct_1ShopOwn"))
        await shop.deliver(checkout_session_completed(products="synth-pads"))
        assert len(await shop.purchases()) == 2


async def test_without_the_shops_account_id_any_connected_account_event_is_set_aside(shop):
    foreign = checkout_session_completed(products="epic-drums-v1", account="acct_1Stranger")
    await shop.deliver(foreign)
    assert (await outcome_of(foreign["id"]))["outcome"] == (
        "ignored: event of connected account acct_1Stranger, not the shop's own (HUB_STRIPE_ACCOUNT_ID is not set)"
    )
    assert await shop.purchases() == []


async def test_a_purchase_records_whether_it_was_paid_in_live_or_test_mode(shop):
    await shop.deliver(checkout_session_completed(products="epic-drums-v1", client_reference_id="test"))
    await shop.deliver(checkout_session_completed(products="synth-pads", client_reference_id="live", livemode=True))

    purchases = {p["metadata"]["stripeClientReferenceId"]: p for p in await shop.purchases()}
    assert purchases["test"]["livemode"] is False and purchases["live"]["livemode"] is True
    assert {row["mode"] for row in await Purchase.select(Purchase.mode)} == {"test", "live"}


async def test_a_hub_refusing_test_events_stores_them_and_sells_nothing(settings, fake_stripe):
    async with stripe_shop(settings, fake_stripe, HUB_STRIPE_REFUSE_TEST_EVENTS="true") as shop:
        test_mode = checkout_session_completed(products="epic-drums-v1")
        assert (await shop.deliver(test_mode)).status_code == 200

        stored = await outcome_of(test_mode["id"])
        assert stored["status"] == "done"
        assert stored["outcome"] == "ignored: test-mode event refused by HUB_STRIPE_REFUSE_TEST_EVENTS"
        assert await shop.purchases() == [] and await OutboxMessage.count() == 0

        live = checkout_session_completed(products="epic-drums-v1", livemode=True)
        await shop.deliver(live)
        [purchase] = await shop.purchases()
        assert purchase["livemode"] is True

        [status] = [p for p in await payment_providers(shop.hub, ORG) if p["status"].name == "stripe"]
        assert "Test-mode events are refused (HUB_STRIPE_REFUSE_TEST_EVENTS=true)" in status["status"].note
        assert status["last_event"]["outcome"].startswith("recorded purchase")


async def test_settings_show_that_test_mode_payments_are_recorded_as_test_purchases(shop):
    [status] = [p for p in await payment_providers(shop.hub, ORG) if p["status"].name == "stripe"]
    assert "recorded as test purchases (HUB_STRIPE_REFUSE_TEST_EVENTS=false)" in status["status"].note
    assert "HUB_STRIPE_ACCOUNT_ID is not set" in status["status"].note


def test_a_misspelt_refuse_test_events_stops_the_start_up(tmp_path):
    from hub.testing.app import settings_for_tests

    settings = settings_for_tests(
        tmp_path, extra={"HUB_STRIPE_WEBHOOK_SECRET": SECRET, "HUB_STRIPE_REFUSE_TEST_EVENTS": "ture"}
    )
    with pytest.raises(SettingsError, match="^HUB_STRIPE_REFUSE_TEST_EVENTS must be true or false"):
        make_app(settings, entry_points="stripe")


def test_sign_matches_the_stripe_library():
    import stripe

    body = b'{"id": "evt_1"}'
    assert sign(body, SECRET, timestamp=1700000000) == stripe.WebhookSignature.generate_signature_header(
        body.decode(), SECRET, timestamp=1700000000
    )
