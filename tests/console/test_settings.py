"""Settings → payments (configured or not, the webhook URL, the last event)
and Settings → email (SMTP or not, a test email, template previews)."""

from __future__ import annotations

from dataclasses import replace

from hub.services.accounts import create_organization
from hub.services.people import create_user
from hub.testing import stripe as stripe_testing
from hub.testing.app import make_app, running
from hub.testing.mailbox import CapturedMailbox
from tests.console.conftest import OWNER, PASSWORD, browser_of, post_form, sign_in
from tests.console.test_overview_problems_downloads import until_page_shows

SECRET = "whsec_console_test"


async def test_payments_page_shows_the_webhook_url_and_the_last_event(settings):
    extra = {"HUB_STRIPE_WEBHOOK_SECRET": SECRET, "HUB_STRIPE_ORG": "audio-company"}
    app = make_app(replace(settings, extra=extra), plugins=[("mailbox", CapturedMailbox())], entry_points="stripe,paypal")
    async with running(app), browser_of(app) as browser:
        from tests.conftest import _empty_postgres

        await _empty_postgres(app)
        await create_organization("audio-company")
        await create_user("audio-company", OWNER, "admin", PASSWORD)
        await sign_in(browser)
        page = await browser.get("/console/settings/payments")
        assert page.status_code == 200
        assert 'value="http://hub.test/plugins/stripe/webhook"' in page.text
        assert 'value="http://hub.test/plugins/paypal/webhook"' in page.text
        assert page.text.count("not configured") == 1  # PayPal, without its webhook id
        assert "HUB_PAYPAL_WEBHOOK_ID" in page.text and "HUB_STRIPE_API_KEY" in page.text
        assert page.text.count("none received yet") == 2

        event = stripe_testing.checkout_session_completed(products="no-such-product")
        body, headers = stripe_testing.webhook_request(event, SECRET)
        assert (await browser.post("/plugins/stripe/webhook", content=body, headers=headers)).status_code == 200
        page = await until_page_shows(browser, "/console/settings/payments", "checkout.session.completed</code> — done")
        assert "no-such-product" in page
        problems = await browser.get("/console/problems")
        assert "no-such-product" in problems.text and "Fix and fulfil" in problems.text


async def test_email_settings_send_a_test_email_and_preview_every_template(owner, mailbox):
    page = await owner.get("/console/settings/email")
    assert page.status_code == 200 and "SMTP configured" in page.text
    sent = await post_form(owner, "/console/settings/email", "/console/settings/email/test", email="me@example.com")
    assert sent.status_code == 303
    message = (await mailbox.wait_for(1))[-1]
    assert message["To"] == "me@example.com" and message["Subject"] == "Test email from Continuata Hub"
    for template in ("delivery", "signin"):
        preview = await owner.get(f"/console/settings/email?template={template}")
        assert preview.status_code == 200 and "Subject:" in preview.text, template
    assert "email.test" in (await owner.get("/console/settings/audit")).text
    bad = await post_form(owner, "/console/settings/email", "/console/settings/email/test", email="nope")
    assert bad.status_code == 422


async def test_html_previews_run_no_inline_script(settings):
    """With the real email plugin: the HTML version is served sandboxed (no
    script at all, no origin, not framable), its inline styles allowed."""
    app = make_app(settings, plugins=[("mailbox", CapturedMailbox())], entry_points="email")
    async with running(app), browser_of(app) as browser:
        from tests.conftest import _empty_postgres

        await _empty_postgres(app)
        await create_organization("audio-company")
        await create_user("audio-company", OWNER, "admin", PASSWORD)
        await sign_in(browser)
        for template in ("delivery", "signin", "console_invite"):
            page = await browser.get(f"/console/settings/email?template={template}")
            assert page.status_code == 200 and f"/console/settings/email/preview/{template}" in page.text
            html = await browser.get(f"/console/settings/email/preview/{template}")
            assert html.status_code == 200 and "<html" in html.text.lower()
            policy = html.headers["content-security-policy"]
            assert policy.startswith("sandbox;") and "default-src 'none'" in policy and "script-src" not in policy
            assert "frame-ancestors 'none'" in policy and html.headers["x-content-type-options"] == "nosniff"
        assert (await browser.get("/console/settings/email/preview/nope")).status_code == 404


async def test_storefront_plugins_show_their_events_settings_and_mappings(settings):
    """Shopify, Lemon Squeezy and Paddle beside Stripe: each one's webhook
    URL, the events it asks for (its own list: Stripe's six, as the README
    names them), its settings as set by the environment or not, its last
    event; a product mapping added and deleted from the page; an unmapped
    Shopify line in Problems with fix-and-fulfil."""
    import json
    from pathlib import Path

    import continuata_plugins.stripe as stripe_plugin
    from continuata_plugins.shopify.webhook import signature_of
    from hub.testing.products import ready_product
    from tests.console.conftest import csrf_of
    from tests.support.storefronts import fixture

    extra = {
        "HUB_STRIPE_WEBHOOK_SECRET": SECRET, "HUB_SHOPIFY_WEBHOOK_SECRET": "shopify-secret",
        "HUB_LEMONSQUEEZY_WEBHOOK_SECRET": "lemon-secret", "HUB_PADDLE_WEBHOOK_SECRET": "pdl_ntfset_x",
    }
    app = make_app(replace(settings, extra=extra), plugins=[("mailbox", CapturedMailbox())],
                   entry_points="stripe,shopify,lemonsqueezy,paddle")
    async with running(app), browser_of(app) as browser:
        from tests.conftest import _empty_postgres

        await _empty_postgres(app)
        await create_organization("audio-company")
        await create_user("audio-company", OWNER, "admin", PASSWORD)
        await sign_in(browser)
        page = (await browser.get("/console/settings/payments")).text
        for path in ("stripe", "shopify", "lemonsqueezy", "paddle"):
            assert f'value="http://hub.test/plugins/{path}/webhook"' in page
        readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
        for name in stripe_plugin.EVENTS:
            assert f"<li><code>{name}</code></li>" in page and f"`{name}`" in readme
        assert len(stripe_plugin.EVENTS) == 6
        for name in ("orders/paid", "refunds/create", "disputes/create", "order_created", "order_refunded",
                     "transaction.completed", "adjustment.updated"):
            assert f"<li><code>{name}</code></li>" in page
        assert "<code>HUB_SHOPIFY_WEBHOOK_SECRET</code>: set by the environment" in page
        assert "<code>HUB_PADDLE_API_KEY</code>: not set" in page
        assert "<code>HUB_PADDLE_TOLERANCE_SECONDS</code>: its default" in page
        assert "shopify-secret" not in page and "lemon-secret" not in page

        csrf = csrf_of(page)
        added = await browser.post("/console/settings/payments/mappings", data={
            "_csrf_token": csrf, "provider": "shopify", "kind": "variant", "external_id": "39072856",
            "product": "no-such-product"})
        assert added.status_code == 404  # the hub product must exist
        from hub.services.accounts import create_api_key

        secret, _ = await create_api_key("audio-company", "member", label="test")
        await ready_product(browser, {"Authorization": f"Bearer {secret}"}, "epic-drums-v1", "1.0.0")
        added = await browser.post("/console/settings/payments/mappings", data={
            "_csrf_token": csrf, "provider": "shopify", "kind": "variant", "external_id": "39072856",
            "product": "epic-drums-v1"})
        assert added.status_code == 303
        page = (await browser.get("/console/settings/payments")).text
        assert "<code>39072856</code>" in page and "<code>epic-drums-v1</code>" in page

        body = json.dumps(fixture("shopify", "order.json")["order"]).encode()
        headers = {"X-Shopify-Topic": "orders/paid", "X-Shopify-Shop-Domain": "audio-company.myshopify.com",
                   "X-Shopify-Event-Id": "console-1", "X-Shopify-Hmac-Sha256": signature_of(body, "shopify-secret")}
        assert (await browser.post("/plugins/shopify/webhook", content=body, headers=headers)).status_code == 200
        page = await until_page_shows(browser, "/console/settings/payments", "orders/paid</code> — done")
        problems = (await browser.get("/console/problems")).text
        assert "IPOD2008RED" in problems and "not mapped to a hub product" in problems and "Fix and fulfil" in problems
