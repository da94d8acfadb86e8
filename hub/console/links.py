"""Links: every download link of the shop, with or without a purchase,
found by buyer and product, and revoked, restored, extended or sent again;
and sending a product to someone (a purchase with provider ``console``)."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from hub.console.auth import Console
from hub.console.pages import FailedForm, confirm_page, needs_confirmation, page
from hub.context import Hub
from hub.errors import Invalid, NotFound
from hub.services import links, support
from hub.services import products as product_service

NOTICES = {
    "sent": "The link is on its way by email.",
    "extended": "The expiry was moved.",
    "revoked": "The link was revoked: it stopped working.",
    "restored": "The link was restored.",
}


async def _links_page(
    hub: Hub, console: Console, *, buyer: str = "", product: str = "", offset: int = 0, notice: str | None = None,
    failed: FailedForm | None = None,
) -> Response:
    rows, total = await links.search_links(console.org, buyer=buyer, product=product, offset=offset)
    products, _ = await product_service.list_products(hub.db, console.org, status=None, search=None, limit=500, offset=0)
    return page(
        hub, console, "console/links.html", title="Links", section="links", links=rows, total=total,
        offset=max(0, offset), page_size=links.PAGE_SIZE, products=products, notice=notice, failed=failed,
        query={"buyer": buyer, "product": product},
    )


async def _send_page(hub: Hub, console: Console, *, product: str = "", failed: FailedForm | None = None) -> Response:
    products, _ = await product_service.list_products(hub.db, console.org, status=None, search=None, limit=500, offset=0)
    return page(
        hub, console, "console/send.html", title="Send a product", section="purchases",
        products=[p for p in products if p["active_version"] and p["status"] != "archived"], chosen=product, send_id=links.new_send_id(), failed=failed,
    )


class LinksController(Controller):
    path = "/links"

    @get("/")
    async def links(self, hub: Hub, console: Console, buyer: str = "", product: str = "", offset: int = 0, done: str = "") -> Response:
        return await _links_page(hub, console, buyer=buyer, product=product, offset=offset, notice=NOTICES.get(done))

    @post("/{token_id:str}/{action:str}", status_code=303)
    async def act(self, hub: Hub, console: Console, request: Request, token_id: str, action: str) -> Response:
        console.require("member")
        form = await console.form(request)
        back = {"buyer": form.get("buyer") or "", "product": form.get("product") or ""}
        if action == "revoke" and needs_confirmation(form):
            token = await support.token_of(console.org, None, token_id)
            return confirm_page(
                hub, console, form, action=f"/console/links/{token_id}/revoke",
                title=f"Revoke the link of {token['customer_email'] or 'no email'}",
                consequences=[
                    "The link, and every copy of it sent again, stops working at once: the buyer can no longer download.",
                    "You can restore it later from the Links page.",
                ],
                button="Revoke the link", back=f"/console/links?{urlencode(back)}", section="links",
            )
        try:
            if action == "send":
                recipient = await links.send_link(hub, console.org, token_id, (form.get("email") or "").strip() or None)
                await console.audit("link.send", token_id, recipient=recipient)
            elif action == "extend":
                await support.extend_expiry(hub, console.org, None, token_id, form.get("days"))
                await console.audit("link.extend", token_id, days=form.get("days"))
            elif action in ("revoke", "restore"):
                await support.set_revoked(console.org, None, token_id, revoked=action == "revoke")
                await console.audit(f"link.{action}", token_id)
            else:
                raise NotFound("Not found")
        except Invalid as problem:
            return await _links_page(
                hub, console, buyer=back["buyer"], product=back["product"], failed=FailedForm.of(f"{action}-{token_id}", form, problem)
            )
        done = {"send": "sent", "extend": "extended", "revoke": "revoked", "restore": "restored"}[action]
        return Redirect(f"/console/links?{urlencode({**back, 'done': done})}#link-{token_id}", status_code=303)


class SendController(Controller):
    path = "/send"

    @get("/")
    async def form(self, hub: Hub, console: Console, product: str = "") -> Response:
        console.require("member")
        return await _send_page(hub, console, product=product)

    @post("/", status_code=303)
    async def send(self, hub: Hub, console: Console, request: Request) -> Response:
        console.require("member")
        form = await console.form(request)
        sending = links.Sending(
            product=form.get("product") or "", email=form.get("email") or "", reason=form.get("reason") or "",
            amount=form.get("amount") or "", currency=form.get("currency") or "", send_id=form.get("send_id") or "",
            sent_by=console.person.email,
        )
        try:
            recorded = await links.send_product(hub, console.org, sending)
        except Invalid as problem:
            return await _send_page(hub, console, product=sending.product, failed=FailedForm.of("send", form, problem))
        if recorded.created:
            await console.audit("purchase.send", recorded.purchase["id"], product=sending.product,
                                email=recorded.purchase["customer_email"], reason=sending.reason[:200])
        return Redirect(f"/console/purchases/{recorded.purchase['id']}?done=sent", status_code=303)
