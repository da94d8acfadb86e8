"""Your account: changing your own password asks for the current one, never
sends a password back, and signs out every other browser."""

from __future__ import annotations

from tests.console.conftest import OWNER, PASSWORD, browser_of, post_form, sign_in
from tests.console.test_forms import field_error

NEW = "a brand new passphrase"


async def test_changing_your_password_asks_for_the_current_one_and_signs_out_other_browsers(console_app, owner):
    async with browser_of(console_app, ip="192.0.2.44") as laptop:
        assert (await sign_in(laptop)).status_code == 303
        assert (await laptop.get("/console")).status_code == 200

        wrong = await post_form(owner, "/console/account", "/console/account/password", current="not it",
                                password=NEW, password_again=NEW)
        assert wrong.status_code == 422
        assert field_error(wrong.text, "current") == "That is not your current password."
        assert NEW not in wrong.text and "not it" not in wrong.text  # passwords are never sent back
        differ = await post_form(owner, "/console/account", "/console/account/password", current=PASSWORD,
                                 password=NEW, password_again=NEW + "!")
        assert field_error(differ.text, "new-password-again") == "The two new passwords differ."
        short = await post_form(owner, "/console/account", "/console/account/password", current=PASSWORD,
                                password="short", password_again="short")
        assert field_error(short.text, "new-password").startswith("The password must have at least")

        changed = await post_form(owner, "/console/account", "/console/account/password", current=PASSWORD,
                                  password=NEW, password_again=NEW)
        assert changed.status_code == 303
        assert "Your password was changed" in (await owner.get(changed.headers["location"])).text  # this browser stays
        assert (await laptop.get("/console")).status_code == 303  # the other one was signed out

    async with browser_of(console_app, ip="192.0.2.45") as later:
        assert (await sign_in(later, OWNER, PASSWORD)).status_code == 401
        assert (await sign_in(later, OWNER, NEW)).status_code == 303
