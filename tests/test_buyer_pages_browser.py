"""Every page and email a buyer sees works on any screen: Chromium (Debian's
``chromium``, driven by Playwright) at 320, 390, 768 and 1280 px against
``continuata-hub serve``. Skipped, with the reason, where no Chromium is
installed.

At each width, on each page: no sideways scrolling; no text column
narrower than six characters; a long file name wraps at ``/``, ``_``,
``-``, ``.`` or a space, never inside a word; every button at least 44 px
tall (a thumb's reach); and the shop's name, never its id.

``HUB_BUYER_SCREENSHOTS=docs/screenshots/buyer`` (re)writes the
screenshots at 390 and 1280 px (``docs/screenshots/buyer/regenerate.sh``).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from hub.testing.smtp import SmtpServer, smtp_server
from tests.support.server import HubServer, hub_server
from tests.test_end_to_end_sales import links_in, smtp_settings
from tests.test_shop_identity import png

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="browser tests need Chromium: apt-get install chromium (Playwright's download is not used)"
)
WIDTHS = (320, 390, 768, 1280)
SCREENSHOT_WIDTHS = (390, 1280)
ORG = "sample-emporium"
SHOP_NAME = "The Sample Emporium & Sound Design Co."
PRODUCT = "Cinematic Percussion Construction Kit: Deluxe Edition"
FILES = {
    "Drum Kits/Acoustic_Kit_Vol_1/Kicks/Kick_01_Deep_Room.wav": b"k" * 2000,
    "Drum Kits/Acoustic_Kit_Vol_1/Snares/Snare-Brush-Tight-03.wav": b"s" * 1500,
    "Loops/120 BPM/Percussion_Loop_Shaker_Groove_120bpm.wav": b"l" * 900,
    "README.txt": b"Thank you!",
}


@dataclass
class Shop:
    server: HubServer
    smtp: SmtpServer
    links: dict[str, str] = field(default_factory=dict)
    """page name → path on the hub"""
    emails: dict[str, str] = field(default_factory=dict)
    """email name → its HTML"""
    buyers: dict[int, str] = field(default_factory=dict)
    """width → the buyer email that signs in at that width"""


def _database(server: HubServer) -> Path:
    [found] = [p for p in Path(server.env["HUB_DATA_DIR"]).parent.rglob("hub.sqlite3")]
    return found


def _sql(server: HubServer, statement: str, *args: object) -> None:
    connection = sqlite3.connect(_database(server), timeout=30)
    try:
        connection.execute(statement, args)
        connection.commit()
    finally:
        connection.close()


def _purchase(api: httpx.Client, smtp: SmtpServer, reference: str, email: str) -> str:
    """Record a purchase; its delivery email's download link."""
    already = len(smtp.received())
    answer = api.post(
        "/api/purchases",
        json={"reference": reference, "customerEmail": email, "items": [{"productId": "percussion-kit"}],
              "amount": 2900, "currency": "eur"},
    )
    assert answer.status_code == 201, answer.text
    message = smtp.wait_for_blocking(already + 1)[already]
    [link] = links_in(message)
    return link


def _path(link: str, server: HubServer) -> str:
    return link.removeprefix(server.url)


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Iterator[Shop]:
    folder = tmp_path_factory.mktemp("buyer-pages")
    with smtp_server() as smtp, hub_server(folder, org=ORG, **smtp_settings(smtp)) as server:
        shop = Shop(server, smtp)
        with httpx.Client(base_url=server.url, headers=server.auth, timeout=30) as api:
            identity = {
                "name": SHOP_NAME, "supportEmail": "help@emporium-sounds.example", "senderName": "Sample Emporium",
                "accentColor": "#0f766e", "logo": "data:image/png;base64," + base64.b64encode(png(160, 48, b"\x0f\x76\x6e")).decode(),
            }
            assert api.patch("/api/organization", json=identity).status_code == 200
            api.post("/api/products", json={"name": PRODUCT, "slug": "percussion-kit"}).raise_for_status()
            manifest = [{"path": p, "size": len(b), "sha256": hashlib.sha256(b).hexdigest()} for p, b in FILES.items()]
            api.post("/api/products/percussion-kit/versions", json={"version": "1.0.0", "files": manifest}).raise_for_status()
            for path, body in FILES.items():
                upload = api.post("/api/products/percussion-kit/versions/1.0.0/uploads", json={"path": path}).json()["data"]["upload"]
                api.put(f"/api/uploads/{upload['id']}/parts/1", content=body).raise_for_status()
                api.post(f"/api/uploads/{upload['id']}/complete").raise_for_status()
            api.patch("/api/products/percussion-kit", json={"activeVersion": "1.0.0"}).raise_for_status()

            download = _purchase(api, smtp, "order-1001", "ada@example.com")
            shop.emails["delivery-email"] = smtp.received()[-1].get_body(("html",)).get_content()
            shop.links["download"] = _path(download, server)
            revoked = _purchase(api, smtp, "order-1002", "revoked@example.com")
            _sql(server, "UPDATE hub_download_token SET revoked_at = CURRENT_TIMESTAMP WHERE customer_email = ?", "revoked@example.com")
            shop.links["revoked"] = _path(revoked, server)
            refunded = _purchase(api, smtp, "order-1003", "refunded@example.com")
            _sql(server, "UPDATE hub_purchase SET status = 'refunded' WHERE provider_ref = ?", "order-1003")
            _sql(server, "UPDATE hub_download_token SET revoked_at = CURRENT_TIMESTAMP WHERE customer_email = ?", "refunded@example.com")
            shop.links["refunded"] = _path(refunded, server)
            expired = _purchase(api, smtp, "order-1004", "expired@example.com")
            _sql(server, "UPDATE hub_download_token SET expires_at = '2020-01-01 00:00:00+00:00' WHERE customer_email = ?", "expired@example.com")
            shop.links["expired"] = _path(expired, server)
            held = _purchase(api, smtp, "order-1005", "held@example.com")
            _sql(server, "UPDATE hub_purchase SET status = 'on_hold' WHERE provider_ref = ?", "order-1005")
            shop.links["on-hold"] = _path(held, server)
            used = _purchase(api, smtp, "order-1006", "used@example.com")
            files = httpx.get(used, headers={"Accept": "application/json"}).json()["data"]["files"]
            _sql(server, "UPDATE hub_download_token SET max_downloads = 1, used_count = 1 WHERE customer_email = ?", "used@example.com")
            shop.links["used-up"] = _path(files[0]["url"], server)
            for width in WIDTHS:
                shop.buyers[width] = f"buyer-{width}@example.com"
                _purchase(api, smtp, f"order-{width}", shop.buyers[width])
        yield shop


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


# Measured in the page: sideways scrolling, narrow text columns, words broken
# across lines, short buttons. Element.style is CSSOM, which the pages' CSP allows.
MEASURE = r"""
() => {
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth) problems.push(`scrolls sideways: ${doc.scrollWidth} > ${window.innerWidth}`);
  const columns = document.querySelectorAll('.file-name, .state, h1, h2, .brand span, .sub, .note, td p, footer');
  for (const el of columns) {
    if (!el.textContent.trim() || el.getClientRects().length === 0) continue;
    const probe = document.createElement('span');
    probe.style.display = 'inline-block'; probe.style.width = '6ch';
    el.appendChild(probe);
    const six = probe.getBoundingClientRect().width;
    probe.remove();
    const width = el.getBoundingClientRect().width;
    if (width < six) problems.push(`${el.tagName}.${el.className} is ${width.toFixed(0)}px wide, under 6ch (${six.toFixed(0)}px): "${el.textContent.trim().slice(0, 40)}"`);
  }
  for (const el of document.querySelectorAll('.file-name')) {
    const chars = [];
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode())
      for (let i = 0; i < node.data.length; i++) chars.push([node, i, node.data[i]]);
    let start = 0;
    for (let i = 0; i <= chars.length; i++) {
      if (i < chars.length && !'/_-. ·'.includes(chars[i][2])) continue;
      if (i - start > 1) {
        const range = document.createRange();
        range.setStart(chars[start][0], chars[start][1]);
        range.setEnd(chars[i - 1][0], chars[i - 1][1] + 1);
        const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
        if (tops.size > 1) problems.push(`"${range.toString()}" breaks inside a word`);
      }
      start = i + 1;
    }
  }
  const buttons = document.querySelectorAll('button, a.button, td[bgcolor] > a');
  for (const el of buttons) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.height < 44) problems.push(`button "${el.textContent.trim()}" is ${box.height.toFixed(0)}px tall`);
  }
  return problems;
}
"""


def check(page, shop: Shop, name: str, width: int) -> None:
    assert page.evaluate(MEASURE) == [], f"{name} at {width}px"
    text = page.inner_text("body")
    assert SHOP_NAME in text, f"{name} at {width}px does not name the shop"
    assert ORG not in text and ORG not in page.title(), f"{name} at {width}px shows the organization's id"
    folder = os.environ.get("HUB_BUYER_SCREENSHOTS")
    if folder and width in SCREENSHOT_WIDTHS:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}-{width}.png"), full_page=True)


@pytest.fixture
def viewer(chromium, request):
    width = request.node.callspec.params["width"]
    context = chromium.new_context(viewport={"width": width, "height": 844}, color_scheme="light")
    page = context.new_page()
    failures: list[str] = []
    page.on("response", lambda r: failures.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    page.on("pageerror", lambda e: failures.append(f"page error: {e}"))
    yield page
    context.close()
    assert failures == []


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["download", "revoked", "refunded", "expired", "on-hold", "used-up"])
def test_a_download_page_works_at_every_width(shop, viewer, name, width):
    answer = viewer.goto(shop.server.url + shop.links[name])
    assert answer.status == {"download": 200, "on-hold": 403, "used-up": 403}.get(name, 410)
    if name == "download":
        assert viewer.locator(".file-name").count() == len(FILES)
        assert viewer.locator("img[src^='/logos/']").first.evaluate("img => img.complete && img.naturalWidth") == 160
    check(viewer, shop, name, width)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("state", ["sign-in", "sent", "confirm", "signed-in", "fresh-link"])
def test_my_works_at_every_width_in_every_state(shop, viewer, state, width):
    """Walks /my as the buyer does, up to ``state``, and checks that page."""
    server, smtp = shop.server, shop.smtp
    viewer.goto(server.url + "/my")
    if state != "sign-in":
        already = len(smtp.received())
        viewer.get_by_label("Email address").fill(shop.buyers[width])
        viewer.get_by_role("button", name="Email me a sign-in link").click()
        viewer.get_by_role("heading", name="Check your email").wait_for()
        if state != "sent":
            message = _sign_in_email(smtp, already, shop.buyers[width])
            if width == WIDTHS[0]:
                shop.emails["sign-in-email"] = message.get_body(("html",)).get_content()
            link = re.search(r"(http://\S+/my/sign-in\?token=\S+)", message.get_body(("plain",)).get_content()).group(1)
            viewer.goto(link)
            if state != "confirm":
                viewer.get_by_role("button", name="Continue").click()
                viewer.get_by_role("heading", name="Your purchases").wait_for()
                if state == "fresh-link":
                    viewer.get_by_role("button", name=f"Get a download link for {PRODUCT}").click()
                    viewer.get_by_role("heading", name=PRODUCT).wait_for()
    check(viewer, shop, f"my-{state}", width)


def _sign_in_email(smtp: SmtpServer, already: int, email: str):
    count = already + 1
    while True:
        for message in smtp.wait_for_blocking(count)[already:]:
            if message["To"] == email and "/my/sign-in?token=" in message.get_body(("plain",)).get_content():
                return message
        count += 1


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["delivery-email", "sign-in-email"])
def test_the_buyer_emails_render_at_every_width(shop, viewer, name, width):
    if name not in shop.emails:  # the sign-in email comes from the /my walk
        _walk_to_sign_in_email(shop)
    viewer.set_content(shop.emails[name])
    viewer.wait_for_load_state("load")
    check(viewer, shop, name, width)


def _walk_to_sign_in_email(shop: Shop) -> None:
    already = len(shop.smtp.received())
    with httpx.Client(base_url=shop.server.url) as client:
        form = client.get("/my")
        token = re.search(r'name="_csrf_token" value="([^"]+)"', form.text).group(1)
        client.post("/my/sign-in", data={"email": "ada@example.com", "_csrf_token": token}).raise_for_status()
    shop.emails["sign-in-email"] = _sign_in_email(shop.smtp, already, "ada@example.com").get_body(("html",)).get_content()
