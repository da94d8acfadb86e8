"""An app with chosen plugins, its lifespan run in the test's own loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import httpx
from litestar import Litestar

from hub.app import create_app
from hub.plugins import load_plugins
from hub.services.accounts import create_api_key, create_organization
from hub.settings import Settings

BUILTIN_PLUGINS = "stripe,paypal,email"
"""The plugins the hub ships, in ``HUB_PLUGINS`` syntax."""


def settings_for_tests(data_dir: Path, **overrides) -> Settings:
    """Settings for a test: SQLite and local blobs under ``data_dir``, the
    worker inline, a fast outbox backoff, no ``.env`` read, and ``HUB_PLUGINS``
    pinned to the hub's built-in plugins (for ``create_app(settings)``), so
    that whatever else is installed (a third-party mailer, say) cannot change
    a test; :func:`make_app`'s ``entry_points`` chooses otherwise."""
    return Settings(
        **{
            "data_dir": data_dir,
            "plugins": BUILTIN_PLUGINS,
            "public_url": "http://hub.test",
            "upload_part_size": 5 * 1024 * 1024,
            "outbox_backoff_seconds": 1,
            "inbox_backoff_seconds": 1,
            "secret_key": "test-secret-key",
            **overrides,
        }
    )


def make_app(
    settings: Settings, *, plugins: Iterable[tuple[str, object]] = (), entry_points: str | None = None
) -> Litestar:
    """An app with the ``(name, plugin)`` pairs given, plus the installed
    (entry-point) plugins that ``entry_points`` selects, in ``HUB_PLUGINS``
    syntax: ``"none"`` for none of them, ``"my-plugin"`` for yours alone,
    ``"all"`` (or ``""``) for every installed one; None (the default) takes
    ``settings.plugins``."""
    choice = settings.plugins if entry_points is None else entry_points
    return create_app(settings, plugins=load_plugins(choice, extra=plugins))


@contextlib.asynccontextmanager
async def running(app: Litestar) -> AsyncIterator[Litestar]:
    """Run the app's lifespan in a task of its own: its task group must be
    entered and exited by one task, and pytest-asyncio sets fixtures up and
    tears them down in different ones."""
    started, stop = asyncio.Event(), asyncio.Event()
    failure: list[BaseException] = []

    async def lifespan() -> None:
        try:
            async with app.lifespan():
                started.set()
                await stop.wait()
        except BaseException as exc:  # handed to the caller below
            failure.append(exc)
            started.set()

    task = asyncio.create_task(lifespan())
    await started.wait()
    if failure:
        raise failure[0]
    try:
        yield app
    finally:
        stop.set()
        await task
        if failure:
            raise failure[0]


@contextlib.asynccontextmanager
async def hub_client(app: Litestar, client_ip: str = "203.0.113.7") -> AsyncIterator[httpx.AsyncClient]:
    """Start ``app`` and yield an HTTP client for it (no network involved)."""
    async with running(app):
        # Litestar types the ASGI messages as TypedDicts, httpx as plain mappings: one protocol.
        transport = httpx.ASGITransport(app=app, client=(client_ip, 50000))  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url=app.state.hub.settings.public_url) as client:
            yield client


async def make_org(org_id: str, role: str = "admin") -> dict[str, str]:
    """Create an organization and return ``Authorization`` headers for a key."""
    await create_organization(org_id)
    secret, _ = await create_api_key(org_id, role)
    return {"Authorization": f"Bearer {secret}"}
