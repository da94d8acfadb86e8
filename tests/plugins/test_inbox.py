"""The payment inbox: stored events are processed once each, one payment's
events one at a time and in the order received, with several workers at
once; a failing event is retried and then left ``failed`` with its reason."""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager

import pytest
from litestar import Litestar

from hub.plugins.hookspecs import hookimpl
from hub.services.inbox import ReceivedEvent, process_due, store_event
from hub.tables import InboxEvent
from hub.testing.inbox import drain_inbox, retry_now
from tests.support.hubs import hub_driving_its_worker

PROVIDER = "acme-pay"


class AcmePay:
    """A payment plugin whose processor records what it processed, slowly
    enough for workers to overlap, and fails the events it is told to."""

    def __init__(self) -> None:
        self.processed: list[str] = []
        self.running: dict[str, str] = {}  # payment key → the event being processed
        self.overlaps: list[tuple[str, str]] = []
        self.failing: set[str] = set()

    @hookimpl
    def hub_inbox_processors(self, hub):
        return {PROVIDER: self.process}

    async def process(self, hub, event: ReceivedEvent) -> str:
        key = event.payload["payment"]
        if key in self.running:
            self.overlaps.append((self.running[key], event.event_id))
        self.running[key] = event.event_id
        try:
            await asyncio.sleep(0.005)
            if event.event_id in self.failing:
                raise RuntimeError(f"the provider's API refused {event.event_id}")
            self.processed.append(event.event_id)
            return f"processed {event.event_id}"
        finally:
            del self.running[key]


def inbox_app(database_url: str, tmp_path, plugin: AcmePay, **settings) -> AbstractAsyncContextManager[Litestar]:
    return hub_driving_its_worker(database_url, tmp_path, PROVIDER, plugin, **settings)


async def store(hub, event_id: str, payment: str) -> bool:
    return await store_event(
        hub, provider=PROVIDER, event_id=event_id, event_type="payment.event", org="shop",
        payment_key=payment, payload={"payment": payment},
    )


async def test_an_event_is_stored_once_however_often_it_is_delivered(database_url, tmp_path):
    async with inbox_app(database_url, tmp_path, AcmePay()) as app:
        hub = app.state.hub
        answers = await asyncio.gather(*(store(hub, "evt-1", "pay-1") for _ in range(10)))
        assert sorted(answers) == [False] * 9 + [True]
        assert await InboxEvent.count() == 1
        row = await InboxEvent.select().first()
        assert "pay-1" not in row["sealed_payload"]  # the payload is sealed: it names the buyer


async def test_events_delivered_together_are_each_stored_and_answered(database_url, tmp_path):
    async with inbox_app(database_url, tmp_path, AcmePay()) as app:
        hub = app.state.hub
        answers = await asyncio.gather(
            *(store(hub, f"evt-{n}", f"pay-{n % 3}") for n in range(30)),
            *(store(hub, f"evt-{n}", f"pay-{n % 3}") for n in range(5)),  # replays among them
        )
        assert answers == [True] * 30 + [False] * 5
        rows = await InboxEvent.select().order_by(InboxEvent.event_id)
        assert sorted(r["event_id"] for r in rows) == sorted(f"evt-{n}" for n in range(30))
        assert {(r["status"], r["attempts"]) for r in rows} == {("pending", 0)}


async def test_an_event_stored_inside_a_transaction_is_part_of_it(database_url, tmp_path):
    async with inbox_app(database_url, tmp_path, AcmePay()) as app:
        hub = app.state.hub
        with pytest.raises(RuntimeError):
            async with hub.db.write_transaction():
                assert await store(hub, "evt-1", "pay-1")
                raise RuntimeError("the caller's work failed")
        assert await InboxEvent.count() == 0
        async with hub.db.write_transaction():
            assert await store(hub, "evt-1", "pay-1")
            assert not await store(hub, "evt-1", "pay-1")
        assert [r["event_id"] for r in await InboxEvent.select(InboxEvent.event_id)] == ["evt-1"]


async def test_several_workers_process_each_event_once_and_each_payment_in_order(database_url, tmp_path):
    plugin = AcmePay()
    async with inbox_app(database_url, tmp_path, plugin) as app:
        hub = app.state.hub
        expected: dict[str, list[str]] = {}
        for number in range(40):
            payment = f"pay-{number % 8}"
            event_id = f"evt-{number:02d}"
            expected.setdefault(payment, []).append(event_id)
            assert await store(hub, event_id, payment)

        async def worker() -> None:
            while True:
                if not await process_due(hub):
                    if not await InboxEvent.exists().where(InboxEvent.status != "done"):
                        return
                    await asyncio.sleep(0.01)

        await asyncio.gather(*(asyncio.create_task(worker(), name=f"worker-{n}") for n in range(3)))

        assert sorted(plugin.processed) == sorted(e for events in expected.values() for e in events)
        assert plugin.overlaps == [], "two events of one payment were processed at the same time"
        for payment, events in expected.items():
            assert [e for e in plugin.processed if e in events] == events, f"{payment} out of order"
        rows = await InboxEvent.select()
        assert {(r["status"], r["attempts"]) for r in rows} == {("done", 1)}
        assert all(r["outcome"] == f"processed {r['event_id']}" for r in rows)


async def test_a_failing_event_is_retried_then_failed_with_its_reason_and_then_the_next_goes(database_url, tmp_path):
    plugin = AcmePay()
    plugin.failing.add("evt-bad")
    async with inbox_app(database_url, tmp_path, plugin, inbox_max_attempts=3) as app:
        hub = app.state.hub
        await store(hub, "evt-bad", "pay-1")
        await store(hub, "evt-next", "pay-1")  # the same payment: waits for the first

        await drain_inbox(hub)
        first = await InboxEvent.select().where(InboxEvent.event_id == "evt-bad").first()
        assert (first["status"], first["attempts"]) == ("pending", 1)
        assert "refused evt-bad" in first["last_error"]
        assert plugin.processed == []  # evt-next waits while evt-bad may still succeed

        for _ in range(2):
            await retry_now()
            await drain_inbox(hub)
        failed = await InboxEvent.select().where(InboxEvent.event_id == "evt-bad").first()
        assert (failed["status"], failed["attempts"]) == ("failed", 3)
        assert failed["last_error"] == "RuntimeError: the provider's API refused evt-bad"
        assert plugin.processed == ["evt-next"]


async def test_events_of_a_provider_whose_plugin_is_not_loaded_wait(database_url, tmp_path):
    async with inbox_app(database_url, tmp_path, AcmePay()) as app:
        hub = app.state.hub
        await store_event(
            hub, provider="left-out", event_id="evt-1", event_type="x", org="shop", payment_key="p", payload={}
        )
        assert await process_due(hub) == 0
        row = await InboxEvent.select().first()
        assert (row["status"], row["attempts"]) == ("pending", 0)


async def test_an_inbox_claim_outlasts_slow_provider_calls_without_renewal(database_url, tmp_path):
    """The inbox's worker does not renew its claims, so they keep the long
    lease: a second worker never takes over an event still being processed
    (the outbox's short lease is for claims that are renewed)."""
    from datetime import timedelta

    from hub.clock import as_aware, utcnow

    leases = []

    class Watching(AcmePay):
        async def process(self, hub, event):
            row = await InboxEvent.select(InboxEvent.claimed_until).where(InboxEvent.event_id == event.event_id).first()
            leases.append(as_aware(row["claimed_until"]) - utcnow())
            return await super().process(hub, event)

    async with inbox_app(database_url, tmp_path, Watching()) as app:
        await store(app.state.hub, "evt-1", "pay-1")
        assert await process_due(app.state.hub) == 1
    [lease] = leases
    assert lease > timedelta(minutes=4)  # the outbox's renewed claims hold 60 s


async def test_an_event_a_dead_worker_was_processing_is_processed_at_once_by_a_new_worker(database_url, tmp_path):
    """Issue 20.5: a ``kill -9`` in the middle of a payment left its event
    claimed until the five-minute lease ran out. The claim names its worker,
    and a worker starting on the same host takes a dead one's back at once;
    a claim held on another host is left to its lease."""
    from hub.services.inbox import EVENTS
    from hub.services.worker import run_worker
    from hub.services.worker_identity import WorkerIdentity, this_worker
    from tests.plugins.test_outbox import a_dead_pid, eventually

    plugin = AcmePay()
    async with inbox_app(database_url, tmp_path, plugin) as app:
        hub = app.state.hub
        await store(hub, "evt-crashed", "pay-1")
        await store(hub, "evt-elsewhere", "pay-2")
        assert len(await EVENTS.claim(hub)) == 2
        me = this_worker()
        for event_id, holder in {
            "evt-crashed": WorkerIdentity(me.host, a_dead_pid(), "0123"),  # killed on this host
            "evt-elsewhere": WorkerIdentity("another-host", me.pid, "4567"),  # its lease decides
        }.items():
            await InboxEvent.update({InboxEvent.claimed_by: str(holder)}).where(InboxEvent.event_id == event_id)
        assert await process_due(hub) == 0  # both leases still hold

        stop = asyncio.Event()
        worker = asyncio.create_task(run_worker(hub, stop))  # the restarted worker
        try:
            await eventually(lambda: asyncio.sleep(0, plugin.processed), what="processing the dead worker's event")
        finally:
            stop.set()
            await worker
        assert plugin.processed == ["evt-crashed"]
        rows = {r["event_id"]: r for r in await InboxEvent.select()}
        crashed, elsewhere = rows["evt-crashed"], rows["evt-elsewhere"]
        assert (crashed["status"], crashed["attempts"], crashed["claimed_by"]) == ("done", 1, None)
        assert (elsewhere["status"], elsewhere["claimed_by"]) == ("processing", "another-host/%d/4567" % me.pid)
