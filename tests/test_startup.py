"""Starting processes: several at once, with the wrong secret key, or
misconfigured. Each runs the real ``continuata-hub`` CLI as a subprocess."""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.conftest import POSTGRES_URL, _on_postgres
from tests.support.server import free_port, hub_command

needs_postgres = pytest.mark.skipif(not POSTGRES_URL, reason="needs HUB_TEST_POSTGRES_URL")


def cli_env(**settings: str) -> dict[str, str]:
    """The caller's environment without any ``HUB_*`` variable, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(settings)
    return env


def start(env: dict[str, str], cwd: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(hub_command(*args), env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run(env: dict[str, str], cwd: Path, *args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    return subprocess.run(hub_command(*args), env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture
def fresh_postgres_database() -> Iterator[str]:
    """A PostgreSQL database created for this test (no tables at all) and dropped after."""
    name = f"hub_fresh_{secrets.token_hex(4)}"
    _on_postgres(f"CREATE DATABASE {name}")
    try:
        yield with_database(POSTGRES_URL, name)  # type: ignore[arg-type]
    finally:
        _on_postgres(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=needs_postgres)])
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh' / 'hub.sqlite3'}"
    return request.getfixturevalue("fresh_postgres_database")


def test_three_migrate_processes_started_at_once_on_a_fresh_database_all_succeed(fresh_database: str, tmp_path: Path):
    env = cli_env(HUB_DATABASE_URL=fresh_database, HUB_DATA_DIR=str(tmp_path / "data"), HUB_SECRET_KEY="k")
    processes = [start(env, tmp_path, "migrate") for _ in range(3)]
    outcomes = [(p.wait(timeout=120), p.stderr.read()) for p in processes]
    for process in processes:
        process.stdout.close()
        process.stderr.close()
    assert [code for code, _ in outcomes] == [0, 0, 0], outcomes
