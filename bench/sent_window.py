"""How long an email stays sent but not recorded as sent (issue 20.12).

A hub killed between the relay accepting a message and the outbox
committing it as ``sent`` sends that message again after its restart (the
same ``Message-ID``). This measures that window, the relay's acceptance to
the committed ``sent``, while sales of ``--items`` items each are recorded
(``--sales`` at a time, as the worker's inbox processes a batch together)
and small emails are queued beside them, on SQLite, in one process.

The acceptance is when the mailer's send returns (the relay answered 250
to the message); the commit is seen by a thread polling the database file
on a connection of its own every millisecond.

    python bench/sent_window.py [--seconds 15] [--items 200] [--sales 3]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sqlite3
import statistics
import tempfile
import threading
import time
from pathlib import Path

from hub.plugins import RenderedEmail
from hub.services.accounts import create_api_key, create_organization
from hub.services.outbox import deliver_due, queue_email
from hub.services.purchases import PurchaseIn, PurchaseItem, record_purchase
from hub.testing.app import hub_client, make_app, settings_for_tests
from hub.testing.products import ready_product
from hub.testing.smtp import smtp_server

MESSAGE_ID = re.compile(rb"Message-ID: <(msg_[^@>]+)@", re.IGNORECASE)


class SentWatcher(threading.Thread):
    """Notes when each accepted message is first seen committed as sent."""

    def __init__(self, path: str) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.accepted: dict[str, float] = {}
        self.committed: dict[str, float] = {}
        self.stopping = threading.Event()

    def run(self) -> None:
        connection = sqlite3.connect(self.path)
        while not self.stopping.is_set():
            waiting = [i for i in list(self.accepted) if i not in self.committed]
            if waiting:
                marks = ",".join("?" * len(waiting))
                rows = connection.execute(
                    f"SELECT id FROM hub_outbox_message WHERE status = 'sent' AND id IN ({marks})", waiting
                ).fetchall()
                now = time.monotonic()
                for (message_id,) in rows:
                    self.committed[message_id] = now
            time.sleep(0.001)
        connection.close()


async def measure(seconds: float, items: int, sales: int) -> tuple[list[float], list[float]]:
    with tempfile.TemporaryDirectory() as tmp, smtp_server() as smtp:
        settings = settings_for_tests(
            Path(tmp) / "data", worker="off", extra={"HUB_SMTP_URL": smtp.url, "HUB_MAIL_FROM": "Shop <shop@example.com>"}
        )
        app = make_app(settings, entry_points="email")
        async with hub_client(app) as client:
            hub = app.state.hub
            await create_organization("shop")
            secret, _ = await create_api_key("shop", "member")
            await ready_product(client, {"Authorization": f"Bearer {secret}"}, "pack", "1.0.0")
            watcher = SentWatcher(hub.db.engine.path)
            mailer = hub.mailer
            send_bytes = getattr(mailer, "send_bytes", None)

            def accepted(data: bytes) -> None:
                found = MESSAGE_ID.search(data)
                if found:
                    watcher.accepted[found.group(1).decode()] = time.monotonic()

            if send_bytes is not None:
                async def timed_send_bytes(data: bytes, **kwargs) -> None:
                    await send_bytes(data, **kwargs)
                    accepted(data)

                mailer.send_bytes = timed_send_bytes
            else:
                send = mailer.send

                async def timed_send(message) -> None:
                    await send(message)
                    accepted(message.as_bytes())

                mailer.send = timed_send
            watcher.start()
            deadline = time.monotonic() + seconds
            counter = iter(range(10**9))

            sale_ms: list[float] = []

            async def sell() -> None:
                while time.monotonic() < deadline:
                    n = next(counter)
                    started = time.monotonic()
                    await record_purchase(
                        hub,
                        PurchaseIn(
                            org="shop", provider="api", provider_ref=f"order-{n}",
                            customer_email=f"buyer{n}@example.com", items=[PurchaseItem("pack")] * items,
                        ),
                    )
                    sale_ms.append((time.monotonic() - started) * 1000)

            async def queue_small() -> None:
                rendered = RenderedEmail(subject="Hello", text="A small message.")
                while time.monotonic() < deadline:
                    n = next(counter)
                    async with hub.db.write_transaction():
                        await queue_email(hub, org="shop", kind="note", recipient=f"reader{n}@example.com", rendered=rendered)
                    await asyncio.sleep(0.02)

            async def deliver() -> None:
                while time.monotonic() < deadline + 2:
                    if not await deliver_due(hub):
                        await asyncio.sleep(0.005)

            await asyncio.gather(*(sell() for _ in range(sales)), queue_small(), deliver())
            await asyncio.sleep(0.2)
            watcher.stopping.set()
            watcher.join()
            windows = [
                (watcher.committed[i] - at) * 1000 for i, at in watcher.accepted.items() if i in watcher.committed
            ]
            return windows, sale_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--sales", type=int, default=3)
    args = parser.parse_args()
    windows, sale_ms = asyncio.run(measure(args.seconds, args.items, args.sales))
    windows.sort()
    if not windows:
        raise SystemExit("no message was sent")

    def at(p: float) -> float:
        return windows[min(len(windows) - 1, int(p * len(windows)))]

    print(
        f"{len(windows)} messages; relay accept -> committed 'sent' (ms, ±1 ms polling): "
        f"median {statistics.median(windows):.1f}, p90 {at(0.90):.1f}, p99 {at(0.99):.1f}, max {windows[-1]:.1f}"
    )
    if sale_ms:
        print(f"{len(sale_ms)} sales of {args.items} items; each took (ms, waits included): median "
              f"{statistics.median(sale_ms):.1f}, max {max(sale_ms):.1f}")


if __name__ == "__main__":
    main()
