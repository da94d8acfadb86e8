"""The PayPal plugin: signed webhooks become one purchase, one set of tokens
and one email, whichever of the capture and order events arrives first, and
however often or concurrently PayPal delivers them; refunds revoke the
links; nothing with a bad signature or a foreign certificate URL changes
anything, and no such certificate is ever fetched."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest

import continuata_plugins.paypal as paypal_plugin
from hub.context import Hub
from hub.plugins import load_plugins
from hub.services.setup_status import payment_providers
from hub.settings import Settings, SettingsError
from hub.tables import DownloadToken, InboxEvent, OutboxMessage, Purchase
from hub.testing import paypal
from hub.testing.app import hub_client, make_app
from hub.testing.inbox import drain_inbox, outcome_of, retry_now
from hub.testing.mailbox import CapturedMailbox, PlainEmails
from tests.conftest import Org, _empty_postgres, fails, make_org, ok
from tests.support.fake_paypal import FakePayPal, fake_paypal
from tests.test_tokens_api import ready_product

WEBHOOK = "/plugins/paypal/webhook"
WEBHOOK_ID = "8PT597110X687430LKGECATA"
ORG = "audio-company"
PRODUCTS = "epic-drums-v1, synth-pads@1.0.0"
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@dataclass
class CertificateFetches:
    """The certificate fetch the plugin is given: serves one identity's
    certificate and remembers every URL asked for."""

    identity: paypal.SigningIdentity
    urls: list[str] = field(default_factory=list)

    async def __call__(self, url: str) -> bytes:
        self.urls.append(url)
        await asyncio.sleep(0.01)  # a real fetch takes a while: let concurrent events pile up
        return self.identity.certificate_pem


@dataclass
class Shop:
    client: httpx.AsyncClient
    org: Org
    mailbox: CapturedMailbox
    paypal: FakePayPal
    certificates: CertificateFetches
    hub: Hub

    async def deliver(self, event: dict, identity: paypal.SigningIdentity | None = None, **signing) -> httpx.Response:
        """Post the event, then wait until the worker processed what it stored."""
        response = await self.post(event, identity, **signing)
        await drain_inbox(self.hub)
        return response

    async def post(self, event: dict, identity: paypal.SigningIdentity | None = None, **signing) -> httpx.Response:
        body, headers = paypal.webhook_request(
            event, webhook_id=WEBHOOK_ID, identity=identity or self.certificates.identity, **signing
        )
        return await self.client.post(WEBHOOK, content=body, headers=headers)

    def sell(self, **order_fields) -> dict:
        """A captured order PayPal's API knows; returns it."""
        order = paypal.order(custom_id=PRODUCTS, **order_fields)
        self.paypal.add_order(order)
        return order


@pytest.fixture(scope="session")
def identity() -> paypal.SigningIdentity:
    return paypal.make_signing_identity()


@pytest.fixture
def fake():
    with fake_paypal() as server:
        yield server


@pytest.fixture
def certificates(identity, monkeypatch) -> CertificateFetches:
    fetches = CertificateFetches(identity)
    monkeypatch.setattr(paypal_plugin, "certificate_fetcher", fetches)
    return fetches


@contextlib.asynccontextmanager
async def paypal_shop(
    settings: Settings, fake: FakePayPal, certificates: CertificateFetches, *, products: bool = True, **extra: str | None
) -> AsyncIterator[Shop]:
    """A hub with the PayPal plugin (from its entry point), a captured
    mailbox, one organization and (unless told) two products ready to sell."""
    extra = {
        "HUB_PAYPAL_WEBHOOK_ID": WEBHOOK_ID,
        "HUB_PAYPAL_CLIENT_ID": fake.client_id,
        "HUB_PAYPAL_CLIENT_SECRET": fake.client_secret,
        "HUB_PAYPAL_API_BASE": fake.url,
        **extra,
    }
    mailbox = CapturedMailbox()
    app = make_app(
        replace(settings, extra={k: v for k, v in extra.items() if v is not None}),
        plugins=[("mailbox", mailbox), ("plain-emails", PlainEmails())],
        entry_points="paypal",
    )
    async with hub_client(app) as client:
        await _empty_postgres(app)
        org = await make_org(ORG)
        if products:
            await ready_product(client, org, slug="epic-drums-v1")
            await ready_product(client, org, slug="synth-pads")
        yield Shop(client, org, mailbox, fake, certificates, app.state.hub)


@pytest.fixture
async def shop(settings, fake, certificates) -> AsyncIterator[Shop]:
    async with paypal_shop(settings, fake, certificates) as running_shop:
        yield running_shop


@pytest.fixture
async def bare_shop(settings, fake, certificates) -> AsyncIterator[Shop]:
    """A shop with nothing on sale: for what is refused before any product matters."""
    async with paypal_shop(settings, fake, certificates, products=False) as running_shop:
        yield running_shop


def links_in(message) -> list[str]:
    return re.findall(r"http://hub\.test/download\?token=\S+", message.get_content())


async def page(client: httpx.AsyncClient, link: str) -> httpx.Response:
    return await client.get(link, headers={"Accept": "application/json"})


async def purchases() -> list[dict]:
    return await Purchase.select().output(load_json=True)


async def note(event: dict) -> str:
    """The outcome the worker noted for a stored event."""
    return (await outcome_of(event["id"]))["outcome"]


async def nothing_stored() -> bool:
    return await Purchase.count() == 0 and await InboxEvent.count() == 0 and await OutboxMessage.count() == 0


# --- a paid order ------------------------------------------------------------


async def test_completed_capture_delivers_one_link_per_item_to_the_buyer_named_by_the_order(shop):
    order = shop.sell(email="Ada@Example.com")
    captured = order["purchase_units"][0]["payments"]["captures"][0]
    event = paypal.capture_completed(capture_id=captured["id"], order_id=order["id"], custom_id=PRODUCTS)

    response = await shop.deliver(event)

    assert response.status_code == 200, response.text
    assert response.json()["received"] is True and response.json()["duplicate"] is False
    [purchase] = await purchases()
    assert purchase["provider"] == "paypal"
    assert purchase["provider_ref"] == order["id"]  # the ORDER, whichever event came first
    assert purchase["customer_email"] == "ada@example.com"
    assert purchase["customer_name"] == "Ada Lovelace"
    assert (purchase["amount"], purchase["currency"]) == (1999, "USD")
    assert purchase["metadata"]["captureIds"] == [captured["id"]]
    assert purchase["items"] == [
        {"productId": "epic-drums-v1", "version": None},
        {"productId": "synth-pads", "version": "1.0.0"},
    ]
    assert not purchase["problem"]
    assert await DownloadToken.count().where(DownloadToken.purchase == purchase["id"]) == 2
    assert shop.paypal.calls("POST", "/v1/oauth2/token") == 1
    assert shop.paypal.calls("GET", "/v2/checkout/orders/") == 1

    [message] = await shop.mailbox.wait_for(1)
    assert message["To"] == "ada@example.com"
    links = links_in(message)
    assert len(links) == 2
    opened = ok(await page(shop.client, links[0]))
    assert opened["product"]["id"] == "epic-drums-v1"
    assert [f["path"] for f in opened["files"]] == ["kick.wav"]
    assert ok(await page(shop.client, links[1]))["product"] == {"id": "synth-pads", "name": "Epic Drum Kit Vol. 1", "version": "1.0.0"}


async def test_the_order_is_found_through_its_up_link_when_related_ids_are_missing(shop):
    order = shop.sell()
    event = paypal.capture_completed(order_id=order["id"], custom_id=PRODUCTS)
    del event["resource"]["supplementary_data"]

    assert (await shop.deliver(event)).status_code == 200
    [purchase] = await purchases()
    assert (purchase["provider_ref"], purchase["customer_email"]) == (order["id"], "buyer@example.com")


async def test_a_capture_without_custom_id_takes_the_items_of_its_purchase_unit(shop):
    order = shop.sell()
    captured = order["purchase_units"][0]["payments"]["captures"][0]
    event = paypal.capture_completed(capture_id=captured["id"], order_id=order["id"])  # no custom_id

    assert (await shop.deliver(event)).status_code == 200
    [purchase] = await purchases()
    assert [item["productId"] for item in purchase["items"]] == ["epic-drums-v1", "synth-pads"]


@pytest.mark.parametrize("first", ["order", "capture"])
async def test_order_and_capture_events_make_one_purchase_and_one_email(shop, first):
    order = shop.sell()
    captured = order["purchase_units"][0]["payments"]["captures"][0]
    events = {
        "order": paypal.order_completed(**_order_fields(order)),
        "capture": paypal.capture_completed(capture_id=captured["id"], order_id=order["id"], custom_id=PRODUCTS),
    }
    second = "capture" if first == "order" else "order"

    assert (await shop.deliver(events[first])).json()["duplicate"] is False
    answer = (await shop.deliver(events[second])).json()
    assert answer["duplicate"] is False and "already recorded" in await note(events[second])

    [purchase] = await purchases()
    assert purchase["provider_ref"] == order["id"]
    assert purchase["customer_email"] == "buyer@example.com"
    assert purchase["metadata"]["captureIds"] == [captured["id"]]
    assert await DownloadToken.count() == 2
    assert await InboxEvent.count() == 2
    assert len(await shop.mailbox.wait_for(1)) == 1
    await asyncio.sleep(0.2)
    assert len(shop.mailbox.messages) == 1 and await OutboxMessage.count() == 1
    # The order event names the buyer: PayPal's API is asked only when the capture comes first.
    assert shop.paypal.calls("GET", "/v2/checkout/orders/") == (1 if first == "capture" else 0)


def _order_fields(order: dict) -> dict:
    unit = order["purchase_units"][0]
    return dict(id=order["id"], custom_id=unit["custom_id"], capture_id=unit["payments"]["captures"][0]["id"])


@SQLITE_ONLY
async def test_an_order_whose_capture_is_pending_waits_for_the_capture_event(bare_shop):
    order_event = paypal.order_completed(custom_id=PRODUCTS, capture_status="PENDING")
    response = await bare_shop.deliver(order_event)
    assert response.status_code == 200 and "no completed capture" in await note(order_event)
    assert await Purchase.count() == 0 and await InboxEvent.count() == 1


@SQLITE_ONLY
async def test_a_pending_capture_is_acknowledged_without_asking_paypal(bare_shop):
    pending = paypal.capture_completed(order_id=paypal.new_order_id(), status="PENDING")
    response = await bare_shop.deliver(pending)
    assert response.status_code == 200 and "PENDING" in await note(pending)
    assert await Purchase.count() == 0 and await InboxEvent.count() == 1
    assert bare_shop.paypal.requests == []


@SQLITE_ONLY
async def test_other_events_are_acknowledged_and_remembered(bare_shop):
    event = paypal.order_completed()
    event["event_type"] = "CHECKOUT.ORDER.APPROVED"
    first, again = await bare_shop.deliver(event), await bare_shop.deliver(event)
    assert first.status_code == again.status_code == 200
    assert first.json()["duplicate"] is False and again.json()["duplicate"] is True
    assert await Purchase.count() == 0
    assert [row["event_type"] for row in await InboxEvent.select()] == ["CHECKOUT.ORDER.APPROVED"]


# --- signatures ----------------------------------------------------------------


@SQLITE_ONLY
async def test_a_forged_signature_is_refused_and_changes_nothing(bare_shop):
    order = bare_shop.sell()
    event = paypal.capture_completed(order_id=order["id"], custom_id=PRODUCTS)
    impostor = paypal.make_signing_identity()  # PayPal's certificate does not verify its signature

    fails(await bare_shop.deliver(event, identity=impostor), 400, "signature does not match")

    body, headers = paypal.webhook_request(event, webhook_id=WEBHOOK_ID, identity=bare_shop.certificates.identity)
    tampered = body.replace(b'"19.99"', b'"0.01"')
    fails(await bare_shop.client.post(WEBHOOK, content=tampered, headers=headers), 400, "signature does not match")

    _, other_webhook = paypal.webhook_request(event, webhook_id="ANOTHER-WEBHOOK", identity=bare_shop.certificates.identity)
    fails(await bare_shop.client.post(WEBHOOK, content=body, headers=other_webhook), 400, "signature does not match")

    assert await nothing_stored()
    assert bare_shop.paypal.requests == []


@SQLITE_ONLY
@pytest.mark.parametrize(
    "cert_url",
    [
        "https://evil.example.com/cert",
        "http://api.paypal.com/v1/notifications/certs/CERT-test",
        "https://api.paypal.com.evil.example.com/v1/notifications/certs/CERT-test",
        "https://evil.example.com/api.paypal.com/v1/notifications/certs/CERT-test",
        "https://api.paypal.com@evil.example.com/v1/notifications/certs/CERT-test",
        "https://api.paypal.com:8443/v1/notifications/certs/CERT-test",
        "file:///etc/ssl/cert.pem",
        "not a url",
    ],
)
async def test_a_certificate_url_off_paypals_hosts_is_refused_and_never_fetched(bare_shop, cert_url):
    event = paypal.capture_completed(order_id=bare_shop.sell()["id"], custom_id=PRODUCTS)
    fails(await bare_shop.deliver(event, cert_url=cert_url), 400, "PAYPAL-CERT-URL")
    assert bare_shop.certificates.urls == []
    assert await nothing_stored()


@SQLITE_ONLY
@pytest.mark.parametrize(
    "cert_url",
    [
        "https://api.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77",
        "https://api-m.paypal.com/v1/notifications/certs/CERT-1",
        "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-2",
        "https://API-M.SANDBOX.PAYPAL.COM/v1/notifications/certs/CERT-3",
    ],
)
async def test_certificates_on_paypals_hosts_are_fetched(bare_shop, cert_url):
    response = await bare_shop.deliver(paypal.order_completed(custom_id=PRODUCTS), cert_url=cert_url)
    assert response.status_code == 200, response.text
    assert bare_shop.certificates.urls == [cert_url]


@SQLITE_ONLY
@pytest.mark.parametrize("header", sorted(paypal_plugin.signature.HEADERS.values()))
async def test_a_delivery_without_a_signature_header_is_refused(bare_shop, header):
    body, headers = paypal.webhook_request(paypal.order_completed(), webhook_id=WEBHOOK_ID, identity=bare_shop.certificates.identity)
    del headers[header]
    fails(await bare_shop.client.post(WEBHOOK, content=body, headers=headers), 400, header)
    assert await nothing_stored()


@SQLITE_ONLY
async def test_a_signature_that_is_not_base64_or_another_algorithm_is_refused(bare_shop):
    body, headers = paypal.webhook_request(paypal.order_completed(), webhook_id=WEBHOOK_ID, identity=bare_shop.certificates.identity)
    fails(await bare_shop.client.post(WEBHOOK, content=body, headers={**headers, "PAYPAL-TRANSMISSION-SIG": "%%%"}), 400, "base64")
    fails(await bare_shop.client.post(WEBHOOK, content=body, headers={**headers, "PAYPAL-AUTH-ALGO": "SHA1withRSA"}), 400, "PAYPAL-AUTH-ALGO")
    fails(await bare_shop.client.post(WEBHOOK, content=b"[]", headers=headers), 400)
    assert await nothing_stored()


@SQLITE_ONLY
async def test_the_certificate_is_fetched_once_for_many_events(bare_shop):
    for _ in range(5):
        assert (await bare_shop.deliver(paypal.order_completed(custom_id=PRODUCTS))).status_code == 200
    answers = await asyncio.gather(*(bare_shop.deliver(paypal.order_completed(custom_id=PRODUCTS)) for _ in range(5)))
    assert [a.status_code for a in answers] == [200] * 5
    assert bare_shop.certificates.urls == [paypal.DEFAULT_CERT_URL]
    assert await Purchase.count() == 10


@SQLITE_ONLY
async def test_an_expired_certificate_is_refused(settings, fake, certificates):
    now = datetime.now(UTC)
    certificates.identity = paypal.make_signing_identity(not_before=now - timedelta(days=400), not_after=now - timedelta(days=1))
    async with paypal_shop(settings, fake, certificates, products=False) as shop:
        fails(await shop.deliver(paypal.order_completed(custom_id=PRODUCTS)), 400, "expired")
        assert await nothing_stored()


# --- replays -------------------------------------------------------------------


async def test_a_replayed_webhook_changes_nothing_and_never_asks_paypal_again(shop):
    order = shop.sell()
    body, headers = paypal.webhook_request(
        paypal.capture_completed(order_id=order["id"], custom_id=PRODUCTS), webhook_id=WEBHOOK_ID, identity=shop.certificates.identity
    )
    first = await shop.client.post(WEBHOOK, content=body, headers=headers)
    again = await shop.client.post(WEBHOOK, content=body, headers=headers)
    await drain_inbox(shop.hub)

    assert first.status_code == again.status_code == 200
    assert first.json()["duplicate"] is False and again.json() == {"received": True, "duplicate": True, "note": "already received"}
    assert await Purchase.count() == 1 and await DownloadToken.count() == 2 and await InboxEvent.count() == 1
    assert len(await shop.mailbox.wait_for(1)) == 1
    assert shop.paypal.calls("GET", "/v2/checkout/orders/") == 1


async def test_concurrent_deliveries_of_one_event_make_one_purchase_and_one_email(shop):
    order = shop.sell()
    body, headers = paypal.webhook_request(
        paypal.capture_completed(order_id=order["id"], custom_id=PRODUCTS), webhook_id=WEBHOOK_ID, identity=shop.certificates.identity
    )
    answers = await asyncio.gather(*(shop.client.post(WEBHOOK, content=body, headers=headers) for _ in range(10)))
    await drain_inbox(shop.hub)

    assert [a.status_code for a in answers] == [200] * 10, [a.text for a in answers]
    assert sum(not a.json()["duplicate"] for a in answers) >= 1
    assert await Purchase.count() == 1 and await DownloadToken.count() == 2 and await InboxEvent.count() == 1
    assert await OutboxMessage.count() == 1
    assert len(await shop.mailbox.wait_for(1)) == 1
    await asyncio.sleep(0.2)
    assert len(shop.mailbox.messages) == 1
    assert shop.certificates.urls == [paypal.DEFAULT_CERT_URL]


async def test_order_and_capture_events_racing_make_one_purchase(shop):
    order = shop.sell()
    captured = order["purchase_units"][0]["payments"]["captures"][0]
    deliveries = [
        shop.deliver(paypal.order_completed(**_order_fields(order))),
        shop.deliver(paypal.capture_completed(capture_id=captured["id"], order_id=order["id"], custom_id=PRODUCTS)),
    ] * 3  # each event delivered three times over
    answers = await asyncio.gather(*deliveries)

    assert [a.status_code for a in answers] == [200] * 6, [a.text for a in answers]
    assert await Purchase.count() == 1 and await DownloadToken.count() == 2
    assert await OutboxMessage.count() == 1
    assert len(await shop.mailbox.wait_for(1)) == 1


async def test_an_oversized_webhook_is_refused_and_stores_nothing(bare_shop):
    huge = paypal.order_completed(custom_id=PRODUCTS)
    huge["resource"]["padding"] = "x" * 1_100_000
    answer = await bare_shop.deliver(huge)
    assert answer.status_code == 413, answer.text
    assert await nothing_stored()


# --- refunds -------------------------------------------------------------------


async def test_a_refund_revokes_the_links(shop):
    order = shop.sell()
    captured = order["purchase_units"][0]["payments"]["captures"][0]
    await shop.deliver(paypal.capture_completed(capture_id=captured["id"], order_id=order["id"], custom_id=PRODUCTS))
    [message] = await shop.mailbox.wait_for(1)
    link = links_in(message)[0]
    assert (await page(shop.client, link)).status_code == 200

    refund = paypal.capture_refunded(capture_id=captured["id"])
    response = await shop.deliver(refund)

    assert response.status_code == 200 and "paid → refunded" in await note(refund)
    assert await DownloadToken.count().where(DownloadToken.revoked_at.is_null()) == 0
    fails(await page(shop.client, link), 410, "revoked")
    [purchase] = await purchases()
    assert purchase["status"] == "refunded"
    # The purchase's metadata named the capture: no need to ask PayPal.
    assert shop.paypal.calls("GET", "/v2/payments/captures/") == 0


async def test_a_refund_of_a_purchase_recorded_from_the_order_event_revokes_it(shop):
    order = paypal.order(custom_id=PRODUCTS)
    await shop.deliver(paypal.order_completed(**_order_fields(order)))
    captured = order["purchase_units"][0]["payments"]["captures"][0]

    response = await shop.deliver(paypal.capture_refunded(capture_id=captured["id"]))

    assert response.status_code == 200, response.text
    assert await DownloadToken.count().where(DownloadToken.revoked_at.is_null()) == 0
    assert shop.paypal.requests == []


async def test_a_refund_of_a_capture_the_hub_does_not_know_is_traced_through_paypal(shop):
    order = shop.sell()
    await shop.deliver(paypal.order_completed(**_order_fields(order)))
    # A second capture of the same order, recorded nowhere in the hub.
    later = paypal.capture(order_id=order["id"], status="REFUNDED")
    shop.paypal.captures[later["id"]] = later

    response = await shop.deliver(paypal.capture_refunded(capture_id=later["id"]))

    assert response.status_code == 200, response.text
    assert shop.paypal.calls("GET", f"/v2/payments/captures/{later['id']}") == 1
    [purchase] = await purchases()
    assert purchase["status"] == "refunded"


async def test_a_partial_refund_keeps_the_links(shop):
    order = shop.sell()
    captured = order["purchase_units"][0]["payments"]["captures"][0]
    await shop.deliver(paypal.capture_completed(capture_id=captured["id"], order_id=order["id"], custom_id=PRODUCTS))

    partial = paypal.capture_refunded(capture_id=captured["id"], amount="5.00", total_refunded="5.00")
    response = await shop.deliver(partial)

    assert response.status_code == 200 and "partial refund" in await note(partial)
    assert await DownloadToken.count().where(DownloadToken.revoked_at.is_null()) == 2
    # A second partial refund that completes it does revoke.
    rest = paypal.capture_refunded(capture_id=captured["id"], amount="14.99", total_refunded="19.99")
    await shop.deliver(rest)
    assert "paid → refunded" in await note(rest)
    assert await DownloadToken.count().where(DownloadToken.revoked_at.is_null()) == 0


def two_unit_order(shop: Shop) -> tuple[dict, dict, dict]:
    """An order PayPal's API knows, of two purchase units: epic-drums-v1
    paid by capture A (30.00), synth-pads by capture B (20.00)."""
    order = paypal.order(custom_id="epic-drums-v1", amount="30.00")
    capture_a = order["purchase_units"][0]["payments"]["captures"][0]
    capture_b = paypal.add_purchase_unit(order, custom_id="synth-pads", amount="20.00")
    shop.paypal.add_order(order)
    return order, capture_a, capture_b


def fully_refunded_at_paypal(shop: Shop, capture: dict) -> None:
    """PayPal's API tells the capture is refunded in full from now on."""
    shop.paypal.captures[capture["id"]] = {**capture, "status": "REFUNDED"}


async def tokens_by_product() -> dict[str, dict]:
    rows = await DownloadToken.select(
        DownloadToken.product.slug.as_alias("slug"), DownloadToken.revoked_at, DownloadToken.id
    )
    return {row["slug"]: row for row in rows}


async def test_refunding_one_capture_of_a_two_unit_order_revokes_only_its_items(shop):
    order, capture_a, capture_b = two_unit_order(shop)
    await shop.deliver(paypal.order_completed(order_resource=order))
    [message] = await shop.mailbox.wait_for(1)
    assert len(links_in(message)) == 2

    fully_refunded_at_paypal(shop, capture_a)
    refund = paypal.capture_refunded(capture_id=capture_a["id"], amount="30.00")
    response = await shop.deliver(refund)

    assert response.status_code == 200
    assert "stays paid, 1 token(s) of the reversed items revoked" in await note(refund)
    tokens = await tokens_by_product()
    assert tokens["epic-drums-v1"]["revoked_at"] is not None
    assert tokens["synth-pads"]["revoked_at"] is None
    [purchase] = await purchases()
    assert purchase["status"] == "paid" and purchase["refunded_at"] is None
    [api] = ok(await shop.client.get("/api/purchases", headers=shop.org.viewer))["purchases"]
    assert api["status"] == "paid"
    assert {t["productId"]: t["revoked"] for t in api["tokens"]} == {"epic-drums-v1": True, "synth-pads": False}

    # Refunding the other capture too leaves nothing paid: refunded.
    fully_refunded_at_paypal(shop, capture_b)
    rest = paypal.capture_refunded(capture_id=capture_b["id"], amount="20.00")
    await shop.deliver(rest)
    assert "paid → refunded" in await note(rest)
    [purchase] = await purchases()
    assert purchase["status"] == "refunded"
    assert await DownloadToken.count().where(DownloadToken.revoked_at.is_null()) == 0


async def test_a_partial_refund_of_one_capture_of_a_two_unit_order_keeps_every_link(shop):
    order, capture_a, _ = two_unit_order(shop)
    await shop.deliver(paypal.order_completed(order_resource=order))
    shop.paypal.captures[capture_a["id"]] = {**capture_a, "status": "PARTIALLY_REFUNDED"}

    partial = paypal.capture_refunded(capture_id=capture_a["id"], amount="5.00", total_refunded="5.00")
    await shop.deliver(partial)

    assert "partial refund" in await note(partial)
    assert await DownloadToken.count().where(DownloadToken.revoked_at.is_null()) == 2


async def test_a_lost_dispute_on_one_capture_of_a_two_unit_order_revokes_only_its_items(shop):
    order, _, capture_b = two_unit_order(shop)
    await shop.deliver(paypal.order_completed(order_resource=order))

    opened = paypal.dispute_created(capture_id=capture_b["id"])
    await shop.deliver(opened)
    [purchase] = await purchases()
    assert purchase["status"] == "on_hold"  # a dispute open on a part holds the whole purchase
    lost = paypal.dispute_resolved(
        capture_id=capture_b["id"], dispute_id=opened["resource"]["dispute_id"], outcome_code="RESOLVED_BUYER_FAVOUR"
    )
    await shop.deliver(lost)

    [purchase] = await purchases()
    assert purchase["status"] == "paid"
    tokens = await tokens_by_product()
    assert tokens["synth-pads"]["revoked_at"] is not None and tokens["epic-drums-v1"]["revoked_at"] is None


async def test_a_capture_refunded_before_its_two_unit_order_arrives_delivers_only_the_rest(shop):
    order, capture_a, _ = two_unit_order(shop)
    fully_refunded_at_paypal(shop, capture_a)
    # Nothing is known of the capture yet: the refund is kept for later.
    early = paypal.capture_refunded(capture_id=capture_a["id"], amount="30.00")
    await shop.deliver(early)

    await shop.deliver(paypal.order_completed(order_resource=order))

    [purchase] = await purchases()
    assert purchase["status"] == "paid"
    tokens = await tokens_by_product()
    assert tokens["epic-drums-v1"]["revoked_at"] is not None and tokens["synth-pads"]["revoked_at"] is None
    [message] = await shop.mailbox.wait_for(1)
    assert len(links_in(message)) == 1  # the refunded item's link is not sent


async def test_a_cancelled_refund_of_one_part_gives_back_only_its_tokens(shop):
    # No PayPal event cancels a refund; a provider that reports one (as
    # Stripe does) goes through the same core call.
    from hub.services.reversals import REFUND_CANCELLED, ReversalIn, record_reversal

    order, capture_a, capture_b = two_unit_order(shop)
    await shop.deliver(paypal.order_completed(order_resource=order))
    drums = (await tokens_by_product())["epic-drums-v1"]
    await DownloadToken.update({DownloadToken.revoked_at: datetime.now(UTC)}).where(DownloadToken.id == drums["id"])
    fully_refunded_at_paypal(shop, capture_b)
    refund = paypal.capture_refunded(capture_id=capture_b["id"], amount="20.00")
    await shop.deliver(refund)
    assert (await tokens_by_product())["synth-pads"]["revoked_at"] is not None

    note = await record_reversal(
        shop.hub,
        ReversalIn(
            org=ORG, provider="paypal", payment_ref=capture_b["id"], kind=REFUND_CANCELLED,
            reference=refund["resource"]["id"], occurred_at=datetime.now(UTC) + timedelta(seconds=1),
        ),
    )

    assert "stays paid, 1 token(s) given back" in note
    tokens = await tokens_by_product()
    assert tokens["synth-pads"]["revoked_at"] is None
    assert tokens["epic-drums-v1"]["revoked_at"] is not None  # revoked by hand: not the refund's to give back


async def test_a_refund_for_an_unknown_sale_is_acknowledged(shop):
    stranger = paypal.capture(order_id=paypal.new_order_id(), status="REFUNDED")
    shop.paypal.captures[stranger["id"]] = stranger
    refund = paypal.capture_refunded(capture_id=stranger["id"])
    response = await shop.deliver(refund)
    assert response.status_code == 200 and "no purchase is known" in await note(refund)
    assert await InboxEvent.count() == 1


# --- live or sandbox ---------------------------------------------------------------


async def test_a_purchase_through_the_live_api_is_live(shop):
    order = paypal.order(custom_id=PRODUCTS)
    await shop.deliver(paypal.order_completed(order_resource=order))
    [purchase] = ok(await shop.client.get("/api/purchases", headers=shop.org.viewer))["purchases"]
    assert purchase["livemode"] is True


async def test_a_purchase_through_the_sandbox_is_recorded_as_test_mode(settings, fake, certificates):
    sandbox = "https://api-m.sandbox.paypal.com"
    async with paypal_shop(settings, fake, certificates, HUB_PAYPAL_API_BASE=sandbox) as shop:
        # The order event names its buyer: no call to the sandbox is needed.
        await shop.deliver(paypal.order_completed(custom_id=PRODUCTS))
        [purchase] = ok(await shop.client.get("/api/purchases", headers=shop.org.viewer))["purchases"]
        assert purchase["livemode"] is False
        assert [row["mode"] for row in await Purchase.select(Purchase.mode)] == ["test"]
        [status] = [p["status"] for p in await payment_providers(shop.hub, ORG) if p["status"].name == "paypal"]
        assert "Sandbox: purchases are recorded as test mode." in status.note


# --- verification through PayPal's API -------------------------------------------


@pytest.fixture
async def api_verified_shop(settings, fake, certificates) -> AsyncIterator[Shop]:
    fake.certificates[paypal.DEFAULT_CERT_URL] = certificates.identity
    async with paypal_shop(settings, fake, certificates, products=False, HUB_PAYPAL_VERIFY="api") as running_shop:
        yield running_shop


async def test_api_verification_accepts_what_paypal_confirms(api_verified_shop):
    shop = api_verified_shop
    response = await shop.deliver(paypal.order_completed(custom_id=PRODUCTS))
    assert response.status_code == 200, response.text
    assert await Purchase.count() == 1
    assert shop.paypal.calls("POST", "/v1/notifications/verify-webhook-signature") == 1
    assert shop.certificates.urls == []  # PayPal checked the certificate, not the hub


async def test_api_verification_refuses_what_paypal_does_not_confirm(api_verified_shop):
    shop = api_verified_shop
    fails(await shop.deliver(paypal.order_completed(custom_id=PRODUCTS), identity=paypal.make_signing_identity()), 400, "did not confirm")
    shop.paypal.verification_status = "FAILURE"
    fails(await shop.deliver(paypal.order_completed(custom_id=PRODUCTS)), 400, "did not confirm")
    assert await nothing_stored()
    assert shop.paypal.calls("POST", "/v1/notifications/verify-webhook-signature") == 2


async def test_api_verification_still_refuses_foreign_certificate_urls_without_asking(api_verified_shop):
    shop = api_verified_shop
    fails(await shop.deliver(paypal.order_completed(), cert_url="https://evil.example.com/cert"), 400, "PAYPAL-CERT-URL")
    assert shop.paypal.requests == []


# --- settings and organizations ------------------------------------------------


@SQLITE_ONLY
async def test_without_a_webhook_id_the_route_is_not_served(settings, fake, certificates, caplog):
    with caplog.at_level(logging.WARNING, logger="hub.plugins.paypal"):
        async with paypal_shop(settings, fake, certificates, products=False, HUB_PAYPAL_WEBHOOK_ID=None) as shop:
            response = await shop.deliver(paypal.order_completed(custom_id=PRODUCTS))
            assert response.status_code in (404, 405)
    assert "HUB_PAYPAL_WEBHOOK_ID is not set" in caplog.text


@SQLITE_ONLY
async def test_several_organizations_need_hub_paypal_org(settings, fake, certificates):
    async with paypal_shop(settings, fake, certificates, products=False) as shop:
        await make_org("other-shop")
        fails(await shop.deliver(paypal.order_completed(custom_id=PRODUCTS)), 400, "HUB_PAYPAL_ORG")
        assert await nothing_stored()


@SQLITE_ONLY
async def test_hub_paypal_org_chooses_the_organization(settings, fake, certificates):
    async with paypal_shop(settings, fake, certificates, products=False, HUB_PAYPAL_ORG=ORG) as shop:
        await make_org("other-shop")
        assert (await shop.deliver(paypal.order_completed(custom_id=PRODUCTS))).status_code == 200
        assert [p["org"] for p in await purchases()] == [ORG]


@SQLITE_ONLY
async def test_hub_paypal_org_must_name_an_existing_organization(settings, fake, certificates):
    async with paypal_shop(settings, fake, certificates, products=False, HUB_PAYPAL_ORG="no-such-shop") as shop:
        fails(await shop.deliver(paypal.order_completed(custom_id=PRODUCTS)), 400, "no-such-shop")
        assert await nothing_stored()


@SQLITE_ONLY
async def test_without_api_credentials_a_capture_fails_visibly(settings, fake, certificates):
    order = paypal.order(custom_id=PRODUCTS)
    fake.add_order(order)
    capture_event = paypal.capture_completed(order_id=order["id"], custom_id=PRODUCTS)
    settings = replace(settings, inbox_max_attempts=2)
    async with paypal_shop(settings, fake, certificates, products=False, HUB_PAYPAL_CLIENT_ID=None) as shop:
        assert (await shop.deliver(capture_event)).status_code == 200
        await retry_now()
        await drain_inbox(shop.hub)
        failed = await outcome_of(capture_event["id"])
        assert failed["status"] == "failed" and "HUB_PAYPAL_CLIENT_ID" in failed["last_error"]
        assert await Purchase.count() == 0
        # The order event names the buyer itself.
        assert (await shop.deliver(paypal.order_completed(custom_id=PRODUCTS))).status_code == 200


@SQLITE_ONLY
async def test_paypal_api_refusing_the_credentials_keeps_the_event_with_the_reason(settings, fake, certificates):
    order = paypal.order(custom_id=PRODUCTS)
    fake.add_order(order)
    async with paypal_shop(settings, fake, certificates, products=False, HUB_PAYPAL_CLIENT_SECRET="wrong") as shop:
        capture_event = paypal.capture_completed(order_id=order["id"], custom_id=PRODUCTS)
        assert (await shop.deliver(capture_event)).status_code == 200
        waiting = await outcome_of(capture_event["id"])
        assert waiting["status"] == "pending" and "refused" in waiting["last_error"]
        assert await Purchase.count() == 0


def test_the_plugin_declares_its_settings():
    manager = load_plugins("paypal")
    names = {s.name for group in manager.hook.hub_settings() for s in group or []}
    assert names == {
        "HUB_PAYPAL_WEBHOOK_ID",
        "HUB_PAYPAL_CLIENT_ID",
        "HUB_PAYPAL_CLIENT_SECRET",
        "HUB_PAYPAL_API_BASE",
        "HUB_PAYPAL_VERIFY",
        "HUB_PAYPAL_ORG",
    }


def test_a_misspelt_verification_mode_stops_the_start_up(tmp_path):
    from hub.testing.app import settings_for_tests

    settings = settings_for_tests(tmp_path, extra={"HUB_PAYPAL_WEBHOOK_ID": WEBHOOK_ID, "HUB_PAYPAL_VERIFY": "cert"})
    with pytest.raises(SettingsError, match="HUB_PAYPAL_VERIFY"):
        make_app(settings, entry_points="paypal")


@pytest.mark.parametrize(
    "api_base",
    ["http://api-m.paypal.com", "http://api-m.sandbox.paypal.com/", "http://127.evil.example", "ftp://api-m.paypal.com"],
)
def test_an_api_base_that_would_send_the_secret_unencrypted_stops_the_start_up(tmp_path, api_base):
    from hub.testing.app import settings_for_tests

    settings = settings_for_tests(tmp_path, extra={"HUB_PAYPAL_WEBHOOK_ID": WEBHOOK_ID, "HUB_PAYPAL_API_BASE": api_base})
    with pytest.raises(SettingsError, match="^HUB_PAYPAL_API_BASE must be an https:// URL") as refused:
        make_app(settings, entry_points="paypal")
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize(
    "api_base",
    ["https://api-m.paypal.com", "http://127.0.0.1:8123", "http://127.3.4.5", "http://[::1]:9000", "http://localhost:81"],
)
def test_an_https_or_loopback_api_base_is_accepted(api_base):
    from continuata_plugins.paypal.config import PayPalConfig

    assert PayPalConfig.from_extra({"HUB_PAYPAL_API_BASE": api_base}).api_base == api_base.rstrip("/")


async def test_the_first_capture_event_of_a_two_unit_order_delivers_every_unit(shop):
    """PayPal captures an order's units together and sends one
    PAYMENT.CAPTURE.COMPLETED per capture: the first to arrive records the
    whole order (read from PayPal's API), every unit's items; the second
    finds it recorded and sends nothing more."""
    order, capture_a, capture_b = two_unit_order(shop)
    await shop.deliver(
        paypal.capture_completed(capture_id=capture_a["id"], order_id=order["id"], custom_id="epic-drums-v1", amount="30.00")
    )
    [message] = await shop.mailbox.wait_for(1)
    assert len(links_in(message)) == 2
    assert set(await tokens_by_product()) == {"epic-drums-v1", "synth-pads"}

    second = paypal.capture_completed(capture_id=capture_b["id"], order_id=order["id"], custom_id="synth-pads", amount="20.00")
    await shop.deliver(second)
    assert "already recorded" in await note(second)
    assert len(await tokens_by_product()) == 2
    assert len(shop.mailbox.messages) == 1

    # Each capture still takes back only its own unit's items.
    fully_refunded_at_paypal(shop, capture_a)
    await shop.deliver(paypal.capture_refunded(capture_id=capture_a["id"], amount="30.00"))
    tokens = await tokens_by_product()
    assert tokens["epic-drums-v1"]["revoked_at"] is not None and tokens["synth-pads"]["revoked_at"] is None
