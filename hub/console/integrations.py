"""Settings → payments and Settings → email (admins)."""

from __future__ import annotations

import html

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from hub.console.auth import Console
from hub.console.pages import FailedForm, page
from hub.console.security import add_security_headers
from hub.context import Hub
from hub.emails import FOLDER
from hub.errors import Invalid
from hub.plugins import RenderedEmail
from hub.services import email_templates, product_mappings, setup_status

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


def builtin_wording(kind: str) -> dict[str, str]:
    """The built-in subject and text of a buyer email: where editing starts
    (the HTML starts empty: a shop's email without HTML is text only)."""
    from hub.pages import BUILTIN_TEMPLATES

    folder = BUILTIN_TEMPLATES / FOLDER
    return {
        "subject": (folder / f"{kind}.subject.txt").read_text().strip(),
        "text": (folder / f"{kind}.txt").read_text(),
        "html": "",
    }


async def _email_page(
    hub: Hub, console: Console, template: str, *, sent: str = "", notice: str | None = None,
    failed: FailedForm | None = None, draft: dict[str, str] | None = None, draft_preview: RenderedEmail | None = None,
) -> Response:
    templates = setup_status.email_templates()
    chosen = template if template in templates else templates[0]
    preview, preview_error = None, None
    if draft_preview is not None:
        preview = draft_preview
    else:
        try:
            preview = await setup_status.preview_email(hub, chosen)
            if chosen in email_templates.EDITABLE:
                from hub.email_samples import SAMPLES

                preview = await email_templates.render_override(console.org, chosen, SAMPLES[chosen](hub.settings)) or preview
        except Invalid as problem:
            preview_error = problem.message
    wording, customized = None, False
    if chosen in email_templates.EDITABLE:
        row = await email_templates.find(console.org, chosen)
        customized = row is not None
        wording = draft or ({p: row[p] for p in email_templates.PARTS} if row else builtin_wording(chosen))
    response = page(
        hub, console, "console/email.html", title="Email", section="settings",
        configured=setup_status.mailer_configured(hub), sent=sent, templates=templates, chosen=chosen,
        preview=preview, preview_error=preview_error, wording=wording, customized=customized, notice=notice,
        failed=failed, editable=email_templates.EDITABLE, max_chars=email_templates.MAX_TEMPLATE_CHARS,
        draft=draft_preview is not None,
    )
    if failed is not None:
        response.status_code = failed.status
    return response


class EmailSettingsController(Controller):
    path = "/settings/email"

    @get("/")
    async def email(self, hub: Hub, console: Console, sent: str = "", template: str = "", done: str = "") -> Response:
        console.require("admin")
        notice = {"saved": "Saved: this email now goes out in your wording.",
                  "reset": "Back to the built-in wording."}.get(done)
        return await _email_page(hub, console, template, sent=sent, notice=notice)

    @post("/templates/{kind:str}", status_code=303)
    async def save_wording(self, hub: Hub, console: Console, request: Request, kind: str) -> Response:
        """Preview (re-rendered here, nothing stored), save, or reset to default."""
        console.require("admin")
        form = await console.form(request)
        if kind not in email_templates.EDITABLE:
            raise Invalid(f"Only these emails can be reworded: {', '.join(email_templates.EDITABLE)}", field="kind")
        action = form.get("action") or "save"
        if action == "reset":
            if await email_templates.reset(console.org, kind):
                await console.audit("email.template_reset", kind)
            return Redirect(f"/console/settings/email?template={kind}&done=reset", status_code=303)
        parts = {p: (form.get(p) or "").replace("\r\n", "\n") for p in email_templates.PARTS}
        try:
            if action == "preview":
                rendered = email_templates.check(kind, parts, hub.settings)
                return await _email_page(hub, console, kind, draft=parts, draft_preview=rendered,
                                         notice="Preview of your draft (not saved yet).")
            await email_templates.save(console.org, kind, parts, settings=hub.settings, by=console.person.email)
        except Invalid as problem:
            return await _email_page(hub, console, kind, draft=parts, failed=FailedForm.of("wording", parts, problem))
        await console.audit("email.template_save", kind)
        return Redirect(f"/console/settings/email?template={kind}&done=saved", status_code=303)

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
        if template in email_templates.EDITABLE:
            from hub.email_samples import SAMPLES

            rendered = await email_templates.render_override(console.org, template, SAMPLES[template](hub.settings)) or rendered
        body = rendered.html or f"<pre>{html.escape(rendered.text)}</pre>"
        return Response(body, media_type="text/html")
