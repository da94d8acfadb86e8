"""``/updates/unsubscribe``: a buyer stops a shop's update emails.

The link in every update email (and its ``List-Unsubscribe`` header)
carries a sealed value naming the organization and the address
(:func:`hub.services.update_notices.unsubscribe_link`). ``GET`` shows a
page with a button (mail scanners open links: they must not unsubscribe
anyone); ``POST`` unsubscribes, which is also what a mail client's
one-click unsubscribe sends (RFC 8058: ``List-Unsubscribe=One-Click`` in
the body, no cookie, no CSRF token: the sealed value is the proof).
"""

from __future__ import annotations

from litestar import Controller, Response, get, post

from hub.context import Hub
from hub.errors import NotFound
from hub.services import update_notices


def _page(hub: Hub, status: int = 200, **context: object) -> Response:
    html = hub.templates.get_template("update_unsubscribe.html").render(**context)
    return Response(html, status_code=status, media_type="text/html", headers={"Cache-Control": "no-store"})


class UnsubscribeController(Controller):
    path = "/updates/unsubscribe"
    include_in_schema = False

    @get("/")
    async def confirm_page(self, hub: Hub, u: str = "") -> Response:
        try:
            org, email = update_notices.open_unsubscribe(hub, u)
        except NotFound as problem:
            return _page(hub, 404, error=problem.message)
        return _page(hub, value=u, email=email, done=False)

    @post("/", status_code=200)
    async def unsubscribe(self, hub: Hub, u: str = "") -> Response:
        try:
            shop, email = await update_notices.unsubscribe(hub, u)
        except NotFound as problem:
            return _page(hub, 404, error=problem.message)
        return _page(hub, email=email, shop=shop, done=True)
