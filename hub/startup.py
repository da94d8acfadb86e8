"""What a process checks before it serves: the things an operator gets wrong.

Each check ends in a :class:`StartupError` whose message is one line that
says what is wrong and what to do; the CLI prints it and exits non-zero,
instead of a traceback. The checks:

- the database is reachable (``serve`` and ``worker`` wait for one that is
  still starting, up to ``HUB_DATABASE_WAIT_SECONDS``);
- the secret key is the one the database was set up with (a fingerprint is
  stored at first start; never the key);
- every ``HUB_*`` variable is one the hub or a loaded plugin knows;
- a command that works on the hub's data finds its SQLite database (only
  ``init`` and ``migrate`` create one).
"""

from __future__ import annotations

import asyncio
import difflib
import hashlib
import hmac
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import urlsplit

from hub.clock import utcnow
from hub.db import Database
from hub.faults import CRASH_AT_VARIABLE

SECRET_KEY_FACT = "secret_key_fingerprint"
FINGERPRINT_LABEL = b"continuata-hub secret key fingerprint v1"

KNOWN_OUTSIDE_SETTINGS = frozenset({"HUB_API_URL", "HUB_API_KEY", "HUB_TEST_POSTGRES_URL", CRASH_AT_VARIABLE})
"""``HUB_*`` variables read by the upload client and the test suite (the
crash tests' ``HUB_TEST_CRASH_AT``, :mod:`hub.faults`), not as settings."""


class StartupError(RuntimeError):
    """The process cannot start; the message is one line for the operator."""


def check_database_exists(url: str) -> None:
    """Refuse a SQLite database that does not exist yet.

    Every command but ``init`` and ``migrate`` works on what ``init`` set
    up: run in the wrong folder (the default database is relative to it),
    it would otherwise create an empty ``./data/`` and find nothing in it,
    silently. A PostgreSQL database that does not exist is reported by the
    server itself (:func:`wait_for_database`).
    """
    if urlsplit(url).scheme != "sqlite" or not url.startswith("sqlite:///"):
        return
    path = Path(url[len("sqlite:///"):])
    if not path.exists():
        raise StartupError(
            f"no database at {path.absolute()} ({url}): create it with `continuata-hub init --org ID`, "
            "or point HUB_DATABASE_URL (or HUB_DATA_DIR) at the hub's database"
        )


def where(url: str) -> str:
    """``host:port/dbname`` of a database URL, without its password."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        return url
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path}"


async def wait_for_database(url: str, wait_seconds: int, say: Callable[[str], None]) -> None:
    """Return once the database at ``url`` accepts a connection.

    A refused connection, or a server still starting up, is retried every
    second until ``wait_seconds`` have passed (an orchestrator may start the
    hub and its database together). A database that does not exist or a
    refused login is final at once: waiting would not change it.
    """
    if urlsplit(url).scheme not in {"postgres", "postgresql"}:
        return
    import asyncpg

    deadline = time.monotonic() + wait_seconds
    said = False
    while True:
        try:
            connection = await asyncpg.connect(url, timeout=5)
        except asyncpg.InvalidCatalogNameError:
            raise StartupError(
                f"the database {where(url)} does not exist: create it (createdb) or fix HUB_DATABASE_URL"
            ) from None
        except (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError) as problem:
            raise StartupError(f"PostgreSQL at {where(url)} refused the login: {problem}") from None
        except (OSError, asyncio.TimeoutError, asyncpg.CannotConnectNowError, asyncpg.TooManyConnectionsError) as problem:
            if time.monotonic() >= deadline:
                reason = str(problem) or type(problem).__name__
                raise StartupError(
                    f"cannot reach the database at {where(url)} ({reason}); waited {wait_seconds} s "
                    "(HUB_DATABASE_WAIT_SECONDS); check HUB_DATABASE_URL"
                ) from None
            if not said:
                say(f"Waiting up to {wait_seconds} s for the database at {where(url)} ({problem}) ...")
                said = True
            await asyncio.sleep(1)
        else:
            await connection.close()
            return


def check_listen_address(host: str, port: int) -> None:
    """Refuse early, in one line, an address ``serve`` cannot listen on (a
    port in use, a host that is not this machine's), before the database is
    touched; uvicorn would only find out after the application started."""
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as problem:
        reason = problem.strerror or str(problem)
        raise StartupError(f"cannot listen on {host}:{port}: {reason} (--host/--port, HUB_HOST/HUB_PORT)") from None


def secret_key_fingerprint(key: str) -> str:
    """An HMAC of a fixed label under the key: equal keys give equal
    fingerprints, and the fingerprint reveals nothing of the key."""
    return hmac.new(key.encode(), FINGERPRINT_LABEL, hashlib.sha256).hexdigest()


async def check_secret_key(db: Database, key: str) -> None:
    """Refuse to start with a secret key other than the database's.

    The first process to start records the key's fingerprint; every later
    one compares. Without this, processes with different keys would seal
    emails the others cannot open, found only later in a worker's log.
    """
    from hub.tables import InstanceFact

    fingerprint = secret_key_fingerprint(key)
    await InstanceFact.insert(
        InstanceFact(name=SECRET_KEY_FACT, value=fingerprint, created_at=utcnow())
    ).on_conflict(action="DO NOTHING")
    stored = await InstanceFact.select(InstanceFact.value).where(InstanceFact.name == SECRET_KEY_FACT).first()
    if stored and not hmac.compare_digest(stored["value"], fingerprint):
        raise StartupError(
            "HUB_SECRET_KEY differs from the one this database was set up with: "
            "give every process the same HUB_SECRET_KEY"
        )


def unknown_settings(present: Iterable[str], known: Iterable[str]) -> list[str]:
    """One line per ``HUB_*`` variable nobody reads, with the nearest known
    name when there is one (``HUB_DATABSE_URL`` → ``HUB_DATABASE_URL``)."""
    known = sorted(set(known) | KNOWN_OUTSIDE_SETTINGS)
    lines = []
    for name in sorted(present):
        if name in known:
            continue
        nearest = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
        hint = f" (did you mean {nearest[0]}?)" if nearest else ""
        lines.append(f"unknown setting {name}{hint}")
    return lines
