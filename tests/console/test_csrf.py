"""CSRF tokens are Litestar's (hub.web.csrf): signed by the hub, so a
cookie and a field that merely agree are not enough; a refused form is
shown again with a token that works; the API, authenticated by a key and
not a cookie, needs none."""

from __future__ import annotations

from tests.console.conftest import OWNER, PASSWORD, browser_of, csrf_of

MADE_UP = "a" * 64 + "b" * 64  # the shape of a token, but not signed by this hub


async def test_a_made_up_cookie_and_field_that_agree_are_refused(console_app):
    async with browser_of(console_app) as client:
        refused = await client.post(
            "/console/login",
            data={"email": OWNER, "password": PASSWORD, "_csrf_token": MADE_UP},
            headers={"cookie": f"ct_console_csrf={MADE_UP}"},
        )
    assert refused.status_code == 403 and "expired" in refused.text
    assert "ct_console=" not in refused.headers.get("set-cookie", "")


async def test_buyers_forms_refuse_a_made_up_pair_too(console_app):
    async with browser_of(console_app) as client:
        refused = await client.post(
            "/my/sign-in", data={"email": "buyer@example.com", "_csrf_token": MADE_UP}, headers={"cookie": f"ct_csrf={MADE_UP}"}
        )
    assert refused.status_code == 403 and "Reload the page" in refused.text


async def test_a_refused_form_is_shown_again_with_a_token_that_works(browser):
    form = await browser.get("/console/login")
    assert "ct_console_csrf=" in form.headers.get("set-cookie", "")
    refused = await browser.post("/console/login", data={"email": OWNER, "password": PASSWORD, "_csrf_token": "forged"})
    assert refused.status_code == 403 and 'id="password"' in refused.text
    again = await browser.post(
        "/console/login", data={"email": OWNER, "password": PASSWORD, "_csrf_token": csrf_of(refused.text), "next": "/console"}
    )
    assert again.status_code == 303 and again.headers["location"] == "/console"


async def test_the_upload_script_sends_its_token_in_a_header(owner):
    page = await owner.get("/console/products")
    token = csrf_of(page.text)
    headers = {"Accept": "application/json"}
    refused = await owner.post("/console/products/none/versions/1.0/uploads", json={"path": "a.wav"}, headers=headers)
    assert refused.status_code == 403 and refused.json() == {
        "success": False, "error": "This form has expired. Reload the page and try again.", "problems": []
    }
    passed = await owner.post(
        "/console/products/none/versions/1.0/uploads", json={"path": "a.wav"}, headers={**headers, "X-CSRF-Token": token}
    )
    assert passed.status_code == 404  # past the CSRF check: the product does not exist


def _set_cookie(response, name: str) -> str | None:
    """The value ``response`` sets for cookie ``name`` (None: it sets none)."""
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{name}="):
            return header.split(";", 1)[0].split("=", 1)[1]
    return None


async def test_signing_in_and_out_gives_a_new_csrf_token_and_the_old_one_stops_working(browser):
    login = await browser.get("/console/login")
    before = csrf_of(login.text)  # a token known before signing in (planted, say)
    signed_in = await browser.post(
        "/console/login", data={"email": OWNER, "password": PASSWORD, "_csrf_token": before, "next": "/console"}
    )
    assert signed_in.status_code == 303
    rotated = _set_cookie(signed_in, "ct_console_csrf")
    assert rotated and rotated != before
    stale = await browser.post("/console/settings/keys", data={"label": "planted", "role": "admin", "_csrf_token": before})
    assert stale.status_code == 403 and "expired" in stale.text
    page = await browser.get("/console/settings/keys")
    during = csrf_of(page.text)
    assert during == rotated
    signed_out = await browser.post("/console/logout", data={"_csrf_token": during})
    assert signed_out.status_code == 303
    assert _set_cookie(signed_out, "ct_console_csrf") not in (None, "", during)
    again = await browser.post(
        "/console/login", data={"email": OWNER, "password": PASSWORD, "_csrf_token": during, "next": "/console"}
    )
    assert again.status_code == 403


async def test_a_buyers_sign_in_and_out_give_a_new_csrf_token(console_app, mailbox):
    from tests.test_my import shop_with_purchase
    from tests.test_my import sign_in as my_sign_in

    async with browser_of(console_app) as client:
        client.hub = console_app.state.hub
        await shop_with_purchase(client, "buyer-shop", "order-1")
        before = csrf_of((await client.get("/my")).text)
        await my_sign_in(client, mailbox)
        after = csrf_of((await client.get("/my")).text)
        assert after != before
        stale = await client.post("/my/sign-out", data={"_csrf_token": before})
        assert stale.status_code == 403
        signed_out = await client.post("/my/sign-out", data={"_csrf_token": after})
        assert signed_out.status_code == 303 and _set_cookie(signed_out, "ct_csrf") not in (None, "", after)
