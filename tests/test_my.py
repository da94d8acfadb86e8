"""``/my``: a buyer proves an email with a one-time link and gets every
purchase, on every shop, with fresh download links."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest

from hub.clock import as_aware
from hub.services.purchases import PurchaseIn, PurchaseItem, record_purchase
from hub.services.shops import update_organization
from hub.tables import DownloadToken, TokenLink
from hub.testing.app import hub_client, make_app, make_org
from hub.testing.mailbox import CapturedMailbox, PlainEmails
from hub.web.downloads import expires_text
from tests.test_tokens_api import ready_product


class Keys:
    def __init__(self, admin):
        self.member = self.viewer = self.admin = admin


@pytest.fixture
async def mailbox():
    return CapturedMailbox()


@pytest.fixture
async def my_client(settings, mailbox):
    app = make_app(settings, plugins=[("mailbox", mailbox), ("plain", PlainEmails())], entry_points="none")
    async with hub_client(app) as client:
        from tests.conftest import _empty_postgres

        await _empty_postgres(app)
        client.hub = app.state.hub
        yield client


SHOP_NAMES = {"drum-shop": "Drum Shop Co.", "synth-shop": "Synth Shop Ltd"}


async def shop_with_purchase(client, org_id: str, ref: str, email: str = "buyer@example.com") -> None:
    keys = Keys(await make_org(org_id))
    await update_organization(client.hub.settings, org_id, name=SHOP_NAMES.get(org_id, ""), support_email="help@example.com")
    await ready_product(client, keys, slug="pack")
    await record_purchase(
        client.hub,
        PurchaseIn(org=org_id, provider="api", provider_ref=ref, customer_email=email, items=[PurchaseItem("pack")]),
    )


def csrf_of(page: str) -> str:
    return re.search(r'name="_csrf_token" value="([^"]+)"', page).group(1)


def sign_in_emails(mailbox) -> list:
    return [m for m in mailbox.messages if "/my/sign-in?token=" in m.get_content()]


async def next_sign_in_email(mailbox, already: int):
    """The sign-in email after the first ``already`` ones (a purchase's
    delivery email may arrive before or after it)."""
    while len(sign_in_emails(mailbox)) <= already:
        await mailbox.wait_for(len(mailbox.messages) + 1)
    return sign_in_emails(mailbox)[already]


async def sign_in(client, mailbox, email: str = "buyer@example.com") -> None:
    already = len(sign_in_emails(mailbox))
    form = await client.get("/my")
    sent = await client.post("/my/sign-in", data={"email": email, "_csrf_token": csrf_of(form.text)})
    assert sent.status_code == 200 and "Check your email" in sent.text
    message = await next_sign_in_email(mailbox, already)
    link = re.search(r"(http://\S+/my/sign-in\?token=\S+)", message.get_content()).group(1)
    confirm = await client.get(link.removeprefix("http://hub.test"))
    assert "Continue" in confirm.text
    token = re.search(r'name="token" value="([^"]+)"', confirm.text).group(1)
    done = await client.post("/my/sign-in/confirm", data={"token": token, "_csrf_token": csrf_of(confirm.text)})
    assert done.status_code == 303 and done.headers["location"] == "/my"
    return token


async def test_buyer_sees_purchases_of_every_shop_and_downloads_again(my_client, mailbox):
    await shop_with_purchase(my_client, "drum-shop", "order-1")
    await shop_with_purchase(my_client, "synth-shop", "order-2")
    await mailbox.wait_for(2)  # the two delivery emails
    await sign_in(my_client, mailbox, "Buyer@Example.com")

    page = (await my_client.get("/my")).text
    assert "buyer@example.com" in page
    assert "Drum Shop Co." in page and "Synth Shop Ltd" in page
    assert "drum-shop" not in page and "synth-shop" not in page  # the slugs are the hub's, not the buyer's
    token_ids = re.findall(r'action="/my/links/([^"]+)"', page)
    assert len(token_ids) == 2

    opened = await my_client.post(f"/my/links/{token_ids[0]}", data={"_csrf_token": csrf_of(page)})
    assert opened.status_code == 303
    fresh = opened.headers["location"]
    assert "/download?token=ct_download_" in fresh
    listing = await my_client.get(fresh.removeprefix("http://hub.test"), headers={"Accept": "application/json"})
    assert listing.status_code == 200
    file_url = listing.json()["data"]["files"][0]["url"].removeprefix("http://hub.test")
    assert (await my_client.get(file_url)).content == b"kick drum"


async def test_sign_in_link_works_once(my_client, mailbox):
    await shop_with_purchase(my_client, "drum-shop", "order-1")
    await mailbox.wait_for(1)  # the delivery email first: sign_in reads the next one
    token = await sign_in(my_client, mailbox)
    page = await my_client.get("/my")
    again = await my_client.post("/my/sign-in/confirm", data={"token": token, "_csrf_token": csrf_of(page.text)})
    assert again.status_code == 410
    assert "expired or was already used" in again.text


async def test_unknown_email_gets_the_same_answer_and_no_email(my_client, mailbox):
    await shop_with_purchase(my_client, "drum-shop", "order-1")
    await mailbox.wait_for(1)
    form = await my_client.get("/my")
    answer = await my_client.post("/my/sign-in", data={"email": "stranger@example.com", "_csrf_token": csrf_of(form.text)})
    assert answer.status_code == 200 and "Check your email" in answer.text
    known = await my_client.post("/my/sign-in", data={"email": "buyer@example.com", "_csrf_token": csrf_of(form.text)})
    assert known.text.replace("buyer@example.com", "X") == answer.text.replace("stranger@example.com", "X")
    await mailbox.wait_for(2)
    assert [m["To"] for m in mailbox.messages] == ["buyer@example.com", "buyer@example.com"]


async def test_sign_in_form_refuses_a_missing_or_wrong_csrf_token(my_client, mailbox):
    await my_client.get("/my")
    refused = await my_client.post("/my/sign-in", data={"email": "buyer@example.com"})
    assert refused.status_code == 403 and "Reload the page" in refused.text
    wrong = await my_client.post("/my/sign-in", data={"email": "buyer@example.com", "_csrf_token": "forged"})
    assert wrong.status_code == 403


async def test_sign_in_requests_are_rate_limited(my_client, mailbox):
    form = await my_client.get("/my")
    csrf = csrf_of(form.text)
    answers = [
        (await my_client.post("/my/sign-in", data={"email": "flood@example.com", "_csrf_token": csrf})).status_code
        for _ in range(6)
    ]
    assert answers == [200] * 5 + [429]


async def test_my_page_without_a_session_shows_the_form(my_client):
    page = await my_client.get("/my")
    assert page.status_code == 200
    assert '<label for="email">' in page.text
    assert page.cookies.get("ct_csrf") or "ct_csrf" in page.headers.get("set-cookie", "")


async def test_a_disputed_purchase_shows_on_hold_without_a_download_button(my_client, mailbox):
    from hub.clock import utcnow
    from hub.services.reversals import DISPUTE_OPENED, ReversalIn, record_reversal

    await shop_with_purchase(my_client, "drum-shop", "order-1")
    await mailbox.wait_for(1)
    await record_reversal(
        my_client.hub,
        ReversalIn(org="drum-shop", provider="api", payment_ref="order-1", kind=DISPUTE_OPENED, reference="dispute-1", occurred_at=utcnow()),
    )
    await sign_in(my_client, mailbox)
    page = (await my_client.get("/my")).text
    assert "on hold: the payment is disputed, contact Drum Shop Co. at" in page and "help@example.com" in page
    assert 'action="/my/links/' not in page


async def test_a_sign_in_at_a_special_use_domain_says_why_it_is_refused(my_client, mailbox):
    form = await my_client.get("/my")
    refused = await my_client.post("/my/sign-in", data={"email": "buyer@shop.test", "_csrf_token": csrf_of(form.text)})
    assert refused.status_code == 422
    assert "shop.test: it is a special-use domain (RFC 6761) that cannot receive email" in refused.text


async def fresh_link_of_first_purchase(client) -> str:
    page = (await client.get("/my")).text
    token_id = re.search(r'action="/my/links/([^"]+)"', page).group(1)
    opened = await client.post(f"/my/links/{token_id}", data={"_csrf_token": csrf_of(page)})
    assert opened.status_code == 303
    return opened.headers["location"].removeprefix("http://hub.test")


async def test_a_fresh_link_shows_its_own_expiry_on_its_page_and_on_my(my_client, mailbox):
    await shop_with_purchase(my_client, "drum-shop", "order-1")
    await mailbox.wait_for(1)
    await sign_in(my_client, mailbox)
    assert "Download gives you a fresh link, valid for 24 hours" in (await my_client.get("/my")).text
    before = datetime.now(UTC)

    fresh = await fresh_link_of_first_purchase(my_client)

    listing = (await my_client.get(fresh, headers={"Accept": "application/json"})).json()["data"]
    expires_at = datetime.fromisoformat(listing["expiresAt"].replace("Z", "+00:00"))
    # The link's 24 hours, not the purchase's token's (30 days).
    assert before + timedelta(hours=24) - timedelta(seconds=5) <= expires_at <= datetime.now(UTC) + timedelta(hours=24)
    token = await DownloadToken.select(DownloadToken.expires_at).where(DownloadToken.purchase.is_not_null()).first()
    assert as_aware(token["expires_at"]) > expires_at + timedelta(days=20)
    page = (await my_client.get(fresh, headers={"Accept": "text/html"})).text
    assert expires_text(expires_at) in page
    assert expires_text(as_aware(token["expires_at"])) not in page


async def test_an_expired_fresh_link_says_it_expired_and_points_to_my(my_client, mailbox):
    await shop_with_purchase(my_client, "drum-shop", "order-1")
    await mailbox.wait_for(1)
    await sign_in(my_client, mailbox)
    fresh = await fresh_link_of_first_purchase(my_client)
    file_url = (await my_client.get(fresh, headers={"Accept": "application/json"})).json()["data"]["files"][0]["url"]
    await TokenLink.update({TokenLink.expires_at: datetime.now(UTC) - timedelta(seconds=1)}, force=True)  # the one link

    page = await my_client.get(fresh, headers={"Accept": "text/html"})
    answer = await my_client.get(fresh, headers={"Accept": "application/json"})
    download = await my_client.get(file_url.removeprefix("http://hub.test"))

    assert page.status_code == 410, page.text
    text = html.unescape(page.text)
    assert "has expired" in text and "copied the whole link" not in text
    assert "Drum Shop Co." in text and "drum-shop" not in text and '<a href="http://hub.test/my">' in text
    assert answer.status_code == 410 and answer.json() == {"success": False, "error": "This download link has expired."}
    assert download.status_code == 410 and "expired" in download.json()["error"]
