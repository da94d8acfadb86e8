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
