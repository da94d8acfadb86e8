"""Settings → Shop: an admin names the shop, gives it a logo and a colour;
the overview asks for a name while there is none; a bad value is refused
with the reason, the form keeps what was typed, and nothing changes."""

from __future__ import annotations

import html

from hub.services.shops import organization
from tests.console.conftest import csrf_of
from tests.test_shop_identity import png


async def test_the_overview_nudges_until_the_shop_has_a_name_set_in_settings(owner, console_app):
    overview = (await owner.get("/console")).text
    assert "Your shop has no name yet: buyers see <strong>hub.test</strong>" in overview
    assert 'href="/console/settings/shop"' in overview

    form = await owner.get("/console/settings/shop")
    assert form.status_code == 200 and "Display name" in form.text
    saved = await owner.post(
        "/console/settings/shop",
        data={"_csrf_token": csrf_of(form.text), "name": "Kick & Snare Audio", "support_email": "help@kick-snare.example",
              "sender_name": "Kick & Snare", "accent_color": "#0F766E"},
        files={"logo": ("logo.png", png(8, 8), "image/png")},
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/console/settings/shop?saved=1"
    shop = await organization(console_app.state.hub.settings, "audio-company")
    assert (shop["name"], shop["supportEmail"], shop["senderName"], shop["accentColor"]) == (
        "Kick & Snare Audio", "help@kick-snare.example", "Kick & Snare", "#0f766e"
    )
    assert shop["logoUrl"]
    page = (await owner.get("/console/settings/shop?saved=1")).text
    assert "Saved." in page and 'alt="Your current logo"' in page
    assert "Your shop has no name yet" not in (await owner.get("/console")).text
    log = (await owner.get("/console/settings/audit")).text
    assert "organization.update" in log


async def test_an_svg_logo_or_a_bad_colour_is_refused_and_changes_nothing(owner, console_app):
    form = await owner.get("/console/settings/shop")
    refused = await owner.post(
        "/console/settings/shop",
        data={"_csrf_token": csrf_of(form.text), "name": "Typed Name", "accent_color": "#0F766E"},
        files={"logo": ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml")},
    )
    assert refused.status_code == 422
    assert "SVG is not accepted" in html.unescape(refused.text) and 'value="Typed Name"' in refused.text
    bad_colour = await owner.post(
        "/console/settings/shop", data={"_csrf_token": csrf_of(form.text), "name": "Typed Name", "accent_color": "teal"},
    )
    assert bad_colour.status_code == 422 and "#rrggbb" in bad_colour.text
    shop = await organization(console_app.state.hub.settings, "audio-company")
    assert shop["name"] == "" and shop["accentColor"] == "" and shop["logoUrl"] is None
