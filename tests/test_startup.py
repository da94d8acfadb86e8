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


def test_a_process_with_another_secret_key_refuses_to_start(fresh_database: str, tmp_path: Path):
    set_up = cli_env(HUB_DATABASE_URL=fresh_database, HUB_DATA_DIR=str(tmp_path / "data"), HUB_SECRET_KEY="the-first-key")
    assert run(set_up, tmp_path, "init", "--org", "shop").returncode == 0
    other = {**set_up, "HUB_SECRET_KEY": "another-key", "HUB_PORT": str(free_port())}
    for command in ("serve", "worker"):
        done = run(other, tmp_path, command)
        assert done.returncode != 0, done
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "HUB_SECRET_KEY differs" in lines[0], done.stderr
        assert "another-key" not in done.stderr
    # The database holds a fingerprint, never the key.
    same = {**set_up, "HUB_SMTP_URL": "smtp://127.0.0.1:1", "HUB_MAIL_FROM": "shop@example.com"}
    worker = start(same, tmp_path, "worker")
    try:
        assert "Delivering queued email" in worker.stdout.readline()
    finally:
        worker.terminate()
        worker.communicate(timeout=30)


def one_line_failure(done: subprocess.CompletedProcess, *fragments: str) -> str:
    """Assert a command failed with exactly one line on stderr, and no traceback."""
    assert done.returncode != 0, f"exit 0:\n{done.stdout}\n{done.stderr}"
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


@needs_postgres
def test_serving_a_database_that_does_not_exist_says_so_in_one_line(tmp_path: Path):
    env = cli_env(HUB_DATABASE_URL=with_database(POSTGRES_URL, "hub_no_such_database"), HUB_DATA_DIR=str(tmp_path / "d"))
    one_line_failure(run(env, tmp_path, "serve", "--port", str(free_port())), "hub_no_such_database", "does not exist")


def test_serving_a_database_on_a_wrong_port_says_so_in_one_line(tmp_path: Path):
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/hub"
    env = cli_env(HUB_DATABASE_URL=url, HUB_DATA_DIR=str(tmp_path / "d"), HUB_DATABASE_WAIT_SECONDS="0")
    one_line_failure(run(env, tmp_path, "serve", "--port", str(free_port())), "cannot reach the database", "HUB_DATABASE_URL")


def test_serve_waits_for_a_database_then_gives_up_with_one_line(tmp_path: Path):
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/hub"
    env = cli_env(HUB_DATABASE_URL=url, HUB_DATA_DIR=str(tmp_path / "d"), HUB_DATABASE_WAIT_SECONDS="2")
    done = run(env, tmp_path, "serve", "--port", str(free_port()))
    assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
    waiting, failure = done.stderr.strip().splitlines()
    assert waiting.startswith("Waiting up to 2 s for the database"), waiting
    assert "cannot reach the database" in failure and "waited 2 s" in failure, failure


@needs_postgres
def test_serve_waits_for_a_database_that_is_still_starting(tmp_path: Path):
    """The database's port opens only after ``serve`` has said it is waiting
    (a forwarder to the real PostgreSQL stands in for a server starting up)."""
    from tests.support.forwarder import tcp_forwarder

    real = urlsplit(POSTGRES_URL)
    port = free_port()
    url = urlunsplit(real._replace(netloc=f"{real.username or 'postgres'}@127.0.0.1:{port}", path="/" + real.path.lstrip("/")))
    http_port = free_port()
    env = cli_env(HUB_DATABASE_URL=url, HUB_DATA_DIR=str(tmp_path / "d"), HUB_DATABASE_WAIT_SECONDS="120", HUB_SECRET_KEY="end-to-end-secret")
    server = start(env, tmp_path, "serve", "--port", str(http_port))
    try:
        assert server.stderr.readline().startswith("Waiting up to 120 s for the database")
        with tcp_forwarder(port, real.hostname or "127.0.0.1", real.port or 5432):
            import time

            import httpx

            for _ in range(600):
                assert server.poll() is None, server.stderr.read()
                try:
                    if httpx.get(f"http://127.0.0.1:{http_port}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                raise AssertionError("serve never answered /healthz")
            server.terminate()
            server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()
        from tests.conftest import empty_postgres

        empty_postgres()


def test_serving_on_a_port_in_use_says_so_in_one_line(tmp_path: Path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = cli_env(HUB_DATA_DIR=str(tmp_path / "d"))
        one_line_failure(run(env, tmp_path, "serve", "--port", str(port)), f"cannot listen on 127.0.0.1:{port}", "in use")


def test_an_unsupported_database_url_says_so_in_one_line(tmp_path: Path):
    env = cli_env(HUB_DATABASE_URL="mysql://root@127.0.0.1/hub", HUB_DATA_DIR=str(tmp_path / "d"))
    for command in ("serve", "migrate", "worker"):
        one_line_failure(run(env, tmp_path, command), "Unsupported database URL")


def test_a_misspelt_plugin_name_stops_serve_in_one_line(tmp_path: Path):
    env = cli_env(HUB_DATA_DIR=str(tmp_path / "d"), HUB_PLUGINS="stripe,emial")
    one_line_failure(run(env, tmp_path, "serve", "--port", str(free_port())), "emial", "not installed")


def test_a_misspelt_setting_is_reported_as_unknown(tmp_path: Path):
    env = cli_env(HUB_DATA_DIR=str(tmp_path / "d"), HUB_DATABSE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    line = one_line_failure(run(env, tmp_path, "serve", "--port", str(free_port())), "unknown setting HUB_DATABSE_URL")
    assert "did you mean HUB_DATABASE_URL?" in line
    one_line_failure(run(env, tmp_path, "worker"), "unknown setting HUB_DATABSE_URL")


def test_settings_declared_by_a_loaded_plugin_are_known(tmp_path: Path):
    env = cli_env(HUB_DATA_DIR=str(tmp_path / "d"), HUB_STRIPE_WEBHOOK_SECRET="whsec_x", HUB_SMTP_URL="smtp://127.0.0.1:1")
    assert run(env, tmp_path, "migrate").returncode == 0
    env["HUB_PLUGINS"] = "email"
    one_line_failure(run(env, tmp_path, "migrate"), "unknown setting HUB_STRIPE_WEBHOOK_SECRET")


def test_worker_without_a_mailer_exits_non_zero(tmp_path: Path):
    env = cli_env(HUB_DATA_DIR=str(tmp_path / "d"))
    assert run(env, tmp_path, "init", "--org", "shop").returncode == 0  # else: "no database"
    done = run(env, tmp_path, "worker")
    assert done.returncode != 0
    assert "no mailer" in done.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize(
    "command",
    [
        ("keys", "list", "--org", "shop"),
        ("keys", "create", "--org", "shop"),
        ("buyers", "export", "buyer@example.com", "--org", "shop"),
        ("webhooks", "list", "--org", "shop"),
        ("worker",),
        ("serve", "--port", "0"),
    ],
    ids=lambda command: "-".join(command[:2]),
)
def test_a_command_run_where_no_database_exists_says_so_and_creates_nothing(tmp_path: Path, command):
    # The default database, ./data/hub.sqlite3, in a folder where init never
    # ran; no HUB_SECRET_KEY either, which would be made up in ./data/secret.key.
    env = cli_env(HUB_SMTP_URL="smtp://127.0.0.1:1", HUB_MAIL_FROM="shop@example.com")
    line = one_line_failure(run(env, tmp_path, *command), "no database at", "continuata-hub init")
    assert str(tmp_path / "data" / "hub.sqlite3") in line and "sqlite:///data/hub.sqlite3" in line, line
    assert list(tmp_path.iterdir()) == []  # no empty ./data left behind


def test_serve_with_an_smtp_server_but_no_sender_says_so_in_one_line(tmp_path: Path):
    env = cli_env(HUB_DATA_DIR=str(tmp_path / "d"), HUB_SECRET_KEY="k")
    assert run(env, tmp_path, "init", "--org", "shop").returncode == 0
    env["HUB_SMTP_URL"] = "smtp://127.0.0.1:1"
    for command in (("serve", "--port", str(free_port())), ("worker",)):
        done = run(env, tmp_path, *command)
        one_line_failure(done, "HUB_SMTP_URL is set but HUB_MAIL_FROM is not")
        assert done.returncode == 1, done.returncode


def test_every_command_that_opens_the_database_refuses_another_secret_key(fresh_database: str, tmp_path: Path):
    """A webhook secret sealed by a CLI run with another key could be opened
    by no server: every command that opens the database checks the key
    (``migrate`` alone does not: it reads and writes no secret)."""
    set_up = cli_env(HUB_DATABASE_URL=fresh_database, HUB_DATA_DIR=str(tmp_path / "data"), HUB_SECRET_KEY="the-first-key")
    assert run(set_up, tmp_path, "init", "--org", "shop").returncode == 0
    other = {**set_up, "HUB_SECRET_KEY": "another-key"}
    for command in (
        ("webhooks", "create", "--org", "shop", "--url", "https://shop.example.com/hooks"),
        ("webhooks", "rotate-secret", "--org", "shop", "whe_any"),
        ("webhooks", "list", "--org", "shop"),
        ("keys", "create", "--org", "shop"),
        ("keys", "list", "--org", "shop"),
        ("buyers", "export", "buyer@example.com", "--org", "shop"),
        ("init", "--org", "other-shop"),
    ):
        one_line_failure(run(other, tmp_path, *command), "HUB_SECRET_KEY differs")
    assert "No webhook endpoints" in run(set_up, tmp_path, "webhooks", "list", "--org", "shop").stdout
    assert run(other, tmp_path, "migrate").returncode == 0


def test_the_webhooks_command_refuses_a_misspelt_setting(tmp_path: Path):
    env = cli_env(HUB_DATA_DIR=str(tmp_path / "d"), HUB_SECRET_KEY="k", HUB_WEBHOOKS_ALLOW_PRIVTE="true")
    one_line_failure(run(env, tmp_path, "webhooks", "list", "--org", "shop"), "unknown setting HUB_WEBHOOKS_ALLOW_PRIVTE")
