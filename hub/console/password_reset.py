"""Forgot password: the sign-in page's "Forgot your password?" form (the
same answer whether or not the address has an account) and the emailed
link's page, where a new password is chosen (:mod:`hub.services.password_resets`)."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from hub.console.pages import client_ip, form_of, render
from hub.context import Hub
from hub.errors import Invalid, TooManyRequests
from hub.services import password_resets
from hub.services.audit import audit, user_actor
from hub.web.csrf import csrf_token

SENT = "If an account exists for that address, we sent it a link to choose a new password. It works once, for 30 minutes."


def _forgot_page(hub: Hub, request: Request, *, status: int = 200, email: str = "", error: str | None = None,
                 sent: bool = False) -> Response:
    return render(
        hub, "console/forgot.html", status=status, csrf=csrf_token(request), email=email, error=error,
        notice=SENT if sent else None,
    )


def _reset_page(hub: Hub, request: Request, token: str, email: str | None, *, status: int = 200,
                error: str | None = None) -> Response:
    return render(hub, "console/reset.html", status=status, csrf=csrf_token(request), token=token, email=email, error=error)


class PasswordResetController(Controller):
    path = "/"

    @get("/forgot")
    async def forgot_form(self, hub: Hub, request: Request, sent: str = "") -> Response:
        return _forgot_page(hub, request, sent=bool(sent))

    @post("/forgot", status_code=303)
    async def forgot(self, hub: Hub, request: Request) -> Response:
        form = await form_of(request)
        email = (form.get("email") or "").strip()
        try:
            await password_resets.request_reset(hub, email, ip=client_ip(request))
        except Invalid as problem:
            return _forgot_page(hub, request, status=422, email=email, error=problem.message)
        except TooManyRequests as problem:
            return _forgot_page(hub, request, status=429, email=email, error=problem.message)
        return Redirect("/console/forgot?sent=1", status_code=303)

    @get("/reset")
    async def reset_form(self, hub: Hub, request: Request, token: str | None = None) -> Response:
        # A form, not an automatic action: mail scanners open links.
        email = await password_resets.reset_email(token)
        return _reset_page(hub, request, token or "", email, status=200 if email else 410)

    @post("/reset", status_code=303)
    async def reset(self, hub: Hub, request: Request) -> Response:
        form = await form_of(request)
        token = form.get("token") or ""
        try:
            if form.get("password") != form.get("password_again"):
                raise Invalid("The two passwords differ.", field="password_again")
            done = await password_resets.reset_password(hub, token, form.get("password") or "")
        except Invalid as problem:
            email = await password_resets.reset_email(token)
            return _reset_page(hub, request, token, email, status=422 if email else 410, error=problem.message)
        if done is None:
            return _reset_page(hub, request, token, None, status=410)
        who, ended = done
        ip = client_ip(request)
        for org in who.roles:
            await audit(org=org, actor=user_actor(who.email), action="account.reset_password", target=who.email,
                        detail={"sessions_ended": ended}, ip=ip)
        return Redirect("/console/login?reset=1", status_code=303)
