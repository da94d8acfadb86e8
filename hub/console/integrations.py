"""Settings → payments and Settings → email (admins)."""

from __future__ import annotations

import html

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from hub.console.auth import Console
from hub.console.pages import page
from hub.console.security import add_security_headers
from hub.context import Hub
from hub.errors import Invalid
from hub.services import product_mappings, setup_status

# The HTML preview runs in a sandbox (no script, no origin), so the email's
# inline styles may apply; the app-wide security middleware
# (hub/web/security_headers.py) keeps a sandboxing policy a route sets.
EMAIL_PREVIEW_POLICY = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data: https:; frame-ancestors 'none'"


async def email_preview_headers(response: Response) -> Response:
    """The preview's own ``after_request`` (it replaces the console's)."""
    add_security_headers(response)
    response.headers["Content-Security-Policy"] = EMAIL_PREVIEW_POLICY
    return response


class PaymentsController(Controller):
    path = "/settings/payments"

    @get("/")
    async def payments(self, hub: Hub, console: Console) -> Response:
        console.require("admin")
        return page(
            hub, console, "console/payments.html", title="Payments", section="settings",
            providers=await setup_status.payment_providers(hub, console.org),
            mappings=await product_mappings.list_mappings(console.org), kinds=product_mappings.MAPPING_KINDS,
        )

    @post("/mappings", status_code=303)
    async def add_mapping(self, console: Console, request: Request) -> Response:
        """Map a storefront's product, variant or SKU to a hub product."""
        console.require("admin")
        form = await console.form(request)
        mapping = await product_mappings.add_mapping(
            console.org, provider=(form.get("provider") or "").strip(), kind=form.get("kind") or "",
            external_id=form.get("external_id") or "", product=form.get("product") or "",
        )
        await console.audit("product_mapping.create", mapping.id, provider=mapping.provider, kind=mapping.kind,
                            external_id=mapping.external_id, product=mapping.product)
        return Redirect("/console/settings/payments#mappings", status_code=303)

    @post("/mappings/{mapping_id:str}/delete", status_code=303)
    async def delete_mapping(self, console: Console, request: Request, mapping_id: str) -> Response:
        console.require("admin")
        await console.form(request)
        await product_mappings.delete_mapping(console.org, mapping_id)
        await console.audit("product_mapping.delete", mapping_id)
        return Redirect("/console/settings/payments#mappings", status_code=303)


class EmailSettingsController(Controller):
    path = "/settings/email"

    @get("/")
    async def email(self, hub: Hub, console: Console, sent: str = "", template: str = "") -> Response:
        console.require("admin")
        templates = setup_status.email_templates()
        chosen = template if template in templates else templates[0]
        try:
            preview, preview_error = await setup_status.preview_email(hub, chosen), None
        except Invalid as problem:
            preview, preview_error = None, problem.message
        return page(
            hub, console, "console/email.html", title="Email", section="settings",
            configured=setup_status.mailer_configured(hub), sent=sent, templates=templates, chosen=chosen,
            preview=preview, preview_error=preview_error,
        )

    @post("/test", status_code=303)
    async def test_email(self, hub: Hub, console: Console, request: Request) -> Response:
        console.require("admin")
        form = await console.form(request)
        recipient = await setup_status.send_test_email(hub, console.org, form.get("email") or "")
        await console.audit("email.test", recipient)
        return Redirect(f"/console/settings/email?sent={recipient}", status_code=303)

    @get("/preview/{template:str}", after_request=email_preview_headers)
    async def html_preview(self, hub: Hub, console: Console, template: str) -> Response:
        console.require("admin")
        rendered = await setup_status.preview_email(hub, template)
        body = rendered.html or f"<pre>{html.escape(rendered.text)}</pre>"
        return Response(body, media_type="text/html")
