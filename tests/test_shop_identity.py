"""A shop's own name and face: set through the API (and the CLI), seen by
its buyers on the download page, ``/my``, the error pages and every email
(subject, From name, Reply-To, footer); never its slug."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import html
import io
import re
import struct
import zlib

import pytest

from hub.services.purchases import PurchaseIn, PurchaseItem, record_purchase
from hub.services.shops import contrast, update_organization
from hub.testing.app import hub_client, make_app, make_org
from hub.testing.mailbox import CapturedMailbox
from hub.testing.smtp import smtp_server
from hub.web.shop_assets import theme_css
from tests.conftest import fails, ok
from tests.test_tokens_api import ready_product


def png(width: int = 4, height: int = 2, rgb: bytes = b"\xff\xff\xff") -> bytes:
    """A real PNG of one colour (white by default)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + rgb * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def data_uri(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


IDENTITY = {
    "name": "Kick & Snare Audio",
    "supportEmail": "help@kick-snare.example",
    "senderName": "Kick & Snare",
    "accentColor": "#F5C518",
}


async def test_an_admin_sets_the_shop_identity_and_the_logo_is_served_cached(client, org):
    before = ok(await client.get("/api/organization", headers=org.admin))
    assert before["id"] == org.id and before["name"] == "" and before["logoUrl"] is None

    after = ok(await client.patch("/api/organization", json={**IDENTITY, "logo": data_uri(png())}, headers=org.admin))
    digest = hashlib.sha256(png()).hexdigest()
    assert after["name"] == "Kick & Snare Audio" and after["accentColor"] == "#f5c518"
    assert after["supportEmail"] == "help@kick-snare.example" and after["senderName"] == "Kick & Snare"
    assert after["logoUrl"] == f"http://hub.test/logos/{digest}"
    assert ok(await client.get("/api/organization", headers=org.admin)) == after

    logo = await client.get(f"/logos/{digest}")
    assert logo.status_code == 200 and logo.content == png()
    assert logo.headers["content-type"] == "image/png"
    assert logo.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert logo.headers["etag"] == f'"{digest}"'
    again = await client.get(f"/logos/{digest}", headers={"If-None-Match": f'"{digest}"'})
    assert again.status_code == 304 and again.content == b""

    # Only what is sent changes; null removes the logo.
    removed = ok(await client.patch("/api/organization", json={"logo": None}, headers=org.admin))
    assert removed["logoUrl"] is None and removed["name"] == "Kick & Snare Audio"
    assert (await client.get(f"/logos/{digest}")).status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"accentColor": "blue"}, 422, "accentColor must be a colour written #rrggbb"),
        ({"accentColor": "#12345"}, 422, "accentColor must be a colour written #rrggbb"),
        ({"supportEmail": "not an address"}, 422, "supportEmail"),
        ({"logo": data_uri(b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml")},
         422, "SVG is not accepted"),
        ({"logo": data_uri(b"GIF8" + b"x" * 40, "image/gif")}, 422, "must be a PNG, JPEG, WebP or GIF image"),
        ({"logo": data_uri(b"\x89PNG\r\n\x1a\n" + b"\0" * (256 * 1024))}, 413, "larger than"),
        # A PNG's signature and header, then bytes that are no image data.
        ({"logo": data_uri(png(40, 10)[:33] + b"\0\0\0\x10IDAT" + b"not zlib at all!" + b"\0" * 4)},
         422, "not a readable PNG, JPEG, WebP or GIF image"),
        ({"name": "x" * 201}, 422, "at most 200 characters"),
    ],
)
async def test_a_bad_identity_is_refused_with_a_clear_error_and_changes_nothing(client, org, body, status, message):
    ok(await client.patch("/api/organization", json={"name": "Before"}, headers=org.admin))
    answer = await client.patch("/api/organization", json={"senderName": "Changed?", **body}, headers=org.admin)
    assert message in fails(answer, status)
    unchanged = ok(await client.get("/api/organization", headers=org.admin))
    assert unchanged["name"] == "Before" and unchanged["senderName"] == "" and unchanged["logoUrl"] is None


async def test_a_large_logo_is_served_scaled_down_to_fit_its_box(client, org):
    from PIL import Image

    big = png(1200, 300, b"\x0f\x76\x6e")
    after = ok(await client.patch("/api/organization", json={"logo": data_uri(big)}, headers=org.admin))
    served = await client.get(after["logoUrl"].replace("http://hub.test", ""))
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(served.content))
    assert image.size == (384, 96)  # 1200 x 300 scaled to the 400 x 96 box, proportions kept
    assert image.convert("RGB").getpixel((100, 50)) == (0x0F, 0x76, 0x6E)
    assert after["logoUrl"].endswith(hashlib.sha256(served.content).hexdigest())  # a new size, a new address


async def test_only_an_admin_key_reads_or_changes_the_identity(client, org):
    assert "admin API key" in fails(await client.patch("/api/organization", json={"name": "X"}, headers=org.member), 403)
    assert "admin API key" in fails(await client.get("/api/organization", headers=org.viewer), 403)


async def test_the_download_page_and_its_error_pages_show_the_shop_not_its_slug(client, org):
    ok(await client.patch("/api/organization", json={**IDENTITY, "logo": data_uri(png())}, headers=org.admin))
    await ready_product(client, org)
    token = ok(
        await client.post(
            "/api/products/epic-drums-v1/tokens", json={"customerEmail": "b@example.com", "maxDownloads": 2},
            headers=org.member,
        ),
        201,
    )["token"]
    page = await client.get(f"/download?token={token['token']}", headers={"Accept": "text/html"})
    text = html.unescape(page.text)
    assert page.status_code == 200
    assert "Kick & Snare Audio" in text and "help@kick-snare.example" in text
    assert f'<img src="/logos/{hashlib.sha256(png()).hexdigest()}" alt="">' in text
    assert '<link rel="stylesheet" href="/theme/f5c518.css">' in text
    assert org.id not in text

    ok(await client.delete(f"/api/products/epic-drums-v1/tokens/{token['id']}", headers=org.admin))
    revoked = await client.get(f"/download?token={token['token']}", headers={"Accept": "text/html"})
    text = html.unescape(revoked.text)
    assert revoked.status_code == 410 and "Kick & Snare Audio" in text and "help@kick-snare.example" in text
    assert org.id not in text


def test_the_accent_stylesheet_keeps_text_legible_on_any_colour():
    for accent, text in (("#f5c518", "#111111"), ("#1a1a6e", "#ffffff"), ("#ffffff", "#111111")):
        css = theme_css(accent)
        assert f"--accent: {accent}; --accent-fg: {text};" in css
        ink = re.search(r"--accent-ink: (#[0-9a-f]{6});", css).group(1)
        assert contrast(ink, "#ffffff") >= 4.5  # links on the white card
        dark = re.search(r"prefers-color-scheme: dark.*--accent-ink: (#[0-9a-f]{6});", css).group(1)
        assert contrast(dark, "#12151b") >= 4.5  # links on the dark theme


async def test_every_buyer_email_speaks_as_the_shop_over_smtp(settings):
    """Over the real SMTP plugin (its fast path writes the headers itself):
    the From name, Reply-To, subject and footers are the shop's."""
    with smtp_server() as smtp:
        settings = dataclasses.replace(
            settings, mail_from="Hub Mailer <mailer@hub.example>", extra={**settings.extra, "HUB_SMTP_URL": smtp.url}
        )
        app = make_app(settings, entry_points="email")
        async with hub_client(app) as client:
            from tests.conftest import _empty_postgres

            await _empty_postgres(app)
            keys = await make_org("kick-snare")
            await update_organization(
                settings, "kick-snare", name=IDENTITY["name"], support_email=IDENTITY["supportEmail"],
                sender_name=IDENTITY["senderName"], accent_color="#f5c518", logo=png(),
            )
            await ready_product(client, _Keys(keys), slug="pack")
            order = PurchaseIn(org="kick-snare", provider="api", provider_ref="o-1", customer_email="b@example.com",
                               items=[PurchaseItem("pack")])
            await record_purchase(app.state.hub, order)
            [delivery] = await smtp.wait_for(1)
            form = await client.get("/my")
            csrf = re.search(r'name="_csrf_token" value="([^"]+)"', form.text).group(1)
            assert (await client.post("/my/sign-in", data={"email": "b@example.com", "_csrf_token": csrf})).status_code == 200
            [_, signin] = await smtp.wait_for(2)
    for message in (delivery, signin):
        [sender] = message["From"].addresses
        assert (sender.display_name, sender.addr_spec) == ("Kick & Snare", "mailer@hub.example")
        assert message["Reply-To"] == "help@kick-snare.example"
        assert "Kick & Snare Audio" in message["Subject"]
        body = html.unescape(message.get_body(("html",)).get_content())
        text = message.get_body(("plain",)).get_content()
        assert "Kick & Snare Audio" in body and "help@kick-snare.example" in body and "help@kick-snare.example" in text
        assert f"http://hub.test/logos/{hashlib.sha256(png()).hexdigest()}" in body
        assert "background-color:#f5c518" in body and "color:#111111" in body  # dark text on a yellow button
        assert "kick-snare" not in (message["Subject"] + body + text).replace("kick-snare.example", "")
    assert delivery["Subject"] == "Your download from Kick & Snare Audio: Epic Drum Kit Vol. 1"


async def test_a_shop_without_a_name_shows_the_hub_host_never_its_slug(settings):
    mailbox = CapturedMailbox()
    app = make_app(dataclasses.replace(settings, mail_from="Hub <mailer@hub.example>"), plugins=[("mailbox", mailbox)],
                   entry_points="none")
    async with hub_client(app) as client:
        from tests.conftest import _empty_postgres

        await _empty_postgres(app)
        keys = await make_org("my-shop")
        await ready_product(client, _Keys(keys), slug="pack")
        order = PurchaseIn(org="my-shop", provider="api", provider_ref="o-1", customer_email="b@example.com",
                           items=[PurchaseItem("pack")])
        await record_purchase(app.state.hub, order)
        [message] = await mailbox.wait_for(1)
    assert message["Subject"] == "Your download from hub.test: Epic Drum Kit Vol. 1"
    assert message["From"] == "Hub <mailer@hub.example>" and message["Reply-To"] is None
    assert "my-shop" not in message.as_string()


class _Keys:
    def __init__(self, headers: dict[str, str]) -> None:
        self.admin = self.member = self.viewer = headers
