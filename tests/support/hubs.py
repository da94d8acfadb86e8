"""Hubs the plugin tests run against, shared by their modules.

* :func:`hub_driving_its_worker`: a running hub with one plugin and its
  worker off, so that the test runs the worker's passes itself.
* The fixtures ``smtp``, ``settings`` and ``app``: a hub whose email plugin
  sends through a test SMTP server (import them into a test module to use
  them there; they replace the conftest's ``settings`` and ``app``).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
from litestar import Litestar

from hub.testing.app import hub_client, make_app, settings_for_tests
from hub.testing.smtp import smtp_server
from tests.conftest import _empty_postgres

SHOP_FROM = "Audio Company <shop@audio.example>"


@contextlib.asynccontextmanager
async def hub_driving_its_worker(
    database_url: str, tmp_path, name: str, plugin: object, **settings
) -> AsyncIterator[Litestar]:
    """A running hub whose only plugin is ``plugin`` (registered as ``name``)
    and whose worker is off, so that the test drives the worker itself."""
    app = make_app(
        settings_for_tests(tmp_path / "data", database_url=database_url, worker="off", **settings),
        plugins=[(name, plugin)],
        entry_points="none",
    )
    async with hub_client(app):
        await _empty_postgres(app)
        try:
            yield app
        finally:
            # Leave nothing pending in the shared PostgreSQL database: the
            # next test's inline worker would act on it before that test
            # empties it.
            await _empty_postgres(app)


@pytest.fixture
def smtp():
    with smtp_server() as server:
        yield server


@pytest.fixture
def settings(database_url, tmp_path, smtp):
    return settings_for_tests(
        tmp_path / "data", database_url=database_url, extra={"HUB_SMTP_URL": smtp.url, "HUB_MAIL_FROM": SHOP_FROM}
    )


@pytest.fixture
async def app(settings):
    return make_app(settings, entry_points="email")
