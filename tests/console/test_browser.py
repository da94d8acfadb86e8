"""The console in a real browser: Chromium (Debian's ``chromium`` package,
driven by Playwright) against ``continuata-hub serve`` with a test SMTP
server. Skipped, with the reason, where no Chromium is installed.

Set ``HUB_CONSOLE_SCREENSHOTS=docs/console`` to (re)write the README's
screenshots of the main pages there.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hub.testing.smtp import smtp_server
from tests.conftest import DATABASES
from tests.support.server import HubServer, hub_command, hub_server
from tests.test_end_to_end_sales import download_everything, links_in, put_product_on_sale, smtp_settings

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="browser tests need Chromium: apt-get install chromium (Playwright's download is not used)"
)
OWNER, PASSWORD = "owner@example.com", "correct horse battery staple"


@pytest.fixture(params=DATABASES)
def database_settings(request) -> dict[str, str]:
    if request.param == "postgres":
        return {"HUB_DATABASE_URL": request.getfixturevalue("fresh_postgres")}
    return {}


@pytest.fixture
def smtp():
    with smtp_server() as server:
        yield server


@pytest.fixture
def server(tmp_path, database_settings, smtp) -> Iterator[HubServer]:
    with hub_server(tmp_path, **smtp_settings(smtp), **database_settings) as hub:
        created = subprocess.run(
            hub_command("users", "create", "--org", "shop", "--email", OWNER, "--role", "admin", "--password-stdin"),
            input=PASSWORD + "\n", env=hub.env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
        )
        assert created.returncode == 0, created.stderr
        yield hub


class Watched:
    """A browser page whose console errors and 5xx answers are collected."""

    def __init__(self, page, base: str) -> None:
        self.page, self.base = page, base
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        page.on("response", lambda r: self.errors.append(f"{r.status} {r.url}") if r.status >= 500 else None)

    def go(self, path: str):
        return self.page.goto(self.base + path)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, server) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    watched = Watched(context.new_page(), server.url)
    yield watched
    context.close()
    assert watched.errors == []


def sign_in(page: Watched) -> None:
    page.go("/console")
    page.page.get_by_label("Email").fill(OWNER)
    page.page.get_by_label("Password").fill(PASSWORD)
    page.page.get_by_role("button", name="Sign in").click()
    page.page.get_by_role("heading", name="Overview").wait_for()


def screenshot(page: Watched, name: str) -> None:
    folder = os.environ.get("HUB_CONSOLE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_sign_in_create_an_api_key_use_it_and_revoke_it(page, server):
    page.go("/console/login")
    screenshot(page, "sign-in")
    sign_in(page)
    page.page.get_by_role("link", name="Settings", exact=True).click()
    page.page.get_by_label("Label").fill("Storefront")
    page.page.get_by_label("Role").select_option("member")
    page.page.get_by_role("button", name="Create API key").click()
    secret = page.page.get_by_label("New API key").input_value()
    assert secret.startswith("ct_key_")
    screenshot(page, "api-keys")
    assert httpx.get(f"{server.url}/api/products", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    page.page.get_by_role("button", name=re.compile(r"Revoke key .*Storefront")).click()
    page.page.get_by_text("Everything that uses this key").wait_for()  # the confirmation step says what happens
    page.page.get_by_role("button", name="Revoke the key").click()
    page.page.get_by_text("revoked").first.wait_for()
    assert httpx.get(f"{server.url}/api/products", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_resend_a_delivery_email_to_a_corrected_address_and_revoke_the_link(page, server, smtp):
    put_product_on_sale(server)
    recorded = httpx.post(
        f"{server.url}/api/purchases", headers=server.auth,
        json={"reference": "order-77", "customerEmail": "typo@exmaple.com", "items": [{"productId": "kick-pack"}],
              "amount": 1900, "currency": "usd"},
    )
    assert recorded.status_code == 201, recorded.text
    smtp.wait_for_blocking(1)
    sign_in(page)
    page.page.get_by_role("link", name="Purchases", exact=True).click()
    page.page.get_by_label("Buyer email, provider reference or purchase id").fill("order-77")
    page.page.get_by_role("button", name="Search").click()
    screenshot(page, "purchases")
    page.page.get_by_role("link", name="typo@exmaple.com").click()
    page.page.get_by_label("Send to (leave as is, or correct the address)").fill("buyer@example.com")
    page.page.get_by_role("button", name="Resend delivery email").click()
    page.page.get_by_text("The delivery email is on its way.").wait_for()
    message = smtp.wait_for_blocking(2)[-1]
    assert message["To"] == "buyer@example.com"
    [link] = links_in(message)
    assert download_everything(link)  # the resent link works
    screenshot(page, "purchase")
    page.page.get_by_role("button", name="Revoke").click()
    page.page.get_by_role("button", name="Revoke the link").click()
    page.page.get_by_text("The link was revoked").wait_for()
    assert httpx.get(link, headers={"Accept": "application/json"}).status_code == 410


def test_upload_a_new_version_of_several_megabytes_from_the_browser(page, server, tmp_path):
    folder = tmp_path / "Kick Pack 2.0"
    (folder / "audio").mkdir(parents=True)
    big = os.urandom(7 * 1024 * 1024 + 321)  # more than one 5 MiB part
    (folder / "audio" / "kick.wav").write_bytes(big)
    (folder / "readme.txt").write_text("Kick pack, version 2")
    with httpx.Client(base_url=server.url, headers=server.auth) as api:
        api.post("/api/products", json={"name": "Kick Pack", "slug": "kick-pack"}).raise_for_status()
    sign_in(page)
    page.page.get_by_role("link", name="Products", exact=True).click()
    page.page.get_by_role("link", name="Kick Pack").click()
    page.page.get_by_label("Version number").fill("2.0.0")
    page.page.get_by_label("Changelog").fill("A bigger kick")
    page.page.get_by_label("Folder").set_input_files(folder)
    page.page.get_by_text("2 files, 7.3 MB").wait_for()
    page.page.get_by_role("button", name="Upload").click()
    page.page.get_by_text("The new version is uploaded and checked.").wait_for(timeout=60_000)
    screenshot(page, "product")
    version = httpx.get(f"{server.url}/api/products/kick-pack/versions/2.0.0", headers=server.auth).json()["data"]["version"]
    assert version["status"] == "ready"
    files = {f["path"]: f for f in version["files"]}
    assert set(files) == {"audio/kick.wav", "readme.txt"}
    assert files["audio/kick.wav"]["sha256"] == hashlib.sha256(big).hexdigest()


def test_find_a_license_key_see_its_machine_and_free_its_seat(page, server):
    put_product_on_sale(server, "synth-pro")
    with httpx.Client(base_url=server.url, headers=server.auth) as api:
        api.put("/api/products/synth-pro/license", json={"enabled": True, "activationLimit": 1}).raise_for_status()
        sale = {"reference": "order-1", "customerEmail": "buyer@example.com", "items": [{"productId": "synth-pro"}]}
        key = api.post("/api/purchases", json=sale).json()["data"]["purchase"]["licenses"][0]["key"]
    activated = httpx.post(f"{server.url}/api/licenses/activate", json={"key": key, "fingerprint": "fp", "name": "Old Studio PC"})
    assert activated.status_code == 200, activated.text
    sign_in(page)
    page.page.get_by_role("link", name="Licenses", exact=True).click()
    page.page.get_by_label("License key, its last characters, buyer email or product (slug)").fill(key.lower())
    page.page.get_by_role("button", name="Search").click()
    page.page.get_by_text("Old Studio PC").wait_for()
    assert key not in page.page.content()
    screenshot(page, "licenses")
    page.page.get_by_role("button", name=re.compile("Free every machine of the key")).click()
    page.page.get_by_role("status").filter(has_text="1 license").wait_for()
    assert page.page.get_by_text("Old Studio PC").count() == 0
    again = httpx.post(f"{server.url}/api/licenses/activate", json={"key": key, "fingerprint": "new", "name": "New Mac"})
    assert again.status_code == 200, again.text
    page.page.get_by_role("button", name=re.compile("Disable the key")).click()
    page.page.locator(".badge", has_text="disabled").wait_for()
    check = httpx.post(f"{server.url}/api/licenses/validate", json={"key": key})
    assert check.json()["data"]["code"] == "DISABLED"


def test_every_page_answers_on_a_laptop_and_on_a_phone(browser, server):
    for name, viewport in (("laptop", {"width": 1280, "height": 860}), ("phone", {"width": 390, "height": 844})):
        context = browser.new_context(viewport=viewport)
        page = Watched(context.new_page(), server.url)
        sign_in(page)
        if name == "laptop":
            screenshot(page, "overview")
        for path in ("/console", "/console/products", "/console/purchases", "/console/problems", "/console/downloads",
                     "/console/licenses", "/console/settings/keys", "/console/settings/members", "/console/settings/payments",
                     "/console/settings/email", "/console/settings/audit"):
            answer = page.go(path)
            assert answer.status < 400, (path, answer.status)
            assert page.page.locator("h1").count() == 1
            width = page.page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"] + 1, (name, path, width)
        if name == "phone":
            screenshot(page, "phone-audit-log")
        # Keyboard: the skip link is the first thing Tab reaches.
        page.go("/console")
        page.page.keyboard.press("Tab")
        assert page.page.evaluate("document.activeElement.textContent") == "Skip to content"
        context.close()
        assert page.errors == []


def test_a_phone_sets_up_the_storefront_plugins_and_maps_a_product(browser, tmp_path, smtp):
    """Settings → Payments with Shopify, Lemon Squeezy and Paddle configured,
    on a phone (390 px, as the other pages are checked): each webhook URL and
    event list, a product mapping added through the form and deleted again,
    and no sideways scrolling."""
    secrets = {"HUB_SHOPIFY_WEBHOOK_SECRET": "shopify-secret", "HUB_LEMONSQUEEZY_WEBHOOK_SECRET": "lemon-secret",
               "HUB_PADDLE_WEBHOOK_SECRET": "pdl_ntfset_browser"}
    with hub_server(tmp_path, **smtp_settings(smtp), **secrets) as server:
        created = subprocess.run(
            hub_command("users", "create", "--org", "shop", "--email", OWNER, "--role", "admin", "--password-stdin"),
            input=PASSWORD + "\n", env=server.env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
        )
        assert created.returncode == 0, created.stderr
        put_product_on_sale(server)
        context = browser.new_context(viewport={"width": 390, "height": 844})
        page = Watched(context.new_page(), server.url)
        sign_in(page)
        page.go("/console/settings/payments")
        text = page.page.content()
        for path in ("shopify", "lemonsqueezy", "paddle"):
            assert f"{server.url}/plugins/{path}/webhook" in text
        assert page.page.get_by_role("list", name="Shopify events to subscribe").get_by_text("orders/paid").count() == 1
        assert page.page.get_by_role("list", name="Paddle events to subscribe").get_by_text(
            "transaction.completed").count() == 1
        page.page.get_by_label("Provider", exact=True).select_option("shopify")
        page.page.get_by_label("Kind").select_option("sku")
        page.page.get_by_label("Provider's id or SKU").fill("KICK-2024")
        page.page.get_by_label("Hub product id").fill("kick-pack")
        page.page.get_by_role("button", name="Add mapping").click()
        page.page.locator("td code", has_text="KICK-2024").wait_for()
        width = page.page.evaluate("document.documentElement.scrollWidth")
        wide = page.page.evaluate(
            "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391)"
            ".map(e => e.tagName + '.' + e.className + ':' + (e.textContent || '').slice(0, 40)).slice(0, 8)"
        )
        assert width <= 391, (width, wide)
        screenshot(page, "phone-payments")
        page.page.get_by_role("button", name="Delete the mapping of KICK-2024").click()
        page.page.get_by_text("No mappings yet.").wait_for()
        context.close()
        assert page.errors == []
