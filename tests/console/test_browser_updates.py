"""The console's update flow in a real browser (Chromium, as
tests/console/test_browser.py drives it), with the emails read from the
loopback SMTP server: a buyer's old link serves the new version, and the
update email reaches them once, with its note and one-click unsubscribe."""

from __future__ import annotations

import hashlib
import time

import httpx

from tests.console.test_browser import (  # noqa: F401  (the browser fixtures)
    browser,
    database_settings,
    page,
    pytestmark,
    server,
    sign_in,
    smtp,
)
from tests.test_end_to_end_sales import download_everything, links_in, put_product_on_sale

KICK2 = b"kick drum, punchier"


def upload_version(server, slug: str, version: str, files: dict[str, bytes]) -> None:
    with httpx.Client(base_url=server.url, headers=server.auth) as api:
        manifest = [{"path": p, "size": len(d), "sha256": hashlib.sha256(d).hexdigest()} for p, d in files.items()]
        api.post(f"/api/products/{slug}/versions", json={"version": version, "files": manifest}).raise_for_status()
        for path, data in files.items():
            upload = api.post(f"/api/products/{slug}/versions/{version}/uploads", json={"path": path}).json()["data"]["upload"]
            api.put(f"/api/uploads/{upload['id']}/parts/1", content=data).raise_for_status()
            api.post(f"/api/uploads/{upload['id']}/complete").raise_for_status()


def test_activate_with_notify_tells_the_buyer_once_and_their_old_link_serves_it(page, server, smtp):
    put_product_on_sale(server)
    recorded = httpx.post(
        f"{server.url}/api/purchases", headers=server.auth,
        json={"reference": "order-1", "customerEmail": "buyer@example.com", "items": [{"productId": "kick-pack"}]},
    )
    assert recorded.status_code == 201, recorded.text
    [delivery] = smtp.wait_for_blocking(1)
    [link] = links_in(delivery)
    upload_version(server, "kick-pack", "2.0.0", {"kick.wav": KICK2, "hat.wav": b"hat"})

    sign_in(page)
    page.go("/console/products/kick-pack")
    page.page.get_by_text("A change applies to versions released from now on").wait_for()
    page.page.get_by_role("link", name="Make 2.0.0 the active version…").click()
    page.page.get_by_text("1 buyer entitled to 2.0.0").wait_for()
    page.page.get_by_label("Email this buyer about the update (once each)").check()
    page.page.get_by_label("A note for them (optional)").fill("Punchier kick, and a hat")
    page.page.get_by_role("button", name="Make 2.0.0 active").click()
    page.page.get_by_text("the update emails are on their way").wait_for()

    messages = smtp.wait_for_blocking(2)
    update = messages[1]
    text = update.get_body(preferencelist=("plain",)).get_content()
    assert update["To"] == "buyer@example.com" and "Punchier kick, and a hat" in text
    assert "+ added: hat.wav" in text and "* changed: kick.wav" in text
    assert update["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert download_everything(link)["kick.wav"] == KICK2

    for _ in range(50):
        page.go("/console/products/kick-pack")
        if "1 sent" in page.page.content():
            break
        time.sleep(0.2)
    assert "1 queued · 1 sent" in page.page.content()
    # Asking again tells nobody twice.
    page.go("/console/products/kick-pack/activate?version=2.0.0")
    page.page.get_by_text("they are not told twice").wait_for()
    time.sleep(1)
    assert len(smtp.received()) == 2
