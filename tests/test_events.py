"""Event hooks are durable: written with the change, delivered by the worker.

No plugin slows the request that caused an event; a plugin that fails gets
the event again; two workers never deliver one event twice.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections import Counter
from datetime import timedelta

import pytest

from hub.clock import utcnow
from hub.plugins import records
from hub.plugins.events import TokenRevoked
from hub.plugins.hookspecs import hookimpl
from hub.services.event_delivery import deliver_due_events
from hub.services.events import emit
from hub.services.purchases import PurchaseIn, PurchaseItem, record_purchase
from hub.tables import Event, EventDelivery
from hub.testing.app import hub_client, make_app
from hub.testing.events import events_settled
from tests.conftest import Org, _empty_postgres, make_org, ok
from tests.test_tokens_api import ready_product


def app_with(settings, tmp_path, *plugins, **overrides):
    settings = dataclasses.replace(settings, event_retry_seconds=1, **overrides)
    return make_app(settings, plugins=list(plugins), entry_points="none")


async def started(app) -> Org:
    await _empty_postgres(app)
    return await make_org("shop")


def sale(reference: str) -> dict:
    return {"reference": reference, "customerEmail": "buyer@example.com", "items": [{"productId": "pack"}]}


async def test_a_slow_plugin_does_not_hold_up_a_sale(settings, tmp_path):
    release, finished = threading.Event(), threading.Event()
    received: list[dict] = []

    class Slow:
        @hookimpl
        def purchase_recorded(self, purchase, tokens):
            # A receiver that takes its time (a slow CRM, a time.sleep): the
            # sale must be answered while it is still busy.
            release.wait(timeout=20)
            received.append(purchase)
            finished.set()

    app = app_with(settings, tmp_path, ("slow", Slow()))
    async with hub_client(app) as client:
        org = await started(app)
        await ready_product(client, org, slug="pack")
        answer = await client.post("/api/purchases", json=sale("order-1"), headers=org.member)
        purchase = ok(answer, 201)["purchase"]
        assert not finished.is_set(), "POST /api/purchases waited for the plugin"
        release.set()
        await events_settled(app.state.hub)
        assert finished.is_set()
        [record] = received
        assert record["id"] == purchase["id"] and record["providerRef"] == "order-1"
        assert record["tokens"][0]["productId"] == "pack" and record["tokens"][0]["version"] == "1.0.0"
        assert record["problem"] is None and record["createdAt"].endswith("Z")
        assert set(record) == set(records.Purchase.__annotations__)
        assert set(record["tokens"][0]) == set(records.PurchaseToken.__annotations__)


async def test_an_async_plugin_that_sleeps_does_not_hold_up_a_sale(settings, tmp_path):
    release = asyncio.Event()
    seen: list[str] = []

    class Sleepy:
        @hookimpl
        async def tokens_minted(self, tokens):
            await asyncio.wait_for(release.wait(), 20)
            seen.extend(t["id"] for t in tokens)

    app = app_with(settings, tmp_path, ("sleepy", Sleepy()))
    async with hub_client(app) as client:
        org = await started(app)
        await ready_product(client, org, slug="pack")
        purchase = ok(await client.post("/api/purchases", json=sale("order-1"), headers=org.member), 201)["purchase"]
        assert seen == []
        release.set()
        await events_settled(app.state.hub)
        assert seen == [purchase["tokens"][0]["id"]]


async def test_a_plugin_that_fails_once_gets_the_event_again(settings, tmp_path):
    calls: list[str] = []
    healthy: list[str] = []

    class FailsOnce:
        @hookimpl
        def purchase_recorded(self, purchase):
            calls.append(purchase["id"])
            if len(calls) == 1:
                raise ConnectionError("the CRM is down")

    class Healthy:
        @hookimpl
        async def purchase_recorded(self, purchase):
            healthy.append(purchase["id"])

    app = app_with(settings, tmp_path, ("flaky", FailsOnce()), ("healthy", Healthy()))
    async with hub_client(app) as client:
        org = await started(app)
        await ready_product(client, org, slug="pack")
        purchase = ok(await client.post("/api/purchases", json=sale("order-1"), headers=org.member), 201)["purchase"]
        await events_settled(app.state.hub)
        assert calls == [purchase["id"]] and healthy == [purchase["id"]]
        failed = await EventDelivery.select().where(EventDelivery.target == "plugin:flaky").first()
        assert (failed["status"], failed["attempts"]) == ("pending", 1)
        assert failed["last_error"] == "ConnectionError: the CRM is down"

        # Its backoff over (1 s here), the worker calls it again with the same event.
        await EventDelivery.update({EventDelivery.next_attempt_at: utcnow() - timedelta(seconds=1)}).where(
            EventDelivery.id == failed["id"]
        )
        await events_settled(app.state.hub)
        assert calls == [purchase["id"], purchase["id"]]
        assert healthy == [purchase["id"]], "a plugin that did not fail was called again"
        rows = await EventDelivery.select(EventDelivery.target, EventDelivery.status, EventDelivery.attempts)
        assert sorted((r["target"], r["status"], r["attempts"]) for r in rows) == [
            ("plugin:flaky", "delivered", 2),
            ("plugin:healthy", "delivered", 1),
        ]


async def test_a_plugin_that_keeps_failing_ends_failed_with_its_error(settings, tmp_path):
    class Broken:
        @hookimpl
        def tokens_minted(self, tokens):
            raise ValueError("always")

    app = app_with(settings, tmp_path, ("broken", Broken()), event_max_attempts=2, worker="off")
    async with hub_client(app) as client:
        org = await started(app)
        hub = app.state.hub
        await ready_product(client, org, slug="pack")
        ok(await client.post("/api/products/pack/tokens", json={}, headers=org.member), 201)
        assert await deliver_due_events(hub) == 1
        await EventDelivery.update({EventDelivery.next_attempt_at: utcnow()}, force=True)
        assert await deliver_due_events(hub) == 1
        [row] = await EventDelivery.select()
        assert (row["status"], row["attempts"], row["last_error"]) == ("failed", 2, "ValueError: always")
        await EventDelivery.update({EventDelivery.next_attempt_at: utcnow()}, force=True)
        assert await deliver_due_events(hub) == 0  # failed is final


async def test_a_delivery_a_dead_worker_held_is_delivered_at_once_by_a_new_worker(settings, tmp_path):
    """A delivery claimed by a worker that was killed is taken back by the
    next worker to start on its host, not after the five-minute lease."""
    from hub.services.event_delivery import DELIVERIES
    from hub.services.worker import run_worker
    from hub.services.worker_identity import WorkerIdentity, this_worker
    from tests.plugins.test_outbox import a_dead_pid, eventually

    seen: list[str] = []

    class Listener:
        @hookimpl
        async def tokens_minted(self, tokens):
            seen.extend(t["id"] for t in tokens)

    app = app_with(settings, tmp_path, ("listener", Listener()), worker="off")
    async with hub_client(app) as client:
        org = await started(app)
        hub = app.state.hub
        await ready_product(client, org, slug="pack")
        ok(await client.post("/api/products/pack/tokens", json={}, headers=org.member), 201)
        [claimed] = await DELIVERIES.claim(hub)
        dead = WorkerIdentity(this_worker().host, a_dead_pid(), "0123")
        await EventDelivery.update({EventDelivery.claimed_by: str(dead)}).where(EventDelivery.id == claimed["id"])
        assert await deliver_due_events(hub) == 0  # the lease still holds

        stop = asyncio.Event()
        worker = asyncio.create_task(run_worker(hub, stop))  # the restarted worker
        try:
            await eventually(lambda: asyncio.sleep(0, seen), what="the dead worker's delivery")
        finally:
            stop.set()
            await worker
        assert len(seen) == 1, "the minted token was told once"
        [row] = await EventDelivery.select()
        assert (row["status"], row["attempts"], row["claimed_by"]) == ("delivered", 1, None)


async def test_an_event_is_written_with_its_change_or_not_at_all(settings, tmp_path):
    class Listener:
        @hookimpl
        def token_revoked(self, token):
            pass

    app = app_with(settings, tmp_path, ("listener", Listener()), worker="off")
    async with hub_client(app):
        await started(app)
        hub = app.state.hub
        with pytest.raises(RuntimeError):
            async with hub.db.write_transaction():
                await emit(hub, TokenRevoked(token={"id": "token_x"}), org="shop")
                raise RuntimeError("the change failed")
        assert await Event.count() == 0 and await EventDelivery.count() == 0
        async with hub.db.write_transaction():
            await emit(hub, TokenRevoked(token={"id": "token_x"}), org="shop")
        assert await Event.count() == 1 and await EventDelivery.count() == 1


async def test_two_workers_never_deliver_one_event_twice(settings, tmp_path):
    calls: Counter[str] = Counter()
    workers: set[str] = set()

    class Counting:
        @hookimpl
        async def purchase_recorded(self, purchase):
            await asyncio.sleep(0.005)
            workers.add(asyncio.current_task().get_name())
            calls[purchase["id"]] += 1

    app = app_with(settings, tmp_path, ("counting", Counting()), worker="off")
    async with hub_client(app) as client:
        org = await started(app)
        hub = app.state.hub
        await ready_product(client, org, slug="pack")
        purchases = []
        for n in range(30):
            order = PurchaseIn(org="shop", provider="api", provider_ref=f"o-{n}", customer_email="", items=[PurchaseItem("pack")])
            purchases.append((await record_purchase(hub, order)).purchase["id"])

        async def worker() -> None:
            while await deliver_due_events(hub, limit=3):
                pass

        await asyncio.gather(*(asyncio.create_task(worker(), name=f"worker-{n}") for n in range(3)))
        assert calls == Counter({purchase: 1 for purchase in purchases})
        rows = await EventDelivery.select(EventDelivery.status, EventDelivery.attempts)
        assert {(r["status"], r["attempts"]) for r in rows} == {("delivered", 1)}


async def test_hook_records_are_shaped_like_the_api(settings, tmp_path):
    got: dict[str, list] = {}

    class Recorder:
        @hookimpl
        def tokens_minted(self, tokens):
            got.setdefault("minted", []).extend(tokens)

        @hookimpl
        def token_revoked(self, token):
            got.setdefault("revoked", []).append(token)

        @hookimpl
        def version_ready(self, product, version):
            got.setdefault("ready", []).append((product, version))

    app = app_with(settings, tmp_path, ("recorder", Recorder()))
    async with hub_client(app) as client:
        org = await started(app)
        await ready_product(client, org, slug="pack")
        token = ok(await client.post("/api/products/pack/tokens", json={"customerEmail": "a@example.com"}, headers=org.member), 201)["token"]
        ok(await client.delete(f"/api/products/pack/tokens/{token['id']}", headers=org.admin))
        ok(await client.delete(f"/api/products/pack/tokens/{token['id']}", headers=org.admin))  # once is enough
        await events_settled(app.state.hub)
        [minted] = got["minted"]
        assert "token" not in minted and "token_hash" not in minted and "tokenHash" not in minted
        assert minted["id"] == token["id"] and minted["product"] == {"id": "pack", "name": "Epic Drum Kit Vol. 1", "version": "1.0.0"}
        assert minted["expiresAt"] == token["expiresAt"] and minted["customerEmail"] == "a@example.com"
        assert set(minted) == set(records.Token.__annotations__)
        [revoked] = got["revoked"]
        assert revoked["id"] == token["id"] and revoked["revoked"] is True and revoked["revokedAt"].endswith("Z")
        [(product, version)] = got["ready"]
        assert product["id"] == "pack" and version["version"] == "1.0.0" and version["status"] == "ready"
        assert [f["path"] for f in version["files"]] == ["kick.wav"]


async def test_a_stuck_plugin_holds_up_neither_emails_nor_other_plugins(settings, tmp_path):
    from hub.testing.mailbox import CapturedMailbox, PlainEmails

    never = asyncio.Event()
    minted: list[str] = []

    class Stuck:
        @hookimpl
        async def purchase_recorded(self, purchase):
            await never.wait()

    class Other:
        @hookimpl
        def tokens_minted(self, tokens):
            minted.extend(t["id"] for t in tokens)

    mailbox = CapturedMailbox()
    app = app_with(
        settings, tmp_path, ("stuck", Stuck()), ("other", Other()), ("mailbox", mailbox), ("emails", PlainEmails()),
        event_timeout_seconds=1,
    )
    async with hub_client(app) as client:
        org = await started(app)
        await ready_product(client, org, slug="pack")
        purchase = ok(await client.post("/api/purchases", json=sale("order-1"), headers=org.member), 201)["purchase"]
        [email] = await mailbox.wait_for(1)
        assert email["To"] == "buyer@example.com"
        await events_settled(app.state.hub)
        assert minted == [purchase["tokens"][0]["id"]]
        stuck = await EventDelivery.select().where(EventDelivery.target == "plugin:stuck").first()
        assert stuck["status"] == "pending" and stuck["attempts"] >= 1
        assert stuck["last_error"] == "TimeoutError: the hook did not return within 1 s"
        never.set()


async def test_records_are_built_only_when_someone_listens(settings, tmp_path):
    built: list[str] = []

    async def record() -> dict:
        built.append("token")
        return {"id": "token_x"}

    app = app_with(settings, tmp_path, worker="off")
    async with hub_client(app):
        await started(app)
        hub = app.state.hub
        async with hub.db.write_transaction():
            assert await emit(hub, TokenRevoked(token=record), org="shop") == []
        assert built == [] and await Event.count() == 0

        class Listener:
            @hookimpl
            def token_revoked(self, token):
                pass

        hub.plugins.register(Listener(), name="listener")
        async with hub.db.write_transaction():
            [event_id] = await emit(hub, TokenRevoked(token=record), org="shop")
        assert built == ["token"]
        stored = await Event.select().where(Event.id == event_id).output(load_json=True).first()
        assert stored["payload"] == {"token": {"id": "token_x"}}
