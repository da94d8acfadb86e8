"""The API's operations, grouped as the hub groups them. Each method builds
a :class:`~continuata._calls.Call` and hands it to its client, so the same
methods return results on :class:`~continuata.Client` and awaitables on
:class:`~continuata.AsyncClient`; list methods return iterators (``for``)
or async iterators (``async for``) that fetch page after page."""

from __future__ import annotations

import base64
import csv
import io
import os
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from continuata import models
from continuata._calls import Call, body, params
from continuata._upload import ProgressCallback, upload_folder_steps
from continuata.models import from_api, to_iso

if TYPE_CHECKING:
    from continuata.client import _BaseClient

PAGE_SIZE = 100


def _time(value: datetime | date | str | None) -> str | None:
    return None if value is None else to_iso(value)


def _one(model: type, key: str):
    return lambda data: from_api(model, data[key])


def _page(model: type, key: str):
    return lambda data: models.Page(
        items=[from_api(model, item) for item in data[key]],
        pagination=from_api(models.Pagination, data.get("pagination")),
    )


def download_url_call(product_id: str, version: str | None) -> Call:
    """``POST /api/generate-download-url``: its answer has no ``data`` envelope."""
    return Call(
        "POST",
        "/api/generate-download-url",
        json=body(productId=product_id, version=version),
        parse=lambda answer: from_api(models.DownloadUrl, answer),
    )


class _Resource:
    def __init__(self, client: _BaseClient) -> None:
        self._client = client


class Products(_Resource):
    """``/api/products``: products and their download tokens."""

    def list(self, *, status: str | None = None, search: str | None = None, page_size: int = PAGE_SIZE):
        """Every product (optionally by ``status`` or ``search``), fetched page by page."""
        return self._client._paginate(lambda limit, offset: self._list_call(status, search, limit, offset), page_size)

    def list_page(self, *, status: str | None = None, search: str | None = None, limit: int = 50, offset: int = 0):
        """One page of products, with the hub's pagination."""
        return self._client._run(self._list_call(status, search, limit, offset))

    def _list_call(self, status, search, limit, offset) -> Call:
        return Call("GET", "/api/products", params=params(status=status, search=search, limit=limit, offset=offset), parse=_page(models.Product, "products"))

    def get(self, product_id: str):
        return self._client._run(Call("GET", f"/api/products/{product_id}", parse=_one(models.Product, "product")))

    def create(
        self, *, name: str, slug: str | None = None, description: str | None = None, metadata: dict[str, Any] | None = None,
        update_rights: str | None = None, update_window_days: int | None = None,
    ):
        """A new product, status ``draft``; ``update_rights`` ``"all"``
        (default), ``"window"`` (with ``update_window_days``) or ``"none"``."""
        return self._client._run(
            Call(
                "POST", "/api/products",
                json=body(name=name, slug=slug, description=description, metadata=metadata, updateRights=update_rights,
                          updateWindowDays=update_window_days),
                parse=_one(models.Product, "product"),
            )
        )

    def update(
        self,
        product_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        metadata: dict[str, Any] | None = None,
        status: str | None = None,
        active_version: str | None = None,
        update_rights: str | None = None,
        update_window_days: int | None = None,
        notify: bool | None = None,
        note: str | None = None,
    ):
        """Change only the fields given; ``status="published"`` publishes,
        ``active_version="1.1.0"`` switches what new tokens deliver (with
        ``notify=True`` and an optional ``note``, every entitled buyer gets
        one update email); ``update_rights`` applies to versions released
        from then on."""
        changes = body(
            name=name, description=description, metadata=metadata, status=status, activeVersion=active_version,
            updateRights=update_rights, updateWindowDays=update_window_days, notify=notify, note=note,
        )
        return self._client._run(Call("PATCH", f"/api/products/{product_id}", json=changes, idempotent=True, parse=_one(models.Product, "product")))

    def delete(self, product_id: str) -> Any:
        """Delete a product that is not published (admin key)."""
        return self._client._run(Call("DELETE", f"/api/products/{product_id}", parse=lambda data: None))

    def create_token(
        self,
        product_id: str,
        *,
        customer_email: str | None = None,
        expires_at: datetime | date | str | None = None,
        max_downloads: int | None = None,
        metadata: dict[str, Any] | None = None,
        version: str | None = None,
    ):
        """Mint a download token (30 days and unlimited downloads unless told);
        a naive ``expires_at`` is local time."""
        request = body(
            customerEmail=customer_email,
            expiresAt=_time(expires_at),
            maxDownloads=max_downloads,
            metadata=metadata,
            version=version,
        )
        return self._client._run(Call("POST", f"/api/products/{product_id}/tokens", json=request, parse=_one(models.Token, "token")))

    def list_tokens(self, product_id: str, *, page_size: int = PAGE_SIZE):
        """Every token of the product, newest first (secrets are never shown again)."""
        return self._client._paginate(
            lambda limit, offset: Call(
                "GET", f"/api/products/{product_id}/tokens", params=params(limit=limit, offset=offset), parse=_page(models.Token, "tokens")
            ),
            page_size,
        )

    def revoke_token(self, product_id: str, token_id: str):
        """Revoke a token (admin key); its link stops working at once."""
        return self._client._run(Call("DELETE", f"/api/products/{product_id}/tokens/{token_id}", parse=_one(models.Token, "token")))


class Versions(_Resource):
    """``/api/products/{id}/versions``: a product's versions, and uploading one."""

    def list(self, product_id: str):
        return self._client._run(
            Call("GET", f"/api/products/{product_id}/versions", parse=lambda data: [from_api(models.Version, v) for v in data["versions"]])
        )

    def get(self, product_id: str, version: str):
        return self._client._run(Call("GET", f"/api/products/{product_id}/versions/{version}", parse=_one(models.Version, "version")))

    def create(self, product_id: str, *, version: str, files: list[dict[str, Any]], changelog: str | None = None):
        """A pending version from a manifest ``[{"path", "size", "sha256"}]``; upload its files next."""
        return self._client._run(
            Call("POST", f"/api/products/{product_id}/versions", json=body(version=version, changelog=changelog, files=files), parse=_one(models.Version, "version"))
        )

    def upload_folder(
        self,
        product_id: str,
        version: str,
        folder: str | os.PathLike[str],
        *,
        changelog: str | None = None,
        activate: bool = False,
        on_progress: ProgressCallback | None = None,
        notify: bool = False,
        note: str | None = None,
    ):
        """Upload every file under ``folder`` as ``version``; resumable: run it
        again after a failure and only what is missing is sent. ``activate``
        makes it the active version (``notify``: emailing entitled buyers).
        ``on_progress`` gets an :class:`~continuata.models.UploadProgress`
        after each part. Returns the version (``status == "ready"``)."""
        return self._client._drive(
            upload_folder_steps(
                product_id, version, folder, changelog=changelog, activate=activate, on_progress=on_progress,
                notify=notify, note=note,
            )
        )


class Uploads(_Resource):
    """The multipart upload of one file of a pending version, step by step."""

    def start(self, product_id: str, version: str, path: str):
        """Initiate the file's upload, or resume the one in progress (its received parts are marked)."""
        return self._client._run(
            Call("POST", f"/api/products/{product_id}/versions/{version}/uploads", json={"path": path}, parse=_one(models.Upload, "upload"))
        )

    def get(self, upload_id: str):
        return self._client._run(Call("GET", f"/api/uploads/{upload_id}", parse=_one(models.Upload, "upload")))

    def put_part(self, upload_id: str, part_number: int, data: bytes):
        return self._client._run(
            Call("PUT", f"/api/uploads/{upload_id}/parts/{part_number}", content=data, headers={"Content-Type": "application/octet-stream"}, parse=lambda d: d["part"])
        )

    def complete(self, upload_id: str):
        """Assemble the parts; the hub checks size and sha256 (422 on a mismatch)."""
        return self._client._run(
            Call("POST", f"/api/uploads/{upload_id}/complete", parse=lambda d: from_api(models.Version, d["version"]))
        )

    def abort(self, upload_id: str):
        return self._client._run(Call("DELETE", f"/api/uploads/{upload_id}", parse=lambda data: None))


class Purchases(_Resource):
    """``/api/purchases``: purchases from every checkout, and recording your own."""

    def list(self, *, customer_email: str | None = None, page_size: int = PAGE_SIZE):
        """Every purchase, newest first, each with its tokens."""
        return self._client._paginate(
            lambda limit, offset: Call(
                "GET", "/api/purchases", params=params(customerEmail=customer_email, limit=limit, offset=offset), parse=_page(models.Purchase, "purchases")
            ),
            page_size,
        )

    def create(
        self,
        *,
        reference: str,
        customer_email: str,
        items: list[dict[str, Any] | str],
        customer_name: str | None = None,
        amount: int | None = None,
        currency: str | None = None,
        metadata: dict[str, Any] | None = None,
    ):
        """Record a purchase from your own checkout: tokens for its items and the
        delivery email. Safe to repeat with the same ``reference`` (``created`` is
        then ``False`` and no links are shown). ``items``: product ids, or
        ``{"product_id", "version"}`` dicts."""
        shaped = [
            {"productId": item} if isinstance(item, str) else body(productId=item.get("product_id", item.get("productId")), version=item.get("version"))
            for item in items
        ]
        request = body(
            reference=reference, customerEmail=customer_email, items=shaped, customerName=customer_name, amount=amount, currency=currency, metadata=metadata
        )
        return self._client._run(
            Call(
                "POST",
                "/api/purchases",
                json=request,
                idempotent=True,  # the hub deduplicates by reference
                parse=lambda data: models.PurchaseResult(from_api(models.Purchase, data["purchase"]), bool(data.get("created"))),
            )
        )


class Reports(_Resource):
    """``/api/reports``: what was downloaded (admin key)."""

    def downloads_csv(self, *, start: date | str | None = None, end: date | str | None = None):
        """The download-sessions report as CSV text (days in UTC, both inclusive)."""
        return self._client._run(self._call(start, end, lambda text: text))

    def downloads(self, *, start: date | str | None = None, end: date | str | None = None):
        """The same report as a list of dicts, one per download session."""
        return self._client._run(self._call(start, end, lambda text: list(csv.DictReader(io.StringIO(text)))))

    def _call(self, start, end, parse) -> Call:
        return Call("GET", "/api/reports/downloads", params=params(**{"from": _time(start), "to": _time(end)}), text=True, parse=parse)


_IMAGE_TYPES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF8", "image/gif"))


def _image_data_uri(image: bytes) -> str:
    """``image`` as a data URI; its type named from its first bytes (the hub
    checks the bytes, whatever the URI says)."""
    mime = next((kind for magic, kind in _IMAGE_TYPES if image.startswith(magic)), None)
    if mime is None:
        mime = "image/webp" if image[:4] == b"RIFF" and image[8:12] == b"WEBP" else "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(image).decode('ascii')}"


class Organization(_Resource):
    """``/api/organization`` (admin key): the shop identity buyers see."""

    def get(self):
        """The organization and its display name, support email, sender name, accent colour and logo."""
        return self._client._run(Call("GET", "/api/organization", parse=lambda data: from_api(models.ShopOrganization, data)))

    def update(
        self,
        *,
        name: str | None = None,
        support_email: str | None = None,
        sender_name: str | None = None,
        accent_color: str | None = None,
        contact_email: str | None = None,
        logo: bytes | str | os.PathLike[str] | None = None,
        remove_logo: bool = False,
    ):
        """Change the fields given ("" clears a text field). ``logo`` is a PNG,
        JPEG, WebP or GIF of at most 256 KB, as bytes or a file's path;
        ``remove_logo=True`` removes it."""
        if logo is not None and not isinstance(logo, bytes):
            with open(logo, "rb") as image:
                logo = image.read()
        changes: dict[str, Any] = body(
            name=name, supportEmail=support_email, senderName=sender_name, accentColor=accent_color,
            contactEmail=contact_email, logo=_image_data_uri(logo) if logo is not None else None,
        )
        if remove_logo:
            changes["logo"] = None
        return self._client._run(
            Call("PATCH", "/api/organization", json=changes, idempotent=True, parse=lambda data: from_api(models.ShopOrganization, data))
        )


class WebhookEndpoints(_Resource):
    """``/api/webhook-endpoints`` (admin key): where the hub sends signed events."""

    def list(self):
        return self._client._run(
            Call("GET", "/api/webhook-endpoints", parse=lambda data: [from_api(models.WebhookEndpoint, e) for e in _items(data, "endpoints")])
        )

    def create(self, *, url: str, events: list[str], description: str | None = None):
        """A new endpoint; its ``secret`` (``whsec_…``) is shown in this answer only."""
        return self._client._run(
            Call("POST", "/api/webhook-endpoints", json=body(url=url, events=events, description=description), parse=_one(models.WebhookEndpoint, "endpoint"))
        )

    def get(self, endpoint_id: str):
        return self._client._run(Call("GET", f"/api/webhook-endpoints/{endpoint_id}", parse=_one(models.WebhookEndpoint, "endpoint")))

    def update(
        self,
        endpoint_id: str,
        *,
        url: str | None = None,
        events: list[str] | None = None,
        description: str | None = None,
        enabled: bool | None = None,
    ):
        changes = body(url=url, events=events, description=description, enabled=enabled)
        return self._client._run(
            Call("PATCH", f"/api/webhook-endpoints/{endpoint_id}", json=changes, idempotent=True, parse=_one(models.WebhookEndpoint, "endpoint"))
        )

    def delete(self, endpoint_id: str):
        return self._client._run(Call("DELETE", f"/api/webhook-endpoints/{endpoint_id}", parse=lambda data: None))

    def deliveries(self, endpoint_id: str):
        """The endpoint's delivery log: every attempt, newest first."""
        return self._client._run(
            Call(
                "GET",
                f"/api/webhook-endpoints/{endpoint_id}/deliveries",
                parse=lambda data: [from_api(models.WebhookDelivery, d) for d in _items(data, "deliveries")],
            )
        )

    def redeliver(self, endpoint_id: str, *, event_id: str | None = None, since: datetime | str | None = None):
        """Send one event (``event_id``) or every event since a time (``since``) again."""
        if (event_id is None) == (since is None):
            raise ValueError("give exactly one of event_id and since")
        return self._client._run(
            Call("POST", f"/api/webhook-endpoints/{endpoint_id}/redeliver", json=body(eventId=event_id, since=_time(since)))
        )

    def rotate_secret(self, endpoint_id: str):
        """A new signing secret, shown in this answer only; the old one stops signing."""
        return self._client._run(
            Call("POST", f"/api/webhook-endpoints/{endpoint_id}/rotate-secret", parse=_one(models.WebhookEndpoint, "endpoint"))
        )


def _items(data: Any, key: str) -> list[Any]:
    """A list answer: ``data`` itself, or ``data[key]``."""
    return data if isinstance(data, list) else data.get(key, [])


__all__ = ["Products", "Versions", "Uploads", "Purchases", "Reports", "WebhookEndpoints"]
