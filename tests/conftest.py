"""Fixtures: a hub on a real database (SQLite always, PostgreSQL when
``HUB_TEST_POSTGRES_URL`` is set), on local or S3 storage (a moto S3 server
on loopback), driven through httpx's ASGI transport in the test's own event loop.
"""

from __future__ import annotations

import asyncio
import os
import threading
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
from litestar import Litestar

from hub.app import create_app
from hub.testing.app import running, settings_for_tests
from hub.services.accounts import create_api_key, create_organization
from hub.settings import Settings
from hub.tables import ALL_TABLES
from tests.support.s3 import moto_s3_server

POSTGRES_URL = os.environ.get("HUB_TEST_POSTGRES_URL")
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


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    with moto_s3_server() as endpoint:
        yield endpoint


def _on_postgres(sql: str) -> None:
    """Run ``sql`` on the test database from a thread of its own (its own
    event loop), so that it never touches the tests' loop."""
    import asyncpg

    async def execute() -> None:
        connection = await asyncpg.connect(POSTGRES_URL)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    worker = threading.Thread(target=asyncio.run, args=(execute(),))
    worker.start()
    worker.join()


@pytest.fixture(scope="session")
def fresh_postgres() -> str:
    """The PostgreSQL test database, emptied once per session: whatever an
    earlier run (or an older schema) left there must not matter."""
    _on_postgres("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    return POSTGRES_URL  # type: ignore[return-value]


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


def empty_postgres() -> None:
    """Empty every hub table of the PostgreSQL test database (if migrated)."""
    tables = ", ".join(t._meta.tablename for t in ALL_TABLES)
    _on_postgres(
        "DO $$ BEGIN IF to_regclass('public.hub_product') IS NOT NULL THEN "
        f"EXECUTE 'TRUNCATE {tables} CASCADE'; END IF; END $$;"
    )


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hub.sqlite3'}"
    return request.getfixturevalue("fresh_postgres")


@pytest.fixture
def storage() -> str:
    """Override (or parametrize) in a test module to run on ``"s3"``."""
    return "local"


@pytest.fixture
def settings(database_url: str, storage: str, tmp_path, request: pytest.FixtureRequest) -> Settings:
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
    return settings_for_tests(tmp_path / "data", database_url=database_url, **extra)


async def _empty_postgres(app: Litestar) -> None:
    engine = app.state.hub.db.engine
    if engine.engine_type == "postgres":
        tables = ", ".join(t._meta.tablename for t in ALL_TABLES)
        await engine.run_ddl(f"TRUNCATE {tables} CASCADE")


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
