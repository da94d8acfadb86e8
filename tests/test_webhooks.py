"""Signed webhooks to the shop: endpoints, every event type, retries, the log, SSRF."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from hub.clock import as_aware, utcnow
from hub.services.reversals import REFUND, ReversalIn, record_reversal
from hub.tables import Event, EventDelivery, Organization, WebhookEndpoint
from hub.testing.app import hub_client, make_app
from hub.testing.events import events_settled
from hub.testing.mailbox import CapturedMailbox
from tests.conftest import _empty_postgres, fails, make_org, ok
from tests.support.receiver import Receiver
from tests.test_tokens_api import ready_product

ALL_TYPES = {
    "purchase.completed", "purchase.refunded", "token.created", "token.revoked",
    "download.started", "download.completed", "version.ready", "email.failed",
}


@pytest.fixture
def receiver():
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


def webhook_app(settings, mailbox=None, **overrides):
    values = dict(webhooks_allow_private=True, webhook_retry_seconds=1, outbox_max_attempts=1)
    values.update(overrides)
    plugins = [("mailbox", mailbox)] if mailbox is not None else []
    return make_app(dataclasses.replace(settings, **values), plugins=plugins, entry_points="email")


async def until(condition, timeout: float = 30.0) -> None:
    """Wait for the worker (a guard against hanging, not a timing assertion)."""
    async with asyncio.timeout(timeout):
        while not await condition():
            await asyncio.sleep(0.05)


def received_types(receiver: Receiver) -> list[str]:
    return [json.loads(r.body)["type"] for r in receiver.received]


async def register(client, org, url: str, events=("*",)) -> dict:
    body = {"url": url, "events": list(events), "description": "the shop's ERP"}
    return ok(await client.post("/api/webhook-endpoints", json=body, headers=org.admin), 201)["endpoint"]


async def test_every_event_type_arrives_signed_and_verifiable(settings, receiver):
    mailbox = CapturedMailbox()
    mailbox.failing = True  # the delivery email fails for good: email.failed
    app = webhook_app(settings, mailbox)
    async with hub_client(app) as client:
        await _empty_postgres(app)
        org = await make_org("shop")
        hub = app.state.hub
        endpoint = await register(client, org, receiver.url)
        assert endpoint["secret"].startswith("whsec_") and endpoint["events"] == ["*"]

        await ready_product(client, org, slug="pack")  # version.ready
        sale = {"reference": "order-1", "customerEmail": "buyer@example.com", "items": [{"productId": "pack"}]}
        purchase = ok(await client.post("/api/purchases", json=sale, headers=org.member), 201)["purchase"]
        link = purchase["tokens"][0]["downloadUrl"]
        page = ok(await client.get(link, headers={"Accept": "application/json"}))
        download = await client.get(page["files"][0]["url"])
        assert download.status_code == 200 and download.content == b"kick drum"
        token = ok(await client.post("/api/products/pack/tokens", json={}, headers=org.member), 201)["token"]
        ok(await client.delete(f"/api/products/pack/tokens/{token['id']}", headers=org.admin))
        await record_reversal(hub, ReversalIn("shop", "api", "order-1", REFUND, "refund-1", utcnow()))

        await until(_has(receiver, ALL_TYPES))
        await events_settled(hub)  # every event of each type, not just one
        verifier = Webhook(endpoint["secret"])
        seen_ids = set()
        for request in receiver.received:
            payload = verifier.verify(request.body, request.headers)  # raises when the signature is wrong
            assert request.path == "/hooks"
            assert request.headers["webhook-id"] == payload["id"] and payload["id"].startswith("evt_")
            assert payload["timestamp"].endswith("Z") and payload["type"] in ALL_TYPES
            seen_ids.add(payload["id"])
        assert len(seen_ids) == len(receiver.received)
        by_type = {}
        for request in receiver.received:
            payload = json.loads(request.body)
            by_type.setdefault(payload["type"], []).append(payload["data"])
        assert by_type["purchase.completed"][0]["id"] == purchase["id"]
        assert by_type["purchase.completed"][0]["tokens"][0]["productId"] == "pack"
        assert by_type["purchase.refunded"][0]["status"] == "refunded"
        assert {t["id"] for t in by_type["token.created"]} == {purchase["tokens"][0]["id"], token["id"]}
        assert all("token" not in t and "tokenHash" not in t for t in by_type["token.created"])
        assert {t["id"] for t in by_type["token.revoked"]} == {purchase["tokens"][0]["id"], token["id"]}
        assert by_type["version.ready"][0]["version"]["version"] == "1.0.0"
        assert by_type["version.ready"][0]["product"]["id"] == "pack"
        assert by_type["download.started"][0]["file"]["path"] == "kick.wav"
        assert by_type["download.started"][0]["firstInSession"] is True
        assert by_type["download.completed"][0]["bytesSent"] == len(b"kick drum")
        assert by_type["email.failed"][0]["recipient"] == "buyer@example.com"
        assert by_type["email.failed"][0]["kind"] == "delivery"

        # A forged signature does not verify.
        forged = dict(receiver.received[0].headers, **{"webhook-signature": "v1,AAAA"})
        with pytest.raises(WebhookVerificationError):
            verifier.verify(receiver.received[0].body, forged)


def _has(receiver: Receiver, types: set[str]):
    async def check() -> bool:
        return types <= set(received_types(receiver))

    return check


async def test_an_endpoint_only_gets_the_events_it_subscribed_to(settings, receiver):
    app = webhook_app(settings)
    async with hub_client(app) as client:
        await _empty_postgres(app)
        org = await make_org("shop")
        await register(client, org, receiver.url, events=["token.created"])
        await ready_product(client, org, slug="pack")
        token = ok(await client.post("/api/products/pack/tokens", json={}, headers=org.member), 201)["token"]
        await events_settled(app.state.hub)
        assert received_types(receiver) == ["token.created"]
        assert json.loads(receiver.received[0].body)["data"]["id"] == token["id"]


async def test_a_mint_stores_its_event_for_a_disabled_endpoint_and_none_without_endpoints(settings, receiver):
    """Minting reads the organization's endpoints with its product: none,
    no webhook event; a disabled one, the event stored (to be sent once the
    endpoint is enabled again) and no delivery owed."""
    app = webhook_app(settings)
    async with hub_client(app) as client:
        await _empty_postgres(app)
        org = await make_org("shop")
        await ready_product(client, org, slug="pack")
        ok(await client.post("/api/products/pack/tokens", json={}, headers=org.member), 201)
        assert await Event.count().where(Event.kind == "webhook") == 0
        endpoint = await register(client, org, receiver.url, events=["token.created"])
        ok(await client.patch(f"/api/webhook-endpoints/{endpoint['id']}", json={"status": "disabled"}, headers=org.admin))
        token = ok(await client.post("/api/products/pack/tokens", json={}, headers=org.member), 201)["token"]
        [event] = await Event.select().where(Event.kind == "webhook").output(load_json=True)
        assert event["type"] == "token.created" and event["payload"]["data"]["id"] == token["id"]
        assert await EventDelivery.count().where(EventDelivery.event == event["id"]) == 0


async def test_a_receiver_that_was_down_gets_the_event_again_and_the_log_shows_every_attempt(settings):
    receiver = Receiver().start()
    port = receiver.port
    receiver.stop()  # down: connections are refused
    app = webhook_app(settings)
    try:
        async with hub_client(app) as client:
            await _empty_postgres(app)
            org = await make_org("shop")
            endpoint = await register(client, org, f"http://127.0.0.1:{port}/hooks", events=["token.created"])
            await ready_product(client, org, slug="pack")
            token = ok(await client.post("/api/products/pack/tokens", json={}, headers=org.member), 201)["token"]
            deliveries_url = f"/api/webhook-endpoints/{endpoint['id']}/deliveries"

            async def attempted(n: int):
                async def check() -> bool:
                    [delivery] = ok(await client.get(deliveries_url, headers=org.admin))["deliveries"]
                    return len(delivery["attemptLog"]) >= n

                return check

            await until(await attempted(1))
            receiver = Receiver(port=port, answers=[503]).start()  # back, but busy once
            await until(await attempted(3))
            [delivery] = ok(await client.get(deliveries_url, headers=org.admin))["deliveries"]
            assert delivery["status"] == "delivered" and delivery["eventType"] == "token.created"
            refused, busy, accepted = delivery["attemptLog"]
            assert refused["statusCode"] is None and refused["error"] and refused["succeeded"] is False
            assert busy["statusCode"] == 503 and busy["response"] == "not now" and busy["error"] == "answered 503"
            assert accepted["statusCode"] == 200 and accepted["response"] == "thanks" and accepted["succeeded"] is True
            assert all(isinstance(a["latencyMs"], int) and a["latencyMs"] >= 0 for a in delivery["attemptLog"])
            [request] = receiver.received
            payload = Webhook(endpoint["secret"]).verify(request.body, request.headers)
            assert payload["id"] == delivery["eventId"] and payload["data"]["id"] == token["id"]

            # Sent again on request: the same event id, for the receiver's deduplication.
            redo = {"eventId": delivery["eventId"]}
            assert ok(await client.post(f"/api/webhook-endpoints/{endpoint['id']}/redeliver", json=redo, headers=org.admin)) == {"redelivered": 1}
            await events_settled(app.state.hub)
            assert [r.headers["webhook-id"] for r in receiver.received] == [delivery["eventId"]] * 2
            since = {"since": (utcnow() - timedelta(hours=1)).isoformat()}
            assert ok(await client.post(f"/api/webhook-endpoints/{endpoint['id']}/redeliver", json=since, headers=org.admin)) == {"redelivered": 1}
            await events_settled(app.state.hub)
            assert len(receiver.received) == 3
    finally:
        receiver.stop()


async def test_an_endpoint_failing_for_three_days_is_disabled_and_the_admins_told(settings):
    mailbox = CapturedMailbox()
    receiver = Receiver(answers=[500] * 10).start()
    app = webhook_app(settings, mailbox, outbox_max_attempts=3)
    try:
        async with hub_client(app) as client:
            await _empty_postgres(app)
            org = await make_org("shop")
            await Organization.update({Organization.contact_email: "owner@shop.example"}).where(Organization.id == "shop")
            endpoint = await register(client, org, receiver.url, events=["token.created"])
            await ready_product(client, org, slug="pack")
            ok(await client.post("/api/products/pack/tokens", json={}, headers=org.member), 201)
            await until(lambda: _attempts(endpoint["id"], 1))
            # Three days of failures, without waiting three days.
            await _fail_for_three_days(endpoint["id"])
            shown = ok(await client.get(f"/api/webhook-endpoints/{endpoint['id']}", headers=org.admin))["endpoint"]
            assert shown["status"] == "disabled" and "answered 500" in shown["disabledReason"]
            assert "secret" not in shown
            [delivery] = ok(await client.get(f"/api/webhook-endpoints/{endpoint['id']}/deliveries", headers=org.admin))["deliveries"]
            assert delivery["status"] == "failed"
            [message] = await mailbox.wait_for(1)
            assert message["To"] == "owner@shop.example" and "disabled" in message["Subject"]
            assert receiver.url in message.get_body(("plain",)).get_content()
            # Enabled again, it takes events again.
            patched = ok(await client.patch(f"/api/webhook-endpoints/{endpoint['id']}", json={"status": "enabled"}, headers=org.admin))
            assert patched["endpoint"]["status"] == "enabled" and patched["endpoint"]["disabledReason"] is None
    finally:
        receiver.stop()


async def test_an_endpoint_whose_secret_another_key_sealed_fails_visibly_and_is_disabled(settings, receiver):
    """A secret this process cannot open (sealed under another
    HUB_SECRET_KEY) is a failed attempt like any other: logged with the
    reason, retried with backoff, and the endpoint disabled after the
    window; never a delivery stuck in ``sending``. Rotating the secret cures it."""
    from hub.sealing import Sealer

    app = webhook_app(settings, webhook_retry_seconds=3600)
    async with hub_client(app) as client:
        await _empty_postgres(app)
        org = await make_org("shop")
        endpoint = await register(client, org, receiver.url, events=["token.created"])
        foreign = Sealer("another-key").seal(b"whsec_" + b"A" * 44)
        await WebhookEndpoint.update({WebhookEndpoint.sealed_secret: foreign}).where(WebhookEndpoint.id == endpoint["id"])
        await ready_product(client, org, slug="pack")
        ok(await client.post("/api/products/pack/tokens", json={}, headers=org.member), 201)
        await until(lambda: _attempts(endpoint["id"], 1))
        deliveries_url = f"/api/webhook-endpoints/{endpoint['id']}/deliveries"
        [delivery] = ok(await client.get(deliveries_url, headers=org.admin))["deliveries"]
        assert delivery["status"] == "pending", delivery
        [attempt] = delivery["attemptLog"]
        assert attempt["statusCode"] is None and "HUB_SECRET_KEY" in attempt["error"], attempt
        row = await EventDelivery.select().where(EventDelivery.endpoint == endpoint["id"]).first()
        assert row["claimed_until"] is None and as_aware(row["next_attempt_at"]) > utcnow() + timedelta(minutes=30)
        assert receiver.received == []
        # Failing for the whole window: the endpoint is disabled, with the reason.
        await _fail_for_three_days(endpoint["id"])
        shown = ok(await client.get(f"/api/webhook-endpoints/{endpoint['id']}", headers=org.admin))["endpoint"]
        assert "HUB_SECRET_KEY" in shown["disabledReason"]
        # A new secret (the unopenable one kept as "previous") signs again.
        ok(await client.patch(f"/api/webhook-endpoints/{endpoint['id']}", json={"status": "enabled"}, headers=org.admin))
        rotated = ok(await client.post(f"/api/webhook-endpoints/{endpoint['id']}/rotate-secret", headers=org.admin))["endpoint"]
        ok(await client.post("/api/products/pack/tokens", json={}, headers=org.member), 201)
        await events_settled(app.state.hub)
        [request] = receiver.received
        Webhook(rotated["secret"]).verify(request.body, request.headers)


async def _fail_for_three_days(endpoint_id: str) -> None:
    """Make the endpoint's failures three days old (without waiting three
    days) and wait until the worker's next try disables it."""
    long_ago = utcnow() - timedelta(hours=73)
    await WebhookEndpoint.update({WebhookEndpoint.failing_since: long_ago}).where(WebhookEndpoint.id == endpoint_id)
    await EventDelivery.update({EventDelivery.created_at: long_ago, EventDelivery.next_attempt_at: utcnow()}).where(
        EventDelivery.endpoint == endpoint_id
    )
    await until(lambda: _disabled(endpoint_id))


async def _attempts(endpoint_id: str, n: int) -> bool:
    row = await EventDelivery.select(EventDelivery.attempts).where(EventDelivery.endpoint == endpoint_id).first()
    return row is not None and row["attempts"] >= n


async def _disabled(endpoint_id: str) -> bool:
    row = await WebhookEndpoint.select(WebhookEndpoint.status).where(WebhookEndpoint.id == endpoint_id).first()
    return row["status"] == "disabled"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hooks",
        "http://localhost/hooks",
        "http://10.1.2.3/hooks",
        "http://192.168.0.10/hooks",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hooks",
        "http://[fd00::1]/hooks",
        "http://[::ffff:127.0.0.1]/hooks",
        "http://0.0.0.0/hooks",
    ],
)
async def test_endpoints_on_private_addresses_are_refused(client, org, url):
    fails(await client.post("/api/webhook-endpoints", json={"url": url, "events": ["*"]}, headers=org.admin), 422, "refused")
    assert await WebhookEndpoint.count() == 0


@pytest.mark.parametrize(
    "body, fragment",
    [
        ({"url": "ftp://example.com/x", "events": ["*"]}, "http"),
        ({"url": "not a url", "events": ["*"]}, "url"),
        ({"url": "https://user:pw@example.com/", "events": ["*"]}, "credentials"),
        ({"url": "https://example.com/", "events": []}, "events"),
        ({"url": "https://example.com/", "events": ["order.shipped"]}, "Unknown event type"),
        ({"url": "https://example.com/" + "x" * 2001, "events": ["*"]}, "2000"),
    ],
)
async def test_bad_endpoints_are_refused_with_a_clear_error(client, org, body, fragment):
    fails(await client.post("/api/webhook-endpoints", json=body, headers=org.admin), 422, fragment)


async def test_a_name_that_resolves_to_loopback_is_refused_again_at_delivery(settings, receiver):
    app = webhook_app(settings)
    async with hub_client(app) as client:
        await _empty_postgres(app)
        org = await make_org("shop")
        hub = app.state.hub
        endpoint = await register(client, org, receiver.url.replace("127.0.0.1", "localhost"), events=["token.created"])
        # Saved while private addresses were allowed; no longer allowed now.
        hub.settings = dataclasses.replace(hub.settings, webhooks_allow_private=False)
        await ready_product(client, org, slug="pack")
        ok(await client.post("/api/products/pack/tokens", json={}, headers=org.member), 201)
        await until(lambda: _attempts(endpoint["id"], 1))
        [delivery] = ok(await client.get(f"/api/webhook-endpoints/{endpoint['id']}/deliveries", headers=org.admin))["deliveries"]
        [attempt] = delivery["attemptLog"]
        assert attempt["statusCode"] is None and attempt["error"].startswith("refused: localhost resolves to")
        assert receiver.received == []


async def test_endpoints_are_for_admin_keys_only(client, org):
    fails(await client.get("/api/webhook-endpoints", headers=org.member), 403)
    fails(await client.post("/api/webhook-endpoints", json={"url": "https://example.com/", "events": ["*"]}, headers=org.member), 403)
    fails(await client.get("/api/webhook-endpoints"), 401)


async def test_endpoints_can_be_listed_changed_rotated_and_deleted(settings, receiver):
    app = webhook_app(settings)
    async with hub_client(app) as client:
        await _empty_postgres(app)
        org = await make_org("shop")
        other = await make_org("other")
        created = await register(client, org, receiver.url, events=["token.created"])
        assert set(created) >= {"id", "url", "events", "secret", "description", "status", "createdAt"}
        listed = ok(await client.get("/api/webhook-endpoints", headers=org.admin))
        assert [e["id"] for e in listed["endpoints"]] == [created["id"]] and "secret" not in listed["endpoints"][0]
        assert listed["pagination"]["total"] == 1
        fails(await client.get(f"/api/webhook-endpoints/{created['id']}", headers=other.admin), 404)
        assert ok(await client.get("/api/webhook-endpoints", headers=other.admin))["endpoints"] == []

        changed = ok(await client.patch(
            f"/api/webhook-endpoints/{created['id']}",
            json={"events": ["token.created", "token.revoked"], "description": "ERP v2"},
            headers=org.admin,
        ))["endpoint"]
        assert changed["events"] == ["token.created", "token.revoked"] and changed["description"] == "ERP v2"
        fails(await client.patch(f"/api/webhook-endpoints/{created['id']}", json={"status": "paused"}, headers=org.admin), 422)

        rotated = ok(await client.post(f"/api/webhook-endpoints/{created['id']}/rotate-secret", headers=org.admin))["endpoint"]
        assert rotated["secret"].startswith("whsec_") and rotated["secret"] != created["secret"]
        await ready_product(client, org, slug="pack")
        ok(await client.post("/api/products/pack/tokens", json={}, headers=org.member), 201)
        await events_settled(app.state.hub)
        [request] = receiver.received
        # Signed with the new secret, and with the old one for a day after the rotation.
        Webhook(rotated["secret"]).verify(request.body, request.headers)
        Webhook(created["secret"]).verify(request.body, request.headers)

        fails(await client.post(f"/api/webhook-endpoints/{created['id']}/redeliver", json={}, headers=org.admin), 422)
        fails(await client.post(f"/api/webhook-endpoints/{created['id']}/redeliver", json={"eventId": "evt_nope"}, headers=org.admin), 404)
        ok(await client.delete(f"/api/webhook-endpoints/{created['id']}", headers=org.admin))
        fails(await client.get(f"/api/webhook-endpoints/{created['id']}", headers=org.admin), 404)
        assert await EventDelivery.count() == 0


def test_the_cli_creates_lists_rotates_and_deletes_endpoints(tmp_path):
    env = {
        **os.environ,
        "HUB_DATA_DIR": str(tmp_path),
        "HUB_SECRET_KEY": "cli-test-key",
        "HUB_WEBHOOKS_ALLOW_PRIVATE": "true",
        "HUB_PLUGINS": "email",
    }
    env.pop("HUB_DATABASE_URL", None)

    def hub(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "hub", *args], env=env, capture_output=True, text=True, timeout=120)

    assert hub("init", "--org", "shop", "--contact-email", "owner@shop.example").returncode == 0
    created = hub("webhooks", "create", "--org", "shop", "--url", "http://127.0.0.1:9/hooks", "--events", "token.created,token.revoked")
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip().splitlines()[-1]
    assert secret.startswith("whsec_")
    endpoint_id = created.stdout.split()[2]
    listed = hub("webhooks", "list", "--org", "shop")
    assert endpoint_id in listed.stdout and "token.created, token.revoked" in listed.stdout
    rotated = hub("webhooks", "rotate-secret", "--org", "shop", endpoint_id)
    assert rotated.returncode == 0 and rotated.stdout.strip().splitlines()[-1] not in {secret, ""}
    refused = hub("webhooks", "create", "--org", "shop", "--url", "gopher://x", "--events", "*")
    assert refused.returncode == 1 and "http" in refused.stderr
    assert hub("webhooks", "delete", "--org", "shop", endpoint_id).returncode == 0
    assert "No webhook endpoints" in hub("webhooks", "list", "--org", "shop").stdout


@pytest.mark.parametrize(
    "address, public",
    [
        ("93.184.215.14", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.0.0.8", False),
        ("172.16.5.4", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fd12:3456::1", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:93.184.215.14", True),
    ],
)
def test_only_public_addresses_count_as_public(address, public):
    from hub.netguard import is_public

    assert is_public(address) is public


async def test_a_delivery_connects_to_the_address_it_checked(settings):
    from hub.services.webhook_delivery import _pinned_request

    app = webhook_app(settings, webhooks_allow_private=False)
    hub = app.state.hub
    url, headers, extensions = await _pinned_request(hub, "https://93.184.215.14:8443/hooks?shop=1")
    assert (url, headers, extensions) == (
        "https://93.184.215.14:8443/hooks?shop=1", {"Host": "93.184.215.14:8443"}, {"sni_hostname": "93.184.215.14"}
    )
    url, headers, extensions = await _pinned_request(hub, "http://[2606:4700:4700::1111]/")
    assert (url, headers, extensions) == ("http://[2606:4700:4700::1111]/", {"Host": "[2606:4700:4700::1111]"}, {})


async def test_a_dispute_announces_on_hold_then_restored(settings, receiver):
    from hub.services.reversals import DISPUTE_OPENED, DISPUTE_WON

    app = webhook_app(settings)
    async with hub_client(app) as client:
        await _empty_postgres(app)
        org = await make_org("shop")
        hub = app.state.hub
        endpoint = await register(client, org, receiver.url, events=["purchase.on_hold", "purchase.restored"])
        await ready_product(client, org, slug="pack")
        sale = {"reference": "order-1", "customerEmail": "buyer@example.com", "items": [{"productId": "pack"}]}
        purchase = ok(await client.post("/api/purchases", json=sale, headers=org.member), 201)["purchase"]
        opened = utcnow()
        await record_reversal(hub, ReversalIn("shop", "api", "order-1", DISPUTE_OPENED, "dispute-1", opened))
        await record_reversal(hub, ReversalIn("shop", "api", "order-1", DISPUTE_WON, "dispute-1", opened + timedelta(minutes=1)))
        await events_settled(hub)
        verifier = Webhook(endpoint["secret"])
        payloads = [verifier.verify(r.body, r.headers) for r in receiver.received]
        assert sorted((p["type"], p["data"]["status"]) for p in payloads) == [
            ("purchase.on_hold", "on_hold"), ("purchase.restored", "paid"),
        ]
        assert {p["data"]["id"] for p in payloads} == {purchase["id"]}
