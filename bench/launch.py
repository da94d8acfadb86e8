"""Launch day: a burst of sales through the whole hub, under faults, nothing lost.

    .venv/bin/python bench/launch.py --scale 0.05 --database sqlite     # a quick run (~1 min)
    .venv/bin/python bench/launch.py --scale 0.05                      # PostgreSQL (its own cluster)
    .venv/bin/python bench/launch.py                                   # the full launch: 10,000 sales in 600 s
    .venv/bin/python bench/launch.py --storage s3 --database sqlite --scale 0.1
    .venv/bin/python bench/launch.py --postgres-url postgresql://postgres@db:5432/launch \\
        --restart-command "sudo systemctl restart postgresql"         # your own server (its database is DROPPED)

What runs, all on 127.0.0.1: ``continuata-hub serve --workers 2`` with
``HUB_WORKER=off`` and one ``continuata-hub worker`` beside it (restarted, as a
supervisor would, when it dies), on PostgreSQL (a cluster of its own made with
``initdb`` in a temporary folder, on a free port) or SQLite, with local blob
storage or the S3 protocol (moto's server, as the tests use it). An SMTP relay
(aiosmtpd, a thread of this script) accepts at most ``--relay-rate`` messages a
second and answers ``421`` beyond that; it records every message (recipient,
Message-ID, download link) and every attempt.

The load, over ``--seconds`` (D): ``--events`` (N) Stripe-signed
``checkout.session.completed`` events at an even pace, each signed when it is
sent; 5 % of them delivered again later (same event id), 2 % of the orders
refunded (``charge.refunded``), a third of those refunds sent *before* their
order. An event refused (non-2xx, a connection refused, a timeout) is sent
again after 1, 2, 4 ... (at most 8) seconds, as Stripe does with longer waits.
At 0.6 D, ``--buyers`` buyers download at once from the links in the emails
received (not those of refunded orders: their links are gone; each file of
the product; every third buyer resumes: it fetches the
first half, then the rest with ``Range``); every byte is checked (sha256).

Faults at fixed fractions of D: at 0.3 D the worker is killed (``kill -9``)
and started again a second later; at 0.45 D PostgreSQL restarts
(``pg_ctl restart -m fast`` or ``--restart-command``; none on SQLite); at
0.75 D the relay goes down (connections refused) for 60 s × ``--scale``.

Sampled all along: the console's pages (signed in as an admin) every 0.5 s,
``/readyz`` every second, ``/metrics`` every 2 s (the queues' depth and age),
the server's memory (RSS of its process tree) every 2 s.

At the end (when every event has been answered and the queues are empty, or
``--drain-timeout`` has passed) the database is read: every order must be
exactly one purchase with its tokens, the refunded ones refunded. The targets
are printed MET or MISSED; the exit status is 0 only when all are MET.
``--scale`` multiplies N, D, the buyers and the relay's outage (not the relay's
rate): ``--scale 0.05`` is 500 sales in 30 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(1, str(BENCH.parent))  # hub.testing, when run from anywhere

from _common import (  # noqa: E402
    HUB_CLI,
    ForeignLoad,
    MiB,
    Server,
    exit_cleanly_on_termination,
    free_port,
    http_json,
    hub_env,
    machine_line,
    need,
    rss_kb,
    table,
    tail,
    verdict,
)

SECRET = "whsec_bench_launch"
ORG = "bench"
PRODUCT = "launch"
WEBHOOK = "/plugins/stripe/webhook"
ADMIN = "owner@example.com"
PASSWORD = "launch day password 2026"
METRICS_TOKEN = "launch-metrics-token"
CONSOLE_PAGES = ("/console", "/console/purchases", f"/console/products/{PRODUCT}")
LINK = re.compile(rb"https?://127\.0\.0\.1:\d+/[^\s\"'<>]+")
MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>]+>)", re.I | re.M)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


# --------------------------------------------------------------------------
# the SMTP relay: at most R messages a second, 421 beyond; can be taken down


class Relay:
    """aiosmtpd on loopback (its own thread). ``rate`` messages a second are
    accepted (a one-second window), every further DATA is answered ``421``.
    Records every attempt (time), every 421, every accepted message
    (recipient, Message-ID, first link in its body) and every connection (EHLO)."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.lock = threading.Lock()
        self.window = (0, 0)  # (second, accepted in it)
        self.attempts: list[float] = []
        self.refused: list[float] = []
        self.connections: list[float] = []
        self.messages: list[tuple[float, str, str, str]] = []  # (time, recipient, message id, link)
        self.port = free_port()
        self.controller = None

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.connections.append(time.monotonic())
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope) -> str:
        now = time.monotonic()
        with self.lock:
            self.attempts.append(now)
            second, accepted = self.window
            if int(now) != second:
                second, accepted = int(now), 0
            if accepted >= self.rate:
                self.refused.append(now)
                self.window = (second, accepted)
                return "421 4.7.0 Too many messages this second, slow down"
            self.window = (second, accepted + 1)
            content = envelope.original_content or envelope.content or b""
            mid = MESSAGE_ID.search(content)
            link = LINK.search(content.replace(b"=\r\n", b"").replace(b"=3D", b"="))
            for rcpt in envelope.rcpt_tos:
                self.messages.append((now, rcpt.lower(), mid.group(1).decode() if mid else "",
                                      link.group(0).decode() if link else ""))
        return "250 Message accepted for delivery"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, server_hostname="relay.local")
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


# --------------------------------------------------------------------------
# the database: an own PostgreSQL cluster, a given server, or SQLite


class Database:
    kind: str
    url: str

    def rows(self, sql: str) -> list[tuple[str, ...]]:
        raise NotImplementedError

    def restart(self) -> None:
        raise NotImplementedError

    def server_pids(self) -> list[int]:
        """The database server's processes when the scenario runs it (their CPU is ours)."""
        return []

    def close(self) -> None:
        pass


class SqliteDatabase(Database):
    kind = "sqlite"

    def __init__(self, path: Path) -> None:
        self.url = f"sqlite:///{path}"
        self.path = path

    def rows(self, sql: str) -> list[tuple[str, ...]]:
        with contextlib.closing(sqlite3.connect(self.path, timeout=30)) as db:
            return [tuple("" if v is None else str(v) for v in r) for r in db.execute(sql).fetchall()]


class PostgresDatabase(Database):
    kind = "postgres"

    def __init__(self, url: str, restart_command: str) -> None:
        self.url, self.restart_command = url, restart_command
        u = urlsplit(url)
        self.conn = ["-h", u.hostname or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres"]
        self.name = u.path.lstrip("/")

    def psql(self, sql: str, db: str | None = None) -> str:
        return subprocess.run(["psql", *self.conn, "-d", db or self.name, "-v", "ON_ERROR_STOP=1", "-tAF", "\t", "-c", sql],
                              capture_output=True, text=True, check=True).stdout

    def recreate(self) -> None:
        if not self.name or self.name in {"postgres", "template0", "template1"}:
            raise SystemExit(f"--postgres-url must name a database the scenario may drop and create, not {self.name!r}")
        self.psql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)', db="postgres")
        self.psql(f'CREATE DATABASE "{self.name}"', db="postgres")

    def rows(self, sql: str) -> list[tuple[str, ...]]:
        return [tuple(line.split("\t")) for line in self.psql(sql).splitlines() if line]

    def restart(self) -> None:
        subprocess.run(self.restart_command, shell=True, check=True, capture_output=True, timeout=120)


class OwnCluster(PostgresDatabase):
    """A PostgreSQL cluster of the scenario's own (initdb into ``folder``),
    run as the ``postgres`` user when this script runs as root."""

    def __init__(self, folder: Path) -> None:
        initdb = shutil.which("initdb") or "/usr/local/bin/initdb"
        self.pg_ctl = shutil.which("pg_ctl") or "/usr/local/bin/pg_ctl"
        self.data, self.port = folder / "pgdata", free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            self.as_user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(folder, "postgres")
        subprocess.run([*self.as_user, initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                        "--no-sync"], check=True, capture_output=True)
        self.options = f"-p {self.port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self.log = folder / "postgres.log"
        self.ctl("start")
        super().__init__(f"postgresql://postgres@127.0.0.1:{self.port}/launch", "")
        self.psql('CREATE DATABASE "launch"', db="postgres")

    def ctl(self, action: str, *extra: str) -> None:
        subprocess.run([*self.as_user, self.pg_ctl, "-D", str(self.data), "-o", self.options, "-l", str(self.log),
                        "-w", *extra, action], check=True, capture_output=True, timeout=120)

    def restart(self) -> None:
        self.ctl("restart", "-m", "fast")

    def server_pids(self) -> list[int]:
        with contextlib.suppress(OSError, ValueError):
            return [int((self.data / "postmaster.pid").read_text().split()[0])]
        return []

    def close(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError):
            self.ctl("stop", "-m", "immediate")


# --------------------------------------------------------------------------
# the hub


@dataclass
class Hub:
    env: dict[str, str]
    serve: Server
    worker_cmd: list[str]
    work: Path
    files: dict[str, str]  # path in the product -> sha256
    sizes: dict[str, int]
    worker: subprocess.Popen | None = None
    worker_starts: int = 0

    def start_worker(self) -> None:
        log = open(self.work / "logs" / "worker.log", "ab")
        self.worker = subprocess.Popen(self.worker_cmd, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        log.close()
        self.worker_starts += 1

    def kill_worker(self) -> None:
        if self.worker is not None and self.worker.poll() is None:
            os.killpg(self.worker.pid, 9)
            self.worker.wait()

    def stop(self) -> None:
        if self.worker is not None and self.worker.poll() is None:
            os.killpg(self.worker.pid, 15)
            try:
                self.worker.wait(15)
            except subprocess.TimeoutExpired:
                self.kill_worker()
        self.serve.stop()


def product_folder(work: Path) -> Path:
    folder = work / "product"
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(26)
    (folder / "readme.txt").write_bytes(b"Launch day\n" * 500)
    (folder / "album.zip").write_bytes(rng.randbytes(2 * MiB))
    return folder


def start_hub(args, work: Path, db: Database, relay: Relay, s3_endpoint: str | None) -> Hub:
    port = free_port()
    env = hub_env(work / "hubdata", db.url, port)
    env.update(
        HUB_STRIPE_WEBHOOK_SECRET=SECRET,
        HUB_STRIPE_ORG=ORG,
        HUB_SMTP_URL=relay.url,
        HUB_MAIL_FROM="Launch Shop <shop@example.com>",
        HUB_WORKER="off",
        HUB_METRICS_TOKEN=METRICS_TOKEN,
        # The outbox's retry backoff (30 s by default) shrinks with the scenario's time.
        HUB_OUTBOX_BACKOFF_SECONDS=str(max(1, round(30 * args.scale))),
    )
    if s3_endpoint:
        env.update(HUB_STORAGE="s3", HUB_S3_BUCKET="launch", HUB_S3_ENDPOINT_URL=s3_endpoint,
                   HUB_S3_ACCESS_KEY_ID="testing", HUB_S3_SECRET_ACCESS_KEY="testing")
    init = subprocess.run([HUB_CLI, "init", "--org", ORG], env=env, capture_output=True, text=True)
    if init.returncode:
        raise RuntimeError(f"continuata-hub init failed:\n{init.stdout}\n{init.stderr}")
    api_key = init.stdout.strip().splitlines()[-1]
    user = subprocess.run([HUB_CLI, "users", "create", "--org", ORG, "--email", ADMIN, "--role", "admin",
                           "--password-stdin"], env=env, input=PASSWORD + "\n", capture_output=True, text=True)
    if user.returncode:
        raise RuntimeError(f"continuata-hub users create failed:\n{user.stdout}\n{user.stderr}")
    cmd = [HUB_CLI, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(args.serve_workers)]
    serve = Server("hub", cmd, env, port, work / "logs" / "serve.log", health="/healthz", cwd=work).start()
    http_json("POST", f"{serve.url}/api/products", {"name": "Launch", "slug": PRODUCT}, key=api_key)
    folder = product_folder(work)
    up = subprocess.run([HUB_CLI, "upload", PRODUCT, "1.0.0", str(folder), "--activate"],
                        env={**env, "HUB_API_URL": serve.url, "HUB_API_KEY": api_key}, capture_output=True, text=True)
    if up.returncode:
        serve.stop()
        raise RuntimeError(f"continuata-hub upload failed:\n{up.stdout[-2000:]}\n{up.stderr[-2000:]}")
    files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    sizes = {p.name: p.stat().st_size for p in folder.iterdir()}
    hub = Hub(env, serve, [HUB_CLI, "worker"], work, files, sizes)
    hub.start_worker()
    return hub


# --------------------------------------------------------------------------
# the load


@dataclass
class Order:
    index: int
    session: str
    payment_intent: str
    email: str
    event: dict
    redeliver: bool = False
    refund: dict | None = None
    refund_first: bool = False


@dataclass
class Observed:
    t0: float = 0.0
    answers: list[tuple[float, float, int]] = field(default_factory=list)  # (sent at, seconds, status; 0: no answer)
    given_up: list[str] = field(default_factory=list)
    last_accepted: float = 0.0
    outage: tuple[float, float] | None = None  # PostgreSQL restart: (start, readyz ready again)
    restarting: bool = False
    refunded: set[str] = field(default_factory=set)  # buyers whose order is refunded: their links are gone (410)
    ready: list[tuple[float, int]] = field(default_factory=list)
    metrics: list[tuple[float, dict[str, float]]] = field(default_factory=list)
    console: list[tuple[float, float, int]] = field(default_factory=list)
    rss: list[tuple[float, int]] = field(default_factory=list)
    downloads: list[tuple[float, int, str]] = field(default_factory=list)  # (time, status, problem)
    bytes_checked: int = 0
    downloads_done: int = 0
    worker_killed_at: float = 0.0
    relay_down: tuple[float, float] | None = None
    notes: list[str] = field(default_factory=list)

    def in_outage(self, t: float, margin: float = 1.0) -> bool:
        return self.outage is not None and self.outage[0] - margin <= t <= self.outage[1] + margin


def make_orders(n: int, seed: int = 26) -> list[Order]:
    from hub.testing.stripe import charge_refunded, checkout_session_completed, stripe_id

    rng = random.Random(seed)
    orders = []
    for i in range(n):
        session, pi = stripe_id("cs_test"), stripe_id("pi")
        email = f"buyer-{i}@example.com"
        event = checkout_session_completed(session_id=session, payment_intent=pi, products=PRODUCT, email=email,
                                           name="Launch Buyer")
        orders.append(Order(i, session, pi, email, event))
    for o in rng.sample(orders, max(1, round(n * 0.05))):
        o.redeliver = True
    refunded = rng.sample(orders, max(1, round(n * 0.02)))
    for k, o in enumerate(refunded):
        o.refund = charge_refunded(payment_intent=o.payment_intent)
        o.refund_first = k % 3 == 0
    return orders


async def post_event(client, event: dict, obs: Observed, deadline: float) -> bool:
    """Send ``event`` until it is answered 2xx (signed afresh each time, as
    Stripe signs each delivery); waits 1, 2, 4, 8, 8 ... s between tries."""
    import httpx

    from hub.testing.stripe import webhook_request

    wait = 1.0
    while True:
        body, headers = webhook_request(event, SECRET)
        sent = time.monotonic()
        try:
            answer = await client.post(WEBHOOK, content=body, headers=headers)
            status = answer.status_code
        except httpx.HTTPError:
            status = 0
        obs.answers.append((sent, time.monotonic() - sent, status))
        if 200 <= status < 300:
            obs.last_accepted = max(obs.last_accepted, time.monotonic())
            return True
        if time.monotonic() > deadline:
            obs.given_up.append(event["id"])
            return False
        await asyncio.sleep(wait)
        wait = min(wait * 2, 8.0)


async def send_orders(url: str, orders: list[Order], seconds: float, obs: Observed, retry_until: float) -> None:
    """Every order's event at an even pace over ``seconds``; redeliveries and
    refunds a few seconds after (refunds sent first: a few seconds before)."""
    import httpx

    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=10) as client:
        tasks = []
        gap = seconds / max(1, len(orders))
        schedule: list[tuple[float, dict]] = []
        for o in orders:
            at = o.index * gap
            if o.refund is not None and o.refund_first:
                schedule.append((at, o.refund))
                at += min(3.0, seconds * 0.05)
            schedule.append((at, o.event))
            if o.redeliver:
                schedule.append((at + min(5.0, seconds * 0.1), o.event))
            if o.refund is not None and not o.refund_first:
                schedule.append((at + min(4.0, seconds * 0.08), o.refund))
        schedule.sort(key=lambda s: s[0])
        for at, event in schedule:
            delay = obs.t0 + at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(post_event(client, event, obs, retry_until)))
        await asyncio.gather(*tasks)


async def sample_readyz(url: str, obs: Observed, stop: asyncio.Event) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=2) as client:
        while not stop.is_set():
            t = time.monotonic()
            try:
                status = (await client.get("/readyz")).status_code
            except httpx.HTTPError:
                status = 0
            obs.ready.append((t, status))
            # Every second; every 0.2 s while PostgreSQL restarts (a fast restart lasts under a second).
            interval = 0.2 if obs.restarting else 1.0
            await asyncio.sleep(max(0.0, interval - (time.monotonic() - t)))


METRIC_LINE = re.compile(r'^(hub_(?:outbox_messages|inbox_events)\{status="(\w+)"\}|hub_\w+_oldest_pending_seconds)\s+(\S+)$', re.M)


async def sample_metrics(url: str, obs: Observed, stop: asyncio.Event) -> None:
    import httpx

    headers = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    async with httpx.AsyncClient(base_url=url, timeout=5) as client:
        while not stop.is_set():
            with contextlib.suppress(httpx.HTTPError):
                answer = await client.get("/metrics", headers=headers)
                if answer.status_code == 200:
                    figures = {m.group(1): float(m.group(3)) for m in METRIC_LINE.finditer(answer.text)}
                    obs.metrics.append((time.monotonic(), figures))
            await asyncio.sleep(2)


async def sample_console(url: str, obs: Observed, stop: asyncio.Event) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        form = await client.get("/console/login")
        token = re.search(r'name="_csrf_token" value="([^"]+)"', form.text)
        signed = await client.post("/console/login", data={"email": ADMIN, "password": PASSWORD, "next": "/console",
                                                           "_csrf_token": token.group(1) if token else ""})
        if signed.status_code != 303:
            obs.notes.append(f"console sign-in answered {signed.status_code}")
            return
        k = 0
        while not stop.is_set():
            page = CONSOLE_PAGES[k % len(CONSOLE_PAGES)]
            k += 1
            t = time.monotonic()
            try:
                status = (await client.get(page)).status_code
            except httpx.HTTPError:
                status = 0
            obs.console.append((t, time.monotonic() - t, status))
            await asyncio.sleep(0.5)


async def sample_memory(pid: int, obs: Observed, stop: asyncio.Event) -> None:
    while not stop.is_set():
        obs.rss.append((time.monotonic(), rss_kb(pid)))
        await asyncio.sleep(2)


async def buyer(client, link: str, resume: bool, hub: Hub, obs: Observed) -> None:
    """Open the download page of ``link`` (JSON), fetch each file, check its bytes."""
    import httpx

    async def get(url: str, headers: dict | None = None):
        try:
            answer = await client.get(url, headers=headers or {})
        except httpx.HTTPError as problem:
            obs.downloads.append((time.monotonic(), 0, f"{type(problem).__name__} on {url}"))
            return None
        if answer.status_code >= 400:
            obs.downloads.append((time.monotonic(), answer.status_code, f"{answer.status_code} on {url}"))
            return None
        return answer

    page = await get(link, {"Accept": "application/json"})
    if page is None:
        return
    for f in page.json()["data"]["files"]:
        size = f["size"]
        if resume and size > 1:
            first = await get(f["url"], {"Range": f"bytes=0-{size // 2 - 1}"})
            rest = await get(f["url"], {"Range": f"bytes={size // 2}-"}) if first is not None else None
            if first is None or rest is None:
                continue
            data = first.content + rest.content
        else:
            whole = await get(f["url"])
            if whole is None:
                continue
            data = whole.content
        name = f["path"].rsplit("/", 1)[-1]
        if hashlib.sha256(data).hexdigest() != hub.files.get(name):
            obs.downloads.append((time.monotonic(), -1, f"{name}: {len(data)} bytes, not the file's"))
        else:
            obs.bytes_checked += len(data)
    obs.downloads_done += 1


async def buyers(hub: Hub, relay: Relay, count: int, obs: Observed, wait_for: float) -> None:
    """``count`` buyers at once, from the first links the relay received."""
    import httpx

    deadline = time.monotonic() + wait_for
    while time.monotonic() < deadline:
        with relay.lock:
            links = [link for _, rcpt, _, link in relay.messages if link and rcpt not in obs.refunded]
        if len(set(links)) >= count:
            break
        await asyncio.sleep(0.5)
    links = list(dict.fromkeys(links))[:count]
    if len(links) < count:
        obs.notes.append(f"only {len(links)} download links had arrived for {count} buyers")
    limits = httpx.Limits(max_connections=count + 10, max_keepalive_connections=count + 10)
    async with httpx.AsyncClient(limits=limits, timeout=60, follow_redirects=True) as client:
        await asyncio.gather(*(buyer(client, link, k % 3 == 0, hub, obs) for k, link in enumerate(links)))


async def faults(args, hub: Hub, db: Database, relay: Relay, obs: Observed, seconds: float) -> None:
    async def at(fraction: float) -> None:
        await asyncio.sleep(max(0.0, obs.t0 + fraction * seconds - time.monotonic()))

    await at(0.3)
    obs.worker_killed_at = time.monotonic()
    hub.kill_worker()
    print(f"  {obs.worker_killed_at - obs.t0:5.1f} s  worker killed (kill -9); started again in 1 s", flush=True)
    await asyncio.sleep(1)
    hub.start_worker()
    if db.kind == "postgres" and not args.no_db_restart:
        await at(0.45)
        obs.restarting = True
        await asyncio.sleep(0.5)  # /readyz probes at the faster pace first
        start = time.monotonic()
        print(f"  {start - obs.t0:5.1f} s  PostgreSQL restarting", flush=True)
        await asyncio.to_thread(db.restart)
        # The outage lasts until /readyz says ready again (bounded: 60 s).
        end = time.monotonic()
        while time.monotonic() - end < 60:
            if any(t > end and s == 200 for t, s in obs.ready[-3:]):
                break
            await asyncio.sleep(0.2)
        obs.outage = (start, time.monotonic())
        obs.restarting = False
        print(f"  {time.monotonic() - obs.t0:5.1f} s  PostgreSQL back ({end - start:.1f} s restart, "
              f"ready again {obs.outage[1] - start:.1f} s after it began)", flush=True)
    await at(0.75)
    down = max(2.0, 60 * args.scale)
    relay.stop()
    t = time.monotonic()
    print(f"  {t - obs.t0:5.1f} s  relay down for {down:.0f} s", flush=True)
    await asyncio.sleep(down)
    relay.start()
    obs.relay_down = (t, time.monotonic())


async def supervise(hub: Hub, obs: Observed, stop: asyncio.Event) -> None:
    """A supervisor: a worker that exits (not killed by the scenario) is started again and noted."""
    while not stop.is_set():
        if hub.worker is not None and hub.worker.poll() is not None and time.monotonic() - obs.worker_killed_at > 2:
            obs.notes.append(f"the worker exited by itself ({hub.worker.returncode}) at "
                             f"{time.monotonic() - obs.t0:.0f} s; started again")
            hub.start_worker()
        await asyncio.sleep(0.5)


def queue_counts(db: Database) -> tuple[int, int]:
    """(inbox events not processed, emails not sent) in the database."""
    row = db.rows("select (select count(*) from hub_inbox_event where status in ('pending', 'processing')),"
                  " (select count(*) from hub_outbox_message where status in ('pending', 'sending'))")[0]
    return int(row[0]), int(row[1])


async def scenario(args, hub: Hub, db: Database, relay: Relay, orders: list[Order], seconds: float) -> Observed:
    obs = Observed(t0=time.monotonic() + 1, refunded={o.email for o in orders if o.refund is not None})
    stop = asyncio.Event()
    url = hub.serve.url
    samplers = [asyncio.create_task(c) for c in (
        sample_readyz(url, obs, stop), sample_metrics(url, obs, stop), sample_console(url, obs, stop),
        sample_memory(hub.serve.pid, obs, stop), supervise(hub, obs, stop))]
    retry_until = obs.t0 + seconds + args.drain_timeout
    load = asyncio.create_task(send_orders(url, orders, seconds, obs, retry_until))
    fault = asyncio.create_task(faults(args, hub, db, relay, obs, seconds))
    await asyncio.sleep(max(0.0, obs.t0 + 0.6 * seconds - time.monotonic()))
    print(f"  {time.monotonic() - obs.t0:5.1f} s  {args.buyers_now} buyers downloading at once", flush=True)
    shopping = asyncio.create_task(buyers(hub, relay, args.buyers_now, obs, wait_for=60 + 0.3 * seconds))
    await asyncio.gather(load, fault, shopping)
    print(f"  {time.monotonic() - obs.t0:5.1f} s  every event answered 2xx; waiting for the queues to drain",
          flush=True)
    limit = time.monotonic() + args.drain_timeout
    while time.monotonic() < limit:
        inbox, outbox = await asyncio.to_thread(queue_counts, db)
        if not inbox and not outbox:
            break
        await asyncio.sleep(0.5)
    else:
        obs.notes.append(f"queues not drained after {args.drain_timeout:.0f} s: {inbox} events, {outbox} emails left")
    await asyncio.sleep(3)  # a last scrape of /metrics and /readyz
    stop.set()
    await asyncio.gather(*samplers)
    return obs


# --------------------------------------------------------------------------
# the verdicts


def check(args, hub: Hub, db: Database, relay: Relay, orders: list[Order], obs: Observed, seconds: float) -> bool:
    n = len(orders)
    results: list[tuple[bool, str]] = []

    # 1. events answered within 1 s at p99 outside the restart; each order one purchase with tokens.
    inside = [a for a in obs.answers if not obs.in_outage(a[0])]
    latencies = [d for _, d, s in inside if 200 <= s < 300]
    refused_outside = [a for a in inside if not 200 <= a[2] < 300]
    refused_during = [a for a in obs.answers if obs.in_outage(a[0]) and not 200 <= a[2] < 300]
    p99 = percentile(latencies, 99) * 1000
    results.append((p99 <= 1000 and not refused_outside,
                    f"events answered p99 {p99:.0f} ms outside the restart (target <= 1000 ms), "
                    f"{len(obs.answers)} deliveries, {len(refused_outside)} refused outside the restart, "
                    f"{len(refused_during)} during it (sent again)"))

    purchases = db.rows("select provider_ref, id, status from hub_purchase")
    by_ref: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for ref, pid, status in purchases:
        by_ref[ref].append((pid, status))
    tokens: dict[str, list[bool]] = defaultdict(list)  # purchase -> revoked?, per token
    for purchase, revoked in db.rows("select purchase, revoked_at from hub_download_token where purchase is not null"):
        tokens[purchase].append(bool(revoked))
    wrong = []
    for o in orders:
        found = by_ref.get(o.session, [])
        if len(found) != 1:
            wrong.append(f"{o.session}: {len(found)} purchases")
            continue
        pid, status = found[0]
        live = [t for t in tokens.get(pid, []) if not t]
        if o.refund is None and not live:
            wrong.append(f"{o.session}: no live token")
        if o.refund is not None and live:
            wrong.append(f"{o.session}: refunded, {len(live)} tokens still live")
        if o.refund is not None and not o.refund_first and not tokens.get(pid):
            wrong.append(f"{o.session}: refunded after delivery, but it never had a token")
        if (o.refund is not None) != (status == "refunded"):
            wrong.append(f"{o.session}: status {status}, refund sent: {o.refund is not None}")
    extra = len(purchases) - sum(len(by_ref.get(o.session, [])) for o in orders)
    results.append((not wrong and not extra and not obs.given_up,
                    f"{n} orders -> {len(purchases)} purchases, {len(wrong)} wrong{': ' + '; '.join(wrong[:3]) if wrong else ''}"
                    f"{f', {extra} unexpected' if extra else ''}, refunded ones refunded "
                    f"({sum(1 for o in orders if o.refund)} refunds, {sum(1 for o in orders if o.refund_first)} "
                    f"before their order){f', {len(obs.given_up)} events given up' if obs.given_up else ''}"))

    # 2. exactly one delivery email per purchase; copies sharing a Message-ID <= 0.1 %.
    with relay.lock:
        messages = list(relay.messages)
    by_rcpt: dict[str, list[str]] = defaultdict(list)
    for _, rcpt, mid, _ in messages:
        by_rcpt[rcpt].append(mid)
    missing, several, copies = [], [], 0
    for o in orders:
        mids = by_rcpt.get(o.email, [])
        distinct = set(mids)
        copies += len(mids) - len(distinct)
        if o.refund_first and not mids:
            continue  # refunded before it was paid for: the hub may rightly send nothing
        if not mids:
            missing.append(o.email)
        elif len(distinct) > 1:
            several.append(o.email)
    share = copies / max(1, len(messages))
    results.append((not missing and not several and share <= 0.001,
                    f"{len(messages)} emails received: {len(missing)} purchases without one, {len(several)} with "
                    f"two different emails, {copies} copies sharing a Message-ID ({share:.2%}, target <= 0.1 %)"))

    # 3. backlog drained within 1.2 x N / R after the burst; 421s honoured.
    last_mail = max((t for t, *_ in messages), default=obs.t0)
    burst_end = max(obs.last_accepted, obs.t0 + seconds)
    drain = max(0.0, last_mail - burst_end)
    allowed = 1.2 * n / args.relay_rate
    undrained = any(note.startswith("queues not drained") for note in obs.notes)
    results.append((drain <= allowed and not undrained,
                    f"email backlog drained {drain:.1f} s after the burst (target <= 1.2 x N / R = {allowed:.0f} s)"))
    per_second = Counter(int(t) for t in relay.attempts)
    refused_seconds = Counter(int(t) for t in relay.refused)
    peak = max(per_second.values(), default=0)
    hammer_limit = 3 * args.relay_rate
    conns = Counter(int(t) for t in relay.connections)
    results.append((peak <= hammer_limit,
                    f"relay: {len(relay.refused)} answers 421 in {len(refused_seconds)} s, peak {peak} attempts/s and "
                    f"{max(conns.values(), default=0)} connections/s (limit {args.relay_rate}/s; no hammering: "
                    f"<= {hammer_limit} attempts/s)"))

    # 4. downloads: no 5xx outside the restart, bytes exact, memory flat.
    bad = [d for d in obs.downloads if (d[1] >= 500 or d[1] <= 0) and not obs.in_outage(d[0])]
    client_errors = [d for d in obs.downloads if 400 <= d[1] < 500]
    mismatched = [d for d in obs.downloads if d[1] == -1]
    rss = [kb for _, kb in obs.rss]
    half = len(rss) // 2
    first, second = max(rss[:half] or [0]), max(rss[half:] or [0])
    flat = second <= first * 1.2 + 20 * 1024
    results.append((not bad and not client_errors and not mismatched and obs.downloads_done == args.buyers_now,
                    f"{obs.downloads_done}/{args.buyers_now} buyers downloaded, {obs.bytes_checked / MiB:.0f} MiB "
                    f"checked, {len(bad)} 5xx/failures outside the restart, {len(client_errors)} 4xx, "
                    f"{len(mismatched)} wrong bytes{': ' + bad[0][2] if bad else ''}"
                    f"{': ' + client_errors[0][2] if client_errors else ''}"))
    results.append((flat, f"server memory {first / 1024:.0f} MiB (first half, peak) -> {second / 1024:.0f} MiB "
                          f"(second half, peak) (target: flat, <= +20 % + 20 MiB)"))

    # 5. console pages p99 <= 200 ms.
    by_page: dict[str, list[float]] = defaultdict(list)
    for k, (t, d, _) in enumerate(obs.console):
        if not obs.in_outage(t):
            by_page[CONSOLE_PAGES[k % len(CONSOLE_PAGES)]].append(d)
    console = [d for t, d, s in obs.console if not obs.in_outage(t)]
    console_bad = [s for t, d, s in obs.console if s != 200 and not obs.in_outage(t)]
    cp99 = percentile(console, 99) * 1000
    results.append((cp99 <= 200 and not console_bad and bool(console),
                    f"console pages p99 {cp99:.0f} ms over {len(console)} views outside the restart "
                    f"(target <= 200 ms; "
                    + ", ".join(f"{page} {percentile(v, 99) * 1000:.0f}" for page, v in by_page.items())
                    + f"){f', {len(console_bad)} not 200' if console_bad else ''}"))

    # 6. reconnects, /readyz reports the outage, /metrics depth and age.
    worker_alive = hub.worker is not None and hub.worker.poll() is None and hub.serve.proc.poll() is None
    reconnect = worker_alive and not any("exited by itself" in note for note in obs.notes)
    results.append((reconnect, f"serve and worker still running at the end, no restart but the kill -9 "
                               f"({hub.worker_starts} worker starts)"))
    if obs.outage is not None:
        seen = [s for t, s in obs.ready if obs.outage[0] <= t <= obs.outage[1]]
        unready = sum(1 for s in seen if s != 200)
        ready_after = any(s == 200 for t, s in obs.ready if t > obs.outage[1])
        results.append((unready > 0 and ready_after,
                        f"/readyz: {unready} of {len(seen)} probes during the restart answered not ready, ready after"))
    else:
        unready = [s for _, s in obs.ready if s != 200]
        results.append((not unready, f"/readyz: {len(obs.ready)} probes, {len(unready)} not ready (no database restart "
                                     f"on {db.kind})"))
    depth = max((f.get('hub_outbox_messages{status="pending"}', 0) for _, f in obs.metrics), default=0)
    age = max((f.get("hub_outbox_oldest_pending_seconds", 0) for _, f in obs.metrics), default=0)
    inbox_depth = max((f.get('hub_inbox_events{status="pending"}', 0) for _, f in obs.metrics), default=0)
    inbox_age = max((f.get("hub_inbox_oldest_pending_seconds", 0) for _, f in obs.metrics), default=0)
    have = bool(obs.metrics) and all('hub_outbox_messages{status="pending"}' in f and "hub_inbox_oldest_pending_seconds" in f
                                    for _, f in obs.metrics)
    results.append((have, f"/metrics: {len(obs.metrics)} scrapes; peak email queue {depth:.0f} (oldest {age:.0f} s), "
                          f"peak event queue {inbox_depth:.0f} (oldest {inbox_age:.0f} s)"))

    for note in obs.notes:
        print(f"  NOTE: {note}")
    for ok, line in results:
        print(f"  {verdict(ok)}  {line}")
    return all(ok for ok, _ in results)


# --------------------------------------------------------------------------


def run(args) -> bool:
    n, seconds = max(10, round(args.events * args.scale)), max(10.0, args.seconds * args.scale)
    args.buyers_now = max(5, round(args.buyers * args.scale))
    work = Path(tempfile.mkdtemp(prefix=f"hub-launch-{args.database}-"))
    (work / "logs").mkdir()
    db: Database | None = None
    hub: Hub | None = None
    relay = Relay(args.relay_rate)
    s3 = contextlib.ExitStack()
    ok = False
    try:
        if args.database == "sqlite":
            db = SqliteDatabase(work / "hubdata" / "hub.sqlite3")
        elif args.postgres_url:
            db = PostgresDatabase(args.postgres_url, args.restart_command or "")
            db.recreate()
        else:
            db = OwnCluster(work)
        endpoint = None
        if args.storage == "s3":
            # bench/requests.py would shadow the requests package moto imports.
            saved = sys.path[:]
            sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH]
            try:
                from tests.support.s3 import moto_s3_server
            finally:
                sys.path[:] = saved
            import logging

            logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's server logs every request
            endpoint = s3.enter_context(moto_s3_server())
        relay.start()
        print(f"[{db.kind}, {args.storage}] {n} orders over {seconds:.0f} s, relay {args.relay_rate}/s, "
              f"{args.buyers_now} buyers; serve --workers {args.serve_workers} + worker; work in {work}", flush=True)
        hub = start_hub(args, work, db, relay, endpoint)
        orders = make_orders(n)
        ours = [hub.serve.pid, *db.server_pids()]
        with ForeignLoad(*ours) as foreign:
            obs = asyncio.run(scenario(args, hub, db, relay, orders, seconds))
        print()
        print(f"Launch on {db.kind} with {args.storage} storage: {n} orders in {seconds:.0f} s")
        print(f"  (other processes on the machine used {foreign.cores:.2f} of its {os.cpu_count()} cores meanwhile)")
        ok = check(args, hub, db, relay, orders, obs, seconds)
        rows = [["webhook deliveries", str(len(obs.answers))], ["emails received", str(len(relay.messages))],
                ["relay 421s", str(len(relay.refused))], ["console views", str(len(obs.console))],
                ["/readyz probes", str(len(obs.ready))], ["/metrics scrapes", str(len(obs.metrics))]]
        print(table(["figure", "count"], rows))
    finally:
        if hub is not None:
            hub.stop()
        relay.stop()
        s3.close()
        if db is not None:
            db.close()
            if isinstance(db, PostgresDatabase) and not isinstance(db, OwnCluster):
                with contextlib.suppress(subprocess.SubprocessError):
                    db.psql(f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)', db="postgres")
        if args.keep or not ok:
            print(f"Logs kept in {work}/logs" + (f"\n{tail(work / 'logs' / 'worker.log', 10)}" if not ok else ""))
        else:
            shutil.rmtree(work, ignore_errors=True)
    return ok


def main() -> int:
    exit_cleanly_on_termination()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--storage", choices=["local", "s3"], default="local")
    parser.add_argument("--events", type=int, default=10_000, help="orders (N), each a checkout.session.completed")
    parser.add_argument("--seconds", type=float, default=600, help="over how long the orders come (D)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies N, D, the buyers and the relay outage")
    parser.add_argument("--relay-rate", type=int, default=30, help="messages a second the relay accepts (R)")
    parser.add_argument("--buyers", type=int, default=500, help="buyers downloading at once")
    parser.add_argument("--serve-workers", type=int, default=2, help="serve --workers")
    parser.add_argument("--drain-timeout", type=float, default=300, help="how long to wait for the queues to drain")
    parser.add_argument("--postgres-url", help="use this PostgreSQL database (DROPPED and created) instead of an own cluster")
    parser.add_argument("--restart-command", help="shell command that restarts the server of --postgres-url")
    parser.add_argument("--no-db-restart", action="store_true", help="leave PostgreSQL running (no restart fault)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, database)")
    args = parser.parse_args()
    if args.database == "postgres":
        need("psql", "apt-get install -y postgresql-client")
        if args.postgres_url and not args.restart_command and not args.no_db_restart:
            raise SystemExit("--postgres-url needs --restart-command (or --no-db-restart)")
    print(f"Machine: {machine_line()}")
    return 0 if run(args) else 1


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
