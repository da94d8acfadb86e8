"""``/api/organization``: the API key's organization and its shop identity
(display name, logo, support email, sender name, accent colour): what
buyers see on the download page, ``/my`` and every email (admin keys)."""

from __future__ import annotations

import msgspec
from litestar import Controller, get, patch

from hub.api.openapi import KEYED, errors
from hub.api.schemas import OrganizationAnswer, answer
from hub.context import Hub
from hub.datauri import parse_data_uri
from hub.services import shops
from hub.services.accounts import Principal

UNSET = msgspec.UNSET
Unset = msgspec.UnsetType


class OrganizationUpdate(msgspec.Struct, rename="camel"):
    """Only the fields present change; "" clears a text field, ``logo: null``
    removes the logo."""

    name: str | Unset = msgspec.field(default=UNSET)
    support_email: str | Unset = msgspec.field(default=UNSET)
    sender_name: str | Unset = msgspec.field(default=UNSET)
    accent_color: str | Unset = msgspec.field(default=UNSET)
    contact_email: str | Unset = msgspec.field(default=UNSET)
    logo: str | None | Unset = msgspec.field(default=UNSET)
    """A base64 data URI (``data:image/png;base64,…``) of a PNG, JPEG, WebP
    or GIF of at most 256 KB (checked by its bytes; SVG is refused), or null."""


class OrganizationController(Controller):
    path = "/api/organization"
    tags = ["Account"]

    @get(
        "/",
        summary="The organization and its shop identity (admin)",
        operation_id="getOrganization",
        responses=errors(*KEYED),
    )
    async def get_organization(self, hub: Hub, principal: Principal) -> OrganizationAnswer:
        principal.require("admin")
        return answer(OrganizationAnswer, await shops.organization(hub.settings, principal.org))

    @patch(
        "/",
        summary="Change the shop identity buyers see: name, logo, support email, sender name, accent colour (admin)",
        description=(
            "Only the fields present change. `name` is the display name on the download page, `/my` and every "
            "email (never the organization's id); `supportEmail` is every email's Reply-To and footer; "
            "`senderName` the From display name (default: `name`); `accentColor` a `#rrggbb` for buttons "
            "and links (text on it is black or white, whichever contrasts more); `logo` a base64 data URI "
            "of a PNG, JPEG, WebP or GIF of at most 256 KB, or null to remove it."
        ),
        operation_id="updateOrganization",
        responses=errors(*KEYED, 413, 422),
    )
    async def update_organization(self, hub: Hub, principal: Principal, data: OrganizationUpdate) -> OrganizationAnswer:
        principal.require("admin")
        changes: dict[str, object] = {
            field: value
            for field in ("name", "support_email", "sender_name", "accent_color", "contact_email")
            if (value := getattr(data, field)) is not UNSET
        }
        if data.logo is None:
            changes["logo"] = b""
        elif data.logo is not UNSET:
            changes["logo"] = parse_data_uri(data.logo, field="logo", max_bytes=shops.LOGO_MAX_BYTES).data
        return answer(OrganizationAnswer, await shops.update_organization(hub.settings, principal.org, **changes))
