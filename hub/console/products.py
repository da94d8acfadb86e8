"""Products: list and search, create and edit, versions with their files
and changelogs, a new version uploaded from the browser, activation.

The browser's upload (``static/console-upload.js``) speaks to the JSON
endpoints below, which call the same services as the upload API: the
manifest is checked as the API checks it, parts are resumable, and the
server verifies each file's size and SHA-256 when it is completed. They
are signed-in requests, so they carry the page's CSRF token in the
``X-CSRF-Token`` header (checked by the console router's middleware).
"""

from __future__ import annotations

import json
from typing import Any

from litestar import Controller, Request, Response, get, post, put
from litestar.response import Redirect

from hub.console.auth import Console
from hub.console.pages import FailedForm, confirm_page, needs_confirmation, page
from hub.context import Hub
from hub.errors import Conflict, Invalid
from hub.inputs import check_text
from hub.requests import read_upload_part
from hub.services import links as link_service
from hub.services import products as product_service
from hub.services import update_notices
from hub.services import uploads as upload_service
from hub.services import versions as version_service
from hub.services.entitlement import RIGHTS
from hub.services.products import STATUSES

PAGE_SIZE = 50


def _metadata(text: str | None) -> dict:
    if text is None or not text.strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        raise Invalid("metadata must be a JSON object, e.g. {\"genre\": \"drums\"}", field="metadata") from None
    if not isinstance(value, dict):
        raise Invalid("metadata must be a JSON object, e.g. {\"genre\": \"drums\"}", field="metadata")
    return value


async def _json(console: Console, request: Request) -> dict:
    """A JSON request of the upload script (its CSRF header is checked by
    the console router's middleware)."""
    try:
        body = await request.json()
    except ValueError:
        raise Invalid("The request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise Invalid("The request body must be a JSON object")
    return body


async def _products_page(
    hub: Hub, console: Console, *, q: str = "", status: str = "", offset: int = 0, failed: FailedForm | None = None,
    notice: str | None = None,
) -> Response:
    rows, total = await product_service.list_products(
        hub.db, console.org, status=status or None, search=q or None, limit=PAGE_SIZE, offset=max(0, offset)
    )
    return page(
        hub, console, "console/products.html", title="Products", section="products", products=rows, total=total,
        statuses=STATUSES, query={"q": q, "status": status}, offset=offset, page_size=PAGE_SIZE, failed=failed,
        notice=notice,
    )


async def _product_page(
    hub: Hub, console: Console, slug: str, *, notice: str | None = None, failed: FailedForm | None = None
) -> Response:
    product = await product_service.find_product(console.org, slug)
    versions = await version_service.list_versions(console.org, slug)
    detailed = [await version_service.version_detail(product, v["version"]) for v in versions[:20]]
    for version in detailed:
        version["notices"] = await update_notices.progress(hub, version["id"])
    links, link_count = await link_service.search_links(console.org, product=product["slug"])
    return page(
        hub, console, "console/product.html", title=product["name"], section="products", product=product,
        versions=detailed, statuses=STATUSES, metadata_text=json.dumps(product["metadata"] or {}, indent=2),
        notice=notice, failed=failed, links=links[:10], link_count=link_count,
        deletable={v["id"] for v in detailed if not await version_service.deletion_blocker(product, v)},
        rights=RIGHTS, unsubscribed=await update_notices.unsubscribed(console.org),
    )


class ProductsController(Controller):
    path = "/products"

    @get("/")
    async def products(self, hub: Hub, console: Console, q: str = "", status: str = "", offset: int = 0, done: str = "") -> Response:
        return await _products_page(hub, console, q=q, status=status, offset=offset,
                                    notice="The product was deleted." if done == "deleted" else None)

    @post("/", status_code=303)
    async def create(self, hub: Hub, console: Console, request: Request) -> Response:
        console.require("member")
        form = await console.form(request)
        try:
            product = await product_service.create_product(
                console.org, name=form.get("name"), slug=(form.get("slug") or "").strip() or None,
                description=form.get("description") or "", metadata=_metadata(form.get("metadata")),
            )
        except (Invalid, Conflict) as problem:
            return await _products_page(hub, console, failed=FailedForm.of("new", form, problem))
        await console.audit("product.create", product["slug"])
        return Redirect(f"/console/products/{product['slug']}", status_code=303)

    @get("/{slug:str}")
    async def product(self, hub: Hub, console: Console, slug: str, done: str = "") -> Response:
        return await _product_page(hub, console, slug, notice={
            "saved": "Saved.", "activated": "The version is now the one buyers get.",
            "notified": "The version is now the one buyers get; the update emails are on their way.",
            "uploaded": "The new version is uploaded and checked.",
            "archived": "The product is archived: no longer offered, and every link already sent keeps working.",
            "version_deleted": "The version was deleted.",
        }.get(done))

    @post("/{slug:str}", status_code=303)
    async def update(self, hub: Hub, console: Console, request: Request, slug: str) -> Response:
        console.require("member")
        form = await console.form(request)
        try:
            changes: dict[str, Any] = {
                "name": form.get("name"), "description": form.get("description") or "",
                "status": form.get("status"), "metadata": _metadata(form.get("metadata")),
            }
            if form.get("update_rights"):
                changes["update_rights"] = form.get("update_rights")
                days = (form.get("update_days") or "").strip()
                if changes["update_rights"] == "window":
                    if not days.isdigit():
                        raise Invalid("Enter the number of days of updates (1 to 36500)", field="update_days")
                    changes["update_days"] = int(days)
                else:
                    changes["update_days"] = None
            await product_service.update_product(console.org, slug, changes)
        except (Invalid, Conflict) as problem:
            return await _product_page(hub, console, slug, failed=FailedForm.of("details", form, problem))
        await console.audit("product.update", slug, status=changes["status"])
        return Redirect(f"/console/products/{slug}?done=saved", status_code=303)

    @get("/{slug:str}/activate")
    async def confirm_activation(self, hub: Hub, console: Console, slug: str, version: str = "") -> Response:
        """Before activating: how many buyers the version reaches, and
        whether to tell them (with a note)."""
        console.require("member")
        product = await product_service.find_product(console.org, slug)
        row = await version_service.version_detail(product, version)
        buyers = await update_notices.count_entitled(hub, product, row["id"])
        return page(
            hub, console, "console/activate.html", title=f"Activate {row['version']}", section="products",
            product=product, version=row, buyers=buyers, announced=await update_notices.progress(hub, row["id"]),
        )

    @post("/{slug:str}/archive", status_code=303)
    async def archive(self, hub: Hub, console: Console, request: Request, slug: str) -> Response:
        console.require("member")
        form = await console.form(request)
        product = await product_service.find_product(console.org, slug)
        if needs_confirmation(form):
            return confirm_page(
                hub, console, form, action=f"/console/products/{slug}/archive", title=f"Archive {product['name']}",
                consequences=["Its status becomes archived: storefronts and the console's send form no longer offer it.",
                              "Every link already sent keeps working, and buyers keep their downloads.",
                              "You can publish it again later from this page."],
                button="Archive the product", back=f"/console/products/{slug}", section="products",
            )
        await product_service.update_product(console.org, slug, {"status": "archived"})
        await console.audit("product.archive", slug)
        return Redirect(f"/console/products/{slug}?done=archived", status_code=303)

    @post("/{slug:str}/delete", status_code=303)
    async def delete(self, hub: Hub, console: Console, request: Request, slug: str) -> Response:
        console.require("member")
        form = await console.form(request)
        product = await product_service.find_product(console.org, slug)
        sold = await product_service.times_sold(console.org, product)
        if sold:
            raise Conflict(f"{product['name']} was sold or sent ({sold} link{'' if sold == 1 else 's'}): archive it instead, so its buyers keep their downloads.")
        if product["status"] == "published":
            raise Conflict(f"{product['name']} is published: archive it first, then delete it.")
        if needs_confirmation(form):
            return confirm_page(
                hub, console, form, action=f"/console/products/{slug}/delete", title=f"Delete {product['name']}",
                consequences=["The product, its versions and all their files are deleted for good.",
                              "It was never sold: no buyer loses anything. This cannot be undone."],
                button="Delete the product", back=f"/console/products/{slug}", section="products",
            )
        await product_service.delete_product(hub, console.org, slug)
        await console.audit("product.delete", slug)
        return Redirect("/console/products?done=deleted", status_code=303)

    @post("/{slug:str}/versions/{version:str}/delete", status_code=303)
    async def delete_version(self, hub: Hub, console: Console, request: Request, slug: str, version: str) -> Response:
        console.require("member")
        form = await console.form(request)
        product = await product_service.find_product(console.org, slug)
        row = await product_service.find_version(product, version)
        blocker = await version_service.deletion_blocker(product, row)
        if blocker:
            raise Conflict(blocker)
        if needs_confirmation(form):
            return confirm_page(
                hub, console, form, action=f"/console/products/{slug}/versions/{version}/delete",
                title=f"Delete version {version} of {product['name']}",
                consequences=["The version and its files are deleted for good.",
                              "No link delivers it and it is not the active version: no buyer loses anything."],
                button="Delete the version", back=f"/console/products/{slug}", section="products",
            )
        await version_service.delete_version(hub, console.org, slug, version)
        await console.audit("version.delete", slug, version=version)
        return Redirect(f"/console/products/{slug}?done=version_deleted", status_code=303)

    @post("/{slug:str}/activate", status_code=303)
    async def activate(self, hub: Hub, console: Console, request: Request, slug: str) -> Response:
        console.require("member")
        form = await console.form(request)
        notify = form.get("notify") == "yes"
        note = check_text(form.get("note") or "", "note", max_length=5000) or ""
        product = await product_service.update_product(console.org, slug, {"active_version": form.get("version") or ""})
        if notify and product["active_version"]:
            await update_notices.request_notices(hub, product, product["active_version"], note=note)
        await console.audit("product.activate_version", slug, version=form.get("version"), notify=notify)
        return Redirect(f"/console/products/{slug}?done={'notified' if notify else 'activated'}", status_code=303)

    # --- the browser's upload (JSON) ---------------------------------------

    @post("/{slug:str}/versions", status_code=201)
    async def create_version(self, hub: Hub, console: Console, request: Request, slug: str) -> dict:
        """Create the version from the folder's manifest; an existing version
        with the same manifest is resumed (the browser was reloaded)."""
        console.require("member")
        body = await _json(console, request)
        try:
            row = await version_service.create_version(
                hub, console.org, slug, version=body.get("version"), changelog=body.get("changelog") or "",
                files=body.get("files"),
            )
            await console.audit("version.create", slug, version=row["version"])
        except Conflict:
            product = await product_service.find_product(console.org, slug)
            row = await version_service.version_detail(product, str(body.get("version")))
            wanted = {(f.get("path"), f.get("size"), f.get("sha256")) for f in body.get("files") or [] if isinstance(f, dict)}
            have = {(f["path"], f["size"], f["sha256"]) for f in row["files"]}
            if wanted != have:
                raise Conflict(f"Version {row['version']} already exists with other files; choose another version number") from None
        return {"version": row["version"], "status": row["status"],
                "files": [{"path": f["path"], "status": f["status"]} for f in row["files"]]}

    @post("/{slug:str}/versions/{version:str}/uploads", status_code=200)
    async def start_upload(self, hub: Hub, console: Console, request: Request, slug: str, version: str) -> dict:
        console.require("member")
        body = await _json(console, request)
        return await upload_service.start_upload(hub, console.org, slug, version, body.get("path"))


class ConsoleUploadsController(Controller):
    path = "/uploads"

    @put("/{upload_id:str}/parts/{part_number:int}", request_max_body_size=None)
    async def upload_part(self, hub: Hub, console: Console, request: Request, upload_id: str, part_number: int) -> dict:
        console.require("member")
        data = await read_upload_part(request, hub.settings.upload_part_size)
        return await upload_service.upload_part(hub, console.org, upload_id, part_number, data)

    @post("/{upload_id:str}/complete", status_code=200)
    async def complete(self, hub: Hub, console: Console, request: Request, upload_id: str) -> dict:
        console.require("member")
        result = await upload_service.complete_upload(hub, console.org, upload_id)
        return {"file": result["file"]["path"], "version": result["version"]["version"], "versionStatus": result["version"]["status"]}
