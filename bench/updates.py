"""Publishing a version to many entitled buyers: the request, and the fan-out.

    .venv/bin/python bench/updates.py                       # 100,000 buyers, SQLite
    .venv/bin/python bench/updates.py --buyers 10000 --database sqlite:///tmp/u.sqlite3

One hub in this process (the test kit's app, worker off), product ``bench``
with versions 1.0.0 (active) and 2.0.0 (ready), then ``--buyers`` paid
purchases of 1.0.0, each with its token, seeded in bulk in
``bench/sizes.py``'s style (rows built from the piccolo tables' own columns
and defaults, a transaction per batch). Measured:

- the request: ``PATCH /api/products/bench`` with ``activeVersion`` 2.0.0 and
  ``notify`` (target: under a second, whatever the number of buyers);
- the fan-out: the worker's pass (:func:`hub.services.update_notices.fan_out_due`)
  until every entitled buyer's update email is queued in the outbox (its
  notices and messages counted after).

Printed: both times, emails queued per second, and the request's target MET
or MISSED (exit status 1 when missed). Page latency during the fan-out (the
issue's 1.2x target) needs the hub served beside a load generator, as
``bench/sizes.py`` does; not measured here.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

import hub.testing.products  # noqa: E402
from hub.secrets import hash_secret  # noqa: E402
from hub.services import update_notices  # noqa: E402
from hub.services.accounts import create_api_key, create_organization  # noqa: E402
from hub.tables import DownloadToken, OutboxMessage, Product, Purchase, UpdateNotice, UpdatePublication, Version  # noqa: E402
from hub.testing.app import hub_client, make_app, settings_for_tests  # noqa: E402

BATCH = 5_000


def _rows(table_cls, values: dict) -> dict:
    """A row: every column's default, overridden by ``values``."""
    row = {c._meta.db_column_name: c.get_default_value() for c in table_cls._meta.columns}
    row.update(values)
    return row


async def seed(app, org: str, buyers: int) -> None:
    """``buyers`` paid purchases of ``bench`` 1.0.0, each with its token."""
    product = await Product.select().where(Product.slug == "bench").first()
    version = await Version.select().where(Version.version == "1.0.0").first()
    now = datetime.now(UTC)
    for start in range(0, buyers, BATCH):
        purchases, tokens = [], []
        for n in range(start, min(buyers, start + BATCH)):
            purchase_id = f"purchase_bench{n:08d}"
            email = f"buyer{n:08d}@example.com"
            purchases.append(Purchase(**_rows(Purchase, {
                "id": purchase_id, "org": org, "provider": "api", "provider_ref": f"bench-{n}", "customer_email": email,
                "items": [{"product": "bench"}], "status": "paid", "created_at": now,
            })))
            tokens.append(DownloadToken(**_rows(DownloadToken, {
                "id": f"token_bench{n:08d}", "org": org, "product": product["id"], "version": version["id"],
                "token_hash": hash_secret(f"bench-{n}"), "customer_email": email, "expires_at": now + timedelta(days=30),
                "purchase": purchase_id, "created_at": now, "metadata": {},
            })))
        async with app.state.hub.db.write_transaction():
            await Purchase.insert(*purchases)
            await DownloadToken.insert(*tokens)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buyers", type=int, default=100_000)
    parser.add_argument("--database", default="", help="a database URL (default: SQLite in a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-updates-") as folder:
        overrides = {"worker": "off"}
        if args.database:
            overrides["database_url"] = args.database
        app = make_app(settings_for_tests(Path(folder), **overrides), entry_points="none")
        async with hub_client(app) as client:
            await create_organization("bench-shop")
            secret, _ = await create_api_key("bench-shop", "admin")
            key = {"Authorization": f"Bearer {secret}"}
            await client.post("/api/products", json={"name": "Bench", "slug": "bench"}, headers=key)
            await hub.testing.products.ready_product(client, key, "bench", "1.0.0", files={"a.wav": b"a", "b.wav": b"b"})
            await hub.testing.products.ready_product(client, key, "bench", "2.0.0", files={"a.wav": b"a2", "c.wav": b"c"})
            started = time.perf_counter()
            await seed(app, "bench-shop", args.buyers)
            print(f"seeded {args.buyers:,} buyers in {time.perf_counter() - started:.1f} s")

            started = time.perf_counter()
            answer = await client.patch("/api/products/bench", json={"activeVersion": "2.0.0", "notify": True}, headers=key)
            request_seconds = time.perf_counter() - started
            assert answer.status_code == 200, answer.text

            started = time.perf_counter()
            while (await UpdatePublication.select(UpdatePublication.status).first())["status"] != "done":
                await update_notices.fan_out_due(app.state.hub)
            fan_out_seconds = time.perf_counter() - started
            notices = await UpdateNotice.count()
            queued = await OutboxMessage.count().where(OutboxMessage.kind == update_notices.KIND)
        met = request_seconds < 1.0
        print(f"request (PATCH activeVersion + notify): {request_seconds * 1000:.0f} ms  target < 1 s: {'MET' if met else 'MISSED'}")
        print(f"fan-out until every email is queued: {fan_out_seconds:.1f} s for {queued:,} emails "
              f"({queued / fan_out_seconds:,.0f}/s); notices {notices:,}")
        return 0 if met and queued == args.buyers else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
