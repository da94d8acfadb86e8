"""Fixtures: a hub on a real database (SQLite always, PostgreSQL when
``HUB_TEST_POSTGRES_URL`` is set), on local or S3 storage (a moto S3 server
on loopback), driven through httpx's ASGI transport in the test's own event loop.

Databases are migrated once and copied (``tests/support/databases.py``):
each SQLite test gets a copy of a file migrated once per session; each
pytest-xdist worker gets a PostgreSQL database of its own, cloned from a
template migrated once, and emptied after every test that used it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from litestar import Litestar

from hub.app import create_app
from hub.services.accounts import create_api_key, create_organization
from hub.settings import Settings
from hub.tables import ALL_TABLES
from hub.testing.app import running, settings_for_tests
from tests.support.databases import (
    copy_sqlite,
    drop_database,
    execute,
    migrate_url,
    migrated_sqlite_template,
    migrated_template,
    recreate_database,
    with_database,
    worker_database_name,
)
from tests.support.s3 import moto_s3_server

POSTGRES_URL = os.environ.get("HUB_TEST_POSTGRES_URL")
"""The door: the tests make their own databases beside the one it names."""
WORKER_POSTGRES_URL = with_database(POSTGRES_URL, worker_database_name(POSTGRES_URL)) if POSTGRES_URL else None
"""This test process's own database (one per xdist worker), see ``fresh_postgres``."""
PUBLIC_URL = "http://hub.test"

DATABASES = [
    "sqlite",
    pytest.param(
        "postgres",
        marks=pytest.mark.skipif(
            not POSTGRES_URL,
            reason="PostgreSQL tests need HUB_TEST_POSTGRES_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)",
        ),
    ),
]


def pytest_configure(config: pytest.Config) -> None:
    """Nothing is written into the working tree: Hypothesis keeps its
    example database and caches in ``.hypothesis/`` of the current folder
    unless told otherwise, so it gets a temporary folder of this process
    (each xdist worker its own) and no example database: a failing example
    is printed in the failure (with its ``@reproduce_failure``), not
    replayed from a file by the next run."""
    import tempfile

    from hypothesis import settings as hypothesis_settings
    from hypothesis.configuration import set_hypothesis_home_dir

    config._hub_hypothesis_home = tempfile.mkdtemp(prefix="hub-tests-hypothesis-")  # type: ignore[attr-defined]
    set_hypothesis_home_dir(config._hub_hypothesis_home)  # type: ignore[attr-defined]
    hypothesis_settings.register_profile("hub-tests", database=None)
    hypothesis_settings.load_profile("hub-tests")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Refuse two tests with one node id: pytest-xdist keys its reports by
    node id, so it would run one of them and drop the others without a word
    (schemathesis' generated tests shared one until their fixture was
    parametrized)."""
    import collections

    shared = [nodeid for nodeid, count in collections.Counter(item.nodeid for item in items).items() if count > 1]
    if shared:
        raise pytest.UsageError("Tests sharing one node id (give them distinct ids): " + ", ".join(shared))


def pytest_unconfigure(config: pytest.Config) -> None:
    import shutil

    home = getattr(config, "_hub_hypothesis_home", None)
    if home:
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    with moto_s3_server() as endpoint:
        yield endpoint


def _on_postgres(sql: str) -> None:
    """Run ``sql`` on the database ``HUB_TEST_POSTGRES_URL`` names (to create
    or drop a database beside it) from a thread of its own (its own event
    loop), so that it never touches the tests' loop."""
    execute(POSTGRES_URL, sql)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def fresh_postgres() -> Iterator[str]:
    """This worker's PostgreSQL database, migrated: a clone of the template
    (migrated once, for all workers and later runs with the same migrations)
    made at the start of the session, so that whatever an earlier run left
    does not matter; dropped at its end."""
    template = migrated_template(POSTGRES_URL, migrate_url)  # type: ignore[arg-type]
    name = worker_database_name(POSTGRES_URL)  # type: ignore[arg-type]
    url = recreate_database(POSTGRES_URL, name, template=template)  # type: ignore[arg-type]
    yield url
    drop_database(POSTGRES_URL, name)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per session (per worker), copied per test."""
    return migrated_sqlite_template(tmp_path_factory.mktemp("template"))


@pytest.fixture(autouse=True)
def _postgres_left_empty(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a PostgreSQL test (and after its app stopped), empty every hub
    table: a message one test left queued must not be delivered into the
    next test's mailbox."""
    yield
    callspec = getattr(request.node, "callspec", None)
    params = callspec.params if callspec is not None else {}
    # The function-scoped parametrizations that may choose PostgreSQL (the
    # fuzz test's module-scoped server keeps its data across its tests).
    chosen = [params.get(name) for name in ("database_url", "database_settings", "hub")]
    if POSTGRES_URL and any(c == "postgres" or (isinstance(c, tuple) and "postgres" in c) for c in chosen):
        empty_postgres()


def _emptying_sql() -> str:
    """One statement deleting every row of every hub table (one statement:
    piccolo runs it as a prepared statement). ``DELETE`` of a few rows takes
    milliseconds where ``TRUNCATE`` of the 36 tables takes about a second;
    both leave the tables empty (only the serial counter of
    ``hub_upload_part`` is not reset, and no test reads it)."""
    deletes = ", ".join(f'd{n} AS (DELETE FROM "{table._meta.tablename}")' for n, table in enumerate(ALL_TABLES))
    return f"WITH {deletes} SELECT 1"


def empty_postgres() -> None:
    """Empty every hub table of this worker's PostgreSQL database (if made and migrated)."""
    import asyncpg

    try:
        execute(WORKER_POSTGRES_URL, _emptying_sql())  # type: ignore[arg-type]
    except (asyncpg.InvalidCatalogNameError, asyncpg.UndefinedTableError):
        pass  # no database yet, or no tables: nothing to empty


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return copy_sqlite(request.getfixturevalue("sqlite_template"), tmp_path / "hub.sqlite3")
    return request.getfixturevalue("fresh_postgres")


@pytest.fixture
def storage() -> str:
    """Override (or parametrize) in a test module to run on ``"s3"``."""
    return "local"


@pytest.fixture
def fast_lanes() -> bool:
    """Parametrize to ``False`` to run with ``HUB_FAST_LANES=off``: every
    request through Litestar's routed path (see :mod:`hub.bypasses`)."""
    return True


@pytest.fixture
def settings(database_url: str, storage: str, fast_lanes: bool, tmp_path, request: pytest.FixtureRequest) -> Settings:
    extra: dict[str, object] = {}
    if storage == "s3":
        endpoint = request.getfixturevalue("s3_endpoint")
        extra = dict(
            storage="s3",
            s3_bucket=f"hub-{secrets.token_hex(6)}",
            s3_endpoint_url=endpoint,
            s3_access_key_id="testing",
            s3_secret_access_key="testing",
        )
    return settings_for_tests(tmp_path / "data", database_url=database_url, fast_lanes=fast_lanes, **extra)


async def _empty_postgres(app: Litestar) -> None:
    engine = app.state.hub.db.engine
    if engine.engine_type == "postgres":
        await engine.run_ddl(_emptying_sql())


@pytest.fixture
async def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the app, in the test's own event loop.

    The app's lifespan runs in this loop too (Litestar's AsyncTestClient
    would run it in a portal thread, whose loop the PostgreSQL pool would
    then belong to).
    """
    async with running(app):
        await _empty_postgres(app)
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
        async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as test_client:
            yield test_client


@dataclass
class Org:
    id: str
    admin: dict[str, str]
    member: dict[str, str]
    viewer: dict[str, str]


async def make_org(org_id: str) -> Org:
    await create_organization(org_id)
    keys = {}
    for role in ("admin", "member", "viewer"):
        secret, _ = await create_api_key(org_id, role)
        keys[role] = {"Authorization": f"Bearer {secret}"}
    return Org(org_id, keys["admin"], keys["member"], keys["viewer"])


@pytest.fixture
async def org(client: httpx.AsyncClient) -> Org:
    return await make_org("audio-company")


@pytest.fixture
async def other_org(client: httpx.AsyncClient) -> Org:
    return await make_org("other-shop")


def ok(response: httpx.Response, status: int = 200) -> dict:
    """The ``data`` of a successful main-API response, with a clear failure."""
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    body = response.json()
    assert body["success"] is True, body
    return body.get("data", body)


def fails(response: httpx.Response, status: int, *fragments: str) -> str:
    """Assert the main API's error envelope; returns the error message."""
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    body = response.json()
    assert body["success"] is False and isinstance(body["error"], str), body
    for fragment in fragments:
        assert fragment in body["error"], f"{fragment!r} not in {body['error']!r}"
    return body["error"]
