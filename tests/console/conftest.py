"""Console fixtures: a running hub (SQLite and PostgreSQL), its people, and
a signed-in browser-like client (cookies kept, forms posted with their
CSRF token)."""

from __future__ import annotations

import re
from contextlib import asynccontextmanager

import httpx
import pytest

from hub.services.accounts import create_organization
from hub.services.people import create_user
from hub.testing.app import make_app, running
from hub.testing.mailbox import CapturedMailbox, PlainEmails

PASSWORD = "correct horse battery staple"
OWNER = "owner@example.com"


def csrf_of(page: str) -> str:
    found = re.search(r'name="_csrf_token" value="([^"]+)"', page)
    assert found, f"no CSRF field in:\n{page[:2000]}"
    return found.group(1)


@asynccontextmanager
async def browser_of(app, ip: str = "203.0.113.7"):
    """A client of ``app`` from ``ip`` that keeps cookies, as a browser would."""
    transport = httpx.ASGITransport(app=app, client=(ip, 50000))
    async with httpx.AsyncClient(transport=transport, base_url=app.state.hub.settings.public_url) as client:
        yield client


async def sign_in(client: httpx.AsyncClient, email: str = OWNER, password: str = PASSWORD) -> httpx.Response:
    form = await client.get("/console/login")
    return await client.post(
        "/console/login", data={"email": email, "password": password, "_csrf_token": csrf_of(form.text), "next": "/console"}
    )


async def post_form(client: httpx.AsyncClient, page_url: str, action: str, **fields) -> httpx.Response:
    """Open ``page_url`` and post ``fields`` to ``action`` with the page's CSRF token."""
    page = await client.get(page_url)
    assert page.status_code == 200, page.text
    return await client.post(action, data={"_csrf_token": csrf_of(page.text), **fields})


@pytest.fixture
async def mailbox():
    return CapturedMailbox()


@pytest.fixture
async def console_app(settings, mailbox):
    app = make_app(settings, plugins=[("mailbox", mailbox), ("plain", PlainEmails())], entry_points="none")
    async with running(app):
        from tests.conftest import _empty_postgres

        await _empty_postgres(app)
        await create_organization("audio-company")
        await create_user("audio-company", OWNER, "admin", PASSWORD)
        yield app


@pytest.fixture
async def browser(console_app):
    async with browser_of(console_app) as client:
        yield client


@pytest.fixture
async def owner(browser):
    """The browser, signed in as the organization's admin."""
    signed_in = await sign_in(browser)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/console", signed_in.text
    return browser
