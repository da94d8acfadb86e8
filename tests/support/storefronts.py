"""A hub with one storefront plugin (Shopify, Lemon Squeezy or Paddle),
loaded from its entry point, a captured mailbox, one organization and two
products ready to sell; and the providers' published examples
(``tests/fixtures/<provider>``)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from hub.context import Hub
from hub.settings import Settings
from hub.tables import DownloadToken, InboxEvent, OutboxMessage, Purchase
from hub.testing.app import hub_client, make_app
from hub.testing.inbox import drain_inbox
from hub.testing.mailbox import CapturedMailbox, PlainEmails
from tests.conftest import Org, _empty_postgres, make_org, ok
from tests.test_tokens_api import ready_product

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ORG = "audio-company"


def fixture(provider: str, name: str) -> Any:
    """One of a provider's published examples, as JSON."""
    return json.loads((FIXTURES / provider / name).read_text())


@dataclass
class StoreShop:
    client: httpx.AsyncClient
    org: Org
    mailbox: CapturedMailbox
    hub: Hub
    path: str

    async def post(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        return await self.client.post(self.path, content=body, headers=headers)

    async def deliver(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        response = await self.post(body, headers)
        await drain_inbox(self.hub)
        return response

    async def map(self, provider: str, kind: str, external_id: str, product: str) -> dict:
        return ok(await self.client.post(
            "/api/product-mappings", headers=self.org.admin,
            json={"provider": provider, "kind": kind, "externalId": external_id, "product": product},
        ), 201)["mapping"]

    async def purchases(self) -> list[dict]:
        return ok(await self.client.get("/api/purchases", headers=self.org.admin))["purchases"]


async def written() -> tuple[int, int, int, int]:
    """What the hub has written: inbox events, purchases, tokens, outbox messages."""
    return (await InboxEvent.count(), await Purchase.count(), await DownloadToken.count(), await OutboxMessage.count())


@contextlib.asynccontextmanager
async def store_shop(
    settings: Settings, plugin: str, path: str, *, smtp_url: str | None = None, **extra: str
) -> AsyncIterator[StoreShop]:
    """With ``smtp_url``, emails go out through the email plugin to that
    SMTP server (the mailbox then stays empty)."""
    mailbox = CapturedMailbox()
    if smtp_url:
        extra = {**extra, "HUB_SMTP_URL": smtp_url, "HUB_MAIL_FROM": "Audio Company <shop@example.com>"}
    app = make_app(
        replace(settings, extra={k: v for k, v in extra.items() if v is not None}),
        plugins=[] if smtp_url else [("mailbox", mailbox), ("plain-emails", PlainEmails())],
        entry_points=f"{plugin},email" if smtp_url else plugin,
    )
    async with hub_client(app) as client:
        await _empty_postgres(app)
        org = await make_org(ORG)
        await ready_product(client, org, slug="epic-drums-v1")
        await ready_product(client, org, slug="synth-pads")
        yield StoreShop(client, org, mailbox, app.state.hub, path)
