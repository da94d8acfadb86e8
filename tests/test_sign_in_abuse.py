"""/my sign-in under abuse: limits hold under concurrency, and the request
does the same work whether the email has bought or not."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from hub.services import rate_limits
from hub.services.buyers import PER_EMAIL_PER_HOUR, PER_IP_PER_HOUR, prepare_sign_ins
from hub.tables import BuyerSignIn, OutboxMessage
from hub.testing.app import hub_client, make_app
from hub.testing.mailbox import CapturedMailbox, PlainEmails
from tests.conftest import _empty_postgres
from tests.test_my import csrf_of, shop_with_purchase

CONCURRENT = 30


async def _sign_in_requests(client, emails: list[str]) -> list[int]:
    csrf = csrf_of((await client.get("/my")).text)
    answers = await asyncio.gather(
        *(client.post("/my/sign-in", data={"email": email, "_csrf_token": csrf}) for email in emails)
    )
    return sorted(answer.status_code for answer in answers)


@pytest.fixture
async def quiet_client(settings):
    """A hub whose worker is off: what a request leaves behind stays visible."""
    mailbox = CapturedMailbox()
    app = make_app(replace(settings, worker="off"), plugins=[("mailbox", mailbox), ("plain", PlainEmails())], entry_points="none")
    async with hub_client(app) as client:
        await _empty_postgres(app)
        client.hub = app.state.hub
        yield client


async def test_concurrent_sign_in_requests_for_one_email_send_at_most_the_limit(quiet_client):
    await shop_with_purchase(quiet_client, "drum-shop", "order-1")
    answers = await _sign_in_requests(quiet_client, ["buyer@example.com"] * CONCURRENT)
    assert answers == [200] * PER_EMAIL_PER_HOUR + [429] * (CONCURRENT - PER_EMAIL_PER_HOUR)
    while await prepare_sign_ins(quiet_client.hub):
        pass
    assert await OutboxMessage.count().where(OutboxMessage.kind == "signin") == PER_EMAIL_PER_HOUR


async def test_concurrent_sign_in_requests_from_one_address_pass_at_most_the_limit(quiet_client):
    emails = [f"visitor{n}@example.com" for n in range(CONCURRENT)]
    answers = await _sign_in_requests(quiet_client, emails)
    assert answers == [200] * PER_IP_PER_HOUR + [429] * (CONCURRENT - PER_IP_PER_HOUR)
    assert await BuyerSignIn.count() == PER_IP_PER_HOUR


async def test_a_rate_limit_is_one_conditional_write_that_concurrent_hits_cannot_overrun(quiet_client):
    allowed = await asyncio.gather(*(rate_limits.hit("test", "x", limit=7, window_seconds=60) for _ in range(40)))
    assert allowed.count(True) == 7
    # A new window starts over.
    assert await rate_limits.hit("test", "x", limit=7, window_seconds=-1) is False  # still the open window
    await rate_limits.forget_expired()
    assert await rate_limits.hit("test", "y", limit=1, window_seconds=0)
    assert await rate_limits.hit("test", "y", limit=1, window_seconds=60)  # the 0-second window was over


async def test_a_sign_in_request_does_the_same_work_for_a_customer_and_a_stranger(quiet_client, monkeypatch):
    await shop_with_purchase(quiet_client, "drum-shop", "order-1")
    engine = quiet_client.hub.db.engine
    statements: list[str] = []
    run = type(engine).run_querystring

    async def recorded(self, querystring, *args, **kwargs):
        # piccolo's engine, observed: every statement of a query passes here.
        statements.append(querystring.compile_string(engine_type=self.engine_type)[0])
        return await run(self, querystring, *args, **kwargs)

    csrf = csrf_of((await quiet_client.get("/my")).text)
    queued_before = await OutboxMessage.count()
    work = {}
    for who, email in (("customer", "buyer@example.com"), ("stranger", "stranger@example.com")):
        statements.clear()
        monkeypatch.setattr(type(engine), "run_querystring", recorded)
        answer = await quiet_client.post("/my/sign-in", data={"email": email, "_csrf_token": csrf})
        monkeypatch.undo()
        assert answer.status_code == 200
        work[who] = list(statements)
    assert work["customer"] == work["stranger"] and work["customer"]
    assert await OutboxMessage.count() == queued_before  # nothing rendered or queued in the request

    # The worker makes the difference, out of the request.
    assert await prepare_sign_ins(quiet_client.hub) == 2
    queued = await OutboxMessage.select(OutboxMessage.recipient).where(OutboxMessage.kind == "signin")
    assert queued == [{"recipient": "buyer@example.com"}]
    states = {r["email"]: r["state"] for r in await BuyerSignIn.select(BuyerSignIn.email, BuyerSignIn.state)}
    assert states == {"buyer@example.com": "sent", "stranger@example.com": "unknown"}


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("192.0.2.7", "192.0.2.7"),  # IPv4: the address
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),  # IPv6: its /64
        ("2001:db8:1:2::ffff", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),  # IPv4-mapped: the IPv4 address
    ],
)
def test_an_ipv6_address_is_limited_by_its_64_and_ipv4_by_the_address(address, key):
    from hub.client_ip import rate_limit_key

    assert rate_limit_key(address) == key


def _one_64(count: int, prefix: str = "2001:db8:77:1") -> list[str]:
    return [f"{prefix}::{n + 1:x}" for n in range(count)]


async def test_my_sign_in_requests_from_every_address_of_one_ipv6_64_share_one_limit(quiet_client):
    from hub.errors import TooManyRequests
    from hub.services.buyers import request_sign_in

    for n, address in enumerate(_one_64(PER_IP_PER_HOUR)):
        await request_sign_in(quiet_client.hub, f"buyer{n}@example.com", address)
    with pytest.raises(TooManyRequests):
        await request_sign_in(quiet_client.hub, "one-more@example.com", "2001:db8:77:1:ffff::1")
    # Another /64, and IPv4 addresses, keep limits of their own.
    await request_sign_in(quiet_client.hub, "neighbour@example.com", "2001:db8:77:2::1")
    for n in range(PER_IP_PER_HOUR + 1):
        await request_sign_in(quiet_client.hub, f"v4-{n}@example.com", f"198.51.100.{n + 1}")


async def test_console_sign_ins_from_every_address_of_one_ipv6_64_share_one_limit(quiet_client):
    from hub.errors import TooManyRequests
    from hub.services.console_sessions import ATTEMPTS_PER_IP, sign_in

    for n, address in enumerate(_one_64(ATTEMPTS_PER_IP)):
        assert await sign_in(f"guess{n}@example.com", "a wrong password", address) is None
    with pytest.raises(TooManyRequests):
        await sign_in("one-more@example.com", "a wrong password", "2001:db8:77:1:ffff::1")
    assert await sign_in("neighbour@example.com", "a wrong password", "2001:db8:77:2::1") is None
