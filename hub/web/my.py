"""``/my``: the buyer's self-service page, one address for every shop."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from hub.client_ip import client_ip
from hub.clock import as_aware, utcnow
from hub.context import Hub
from hub.errors import HubError, Invalid
from hub.services import buyers, licenses
from hub.services.archives import archive_summaries
from hub.services.shops import single_shop
from hub.web.cookies import cookies_secure
from hub.web.csrf import csrf_protection, csrf_token, rotate_csrf_cookie
from hub.web.downloads import archive_path

SESSION_COOKIE = "ct_my"
CSRF_COOKIE = "ct_csrf"


def _page(hub: Hub, request: Request, template: str, status: int = 200, **context) -> Response:
    html = hub.templates.get_template(template).render(
        csrf=csrf_token(request), now=utcnow(), as_aware=as_aware, **context
    )
    response = Response(html, status_code=status, media_type="text/html")
    response.headers["Cache-Control"] = "no-store"  # security headers: hub.web.security_headers
    return response


def my_error(request: Request, status: int, message: str, problems: list) -> Response:
    """Errors on ``/my`` are pages, with the sign-in form to try again."""
    hub: Hub = request.app.state.hub
    return _page(hub, request, "my.html", status=status, email=None, shops=None, error=message)


async def _form(request: Request) -> dict:
    form = await request.form()
    return {key: form.get(key) for key in form.keys()}


class MyController(Controller):
    path = "/my"
    include_in_schema = False
    middleware = [csrf_protection(CSRF_COOKIE, "/my")]  # every form's token (hub.web.csrf)

    @get("/")
    async def my_page(self, hub: Hub, request: Request) -> Response:
        email = await buyers.signed_in_email(request.cookies.get(SESSION_COOKIE))
        return await self._library(hub, request, email)

    async def _library(self, hub: Hub, request: Request, email: str | None, status: int = 200, **context) -> Response:
        shops = await buyers.library(hub.settings, email) if email else None
        archives = await archive_summaries(
            [t["id"] for shop in shops or () for p in shop["purchases"] for t in p["tokens"] if t["available"]]
        )
        keys = await licenses.licenses_of_email(hub, email) if email else []
        # Bought from one shop (or a hub of one shop): the page is that shop's.
        shop = shops[0]["identity"] if shops and len(shops) == 1 else await single_shop(hub.settings)
        return _page(
            hub, request, "my.html", status=status, email=email, shops=shops, archives=archives,
            link_hours=buyers.LINK_HOURS, shop=shop, licenses=keys, **context,
        )
    @post("/licenses/{license_id:str}/activations/{activation_id:str}/deactivate", status_code=303)
    async def deactivate_machine(self, hub: Hub, request: Request, license_id: str, activation_id: str) -> Response:
        """The buyer frees a machine's seat of their own key (limited per
        key per 30 days: :func:`hub.services.licenses.release_by_buyer`)."""
        email = await buyers.signed_in_email(request.cookies.get(SESSION_COOKIE))
        if email is None:
            return Redirect("/my", status_code=303)
        try:
            await licenses.release_by_buyer(hub, email, license_id, activation_id)
        except HubError as refused:
            return await self._library(hub, request, email, status=refused.status_code, error=refused.message)
        return Redirect("/my", status_code=303)

    @post("/sign-in", status_code=200)
    async def ask_for_link(self, hub: Hub, request: Request) -> Response:
        form = await _form(request)
        email = (form.get("email") or "").strip()
        if not email:
            raise Invalid("Enter the email address you bought with.", field="email")
        await buyers.request_sign_in(hub, email, client_ip(request))
        return _page(
            hub, request, "my_sent.html", email=email.lower(), minutes=hub.settings.sign_in_minutes,
            shop=await single_shop(hub.settings),
        )

    @get("/sign-in")
    async def confirm_page(self, hub: Hub, request: Request, token: str | None = None) -> Response:
        # A page with a button, not an automatic sign-in: mail scanners open
        # links, and must not spend the buyer's one-time link.
        return _page(hub, request, "my_confirm.html", token=token or "", shop=await single_shop(hub.settings))

    @post("/sign-in/confirm", status_code=200)
    async def confirm(self, hub: Hub, request: Request) -> Response:
        form = await _form(request)
        session = await buyers.confirm_sign_in(form.get("token"))
        if session is None:
            return _page(
                hub, request, "my.html", status=410, email=None, shops=None, shop=await single_shop(hub.settings),
                error="This sign-in link has expired or was already used. Ask for a new one below.",
            )
        response = Redirect("/my", status_code=303)
        response.set_cookie(
            SESSION_COOKIE, session, path="/my", httponly=True, samesite="lax",
            max_age=buyers.SESSION_HOURS * 3600, secure=cookies_secure(request.scope, hub.settings.public_url),
        )
        # A new CSRF token with the session: one known before no longer works.
        rotate_csrf_cookie(request, response, CSRF_COOKIE, "/my")
        return response

    @post("/links/{token_id:str}", status_code=303)
    async def open_download(self, hub: Hub, request: Request, token_id: str) -> Response:
        email = await buyers.signed_in_email(request.cookies.get(SESSION_COOKIE))
        if email is None:
            return Redirect("/my", status_code=303)
        url = await buyers.fresh_link(hub, email, token_id)
        if (await _form(request)).get("archive"):
            # "Download all": the fresh link's ZIP rather than its page.
            archive = (await archive_summaries([token_id])).get(token_id)
            if archive is not None:
                url = url.replace("/download?", archive_path(archive.name) + "?", 1)
        return Redirect(url, status_code=303)

    @post("/sign-out", status_code=303)
    async def sign_out(self, hub: Hub, request: Request) -> Response:
        await buyers.sign_out(request.cookies.get(SESSION_COOKIE))
        response = Redirect("/my", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/my")
        rotate_csrf_cookie(request, response, CSRF_COOKIE, "/my")
        return response
