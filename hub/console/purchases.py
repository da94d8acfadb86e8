"""Purchases: search and filter; a purchase's page with its links, download
sessions and emails; and what support does (members and admins)."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Stream

from hub.console.auth import Console
from hub.console.pages import FailedForm, confirm_page, needs_confirmation, page
from hub.context import Hub
from hub.errors import Invalid, NotFound
from hub.services import support


def _back(purchase_id: str, notice: str = "") -> Response:
    suffix = f"?done={notice}" if notice else ""
    return Redirect(f"/console/purchases/{purchase_id}{suffix}", status_code=303)


NOTICES = {
    "resent": "The delivery email is on its way.",
    "sent": "The product was sent: the delivery email is on its way.",
    "extended": "The expiry was moved.",
    "limit": "The download limit was changed.",
    "reset": "The downloads used were reset.",
    "revoked": "The link was revoked: it stopped working.",
    "restored": "The link was restored.",
}


async def _purchase_page(
    hub: Hub, console: Console, purchase_id: str, *, notice: str | None = None, failed: FailedForm | None = None
) -> Response:
    detail = await support.purchase_detail(console.org, purchase_id)
    return page(
        hub, console, "console/purchase.html", title=f"Purchase {detail['purchase']['provider_ref']}",
        section="purchases", notice=notice, failed=failed, **detail,
    )


REVOKE_CONSEQUENCES = [
    "The link, and every copy of it sent again, stops working at once: the buyer can no longer download.",
    "You can restore it later from the same page.",
]


class PurchasesController(Controller):
    path = "/purchases"

    @get("/")
    async def purchases(
        self, hub: Hub, console: Console, q: str = "", provider: str = "", status: str = "",
        since: str = "", until: str = "", offset: int = 0,
    ) -> Response:
        rows, total = await support.search_purchases(
            console.org, text=q, provider=provider, status=status, since=since, until=until, offset=offset
        )
        return page(
            hub, console, "console/purchases.html", title="Purchases", section="purchases", purchases=rows,
            total=total, offset=offset, page_size=support.PAGE_SIZE, filters=await support.purchase_filters(console.org),
            query={"q": q, "provider": provider, "status": status, "since": since, "until": until},
        )

    @get("/export.csv")
    async def export(
        self, console: Console, q: str = "", provider: str = "", status: str = "", since: str = "", until: str = "",
    ) -> Stream:
        """The purchases the page's filters find, as CSV (all of them, not one page)."""
        lines = support.purchases_csv(console.org, text=q, provider=provider, status=status, since=since, until=until)
        return Stream(
            lines, media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="purchases-{since or "all"}-{until or "all"}.csv"'},
        )

    @get("/{purchase_id:str}")
    async def purchase(self, hub: Hub, console: Console, purchase_id: str, done: str = "") -> Response:
        return await _purchase_page(hub, console, purchase_id, notice=NOTICES.get(done))

    @post("/{purchase_id:str}/resend", status_code=303)
    async def resend(self, hub: Hub, console: Console, request: Request, purchase_id: str) -> Response:
        console.require("member")
        form = await console.form(request)
        try:
            recipient = await support.resend_delivery(hub, console.org, purchase_id, (form.get("email") or "").strip() or None)
        except Invalid as problem:
            return await _purchase_page(hub, console, purchase_id, failed=FailedForm.of("resend", form, problem))
        await console.audit("purchase.resend_delivery", purchase_id, recipient=recipient)
        return _back(purchase_id, "resent")

    @post("/{purchase_id:str}/links/{token_id:str}/{action:str}", status_code=303)
    async def link_action(
        self, hub: Hub, console: Console, request: Request, purchase_id: str, token_id: str, action: str
    ) -> Response:
        console.require("member")
        form = await console.form(request)
        if action == "revoke" and needs_confirmation(form):
            await support.token_of(console.org, purchase_id, token_id)
            return confirm_page(
                hub, console, form, action=f"/console/purchases/{purchase_id}/links/{token_id}/revoke",
                title="Revoke this download link", consequences=REVOKE_CONSEQUENCES, button="Revoke the link",
                back=f"/console/purchases/{purchase_id}", section="purchases",
            )
        if action == "fresh":
            url = await support.fresh_link(hub, console.org, purchase_id, token_id)
            await console.audit("link.fresh", token_id, purchase=purchase_id)
            detail = await support.purchase_detail(console.org, purchase_id)
            return page(
                hub, console, "console/purchase.html", title=f"Purchase {detail['purchase']['provider_ref']}",
                section="purchases", status=200, fresh_url=url, fresh_token=token_id, **detail,
            )
        try:
            if action == "extend":
                await support.extend_expiry(hub, console.org, purchase_id, token_id, form.get("days"))
            elif action == "limit":
                await support.set_download_limit(console.org, purchase_id, token_id, (form.get("limit") or "").strip())
        except Invalid as problem:
            return await _purchase_page(hub, console, purchase_id, failed=FailedForm.of(f"{action}-{token_id}", form, problem))
        if action == "extend":
            notice = "extended"
        elif action == "limit":
            notice = "limit"
        elif action == "reset":
            await support.reset_downloads(console.org, purchase_id, token_id)
            notice = "reset"
        elif action in ("revoke", "restore"):
            await support.set_revoked(console.org, purchase_id, token_id, revoked=action == "revoke")
            notice = "revoked" if action == "revoke" else "restored"
        else:
            raise NotFound("Not found")
        await console.audit(f"link.{action}", token_id, purchase=purchase_id, **{k: v for k, v in form.items() if k in ("days", "limit")})
        return _back(purchase_id, notice)
