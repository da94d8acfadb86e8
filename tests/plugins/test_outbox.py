"""The core outbox as a shop relies on it: an email survives an SMTP outage
and a restart, is retried with backoff until it is sent or visibly fails,
is sent once however many workers run, and is stored sealed."""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import subprocess
import sys
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from email.message import EmailMessage

from litestar import Litestar

from hub.clock import as_aware, utcnow
from hub.plugins import RenderedEmail
from hub.services import outbox
from hub.services.outbox import EMAILS, LEASE, claim_due, deliver_due, queue_email
from hub.services.purchases import PurchaseIn, PurchaseItem, record_purchase
from hub.services.worker_identity import WorkerIdentity, this_worker
from hub.tables import OutboxMessage
from hub.testing.app import hub_client, make_app, settings_for_tests
from hub.testing.mailbox import CapturedMailbox
from tests.conftest import _empty_postgres, make_org
from tests.support.hubs import SHOP_FROM, app, hub_driving_its_worker, settings, smtp  # noqa: F401  (fixtures)
from tests.test_tokens_api import ready_product


async def eventually(check: Callable[[], Awaitable], timeout: float = 10.0, what: str = "the condition"):
    """Poll ``check`` until it returns something truthy; return that."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what} did not happen in {timeout} s")
        await asyncio.sleep(0.05)


async def outbox_rows() -> list[dict]:
    return await OutboxMessage.select().order_by(OutboxMessage.created_at)


def order(org: str, number: int) -> PurchaseIn:
    return PurchaseIn(
        org=org,
        provider="api",
        provider_ref=f"order-{number}",
        customer_email=f"buyer{number}@example.com",
        items=[PurchaseItem("epic-drums-v1")],
    )


def outbox_app(database_url: str, tmp_path, mailer: object, **settings) -> AbstractAsyncContextManager[Litestar]:
    """A running hub whose mailer is ``mailer`` and whose worker is off, so
    that the test drives the outbox itself."""
    return hub_driving_its_worker(database_url, tmp_path, "mailbox", mailer, **settings)


async def queue(hub, count: int) -> list[str]:
    return [
        await queue_email(
            hub, org="shop", kind="test", recipient=f"buyer{n}@example.com", rendered=RenderedEmail(f"Message {n}", f"Body {n}")
        )
        for n in range(count)
    ]


# --- over SMTP, with the inline worker --------------------------------------------


async def test_emails_wait_out_an_smtp_outage_and_then_arrive_once_each(client, org, app, smtp):
    await ready_product(client, org)
    smtp.stop()
    for number in range(5):
        await record_purchase(app.state.hub, order(org.id, number))

    async def all_tried_and_waiting():
        rows = await outbox_rows()
        return len(rows) == 5 and all(r["status"] == "pending" and r["attempts"] >= 1 for r in rows) and rows

    for row in await eventually(all_tried_and_waiting, what="a failed first attempt of every email"):
        assert "SMTPConnectError" in row["last_error"] and str(smtp.port) in row["last_error"]
        assert as_aware(row["next_attempt_at"]) > utcnow() - timedelta(seconds=1)
    assert smtp.received() == []

    smtp.start()
    messages = await smtp.wait_for(5, timeout=20)
    await asyncio.sleep(1.5)  # another pass or two of the worker: nothing more arrives
    assert len(smtp.received()) == 5
    assert sorted(m["To"] for m in messages) == [f"buyer{n}@example.com" for n in range(5)]
    assert len({m["Message-ID"] for m in messages}) == 5
    rows = await outbox_rows()
    assert {r["status"] for r in rows} == {"sent"}
    assert all(r["attempts"] >= 2 and r["last_error"] == "" and r["sent_at"] for r in rows)


async def test_the_outbox_stores_no_download_link_in_clear(client, org, app, smtp):
    await ready_product(client, org)
    recorded = await record_purchase(app.state.hub, order(org.id, 1))
    [(secret, _)] = recorded.tokens
    await smtp.wait_for(1)
    [row] = await outbox_rows()
    assert secret not in repr(row)
    assert "ct_download_" not in repr(row)
    assert secret.encode() in app.state.hub.sealer.open(row["sealed_body"])
    assert secret in smtp.received()[0].get_body(("plain",)).get_content()


async def test_emails_queued_without_a_mailer_are_sent_after_a_restart_with_one(database_url, tmp_path, smtp):
    data = tmp_path / "data"
    without_smtp = make_app(settings_for_tests(data, database_url=database_url), entry_points="email")
    async with hub_client(without_smtp) as client:
        await _empty_postgres(without_smtp)
        shop = await make_org("audio-company")
        await ready_product(client, shop)
        await record_purchase(without_smtp.state.hub, order(shop.id, 7))
        await asyncio.sleep(0.3)
        [row] = await outbox_rows()
        assert row["status"] == "pending" and row["attempts"] == 0  # waiting, not failing

    with_smtp = make_app(
        settings_for_tests(data, database_url=database_url, extra={"HUB_SMTP_URL": smtp.url, "HUB_MAIL_FROM": SHOP_FROM}),
        entry_points="email",
    )
    async with hub_client(with_smtp):
        [message] = await smtp.wait_for(1)
        assert message["To"] == "buyer7@example.com"
        [row] = await eventually(outbox_rows)
        await eventually(lambda: OutboxMessage.exists().where(OutboxMessage.status == "sent"), what="the row marked sent")


# --- driven by hand, worker off ---------------------------------------------------------


async def test_a_message_failing_every_attempt_ends_failed_with_its_error(database_url, tmp_path):
    mailbox = CapturedMailbox()
    mailbox.failing = True
    async with outbox_app(database_url, tmp_path, mailbox, outbox_max_attempts=2, outbox_backoff_seconds=1) as app:
        hub = app.state.hub
        [message_id] = await queue(hub, 1)

        assert await deliver_due(hub) == 1
        [row] = await outbox_rows()
        assert (row["status"], row["attempts"]) == ("pending", 1)
        assert row["last_error"] == "ConnectionError: captured mailbox is failing on purpose"
        wait = as_aware(row["next_attempt_at"]) - utcnow()
        assert timedelta(seconds=0.5) < wait <= timedelta(seconds=1)  # backoff: 1 s, then 2 s, 4 s...
        assert await deliver_due(hub) == 0  # not due yet

        await asyncio.sleep(wait.total_seconds() + 0.05)
        assert await deliver_due(hub) == 1
        [row] = await outbox_rows()
        assert (row["id"], row["status"], row["attempts"]) == (message_id, "failed", 2)
        assert row["last_error"] == "ConnectionError: captured mailbox is failing on purpose"
        assert row["claimed_until"] is None and row["sent_at"] is None

        mailbox.failing = False
        await OutboxMessage.update({OutboxMessage.next_attempt_at: utcnow() - timedelta(hours=1)}, force=True)
        assert await deliver_due(hub) == 0  # failed is final: the shop decides what to do with it
        assert mailbox.messages == []


WORKER_NAME: contextvars.ContextVar[str] = contextvars.ContextVar("worker_name")


class SlowMailbox(CapturedMailbox):
    """Takes a moment per message, like a real relay, and notes which worker
    sent it (``WORKER_NAME``, which the worker's sends inherit)."""

    def __init__(self) -> None:
        super().__init__()
        self.senders: list[str] = []

    async def send(self, message: EmailMessage) -> None:
        await asyncio.sleep(0.005)
        self.senders.append(WORKER_NAME.get())
        await super().send(message)


async def test_concurrent_workers_never_send_one_message_twice(database_url, tmp_path):
    mailbox = SlowMailbox()
    async with outbox_app(database_url, tmp_path, mailbox) as app:
        hub = app.state.hub
        queued = await queue(hub, 60)

        async def worker(name: str) -> None:
            WORKER_NAME.set(name)
            while await deliver_due(hub):
                pass

        await asyncio.gather(*(worker(f"worker-{n}") for n in range(3)))

        assert len(mailbox.messages) == 60
        assert sorted(m["Subject"] for m in mailbox.messages) == sorted(f"Message {n}" for n in range(60))
        assert len(set(mailbox.senders)) > 1, "the workers did not overlap; the test proves nothing"
        rows = await outbox_rows()
        assert sorted(r["id"] for r in rows) == sorted(queued)
        assert {(r["status"], r["attempts"]) for r in rows} == {("sent", 1)}


async def test_a_claim_whose_lease_ran_out_is_taken_over(database_url, tmp_path):
    mailbox = CapturedMailbox()
    async with outbox_app(database_url, tmp_path, mailbox) as app:
        hub = app.state.hub
        await queue(hub, 1)
        [claimed] = await claim_due(hub)  # a worker claims it, then dies before sending
        assert claimed["status"] == "sending"
        assert as_aware(claimed["claimed_until"]) > utcnow() + LEASE / 2

        assert await deliver_due(hub) == 0  # the lease still holds: nobody else sends it
        assert mailbox.messages == []

        await OutboxMessage.update({OutboxMessage.claimed_until: utcnow() - timedelta(seconds=1)}, force=True)
        assert await deliver_due(hub) == 1
        assert [m["Subject"] for m in mailbox.messages] == ["Message 0"]
        [row] = await outbox_rows()
        assert (row["status"], row["attempts"], row["claimed_until"]) == ("sent", 1, None)
        assert await deliver_due(hub) == 0


async def test_without_a_mailer_messages_wait_without_spending_attempts(database_url, tmp_path):
    async with outbox_app(database_url, tmp_path, object()) as app:  # a plugin that provides no mailer
        hub = app.state.hub
        assert hub.mailer is None
        await queue(hub, 2)
        assert await deliver_due(hub) == 0
        rows = await outbox_rows()
        assert {(r["status"], r["attempts"]) for r in rows} == {("pending", 0)}


# --- crashes: a stable Message-ID, leases renewed, dead workers' claims taken back


class AttemptsMailbox(CapturedMailbox):
    """Fails the first ``failures`` sends; notes the Message-ID of every attempt."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures
        self.attempted_ids: list[str] = []

    async def send(self, message: EmailMessage) -> None:
        self.attempted_ids.append(message["Message-ID"])
        if len(self.attempted_ids) <= self.failures:
            raise ConnectionError("the relay hung up")
        await super().send(message)


async def test_every_attempt_carries_the_message_id_of_its_outbox_row(database_url, tmp_path):
    mailbox = AttemptsMailbox(failures=1)
    async with outbox_app(database_url, tmp_path, mailbox) as app:
        hub = app.state.hub
        [message_id] = await queue(hub, 1)
        assert await deliver_due(hub) == 1  # the first attempt fails
        await OutboxMessage.update({OutboxMessage.next_attempt_at: utcnow()}, force=True)
        assert await deliver_due(hub) == 1

        # The same on every attempt, and derived from the row: a copy sent
        # again after a crash is recognisably the same message.
        assert mailbox.attempted_ids == [f"<{message_id}@hub.test>"] * 2
        [sent] = mailbox.messages
        assert sent["Message-ID"] == f"<{message_id}@hub.test>"


def a_dead_pid() -> int:
    """The pid of a process of this host that has exited."""
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    return finished.pid


async def test_a_dead_workers_claims_are_taken_back_at_once_and_live_ones_are_left(database_url, tmp_path):
    mailbox = CapturedMailbox()
    async with outbox_app(database_url, tmp_path, mailbox) as app:
        hub = app.state.hub
        dead, elsewhere, alive = await queue(hub, 3)
        me = this_worker()
        holders = {
            dead: str(WorkerIdentity(me.host, a_dead_pid(), "0123")),  # crashed on this host
            elsewhere: str(WorkerIdentity("another-host", me.pid, "4567")),  # its lease decides
            alive: str(me),  # this very process: working on it
        }
        await claim_due(hub)
        for message_id, holder in holders.items():
            await OutboxMessage.update({OutboxMessage.claimed_by: holder}).where(OutboxMessage.id == message_id)
        assert await deliver_due(hub) == 0  # every lease still holds

        assert await EMAILS.reclaim_from_dead_workers() == 1
        assert await deliver_due(hub) == 1
        assert [m["To"] for m in mailbox.messages] == ["buyer0@example.com"]
        rows = {r["id"]: r for r in await outbox_rows()}
        assert rows[dead]["status"] == "sent" and rows[dead]["claimed_by"] is None
        assert {rows[elsewhere]["status"], rows[alive]["status"]} == {"sending"}


async def test_a_previous_life_of_this_process_is_dead(database_url, tmp_path):
    """A container's PID 1 restarted: the same host and pid, another nonce."""
    async with outbox_app(database_url, tmp_path, CapturedMailbox()) as app:
        hub = app.state.hub
        await queue(hub, 1)
        await claim_due(hub)
        me = this_worker()
        await OutboxMessage.update({OutboxMessage.claimed_by: str(WorkerIdentity(me.host, me.pid, "earlier"))}, force=True)
        assert await EMAILS.reclaim_from_dead_workers() == 1


async def test_a_worker_renews_its_leases_while_a_slow_relay_sends(database_url, tmp_path, monkeypatch):
    monkeypatch.setattr(outbox, "EMAILS", dataclasses.replace(outbox.EMAILS, renew_every_seconds=0.01))

    class SlowRelay(CapturedMailbox):
        async def send(self, message: EmailMessage) -> None:
            [row] = await outbox_rows()
            first_lease = as_aware(row["claimed_until"])

            async def renewed():
                [now] = await outbox_rows()
                return as_aware(now["claimed_until"]) > first_lease

            await eventually(renewed, what="a renewal of the lease")
            await super().send(message)

    mailbox = SlowRelay()
    async with outbox_app(database_url, tmp_path, mailbox) as app:
        hub = app.state.hub
        await queue(hub, 1)
        assert await deliver_due(hub) == 1
        assert len(mailbox.messages) == 1
        [row] = await outbox_rows()
        assert (row["status"], row["claimed_until"], row["claimed_by"]) == ("sent", None, None)
        assert await EMAILS.renew() == 0  # nothing left to renew


async def test_a_sent_message_is_recorded_ahead_of_the_writes_queued_behind_a_long_one(database_url, tmp_path):
    """Issue 20.12: a hub killed between the relay's acceptance and the
    record of ``sent`` sends the message again, and that record waited for
    every sale queued for the database's writer. It goes ahead of them: it
    waits at most for the write under way (on SQLite, which has one
    writer), and not at all on PostgreSQL, whose row locks it does not share
    with the sales."""
    mailbox = CapturedMailbox()
    async with outbox_app(database_url, tmp_path, mailbox) as app:
        hub = app.state.hub
        message_id, shared = await queue(hub, 2)
        row = next(r for r in await claim_due(hub) if r["id"] == message_id)
        first_holds, first_may_end = asyncio.Event(), asyncio.Event()
        seen_by_the_next_sale: list[str] = []

        async def long_sale() -> None:  # a 200-item purchase, say
            async with hub.db.write_transaction():
                await OutboxMessage.update({OutboxMessage.last_error: "a"}).where(OutboxMessage.id == shared)
                first_holds.set()
                await first_may_end.wait()

        async def next_sale() -> None:  # queued behind it (the same row: on PostgreSQL too)
            async with hub.db.write_transaction():
                await OutboxMessage.update({OutboxMessage.last_error: "b"}).where(OutboxMessage.id == shared)
                now = await OutboxMessage.select(OutboxMessage.status).where(OutboxMessage.id == message_id).first()
                seen_by_the_next_sale.append(now["status"])

        first = asyncio.create_task(long_sale())
        await first_holds.wait()
        then = asyncio.create_task(next_sale())
        await asyncio.sleep(0.05)  # the next sale waits for the writer (the row, on PostgreSQL)
        sending = asyncio.create_task(outbox.deliver(hub, row))
        await mailbox.wait_for(1)  # the relay accepted it
        if hub.db.is_sqlite:
            await asyncio.sleep(0.05)  # its record waits for the long sale, ahead of the next one
        else:
            await asyncio.wait_for(asyncio.shield(sending), timeout=10)  # it waits for nothing
        first_may_end.set()
        await asyncio.gather(first, then, sending)

        assert seen_by_the_next_sale == ["sent"]
        [sent] = [r for r in await outbox_rows() if r["id"] == message_id]
        assert (sent["status"], sent["attempts"], sent["claimed_until"], sent["claimed_by"]) == ("sent", 1, None, None)
