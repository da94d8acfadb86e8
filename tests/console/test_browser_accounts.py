"""Forgot password and Settings → Email in a real browser (Debian's
Chromium), against a running hub whose emails go to the SMTP loopback."""

from __future__ import annotations

import re

import httpx

from tests.console.test_browser import (  # noqa: F401  (fixtures)
    CHROMIUM,
    OWNER,
    browser,
    database_settings,
    page,
    pytestmark,
    screenshot,
    server,
    sign_in,
    smtp,
)
from tests.test_end_to_end_sales import put_product_on_sale

NEW = "a brand new passphrase"


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content() if message.is_multipart() else message.get_content()


def test_forgot_password_then_a_reworded_delivery_email(page, server, smtp):
    page.go("/console/login")
    page.page.get_by_role("link", name="Forgot your password?").click()
    page.page.get_by_label("Email").fill(OWNER)
    page.page.get_by_role("button", name="Send me a link").click()
    page.page.get_by_text("If an account exists for that address").wait_for()
    screenshot(page, "forgot-password")
    [message] = smtp.wait_for_blocking(1)
    link = re.search(r"https?://\S+/console/reset\?token=\S+", text_of(message)).group(0)
    page.page.goto(server.url + link[link.index("/console/"):])
    page.page.get_by_label("New password (at least 10 characters)").fill(NEW)
    page.page.get_by_label("New password again").fill(NEW)
    page.page.get_by_role("button", name="Set the new password").click()
    page.page.get_by_text("Your new password is set").wait_for()

    page.page.get_by_label("Email").fill(OWNER)
    page.page.get_by_label("Password").fill(NEW)
    page.page.get_by_role("button", name="Sign in").click()
    page.page.get_by_role("heading", name="Overview").wait_for()

    page.go("/console/settings/email?template=delivery")
    page.page.get_by_label("Subject").fill("Your files from {{ shop }}, with love")
    page.page.get_by_role("button", name="Preview the draft").click()
    page.page.get_by_text("Preview of your draft").wait_for()
    page.page.get_by_label("Text body").fill("{{ ''.__class__.__mro__ }}")
    page.page.get_by_role("button", name="Save", exact=True).click()
    page.page.get_by_text("There is a problem").wait_for()
    assert page.errors == ["console error: Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"]
    page.errors.clear()  # the refusal, expected (a 422 page)
    page.page.get_by_label("Text body").fill("Here you are:\n{% for item in items %}{{ item.url }}\n{% endfor %}")
    page.page.get_by_role("button", name="Save", exact=True).click()
    page.page.get_by_text("this email now goes out in your wording").wait_for()
    screenshot(page, "email-wording")

    put_product_on_sale(server)
    recorded = httpx.post(
        f"{server.url}/api/purchases", headers=server.auth,
        json={"reference": "order-5", "customerEmail": "fan@example.com", "items": [{"productId": "kick-pack"}],
              "amount": 1900, "currency": "usd"},
    )
    assert recorded.status_code == 201, recorded.text
    delivered = smtp.wait_for_blocking(2)[-1]
    assert delivered["Subject"].endswith(", with love") and text_of(delivered).startswith("Here you are:")
