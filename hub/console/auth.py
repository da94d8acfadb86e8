"""Who is using the console: sign-in and sign-out, and the ``console``
dependency every page is given (the session, the person, the organization
they are looking at and their role in it)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from hub.console.pages import client_ip, form_of, render
from hub.console.security import CSRF_COOKIE
from hub.context import Hub
from hub.errors import Forbidden, Unauthorized
from hub.services import console_sessions
from hub.services.accounts import ROLES
from hub.services.audit import audit, user_actor
from hub.services.people import Person, person
from hub.web.cookies import cookies_secure
from hub.web.csrf import csrf_token, rotate_csrf_cookie

SESSION_COOKIE = "ct_console"


class NotSignedIn(Unauthorized):
    """A console page was asked for without a live session (→ the sign-in page)."""


@dataclass
class Console:
    """The signed-in person's view of the console for this request."""

    session_id: str
    person: Person
    org: str
    role: str
    csrf: str
    ip: str

    @property
    def actor(self) -> str:
        return user_actor(self.person.email)

    def can(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)

    def require(self, role: str) -> None:
        if not self.can(role):
            raise Forbidden(f"This needs the {role} role in {self.org}; yours is {self.role}.")

    async def form(self, request: Request) -> dict[str, str]:
        """The submitted form (its CSRF token was checked by the router's
        middleware before the handler ran)."""
        return await form_of(request)

    async def audit(self, action: str, target: str = "", **detail) -> None:
        await audit(org=self.org, actor=self.actor, action=action, target=target, detail=detail, ip=self.ip)


async def provide_console(request: Request) -> Console:
    """The ``console`` dependency: raises :class:`NotSignedIn` without a session."""
    session = await console_sessions.find_session(request.cookies.get(SESSION_COOKIE))
    who = await person(session["user_id"]) if session else None
    if session is None or who is None:
        raise NotSignedIn("Sign in to continue.")
    org = session["org"] if session["org"] in who.roles else (min(who.roles) if who.roles else "")
    if not org:
        raise Forbidden("Your account belongs to no organization yet. Ask an admin to invite you.")
    return Console(
        session_id=session["id"], person=who, org=org, role=who.roles[org], csrf=csrf_token(request), ip=client_ip(request)
    )


def _safe_next(target: str | None) -> str:
    """Only a console path: never an open redirect to another site."""
    if target and target.startswith("/console") and not target.startswith("//") and "\\" not in target:
        return target
    return "/console"


def login_page(hub: Hub, request: Request, status: int = 200, error: str | None = None, email: str = "") -> Response:
    return render(
        hub, "console/login.html", status=status, csrf=csrf_token(request), error=error, email=email,
        next=_safe_next(request.query_params.get("next")), reset=request.query_params.get("reset") == "1",
    )


def login_redirect(request: Request) -> Response:
    """To the sign-in page, coming back afterwards to the page asked for
    (after a form, to the console's home: a form cannot be replayed)."""
    if request.method not in ("GET", "HEAD"):
        return Redirect("/console/login", status_code=303)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(f"/console/login?next={quote(target, safe='')}", status_code=303)


def signed_in(request: Request, response: Response, secret: str) -> Response:
    """``response`` with the new session's cookie, and a new CSRF token: the
    one the browser had before signing in (perhaps planted) stops working."""
    hub: Hub = request.app.state.hub
    response.set_cookie(
        SESSION_COOKIE, secret, path="/console", httponly=True, samesite="lax",
        max_age=console_sessions.SESSION_HOURS * 3600, secure=cookies_secure(request.scope, hub.settings.public_url),
    )
    rotate_csrf_cookie(request, response, CSRF_COOKIE, "/console")
    return response


def signed_out(request: Request, response: Response) -> Response:
    """``response`` without the session's cookie, and with a new CSRF token."""
    response.delete_cookie(SESSION_COOKIE, path="/console")
    rotate_csrf_cookie(request, response, CSRF_COOKIE, "/console")
    return response


class SignInController(Controller):
    path = "/"

    @get("/login")
    async def login_form(self, hub: Hub, request: Request) -> Response:
        return login_page(hub, request)

    @post("/login", status_code=303)
    async def login(self, hub: Hub, request: Request) -> Response:
        form = await form_of(request)
        email = (form.get("email") or "").strip()
        ip = client_ip(request)
        who = await console_sessions.sign_in(email, form.get("password") or "", ip)
        if who is None:
            return login_page(hub, request, status=401, error="That email and password do not match.", email=email)
        secret = await console_sessions.open_session(who, ip)
        for org in who.roles:
            await audit(org=org, actor=user_actor(who.email), action="console.sign_in", ip=ip)
        return signed_in(request, Redirect(_safe_next(form.get("next")), status_code=303), secret)

    @post("/logout", status_code=303)
    async def logout(self, console: Console, request: Request) -> Response:
        await console.form(request)
        await console_sessions.end_session(console.session_id)
        await console.audit("console.sign_out")
        return signed_out(request, Redirect("/console/login", status_code=303))

    @post("/logout-everywhere", status_code=303)
    async def logout_everywhere(self, console: Console, request: Request) -> Response:
        await console.form(request)
        ended = await console_sessions.end_all_sessions(console.person.id)
        await console.audit("console.sign_out_everywhere", sessions=ended)
        return signed_out(request, Redirect("/console/login", status_code=303))

    @post("/org", status_code=303)
    async def switch_org(self, console: Console, request: Request) -> Response:
        form = await console.form(request)
        org = form.get("org") or ""
        if org not in console.person.roles:
            raise Forbidden("You are not a member of that organization.")
        await console_sessions.switch_org(console.session_id, org)
        return Redirect("/console", status_code=303)
