"""A mailer plugin that keeps messages instead of sending them."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage

from hub.plugins.hookspecs import hookimpl


class CapturedMailbox:
    """Register it as a plugin; every message the hub sends lands in
    :attr:`messages`. Set :attr:`failing` to make sends fail (an outage)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.failing = False
        self._arrived = asyncio.Condition()

    @hookimpl
    def hub_mailer(self, hub):
        return self

    async def send(self, message: EmailMessage) -> None:
        if self.failing:
            raise ConnectionError("captured mailbox is failing on purpose")
        async with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """Wait until ``count`` messages arrived; returns them all."""
        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(lambda: len(self.messages) >= count), timeout)
        return list(self.messages)


class PlainEmails:
    """A ``render_email`` plugin whose emails are just their links, one per
    line (``<product> <version>: <url>``, or ``Sign in: <url>``), so a test
    can follow them without depending on the hub's email templates."""

    @hookimpl
    def render_email(self, hub, template, context):
        from hub.plugins import RenderedEmail

        if template == "signin":
            return RenderedEmail(subject="Sign in", text=f"Sign in: {context['url']}")
        if template == "delivery":
            lines = [f"{item['product']} {item['version']}: {item['url']}" for item in context["items"]]
            return RenderedEmail(subject=f"Your downloads from {context['shop']}", text="\n".join(lines))
        return None
