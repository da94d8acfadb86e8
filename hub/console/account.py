"""Your account: change your own password (the current one asked for;
every other browser signed in as you is signed out)."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from hub.console.auth import Console
from hub.console.pages import FailedForm, page
from hub.context import Hub
from hub.errors import Invalid, TooManyRequests
from hub.services import console_sessions


def _account_page(hub: Hub, console: Console, *, notice: str | None = None, failed: FailedForm | None = None) -> Response:
    return page(hub, console, "console/account.html", title="Your account", section="account", notice=notice, failed=failed)


class AccountController(Controller):
    path = "/account"

    @get("/")
    async def account(self, hub: Hub, console: Console, done: str = "") -> Response:
        notice = "Your password was changed; every other browser signed in as you was signed out." if done == "password" else None
        return _account_page(hub, console, notice=notice)

    @post("/password", status_code=303)
    async def change_password(self, hub: Hub, console: Console, request: Request) -> Response:
        form = await console.form(request)
        # What was typed in a password field is never sent back.
        blank = {k: v for k, v in form.items() if k not in ("current", "password", "password_again")}
        try:
            if (form.get("password") or "") != (form.get("password_again") or ""):
                raise Invalid("The two new passwords differ.", field="password_again")
            ended = await console_sessions.change_password(
                console.person, form.get("current") or "", form.get("password") or "", keep_session=console.session_id
            )
        except (Invalid, TooManyRequests) as problem:
            return _account_page(hub, console, failed=FailedForm.of("password", blank, problem))
        await console.audit("account.change_password", console.person.email, sessions_ended=ended)
        return Redirect("/console/account?done=password", status_code=303)
