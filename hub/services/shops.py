"""A shop's identity: the name, logo, support address, sender name and
accent colour its buyers see, instead of the organization's id.

An organization's id (``my-shop``) is for the hub and the shop's own
tools; a buyer never sees it. Until the shop sets a display name, buyer
surfaces name the hub's host (``downloads.example.com``), and the console's
overview asks for one.

The logo is checked by its bytes, not by what the uploader says it is: a
PNG, JPEG, WebP or GIF of at most :data:`LOGO_MAX_BYTES`; SVG is refused
(it can carry script); Pillow decodes it (:func:`fitted_logo`) and scales
a logo larger than :data:`LOGO_BOX` down to fit. Pages and emails show it
at most :data:`LOGO_MAX_HEIGHT_PX` high, and ``/logos/<sha256>`` serves it with an
immutable year-long cache and a strong ETag, its address changing with its
bytes.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from PIL import Image, UnidentifiedImageError

from hub.email_address import check_email
from hub.errors import Invalid, NotFound, PayloadTooLarge
from hub.settings import Settings
from hub.tables import Organization

LOGO_MAX_BYTES = 256 * 1024
LOGO_BOX = (400, 96)
"""The largest logo served, in pixels: twice the 200 x 48 CSS box pages and
emails show it in, for sharp high-density screens; a larger upload is
scaled down to fit (its proportions kept) before it is stored."""
LOGO_MAX_PIXELS = 40_000_000
"""A decompression bomb's limit: a small file that would decode to more
pixels than this is refused before it is decoded."""
"""The largest logo accepted: ample for a 512 px PNG, small enough for every page."""
LOGO_MAX_HEIGHT_PX = 48
"""How high pages and emails show the logo (its width follows, up to the column's)."""
NAME_MAX = 200
ACCENT = re.compile(r"^#[0-9a-f]{6}$")
DEFAULT_ACCENT = "#2457d6"

_IMAGE_TYPES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


@dataclass(frozen=True, slots=True)
class Shop:
    """The shop behind a link, an email or a purchase, as its buyer sees it."""

    name: str
    """The display name, or the hub's host name while the shop has none."""
    email: str
    """Where the buyer can write: the support email, else the organization's
    contact email, else the hub's (``HUB_ADMIN_EMAIL``); "" when none is known."""
    sender_name: str = ""
    """The From display name of its emails ("" keeps ``HUB_MAIL_FROM``'s)."""
    accent: str = DEFAULT_ACCENT
    """``#rrggbb``: buttons and links."""
    logo_url: str = ""
    """The logo's absolute address (emails), or ""."""
    logo_path: str = ""
    """The logo's address on the hub (pages), or ""."""

    @property
    def accent_text(self) -> str:
        """The text colour on an accent background: black or white, whichever
        contrasts more (WCAG relative luminance)."""
        return text_on(self.accent)

    @property
    def accent_ink(self) -> str:
        """The accent as text on white: darkened until it reads (contrast 4.5:1)."""
        return readable_on_white(self.accent)

    @property
    def theme_path(self) -> str:
        """The stylesheet of a shop's own accent (:mod:`hub.web.shop_assets`), or ""."""
        return "" if self.accent == DEFAULT_ACCENT else f"/theme/{self.accent[1:]}.css"


def _luminance(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """The WCAG contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_on(background: str) -> str:
    """``#ffffff`` or ``#111111``: the more legible text on ``background``."""
    return "#ffffff" if contrast(background, "#ffffff") >= contrast(background, "#111111") else "#111111"


def readable_on_white(colour: str) -> str:
    """``colour``, darkened in steps until it has 4.5:1 contrast on white."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    current = colour
    while contrast(current, "#ffffff") < 4.5:
        r, g, b = (int(v * 0.9) for v in (r, g, b))
        current = f"#{r:02x}{g:02x}{b:02x}"
    return current


def lighter_for_dark(colour: str, background: str = "#12151b") -> str:
    """``colour``, lightened in steps until it has 4.5:1 contrast on the
    dark theme's ``background``."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    current = colour
    while contrast(current, background) < 4.5:
        r, g, b = (min(255, v + max(12, (255 - v) // 6)) for v in (r, g, b))
        current = f"#{r:02x}{g:02x}{b:02x}"
    return current


def check_accent(value: str) -> str:
    """A ``#rrggbb`` colour, lower-cased; "" clears it."""
    value = value.strip().lower()
    if value and not ACCENT.match(value):
        raise Invalid("accentColor must be a colour written #rrggbb, such as #2457d6", field="accentColor")
    return value


def check_name(value: str, field: str) -> str:
    """A one-line name of at most :data:`NAME_MAX` characters; "" clears it."""
    value = " ".join(value.split())
    if len(value) > NAME_MAX:
        raise Invalid(f"{field} must be at most {NAME_MAX} characters", field=field)
    return value


def logo_type(data: bytes) -> str:
    """The MIME type of a logo, read from its first bytes.

    :raises Invalid: for anything but PNG, JPEG, WebP or GIF (SVG included).
    :raises PayloadTooLarge: above :data:`LOGO_MAX_BYTES`.
    """
    if len(data) > LOGO_MAX_BYTES:
        raise PayloadTooLarge(f"The logo is larger than the {LOGO_MAX_BYTES // 1024} KB allowed", field="logo")
    for magic, mime in _IMAGE_TYPES:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if b"<svg" in data[:1024].lower():
        raise Invalid("The logo must be a PNG, JPEG, WebP or GIF image; SVG is not accepted", field="logo")
    raise Invalid("The logo must be a PNG, JPEG, WebP or GIF image", field="logo")


def fitted_logo(data: bytes) -> tuple[str, bytes]:
    """A logo checked as an image and made to fit :data:`LOGO_BOX`: its MIME
    type and the bytes to store.

    The first bytes name the type (:func:`logo_type`); Pillow then decodes
    the image, so a file that only starts like a PNG is refused. A logo
    within the box is kept byte for byte; a larger one is scaled down (an
    animation to its first frame) and stored as PNG, keeping transparency.

    :raises Invalid: not a readable PNG, JPEG, WebP or GIF image, or too
        many pixels.
    """
    mime = logo_type(data)
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > LOGO_MAX_PIXELS:
                raise Invalid("The logo has too many pixels; upload one at most a few thousand pixels wide", field="logo")
            image.load()  # decodes it: a truncated or corrupt file fails here
            if width <= LOGO_BOX[0] and height <= LOGO_BOX[1]:
                return mime, data
            image.seek(0)
            frame = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, EOFError):
        raise Invalid("The logo is not a readable PNG, JPEG, WebP or GIF image", field="logo") from None
    frame.thumbnail(LOGO_BOX, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    frame.save(out, format="PNG", optimize=True)
    return "image/png", out.getvalue()


def host_name(settings: Settings) -> str:
    """What buyers see while a shop has no display name: the hub's host."""
    return urlsplit(settings.public_url).netloc or "this shop"


def logo_url(settings: Settings, sha256: str) -> str:
    return f"{settings.public_url}/logos/{sha256}" if sha256 else ""


def shop_from_row(row: dict[str, Any], settings: Settings, prefix: str = "") -> Shop:
    """The :class:`Shop` of an organization row (its columns under ``prefix``)."""

    def value(column: str) -> str:
        return row.get(prefix + column) or ""

    accent = value("accent_color")
    return Shop(
        name=value("name") or host_name(settings),
        email=value("support_email") or value("contact_email") or settings.admin_email,
        sender_name=value("sender_name") or value("name"),
        accent=accent or DEFAULT_ACCENT,
        logo_url=logo_url(settings, value("logo_sha256")),
        logo_path=f"/logos/{value('logo_sha256')}" if value("logo_sha256") else "",
    )


IDENTITY_COLUMNS = (
    Organization.id,
    Organization.name,
    Organization.contact_email,
    Organization.support_email,
    Organization.sender_name,
    Organization.accent_color,
    Organization.logo_sha256,
)


async def shop_identity(settings: Settings, org: str) -> Shop:
    """The :class:`Shop` of ``org`` (the hub's host name for an unknown one)."""
    row = await Organization.select(*IDENTITY_COLUMNS).where(Organization.id == org).first()
    return shop_from_row(row or {}, settings)


async def shop_identities(settings: Settings, orgs: list[str]) -> dict[str, Shop]:
    """Each of ``orgs``' :class:`Shop`, by organization id."""
    if not orgs:
        return {}
    rows = await Organization.select(*IDENTITY_COLUMNS).where(Organization.id.is_in(orgs))
    found = {row["id"]: shop_from_row(row, settings) for row in rows}
    return {org: found.get(org) or shop_from_row({}, settings) for org in orgs}


async def single_shop(settings: Settings) -> Shop | None:
    """The one shop of a hub that serves one organization (``/my`` before
    sign-in names it), or None when it serves several or none."""
    rows = await Organization.select(*IDENTITY_COLUMNS).limit(2)
    return shop_from_row(rows[0], settings) if len(rows) == 1 else None


def shop_record(row: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """An organization as the API, the SDKs and the CLI show it."""
    return {
        "id": row["id"],
        "name": row["name"],
        "supportEmail": row["support_email"],
        "senderName": row["sender_name"],
        "accentColor": row["accent_color"],
        "logoUrl": logo_url(settings, row["logo_sha256"]) or None,
        "contactEmail": row["contact_email"],
    }


async def organization(settings: Settings, org: str) -> dict[str, Any]:
    """``org``'s :func:`shop_record`."""
    row = await Organization.select(*IDENTITY_COLUMNS).where(Organization.id == org).first()
    if row is None:
        raise NotFound(f"Organization {org} does not exist")
    return shop_record(row, settings)


async def list_organizations(settings: Settings) -> list[dict[str, Any]]:
    """Every organization's :func:`shop_record`, by id."""
    rows = await Organization.select(*IDENTITY_COLUMNS).order_by(Organization.id)
    return [shop_record(row, settings) for row in rows]


_UNCHANGED = object()


async def update_organization(
    settings: Settings,
    org: str,
    *,
    name: Any = _UNCHANGED,
    support_email: Any = _UNCHANGED,
    sender_name: Any = _UNCHANGED,
    accent_color: Any = _UNCHANGED,
    logo: Any = _UNCHANGED,
    contact_email: Any = _UNCHANGED,
) -> dict[str, Any]:
    """Change the fields given (a string each; "" clears it; ``logo`` is
    the image's bytes, or ``b""`` to remove it); every one is checked before
    anything changes. Returns the organization's :func:`shop_record`."""
    changes: dict[Any, Any] = {}
    if name is not _UNCHANGED:
        changes[Organization.name] = check_name(name, "name")
    if sender_name is not _UNCHANGED:
        changes[Organization.sender_name] = check_name(sender_name, "senderName")
    for column, value, field in (
        (Organization.support_email, support_email, "supportEmail"),
        (Organization.contact_email, contact_email, "contactEmail"),
    ):
        if value is not _UNCHANGED:
            changes[column] = check_email(value, field=field) if value.strip() else ""
    if accent_color is not _UNCHANGED:
        changes[Organization.accent_color] = check_accent(accent_color)
    if logo is not _UNCHANGED:
        if logo:
            mime, stored = fitted_logo(logo)
            changes[Organization.logo_type] = mime
            changes[Organization.logo_sha256] = hashlib.sha256(stored).hexdigest()
            changes[Organization.logo] = base64.b64encode(stored).decode("ascii")
        else:
            changes.update({Organization.logo_type: "", Organization.logo_sha256: "", Organization.logo: ""})
    if changes:
        updated = await Organization.update(changes).where(Organization.id == org).returning(Organization.id)
        if not updated:
            raise NotFound(f"Organization {org} does not exist")
    return await organization(settings, org)


async def logo_image(sha256: str) -> tuple[str, bytes] | None:
    """The logo whose SHA-256 is ``sha256``: its MIME type and bytes."""
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        return None
    row = (
        await Organization.select(Organization.logo_type, Organization.logo)
        .where(Organization.logo_sha256 == sha256)
        .first()
    )
    if row is None or not row["logo"]:
        return None
    return row["logo_type"], base64.b64decode(row["logo"])


def email_brand(shop: Shop) -> dict[str, str]:
    """The shop as email templates see it (``brand``; see
    :class:`hub.plugins.records.EmailBrand`)."""
    return {
        "name": shop.name,
        "support_email": shop.email,
        "logo_url": shop.logo_url,
        "accent": shop.accent,
        "accent_text": shop.accent_text,
        "accent_ink": shop.accent_ink,
    }
