"""The console on a phone: every page at 320 and 390 px wide in Chromium
(Debian's ``chromium``, driven by Playwright), with data whose long names
and addresses are what pushed pages sideways before: no page scrolls
sideways, the chart's labels stay readable, and the organization switcher
shows only for people in two or more organizations.

One hub (SQLite: the layout does not depend on the database) serves the
whole module; each page × width is a test of its own.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import httpx
import pytest

from hub.testing.smtp import smtp_server
from tests.console.test_browser import CHROMIUM, OWNER, PASSWORD, Watched, screenshot, sign_in
from tests.support.server import HubServer, hub_command, hub_server
from tests.test_end_to_end_sales import put_product_on_sale, smtp_settings

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="browser tests need Chromium: apt-get install chromium (Playwright's download is not used)"
)

LONG_EMAIL = "someone.with.a.really-long-address.for-testing@subdomain.example-shop-domain.com"
PAGES = {
    "overview": "/console",
    "products": "/console/products",
    "product": "/console/products/kick-pack",
    "purchases": "/console/purchases",
    "purchase": None,  # the seeded purchase's page, found at run time
    "links": "/console/links",
    "customers": "/console/customers",
    "customer": "/console/customers/someone.with.a.really-long-address.for-testing@subdomain.example-shop-domain.com",
    "send": "/console/send?product=kick-pack",
    "problems": "/console/problems",
    "downloads": "/console/downloads",
    "keys": "/console/settings/keys",
    "members": "/console/settings/members",
    "payments": "/console/settings/payments",
    "email": "/console/settings/email",
    "audit": "/console/settings/audit",
    "account": "/console/account",
    "shop": "/console/settings/shop",
    "licenses": "/console/licenses",
}
WIDTHS = (320, 390)


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Iterator[tuple[HubServer, str]]:
    """A running hub with a product, a purchase by a long address, an API
    key with a label, and an audit log with the API's changes in it."""
    folder = tmp_path_factory.mktemp("phone")
    with smtp_server() as smtp, hub_server(folder, **smtp_settings(smtp)) as hub:
        created = subprocess.run(
            hub_command("users", "create", "--org", "shop", "--email", OWNER, "--role", "admin", "--password-stdin"),
            input=PASSWORD + "\n", env=hub.env, cwd=folder, capture_output=True, text=True, timeout=60,
        )
        assert created.returncode == 0, created.stderr
        put_product_on_sale(hub)
        recorded = httpx.post(
            f"{hub.url}/api/purchases", headers=hub.auth,
            json={"reference": "order-with-a-rather-long-reference-0123456789abcdef", "customerEmail": LONG_EMAIL,
                  "items": [{"productId": "kick-pack"}], "amount": 1900, "currency": "usd"},
        )
        assert recorded.status_code == 201, recorded.text
        yield hub, recorded.json()["data"]["purchase"]["id"]


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def phones(chromium, shop) -> Iterator[dict[int, Watched]]:
    """A signed-in browser at each width."""
    server, _ = shop
    contexts, pages = [], {}
    for width in WIDTHS:
        context = chromium.new_context(viewport={"width": width, "height": 800})
        contexts.append(context)
        pages[width] = Watched(context.new_page(), server.url)
        sign_in(pages[width])
    yield pages
    for context in contexts:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(PAGES))
def test_no_console_page_scrolls_sideways_on_a_phone(phones, shop, name, width):
    page = phones[width]
    path = PAGES[name] or f"/console/purchases/{shop[1]}"
    answer = page.go(path)
    assert answer.status == 200, (path, answer.status)
    scroll_width = page.page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{path} is {scroll_width} px wide at {width} px"
    if width == 390 and name in ("audit", "links", "send"):
        screenshot(page, {"audit": "phone-audit-log", "links": "phone-links", "send": "phone-send"}[name])
    assert page.errors == []


def test_the_organization_switcher_shows_only_for_people_in_two_organizations(phones):
    page = phones[390]
    page.go("/console")
    assert page.page.get_by_label("Organization").count() == 0
    assert page.page.get_by_text("shop (admin)", exact=True).count() == 1  # the one organization is still named


@pytest.mark.parametrize("width", WIDTHS)
def test_the_overview_charts_labels_are_readable_on_a_phone(phones, width):
    page = phones[width]
    page.go("/console")
    sizes = page.page.eval_on_selector_all(
        ".chart-box .axis", "labels => labels.map(l => parseFloat(getComputedStyle(l).fontSize) * "
        "(l.ownerSVGElement ? l.ownerSVGElement.getBoundingClientRect().width / l.ownerSVGElement.viewBox.baseVal.width : 1))",
    )
    assert len(sizes) >= 4  # ticks and the first and last day
    assert min(sizes) >= 12, sizes


def test_the_new_pages_on_a_laptop(chromium, shop):
    """Links and sending a product at 1280 px (the README's screenshots)."""
    server, _ = shop
    context = chromium.new_context(viewport={"width": 1280, "height": 860})
    page = Watched(context.new_page(), server.url)
    sign_in(page)
    for name, path in (("links", "/console/links"), ("send", "/console/send?product=kick-pack")):
        assert page.go(path).status == 200
        assert page.page.evaluate("document.documentElement.scrollWidth") <= 1280
        screenshot(page, name)
    context.close()
    assert page.errors == []
