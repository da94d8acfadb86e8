"""The database's one owner (:class:`hub.db.Database`): imports without side
effects, long-lived SQLite connections shared by readers and a writer,
writers of two processes on one SQLite file, and the raw-SQL door."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from piccolo.querystring import QueryString

from hub.clock import utcnow
from hub.db import Database
from hub.db.engines import compile_placeholders
from hub.db.sqlite_connection import DISK_THREADS
from hub.secrets import hash_secret
from hub.tables import InstanceFact
from tests.conftest import POSTGRES_URL

ROOT = Path(__file__).resolve().parent.parent


def test_importing_every_module_creates_nothing_and_sets_no_variable(tmp_path: Path):
    """Importing any module of ``hub`` or ``continuata_plugins`` leaves the
    working folder empty and ``os.environ`` as it was (no ``./data``, no
    ``PICCOLO_CONF``)."""
    script = textwrap.dedent(
        """
        import importlib, json, os, pkgutil, sys
        before = dict(os.environ)
        imported = []
        for package_name in ("hub", "continuata_plugins"):
            package = importlib.import_module(package_name)
            for module in pkgutil.walk_packages(package.__path__, package_name + "."):
                if module.name.endswith(".__main__"):
                    continue  # running the CLI is not importing it
                importlib.import_module(module.name)
                imported.append(module.name)
        after = dict(os.environ)
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        print(json.dumps({"imported": imported, "changed": changed, "left": sorted(os.listdir("."))}))
        """
    )
    folder = tmp_path / "empty"
    folder.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "PICCOLO"))}
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    done = subprocess.run([sys.executable, "-c", script], cwd=folder, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert "hub.db" in report["imported"] and "hub.piccolo_conf" in report["imported"]
    assert any(name.startswith("continuata_plugins.") for name in report["imported"])
    assert report["changed"] == []
    assert report["left"] == []
    assert list(folder.iterdir()) == []


def test_piccolo_command_line_finds_the_hub_app_without_creating_data(tmp_path: Path):
    """piccolo's own tooling still works through ``hub.piccolo_conf``, on the
    database ``HUB_DATABASE_URL`` names; no ``./data`` appears."""
    piccolo = Path(sys.executable).with_name("piccolo")
    if not piccolo.exists():
        pytest.skip("piccolo's command line is not installed next to this Python")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "PICCOLO"))}
    database = tmp_path / "db" / "hub.sqlite3"
    env.update(PICCOLO_CONF="hub.piccolo_conf", HUB_DATABASE_URL=f"sqlite:///{database}", PYTHONPATH=str(ROOT))
    folder = tmp_path / "work"
    folder.mkdir()
    done = subprocess.run([str(piccolo), "migrations", "check"], cwd=folder, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "hub" in done.stdout
    assert list(folder.iterdir()) == []


@pytest.fixture
async def db(database_url: str) -> Database:
    database = Database(database_url)
    async with database:
        await database.migrate()
        yield database


async def test_raw_sql_reads_and_writes_through_the_engine_and_its_transactions(db: Database):
    now = utcnow()
    await db.execute("INSERT INTO hub_instance_fact (name, value, created_at) VALUES ({}, {}, {})", "raw", "one", now)
    assert (await db.fetch_one("SELECT value FROM hub_instance_fact WHERE name = {}", "raw")) == {"value": "one"}
    assert await db.fetch_one("SELECT value FROM hub_instance_fact WHERE name = {}", "none") is None
    with pytest.raises(RuntimeError):
        async with db.write_transaction():
            await db.execute("UPDATE hub_instance_fact SET value = {} WHERE name = {}", "two", "raw")
            assert await db.fetch("SELECT value FROM hub_instance_fact WHERE name = {}", "raw") == [{"value": "two"}]
            raise RuntimeError("roll it back")
    assert await db.fetch("SELECT value FROM hub_instance_fact WHERE name = {}", "raw") == [{"value": "one"}]
    # piccolo's queries and the raw door see the same rows.
    assert await InstanceFact.select(InstanceFact.value).where(InstanceFact.name == "raw").first() == {"value": "one"}
    # Literal braces are written doubled, as in piccolo's QueryString; a value is never SQL.
    assert await db.fetch_one("SELECT {} || '{{x}}' AS v, {} AS w", "'; DROP TABLE x; --", "2") == {
        "v": "'; DROP TABLE x; --{x}", "w": "2",
    }


@pytest.mark.parametrize(
    ("sql", "sqlite", "postgres"),
    [
        ("SELECT 1", "SELECT 1", "SELECT 1"),
        ("a = {} AND b IN ({}, {})", "a = ? AND b IN (?, ?)", "a = $1 AND b IN ($2, $3)"),
        ("'{{}}' = {}", "'{}' = ?", "'{}' = $1"),
        ("{{{}}}", "{?}", "{$1}"),
    ],
)
def test_raw_sql_placeholders_compile_to_each_dialect_as_piccolo_does(sql, sqlite, postgres):
    assert compile_placeholders(sql, postgres=False) == sqlite
    assert compile_placeholders(sql, postgres=True) == postgres
    if "{{" not in sql:  # piccolo gives a doubled brace an argument of its own: no model there
        for engine_type, compiled in (("sqlite", sqlite), ("postgres", postgres)):
            assert QueryString(sql, *range(sql.count("{}"))).compile_string(engine_type=engine_type)[0] == compiled


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_sqlite_readers_read_while_the_writer_writes_on_long_lived_connections(db: Database):
    """Queries borrow the pool's connections: readers are not held up by an
    open write transaction (WAL) and see only what it committed; hundreds of
    queries open no new connection, and no thread beyond the few that wait
    for the disk's sync (:data:`hub.db.sqlite_connection.DISK_THREADS`)."""
    digest = hash_secret("ct_download_nothing")
    threads_before = threading.active_count()

    in_transaction, may_commit = asyncio.Event(), asyncio.Event()

    async def writer() -> None:
        async with db.write_transaction():
            await InstanceFact.insert(InstanceFact(name="pending", value="x", created_at=utcnow()))
            in_transaction.set()
            await may_commit.wait()

    async def reader() -> list:
        return await InstanceFact.select(InstanceFact.name).where(InstanceFact.name == "pending")

    writing = asyncio.create_task(writer())
    await in_transaction.wait()
    # Many readers at once, while the writer holds its transaction open.
    seen = await asyncio.wait_for(asyncio.gather(*(reader() for _ in range(40))), timeout=10)
    assert all(rows == [] for rows in seen)
    async with db.read():  # several reads on one connection, the writer still open
        assert await reader() == []
        assert await db.fetch("SELECT id FROM hub_download_token WHERE token_hash = {}", digest) == []
    may_commit.set()
    await writing
    assert await reader() == [{"name": "pending"}]
    # Connections have no thread of their own: statements run on the loop's
    # thread, and those that wait for the disk in a few shared threads.
    for number in range(100):
        await InstanceFact.select().where(InstanceFact.name == "pending").first()
        await InstanceFact.update({InstanceFact.value: str(number)}).where(InstanceFact.name == "pending")
    assert threading.active_count() <= threads_before + DISK_THREADS


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_sqlite_writers_of_one_process_take_turns_on_the_writer(db: Database):
    """Concurrent read-then-write transactions of one process never fail with
    "database is locked" and lose no update."""
    await db.execute("INSERT INTO hub_instance_fact (name, value, created_at) VALUES ({}, {}, {})", "counter", "0", utcnow())

    async def increment() -> None:
        async with db.write_transaction():
            row = await db.fetch_one("SELECT value FROM hub_instance_fact WHERE name = {}", "counter")
            await asyncio.sleep(0)  # let the others try to get in between
            await db.execute("UPDATE hub_instance_fact SET value = {} WHERE name = {}", str(int(row["value"]) + 1), "counter")

    await asyncio.gather(*(increment() for _ in range(50)))
    assert await db.fetch_one("SELECT value FROM hub_instance_fact WHERE name = {}", "counter") == {"value": "50"}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_write_first_goes_ahead_of_the_writers_waiting_and_a_cancelled_waiter_gives_up_its_turn(db: Database):
    """The writer's turns are first come, first served, except for
    :meth:`Database.write_first`; a waiter cancelled before or just as its
    turn came never keeps the writer from the next one."""
    await db.execute("INSERT INTO hub_instance_fact (name, value, created_at) VALUES ({}, {}, {})", "order", "", utcnow())
    holding, may_end = asyncio.Event(), asyncio.Event()

    async def append(mark: str) -> None:
        async with db.write_transaction():
            await db.execute("UPDATE hub_instance_fact SET value = value || {} WHERE name = {}", mark, "order")

    async def hold() -> None:
        async with db.write_transaction():
            await db.execute("UPDATE hub_instance_fact SET value = value || 'h' WHERE name = {}", "order")
            holding.set()
            await may_end.wait()

    holder = asyncio.create_task(hold())
    await holding.wait()
    waiting = [asyncio.create_task(append(mark)) for mark in "ab"]
    cancelled = asyncio.create_task(append("x"))
    await asyncio.sleep(0.01)
    first = asyncio.create_task(db.write_first("UPDATE hub_instance_fact SET value = value || 'F' WHERE name = {}", "order"))
    await asyncio.sleep(0.01)
    cancelled.cancel()
    may_end.set()
    await asyncio.gather(holder, first, *waiting)
    assert await db.fetch_one("SELECT value FROM hub_instance_fact WHERE name = {}", "order") == {"value": "hFab"}



async def test_a_writer_turn_handed_to_a_waiter_cancelled_meanwhile_passes_on():
    from hub.db.engines import _WriterTurns

    turns = _WriterTurns()
    await turns.acquire()
    unlucky, next_one = asyncio.create_task(turns.acquire()), asyncio.create_task(turns.acquire())
    await asyncio.sleep(0)
    turns.release()  # the unlucky waiter's turn, before it has run
    unlucky.cancel()
    with pytest.raises(asyncio.CancelledError):
        await unlucky
    await asyncio.wait_for(next_one, timeout=5)
    assert turns.held
    turns.release()
    assert not turns.held and not turns.waiting and not turns.waiting_first


@pytest.mark.skipif(not POSTGRES_URL, reason="needs HUB_TEST_POSTGRES_URL")
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_postgres_queries_outside_a_transaction_use_the_pool(db: Database):
    """Every query outside a transaction borrows a pooled connection: the
    same few server processes answer, where a connection per query would
    show a new one each time."""
    raw = {(await db.fetch_one("SELECT pg_backend_pid() AS pid"))["pid"] for _ in range(20)}
    piccolo = {(await InstanceFact.raw("SELECT pg_backend_pid() AS pid"))[0]["pid"] for _ in range(20)}
    assert len(raw | piccolo) <= 2


COUNTING_PROCESS = """
import asyncio, sys
from hub.db import Database

async def main(url, times):
    async with Database(url) as db:
        await db.migrate()
        for _ in range(times):
            async with db.write_transaction():
                row = await db.fetch_one("SELECT value FROM hub_instance_fact WHERE name = {}", "counter")
                await asyncio.sleep(0)
                await db.execute("UPDATE hub_instance_fact SET value = {} WHERE name = {}", str(int(row["value"]) + 1), "counter")

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""


def test_two_processes_writing_one_sqlite_file_lose_nothing(tmp_path: Path):
    """Two processes (``serve --workers 2`` on SQLite) each run read-then-write
    transactions on one file: SQLite's lock and the busy timeout keep them
    apart, and no increment is lost."""
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    done = subprocess.run(
        [sys.executable, "-c", "import asyncio, sys\n" + PREPARE, url], cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    times = 150
    processes = [
        subprocess.Popen([sys.executable, "-c", COUNTING_PROCESS, url, str(times)], cwd=tmp_path, env=_env(), stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    errors = [p.communicate(timeout=180)[1] for p in processes]
    assert [p.returncode for p in processes] == [0, 0], errors
    check = subprocess.run(
        [sys.executable, "-c", "import asyncio, sys\n" + READ_COUNTER, url], cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=120
    )
    assert check.stdout.strip() == str(2 * times), check.stderr


PREPARE = """
from hub.clock import utcnow
from tests.conftest import POSTGRES_URL
from hub.db import Database

async def main(url):
    async with Database(url) as db:
        await db.migrate()
        await db.execute("INSERT INTO hub_instance_fact (name, value, created_at) VALUES ({}, {}, {})", "counter", "0", utcnow())

asyncio.run(main(sys.argv[1]))
"""

READ_COUNTER = """
from hub.db import Database

async def main(url):
    async with Database(url) as db:
        print((await db.fetch_one("SELECT value FROM hub_instance_fact WHERE name = {}", "counter"))["value"])

asyncio.run(main(sys.argv[1]))
"""


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "PICCOLO"))}
    env["PYTHONPATH"] = str(ROOT)
    return env


@pytest.mark.skipif(not POSTGRES_URL, reason="needs HUB_TEST_POSTGRES_URL")
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_postgres_raw_statements_keep_a_few_connections_and_give_them_back(db: Database):
    """Raw statements outside a transaction run on connections the engine
    keeps between them (a pool checkout costs more than a short query):
    many at once all answer, a failing one leaves nothing broken behind, a
    transaction still gets a connection, and closing gives every one back."""
    from hub.db.engines import HELD_CONNECTIONS

    answers = await asyncio.gather(*(db.fetch_one("SELECT CAST({} AS integer) AS n, pg_sleep(0.01)", n) for n in range(40)))
    assert [a["n"] for a in answers] == list(range(40))
    assert len(db.engine._held()) == HELD_CONNECTIONS
    with pytest.raises(Exception, match="syntax"):
        await db.fetch("SELEKT 1")
    assert await db.fetch_one("SELECT 1 AS one") == {"one": 1}
    async with db.write_transaction():
        assert await db.fetch_one("SELECT 2 AS two") == {"two": 2}
    await asyncio.wait_for(db.close(), timeout=10)  # waits for every lent connection
    assert db.engine._held() == []
