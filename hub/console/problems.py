"""Problems: unfulfilled purchases (fix and fulfil), failed emails (retry
now), payment events the hub could not act on."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from hub.console.auth import Console
from hub.console.pages import page
from hub.context import Hub
from hub.services import problems


class ProblemsController(Controller):
    path = "/problems"

    @get("/")
    async def problems(self, hub: Hub, console: Console, done: str = "") -> Response:
        return page(
            hub, console, "console/problems.html", title="Problems", section="problems",
            purchases=await problems.unfulfilled_purchases(console.org),
            emails=await problems.failed_emails(console.org),
            events=await problems.failed_payment_events(console.org),
            notice={"fixed": "The purchase was fulfilled and its delivery email sent.", "retried": "The email will be sent again now."}.get(done),
        )

    @post("/purchases/{purchase_id:str}/fulfil", status_code=303)
    async def fulfil(self, hub: Hub, console: Console, request: Request, purchase_id: str) -> Response:
        console.require("member")
        form = await console.form(request)
        fixed = await problems.fix_and_fulfil(
            hub, console.org, purchase_id, email=form.get("email") or "", items=form.get("items") or ""
        )
        await console.audit("purchase.fix_and_fulfil", purchase_id, email=fixed["email"], minted=fixed["minted"])
        return Redirect("/console/problems?done=fixed", status_code=303)

    @post("/emails/{message_id:str}/retry", status_code=303)
    async def retry(self, hub: Hub, console: Console, request: Request, message_id: str) -> Response:
        console.require("member")
        await console.form(request)
        await problems.retry_email(hub, console.org, message_id)
        await console.audit("email.retry", message_id)
        return Redirect("/console/problems?done=retried", status_code=303)
