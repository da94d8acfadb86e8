"""Each storefront's order, delivered ten times (at once), reaches the
buyer's inbox once: through the outbox and the email plugin to an SMTP
server on loopback, from the providers' own published examples."""

from __future__ import annotations

import asyncio

import pytest

from hub.testing.inbox import drain_inbox
from hub.testing.smtp import smtp_server
from tests.plugins import test_lemonsqueezy as lemon
from tests.plugins import test_paddle as paddle_tests
from tests.plugins import test_shopify as shopify
from tests.support.fake_paddle import fake_paddle_server
from tests.support.storefronts import store_shop


@pytest.mark.parametrize("provider", ["shopify", "lemonsqueezy", "paddle"])
async def test_ten_deliveries_of_one_order_send_one_email_over_smtp(settings, provider):
    with smtp_server() as smtp, fake_paddle_server() as paddle:
        paddle.customers[paddle_tests.CUSTOMER] = {"id": paddle_tests.CUSTOMER, "email": "buyer@example.com"}
        if provider == "shopify":
            path, extra, mapping = shopify.PATH, {"HUB_SHOPIFY_WEBHOOK_SECRET": shopify.SECRET}, ("variant", "39072856")
            body, headers = shopify.request("orders/paid", shopify.order())
            buyer = "bob.norman@hostmail.com"
        elif provider == "lemonsqueezy":
            path, extra, mapping = lemon.PATH, {"HUB_LEMONSQUEEZY_WEBHOOK_SECRET": lemon.SECRET}, ("variant", "1")
            body, headers = lemon.request(lemon.order_created())
            buyer = "dan@lemonsqueezy.com"
        else:
            path, mapping = paddle_tests.PATH, ("product", "pro_01gsz4t5hdjse780zja8vvr7jg")
            extra = {"HUB_PADDLE_WEBHOOK_SECRET": paddle_tests.SECRET, "HUB_PADDLE_API_KEY": paddle.api_key,
                     "HUB_PADDLE_API_BASE": paddle.url}
            body, headers = paddle_tests.request(paddle_tests.transaction())
            buyer = "buyer@example.com"
        async with store_shop(settings, provider, path, smtp_url=smtp.url, **extra) as shop:
            await shop.map(provider, *mapping, "epic-drums-v1")
            answers = await asyncio.gather(*(shop.post(body, headers) for _ in range(10)))
            assert [a.status_code for a in answers] == [200] * 10
            await drain_inbox(shop.hub)
            [message] = await smtp.wait_for(1)
            assert message["To"] == buyer and "/download?token=" in message.get_body(("plain",)).get_content()
            await asyncio.sleep(0.5)
            assert len(smtp.messages) == 1
