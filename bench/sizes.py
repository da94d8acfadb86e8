"""Flat in size: the download page with 10 thousand tokens, and with 10 million.

    /work/venv/bin/python bench/sizes.py                                   # SQLite and PostgreSQL, 10k vs 10M
    /work/venv/bin/python bench/sizes.py --large 1000000:100000 --databases sqlite

For each database two hubs are set up (``continuata-hub init``, product
``bench`` uploaded with the CLI, a token minted through the API), then rows
are added straight into their databases, with the hubs stopped: ``--small``
and ``--large`` say how many ``TOKENS:PURCHASES`` each holds in the end
(default 10,000:1,000 and 10,000,000:1,000,000; every seeded token belongs to
a seeded purchase). Seeding is bulk: ``executemany`` in one transaction per
batch on SQLite, ``COPY`` (asyncpg's ``copy_records_to_table``) on
PostgreSQL; the rows are built from the piccolo tables' own columns and
defaults, so a new column does not break the script. The measured token is
linked to a seeded purchase, so the page's join reads one.

Both hubs then run (``continuata-hub serve``) and ``wrk -t1 -c<connections>``
loads ``GET /download?token=…`` on each, in turns, ``--reps`` times. Printed:
requests/s and latency p50/p99 per size, and the target: the large database's
median p50 <= 1.2x the small one's, printed MET or MISSED.

The PostgreSQL databases (``--postgres-db``_small / _large) are dropped and
created afresh, and dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import sqlite3
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(1, str(BENCH.parent))

from _common import (  # noqa: E402
    ForeignLoad,
    Server,
    ServerSpec,
    cpu_seconds,
    drop_postgres,
    exit_cleanly_on_termination,
    free_port,
    fresh_postgres,
    hub_env,
    machine_line,
    need,
    parse_wrk,
    per_database,
    server_versions,
    setup_hub,
    small_folder,
    table,
    verdict,
    wait_quiet,
)

from hub.secrets import hash_secret  # noqa: E402  (how the hub stores a token: its SHA-256)

BATCH = 50_000


def _sizes(text: str) -> tuple[int, int]:
    tokens, _, purchases = text.partition(":")
    return int(tokens), int(purchases or max(1, int(tokens) // 10))


def _rows(table_cls, count: int, first: int, values) -> tuple[list[str], object]:
    """Column names and a generator of ``count`` rows: every column's default,
    overridden by ``values(i)``."""
    columns = table_cls._meta.columns
    names = [c._meta.db_column_name for c in columns]
    defaults = {c._meta.db_column_name: c.get_default_value() for c in columns}

    def rows():
        for i in range(first, first + count):
            row = {**defaults, **values(i)}
            yield tuple(row[n] for n in names)

    return names, rows()


def _plans(product_pk: str, version_pk: str, tokens: int, purchases: int):
    """(table, how many, row values) for the seeded purchases and tokens."""
    from hub.tables import DownloadToken, Purchase

    now = datetime.now(UTC)
    later = now + timedelta(days=365)

    def purchase(i: int) -> dict:
        return {
            "id": f"pur_seed{i:010d}", "org": "bench", "provider": "api", "provider_ref": f"seed-{i}",
            "customer_email": f"buyer{i}@example.com", "items": "[]", "metadata": "{}", "amount": 1000,
            "currency": "eur", "status": "paid", "created_at": now,
        }

    def token(i: int) -> dict:
        return {
            "id": f"tok_seed{i:010d}", "org": "bench", "product": product_pk, "version": version_pk,
            "token_hash": hashlib.sha256(f"seed-{i}".encode()).hexdigest(),
            "customer_email": f"buyer{i % purchases}@example.com", "expires_at": later, "max_downloads": None,
            "used_count": 0, "metadata": "{}", "purchase": f"pur_seed{i % purchases:010d}", "created_at": now,
            "revoked_at": None,
        }

    return [(Purchase, purchases, purchase), (DownloadToken, tokens, token)]


def seed_sqlite(path: str, tokens: int, purchases: int, measured_token: str) -> None:
    import piccolo.engine.sqlite  # noqa: F401  (its sqlite3 adapters: datetimes stored as the hub stores them)

    with contextlib.closing(sqlite3.connect(path, timeout=60)) as db:
        db.execute("PRAGMA synchronous=OFF")
        product_pk, version_pk = db.execute("SELECT id, active_version FROM hub_product WHERE slug = 'bench'").fetchone()
        for table_cls, count, values in _plans(product_pk, version_pk, tokens, purchases):
            have = db.execute(f"SELECT COUNT(*) FROM {table_cls._meta.tablename}").fetchone()[0]
            for start in range(0, max(0, count - have), BATCH):
                names, rows = _rows(table_cls, min(BATCH, count - have - start), start, values)
                with db:
                    db.executemany(
                        f"INSERT INTO {table_cls._meta.tablename} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                        rows,
                    )
        with db:
            db.execute("UPDATE hub_download_token SET purchase = 'pur_seed0000000000' WHERE token_hash = ?",
                       (hash_secret(measured_token),))
        db.execute("ANALYZE")


async def seed_postgres(url: str, tokens: int, purchases: int, measured_token: str) -> None:
    import asyncpg

    db = await asyncpg.connect(url)
    try:
        product_pk, version_pk = await db.fetchrow("SELECT id, active_version FROM hub_product WHERE slug = 'bench'")
        for table_cls, count, values in _plans(product_pk, version_pk, tokens, purchases):
            have = await db.fetchval(f"SELECT COUNT(*) FROM {table_cls._meta.tablename}")
            for start in range(0, max(0, count - have), BATCH):
                names, rows = _rows(table_cls, min(BATCH, count - have - start), start, values)
                await db.copy_records_to_table(table_cls._meta.tablename, records=list(rows), columns=names)
        await db.execute("UPDATE hub_download_token SET purchase = 'pur_seed0000000000' WHERE token_hash = $1",
                         hash_secret(measured_token))
        await db.execute("ANALYZE")
    finally:
        await db.close()


def run_page(server: Server, token: str, args, log: Path) -> tuple[float, float, float, int, float]:
    """One wrk run of the download page: (req/s, p50 ms, p99 ms, bad answers,
    the server's CPU microseconds per request)."""
    import subprocess

    cmd = ["wrk", "-t1", f"-c{args.connections}", f"-d{args.duration}s", "--latency", "--timeout", "10s",
           f"{server.url}/download?token={token}"]
    with ForeignLoad(server.pid):
        cpu0 = cpu_seconds(server.pid)
        r = subprocess.run(cmd, capture_output=True, text=True)
        cpu = cpu_seconds(server.pid) - cpu0
    with open(log, "a") as fh:
        fh.write(f"$ {' '.join(cmd)}\n{r.stdout}{r.stderr}\n")
    if r.returncode != 0:
        raise RuntimeError(f"wrk failed: {r.stderr}")
    rps, p50, p99, requests, bad = parse_wrk(r.stdout)
    return rps, p50, p99, bad, cpu * 1e6 / requests if requests else float("nan")


def bench_database(kind: str, args, work: Path) -> bool:
    sizes = {"small": _sizes(args.small), "large": _sizes(args.large)}
    hubs: dict[str, tuple[Server, str]] = {}
    dbs: list[str] = []
    try:
        for name, (tokens, purchases) in sizes.items():
            folder = work / name
            if kind == "sqlite":
                url = f"sqlite:///{folder / 'hubdata' / 'hub.sqlite3'}"
            else:
                dbs.append(f"{args.postgres_db}_{name}")
                url = fresh_postgres(dbs[-1], args.postgres_url)
            print(f"[{kind}] {name}: setting up a hub ...", flush=True)
            setup = setup_hub(folder, url, small_folder(), folder / "setup.log")
            t = time.monotonic()
            if kind == "sqlite":
                seed_sqlite(url[len("sqlite:///"):], tokens, purchases, setup.token)
            else:
                asyncio.run(seed_postgres(url, tokens, purchases, setup.token))
            print(f"[{kind}] {name}: seeded to {tokens:,} tokens and {purchases:,} purchases in "
                  f"{time.monotonic() - t:.0f} s", flush=True)
            port = free_port()
            server = Server(f"hub-{name}", ServerSpec().command("hub", port), hub_env(setup.data_dir, url, port), port,
                            folder / "hub.log", health="/healthz").start()
            hubs[name] = (server, setup.token)
        results: dict[str, list[tuple[float, float, float, int, float]]] = {name: [] for name in sizes}
        for rep in range(args.reps):
            for name, (server, token) in hubs.items():
                if args.wait_quiet:
                    wait_quiet(args.wait_quiet, tuple(s.pid for s, _ in hubs.values()))
                run = run_page(server, token, args, work / "wrk.log")
                results[name].append(run)
                print(f"[{kind}] {rep + 1}/{args.reps} {name}: {run[0]:,.0f} req/s, p50 {run[1]:.2f} ms, "
                      f"p99 {run[2]:.2f} ms, {run[4]:.0f} us CPU/req{f', {run[3]} bad' if run[3] else ''}", flush=True)
    finally:
        for server, _ in hubs.values():
            server.stop()
        for db in dbs:
            drop_postgres(db, args.postgres_url)
    print()
    print(f"Download page by database size on {kind}: wrk -t1 -c{args.connections} -d{args.duration}s, "
          f"median of {args.reps} runs taken in turns")
    rows = []
    for name, runs in results.items():
        tokens, purchases = sizes[name]
        rows.append([f"{name}: {tokens:,} tokens, {purchases:,} purchases",
                     f"{statistics.median(r[0] for r in runs):,.0f}", f"{statistics.median(r[1] for r in runs):.2f}",
                     f"{statistics.median(r[2] for r in runs):.2f}", f"{statistics.median(r[4] for r in runs):,.0f}",
                     str(sum(r[3] for r in runs))])
    print(table(["database", "req/s", "p50 ms", "p99 ms", "srv CPU us/req", "errors"], rows))
    small = statistics.median(r[1] for r in results["small"])
    large = statistics.median(r[1] for r in results["large"])
    ratio = large / small
    met = ratio <= 1.2 and not any(r[3] for runs in results.values() for r in runs)
    print(f"  {verdict(met)}  {kind}: page p50 with {sizes['large'][0]:,} tokens = {ratio:.2f}x its p50 with "
          f"{sizes['small'][0]:,} (target <= 1.2x)")
    return met


def main() -> int:
    exit_cleanly_on_termination()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--small", default="10000:1000", help="TOKENS:PURCHASES of the small database")
    parser.add_argument("--large", default="10000000:1000000", help="TOKENS:PURCHASES of the large database")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="a server and a user that may create databases")
    parser.add_argument("--postgres-db", default="hub_bench_sizes")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--wait-quiet", type=float, default=10.0)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directories")
    args = parser.parse_args()
    need("wrk", "apt-get install -y wrk")
    print(f"Machine: {machine_line()}")
    print(f"Stack:   {server_versions()}")
    met = per_database(args.databases, "hub-size-bench", args.keep, lambda kind, work: bench_database(kind, args, work))
    return 0 if all(met) else 1


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
