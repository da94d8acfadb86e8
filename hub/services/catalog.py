"""The catalog: a product seen as a music release.

A release is an ordinary product (same row, same public id, same status
rules) with release metadata: a UPC, credits, copyright lines, dates, cover
art, and links to a label, a language and a product type, which are
resources of their own. Tracks, offers and rights belong to a release.

The JSON:API v1 surface is where releases are written, so the metadata's
field names are the seed's (``upc-code``, ``copyright-line``...): they name
the keys stored in ``Product.release`` and the ``field`` of every error, and
a message always starts with its field (``upc-code is required``), which
lets a surface phrase it its own way. Checks collect every problem of a
document before refusing it (:class:`Problems`), because a client fixing a
form wants all of them at once.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from piccolo.columns.combination import WhereRaw
from piccolo.table import Table

from hub.clock import UTC, utcnow
from hub.context import Hub
from hub.datauri import DataUri, parse_data_uri
from hub.db import Database, UNIQUE_VIOLATIONS
from hub.errors import Conflict, Invalid, NotFound
from hub.inputs import check_text, json_depth
from hub.manifest import normalize_path
from hub.secrets import new_id
from hub.services.products import (
    check_name,
    check_status,
    create_product,
    delete_product,
    find_product,
    slugify,
    update_product,
)
from hub.tables import Label, Language, Offer, Product, ProductType, Right, Track, VersionFile

# --- problems, all at once -------------------------------------------------


class Problems(Invalid):
    """Several inputs break rules at once; ``errors`` holds each one.

    Anywhere that knows only :class:`Invalid` sees the first problem.
    """

    def __init__(self, errors: Sequence[Invalid]) -> None:
        super().__init__(errors[0].message, field=errors[0].field)
        self.errors = list(errors)


class Checker:
    """Runs checks and keeps their :class:`Invalid` errors instead of stopping
    at the first; :meth:`raise_problems` refuses the whole input at the end."""

    def __init__(self) -> None:
        self.errors: list[Invalid] = []

    def _keep(self, exc: Invalid) -> None:
        self.errors.extend(exc.errors if isinstance(exc, Problems) else [exc])

    def run(self, check: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``check(*args, **kwargs)``, or None when it refused its input."""
        try:
            return check(*args, **kwargs)
        except Invalid as exc:
            self._keep(exc)
            return None

    async def wait(self, check: Awaitable[Any]) -> Any:
        """The async twin of :meth:`run`."""
        try:
            return await check
        except Invalid as exc:
            self._keep(exc)
            return None

    def failed(self, field_name: str) -> bool:
        return any(e.field == field_name for e in self.errors)

    def raise_problems(self, order: Sequence[str] = ()) -> None:
        """Raise :class:`Problems` if anything failed: one problem per field
        (the first found), sorted as ``order`` lists the fields."""
        if not self.errors:
            return
        seen: set[str | None] = set()
        unique = []
        for error in self.errors:
            if error.field not in seen:
                seen.add(error.field)
                unique.append(error)
        rank = {name: index for index, name in enumerate(order)}
        unique.sort(key=lambda e: rank.get(e.field or "", len(rank)))
        raise Problems(unique)


# --- reference lists -------------------------------------------------------

#: ISO 4217 codes of currencies in use (no metals, funds or test codes).
CURRENCIES = frozenset(
    """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD
    CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD
    GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT
    LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR
    NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD
    SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF
    XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL""".split()
)

#: ISO 3166-1 alpha-2 country codes, plus XK (Kosovo), which stores and
#: distributors use although ISO has not assigned it.
COUNTRIES = frozenset(
    """AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT
    BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER
    ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID
    IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV
    LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR
    NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL
    SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC
    VE VG VI VN VU WF WS XK YE YT ZA ZM ZW""".split()
)
WORLDWIDE = "WW"
RIGHT_TYPES = ("master", "publishing", "mechanical", "performance", "synchronization", "neighbouring")

# --- field checks: each returns the clean value or raises Invalid ----------

TEXT_MAX = 300
CREDITS_MAX = 100
CUSTOM_DATA_MAX_BYTES = 64 * 1024
CUSTOM_DATA_MAX_DEPTH = 32
UPC = re.compile(r"^\d{12,13}$")
ISRC = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}\d{7}$")
# A date, or the timestamp at midnight UTC that the API itself writes dates
# as, so that a resource read and sent back unchanged is accepted.
DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:T00:00:00(?:\.0{1,6})?Z)?$")
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(?:-[A-Z][a-z]{3})?(?:-(?:[A-Z]{2}|\d{3}))?$")


def required(field_name: str) -> Invalid:
    return Invalid(f"{field_name} is required", field=field_name)


def check_string(value: Any, field_name: str, *, is_required: bool = False, max_length: int = TEXT_MAX) -> str | None:
    text = check_text(value, field_name, max_length=max_length, required=is_required)
    return text.strip() if is_required and text is not None else text


def check_boolean(value: Any, field_name: str) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"{field_name} must be true or false", field=field_name)
    return value


def check_integer(value: Any, field_name: str, *, minimum: int, maximum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise Invalid(f"{field_name} must be an integer", field=field_name)
    if not minimum <= value <= maximum:
        raise Invalid(f"{field_name} must be between {minimum} and {maximum}", field=field_name)
    return value


def check_year(value: Any, field_name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise Invalid(f"{field_name} must be an integer", field=field_name)
    if not 1000 <= value <= 9999:
        raise Invalid(f"{field_name} must be a four-digit year", field=field_name)
    return value


def check_date(value: Any, field_name: str) -> str:
    """``YYYY-MM-DD`` (a real calendar date)."""
    match = DATE.match(value) if isinstance(value, str) else None
    try:
        if match is None:
            raise ValueError
        return date.fromisoformat(match.group(1)).isoformat()
    except ValueError:
        raise Invalid(f"{field_name} must be a date in the format YYYY-MM-DD", field=field_name) from None


def check_names(value: Any, field_name: str, *, is_required: bool = False) -> list[str] | None:
    """A list of names (credits): strings, not blank, at most 100."""
    if value is None or value == []:
        if is_required:
            raise required(field_name)
        return value
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Invalid(f"{field_name} must be an array of strings", field=field_name)
    if len(value) > CREDITS_MAX:
        raise Invalid(f"{field_name} may list at most {CREDITS_MAX} names", field=field_name)
    names = [check_string(v, field_name) or "" for v in value]
    if any(not name.strip() for name in names):
        raise Invalid(f"{field_name} must not contain empty names", field=field_name)
    return [name.strip() for name in names]


def check_custom_data(value: Any, field_name: str) -> list | dict | None:
    """Free JSON a client keeps with the release: an array (or an object),
    at most 64 KiB and 32 levels deep."""
    if value is None:
        return None
    if not isinstance(value, list | dict):
        raise Invalid(f"{field_name} must be an array", field=field_name)
    if json_depth(value) > CUSTOM_DATA_MAX_DEPTH:
        raise Invalid(f"{field_name} must not nest more than {CUSTOM_DATA_MAX_DEPTH} levels deep", field=field_name)
    if len(json.dumps(value)) > CUSTOM_DATA_MAX_BYTES:
        raise Invalid(f"{field_name} must be at most {CUSTOM_DATA_MAX_BYTES} bytes of JSON", field=field_name)
    return value


def check_upc(value: Any, field_name: str = "upc-code") -> str:
    """A UPC-A (12 digits) or EAN-13 (13 digits). The check digit is not
    verified: catalogs hold codes from before it was, and the seed's own
    example (8088111222333) fails it."""
    if value is None or value == "":
        raise required(field_name)
    if not isinstance(value, str) or not UPC.match(value):
        raise Invalid(f"{field_name} must be 12 or 13 digits (UPC-A or EAN-13)", field=field_name)
    return value


def check_isrc(value: Any, field_name: str = "isrc") -> str | None:
    """``CC-XXX-YY-NNNNN``, stored without dashes: 12 characters."""
    if value is None:
        return None
    if not isinstance(value, str) or not ISRC.match(value.replace("-", "").upper()):
        raise Invalid(
            f"{field_name} must be an ISRC: country, registrant, year and number (CC-XXX-YY-NNNNN), 12 characters without dashes",
            field=field_name,
        )
    return value.replace("-", "").upper()


def check_currency(value: Any, field_name: str = "currency") -> str:
    if value is None:
        raise required(field_name)
    if not isinstance(value, str) or value.upper() not in CURRENCIES:
        raise Invalid(f"{field_name} must be an ISO 4217 currency code such as EUR or USD", field=field_name)
    return value.upper()


def check_territory(value: Any, field_name: str = "territory") -> str:
    if value is None or value == "":
        raise required(field_name)
    if not isinstance(value, str) or (value.upper() not in COUNTRIES and value.upper() != WORLDWIDE):
        raise Invalid(
            f"{field_name} must be an ISO 3166-1 alpha-2 country code such as FR, or WW for the whole world",
            field=field_name,
        )
    return value.upper()


def check_territories(value: Any, field_name: str = "territories") -> list[str]:
    if value is None or value == []:
        raise required(field_name)
    if not isinstance(value, list):
        raise Invalid(f"{field_name} must be an array of ISO 3166-1 alpha-2 country codes, or [\"WW\"]", field=field_name)
    codes = [check_territory(v, field_name) for v in value]
    if WORLDWIDE in codes and len(codes) > 1:
        raise Invalid(f"{field_name} must be [\"WW\"] alone or a list of countries, not both", field=field_name)
    if len(set(codes)) != len(codes):
        raise Invalid(f"{field_name} must not list a country twice", field=field_name)
    return codes


# --- labels, languages, product types --------------------------------------


async def _find_owned(table: type[Table], noun: str, org: str, row_id: Any) -> dict:
    row = None
    if isinstance(row_id, str):
        row = await table.select().where(table.org == org, table.id == row_id).first()
    if row is None:
        raise NotFound(f"{noun} {row_id} not found")
    return row


async def _page(table: type[Table], org: str, *, limit: int, offset: int) -> tuple[list[dict], int]:
    rows = await table.select().where(table.org == org).order_by(table.created_at, table.id).limit(limit).offset(offset)
    return rows, await table.count().where(table.org == org)


def _only(checks: Checker, attributes: dict[str, Any], allowed: tuple[str, ...], noun: str) -> None:
    for name in attributes:
        if name not in allowed and name not in ("createdAt", "updatedAt"):  # read-only, ignored when sent back
            checks.errors.append(Invalid(f"{name} is not an attribute of {noun}", field=f"attributes/{name}"))


async def find_label(org: str, label_id: Any) -> dict:
    return await _find_owned(Label, "Label", org, label_id)


async def list_labels(org: str, *, limit: int, offset: int) -> tuple[list[dict], int]:
    return await _page(Label, org, limit=limit, offset=offset)


async def create_label(org: str, attributes: dict[str, Any], *, checks: Checker | None = None) -> dict:
    """A label: a ``name``."""
    checks = checks or Checker()
    _only(checks, attributes, ("name",), "a label")
    name = checks.run(check_string, attributes.get("name"), "name", is_required=True)
    checks.raise_problems(order=("name",))
    label_id = new_id("label")
    await Label.insert(Label(id=label_id, org=org, name=name, created_at=utcnow()))
    return await find_label(org, label_id)


async def find_language(org: str, language_id: Any) -> dict:
    return await _find_owned(Language, "Language", org, language_id)


async def list_languages(org: str, *, limit: int, offset: int) -> tuple[list[dict], int]:
    return await _page(Language, org, limit=limit, offset=offset)


def check_language_code(value: Any, field_name: str = "code") -> str:
    """An ISO 639 code (``en``, ``fra``), optionally with a script and a
    region as in BCP 47 (``pt-BR``, ``zh-Hant-TW``); case is normalized."""
    if value is None or value == "":
        raise required(field_name)
    if isinstance(value, str):
        parts = value.replace("_", "-").split("-")
        parts[0] = parts[0].lower()
        parts[1:] = [p.title() if len(p) == 4 else p.upper() for p in parts[1:]]
        value = "-".join(parts)
    if not isinstance(value, str) or not LANGUAGE_CODE.match(value):
        raise Invalid(f"{field_name} must be an ISO 639 language code such as en or pt-BR", field=field_name)
    return value


async def create_language(org: str, attributes: dict[str, Any], *, checks: Checker | None = None) -> dict:
    """A language: a ``code``, unique in the organization, and a ``name``."""
    checks = checks or Checker()
    _only(checks, attributes, ("code", "name"), "a language")
    code = checks.run(check_language_code, attributes.get("code"))
    name = checks.run(check_string, attributes.get("name"), "name", is_required=True)
    if code and not checks.failed("code"):
        taken = await Language.select(Language.id).where(Language.org == org, Language.code == code).first()
        if taken:
            checks.errors.append(Invalid(f"code is already taken by language {taken['id']}", field="code"))
    checks.raise_problems(order=("code", "name"))
    language_id = new_id("language")
    try:
        await Language.insert(Language(id=language_id, org=org, code=code, name=name, created_at=utcnow()))
    except UNIQUE_VIOLATIONS as exc:  # lost a race with the same code
        raise Conflict(f"code is already taken: another language has {code}", field="code") from exc
    return await find_language(org, language_id)


async def find_product_type(org: str, product_type_id: Any) -> dict:
    return await _find_owned(ProductType, "Product type", org, product_type_id)


async def list_product_types(org: str, *, limit: int, offset: int) -> tuple[list[dict], int]:
    return await _page(ProductType, org, limit=limit, offset=offset)


async def create_product_type(org: str, attributes: dict[str, Any], *, checks: Checker | None = None) -> dict:
    """A product type (album, single, EP...): a ``name``."""
    checks = checks or Checker()
    _only(checks, attributes, ("name",), "a product type")
    name = checks.run(check_string, attributes.get("name"), "name", is_required=True)
    checks.raise_problems(order=("name",))
    type_id = new_id("ptype")
    await ProductType.insert(ProductType(id=type_id, org=org, name=name, created_at=utcnow()))
    return await find_product_type(org, type_id)


async def rows_by_id(table: type[Table], org: str, ids: Iterable[str | None]) -> dict[str, dict]:
    """The organization's rows of ``table`` with the given ids (one query)."""
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    rows = await table.select().where(table.org == org, table.id.is_in(wanted))
    return {row["id"]: row for row in rows}


# --- cover art ---------------------------------------------------------------

COVER_MAX_BYTES = 10 * 1024 * 1024
#: The image types a cover may have, their file extension and how their
#: bytes begin. SVG is refused: served from the hub's origin, its scripts
#: would run there.
COVER_TYPES: dict[str, tuple[str, Callable[[bytes], bool]]] = {
    "image/jpeg": ("jpg", lambda b: b.startswith(b"\xff\xd8\xff")),
    "image/png": ("png", lambda b: b.startswith(b"\x89PNG\r\n\x1a\n")),
    "image/gif": ("gif", lambda b: b[:6] in (b"GIF87a", b"GIF89a")),
    "image/webp": ("webp", lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP"),
}
COVER_EXTENSIONS = {ext: mime for mime, (ext, _) in COVER_TYPES.items()}
COVER_FILE = re.compile(r"^[0-9a-f]{32}\.(?:jpg|png|gif|webp)$")


def check_cover(value: Any, field_name: str = "front-cover") -> DataUri:
    """A base64 data URI holding a JPEG, PNG, GIF or WebP image of at most 10 MiB."""
    cover = parse_data_uri(value, field=field_name, max_bytes=COVER_MAX_BYTES)
    mime = "image/jpeg" if cover.mime_type in ("image/jpg", "image/pjpeg") else cover.mime_type
    if mime not in COVER_TYPES:
        raise Invalid(f"{field_name} must be a JPEG, PNG, GIF or WebP image (data:image/jpeg;base64,...)", field=field_name)
    if not COVER_TYPES[mime][1](cover.data):
        raise Invalid(f"{field_name} does not hold a {mime} image", field=field_name)
    return DataUri(mime_type=mime, data=cover.data)


def cover_key(org: str, file_name: str) -> str:
    return f"orgs/{org}/covers/{file_name}"


async def store_cover(hub: Hub, org: str, cover: DataUri) -> tuple[str, str]:
    """Store the image under a fresh name; returns its key and MD5."""
    key = cover_key(org, f"{uuid.uuid4().hex}.{COVER_TYPES[cover.mime_type][0]}")
    await hub.blobs.put(key, cover.data, content_type=cover.mime_type)
    return key, hashlib.md5(cover.data).hexdigest()


# --- releases ----------------------------------------------------------------

#: A release's statuses and the product statuses they are.
RELEASE_STATUSES = {"draft": "draft", "active": "published", "archived": "archived"}
PRODUCT_TO_RELEASE_STATUS = {product: release for release, product in RELEASE_STATUSES.items()}

TEXT_FIELDS = ("copyright-line", "production-line", "mastered-by", "label-internal-reference", "subtitle")
DATE_FIELDS = ("release-date", "original-release-date")
CREDIT_FIELDS = (
    "artist", "composer", "producer", "featuring", "remixer", "author",
    "lyricist", "performer", "arranger", "orchestra", "director",
)
#: Links to other resources, and the column each is stored in.
LINKS: dict[str, tuple[type[Table], str, Callable[[str, Any], Awaitable[dict]]]] = {
    "label": (Label, "label", find_label),
    "language": (Language, "language", find_language),
    "product-type": (ProductType, "product_type", find_product_type),
}
#: Every field of a release in the seed's order: errors are listed so.
RELEASE_FIELDS = (
    "name", "is-compilation", "upc-code", "copyright-line", "production-line", "production-year", "status",
    "front-cover", "release-date", "original-release-date", "subtitle", "mastered-by", "label-internal-reference",
    *CREDIT_FIELDS, "custom-data", "label", "language", "product-type",
)
REQUIRED_ON_CREATE = (
    "name", "upc-code", "copyright-line", "production-line", "production-year", "status", "artist",
    "label", "language",
)
#: What a client reads but cannot write; sent back unchanged, it is ignored.
READ_ONLY_FIELDS = ("cover-url", "front-cover-md5", "createdAt", "updatedAt")
#: Relationships of a release that are not set through the release.
OTHER_RELATIONSHIPS = {
    "company": "the company is the API key's organization",
    "tracks": "create tracks with POST /api/v1/tracks",
    "offers": "create offers with POST /api/v1/offers",
    "rights": "create rights with POST /api/v1/rights",
}


@dataclass
class ReleaseChanges:
    """A checked release document: what to write, in the product's terms."""

    name: str | None = None
    status: str | None = None  # a product status (published, not active)
    columns: dict[str, Any] = field(default_factory=dict)  # upc_code, label, language, product_type
    release: dict[str, Any] = field(default_factory=dict)  # keys of Product.release
    cover: DataUri | None = None
    remove_cover: bool = False


def _check_attribute(changes: ReleaseChanges, name: str, value: Any, *, creating: bool) -> None:
    """Check one attribute and record it in ``changes``; raises Invalid."""
    if name == "name":
        changes.name = check_name(value)
    elif name == "status":
        if value is None:
            raise required(name)
        if creating:
            if value != "draft":
                raise Invalid("status must be draft", field="status")
        else:
            check_status(value, tuple(RELEASE_STATUSES), field="status")
        changes.status = RELEASE_STATUSES[value]
    elif name == "upc-code":
        changes.columns["upc_code"] = check_upc(value)
    elif name in ("copyright-line", "production-line"):
        changes.release[name] = check_string(value, name, is_required=True)
    elif name in TEXT_FIELDS:
        changes.release[name] = check_string(value, name)
    elif name == "production-year":
        if value is None:
            raise required(name)
        changes.release[name] = check_year(value, name)
    elif name == "is-compilation":
        changes.release[name] = False if value is None and creating else check_boolean(value, name)
    elif name in DATE_FIELDS:
        changes.release[name] = None if value is None else check_date(value, name)
    elif name in CREDIT_FIELDS:
        changes.release[name] = check_names(value, name, is_required=name == "artist")
    elif name == "custom-data":
        changes.release[name] = check_custom_data(value, name)
    elif name == "front-cover":
        if value is None:
            changes.remove_cover = not creating
        else:
            changes.cover = check_cover(value, name)
    else:
        raise Invalid(f"{name} is not an attribute of a product", field=f"attributes/{name}")


async def _check_link(changes: ReleaseChanges, org: str, name: str, linked_id: Any) -> None:
    if name in OTHER_RELATIONSHIPS:
        raise Invalid(f"{name} cannot be set on a product: {OTHER_RELATIONSHIPS[name]}", field=name)
    if name not in LINKS:
        raise Invalid(f"{name} is not a relationship of a product", field=f"relationships/{name}")
    _table, column, find = LINKS[name]
    if linked_id is None:
        if name in REQUIRED_ON_CREATE:
            raise required(name)
        changes.columns[column] = None
        return
    try:
        await find(org, linked_id)
    except NotFound:
        noun = name.replace("-", " ")
        raise Invalid(f"{name} must be an existing {noun}; there is no {noun} {linked_id}", field=name) from None
    changes.columns[column] = linked_id


async def check_release(
    org: str,
    attributes: dict[str, Any],
    links: dict[str, Any],
    *,
    creating: bool,
    checks: Checker | None = None,
) -> ReleaseChanges:
    """Check a release's attributes and links (relationship name → the
    linked id, or None to unlink) and return what to write.

    On create every field of :data:`REQUIRED_ON_CREATE` must be there and
    the status must be ``draft``; on update only the fields present change.
    Raises :class:`Problems` listing every problem, in the seed's order. A
    caller with problems of its own passes its ``checks`` to get them all
    in one answer.
    """
    checks = checks or Checker()
    changes = ReleaseChanges()
    for name, value in attributes.items():
        if name not in READ_ONLY_FIELDS and not checks.failed(name):
            checks.run(_check_attribute, changes, name, value, creating=creating)
    for name, linked_id in links.items():
        if not checks.failed(name):
            await checks.wait(_check_link(changes, org, name, linked_id))
    if creating:
        changes.release.setdefault("is-compilation", False)
        for name in REQUIRED_ON_CREATE:
            if name not in attributes and name not in links and not checks.failed(name):
                checks.errors.append(required(name))
    checks.raise_problems(order=RELEASE_FIELDS)
    return changes


def release_status(product: dict) -> str:
    return PRODUCT_TO_RELEASE_STATUS.get(product["status"], product["status"])


async def _free_slug(org: str, name: str) -> str:
    """The slug of ``name``, or with the first free numeric suffix (``-2``...)."""
    base = slugify(name)
    # Slugs of names hold only [a-z0-9-]: no LIKE wildcard to escape.
    taken = set(
        await Product.select(Product.slug)
        .where(Product.org == org, Product.slug.like(f"{base[:90]}%"))
        .output(as_list=True)
    )
    if base not in taken:
        return base
    number = 2
    while True:
        suffix = f"-{number}"
        candidate = base[: 100 - len(suffix)].rstrip("-") + suffix
        if candidate not in taken:
            return candidate
        number += 1


async def _write_release(
    db: Database,
    org: str, product_id: str, changes: ReleaseChanges, cover: tuple[str, str] | None, *, creating: bool = False
) -> str | None:
    """Write ``changes`` to the product inside the caller's transaction;
    returns the key of the cover it replaced, if any."""
    query = Product.select(Product.id, Product.release, Product.cover_key, Product.created_at).where(
        Product.org == org, Product.slug == product_id
    )
    if not db.is_sqlite:
        # Concurrent updates of different fields must not lose each other's
        # metadata (SQLite's write transaction already serializes them).
        query = query.lock_rows()
    current = await query.output(load_json=True).first()
    if current is None:
        raise NotFound(f"Product {product_id} not found")
    core = {key: value for key, value in (("name", changes.name), ("status", changes.status)) if value is not None}
    if core and not creating:  # a new product already has its name and status
        await update_product(org, product_id, core)
    values: dict[Any, Any] = {getattr(Product, column): value for column, value in changes.columns.items()}
    if changes.release:
        values[Product.release] = {**(current["release"] or {}), **changes.release}
    if cover is not None:
        values[Product.cover_key], values[Product.cover_md5] = cover
    elif changes.remove_cover:
        values[Product.cover_key] = values[Product.cover_md5] = None
    if values:
        # A new product was created and updated at the same moment.
        values[Product.updated_at] = current["created_at"] if creating else utcnow()
        await Product.update(values).where(Product.id == current["id"])
    replaced = cover is not None or changes.remove_cover
    return current["cover_key"] if replaced else None


async def create_release(hub: Hub, org: str, changes: ReleaseChanges) -> dict:
    """Create the product of a checked release document (see
    :func:`check_release`); its id is its name's slug, made unique with a
    numeric suffix when taken."""
    cover = await store_cover(hub, org, changes.cover) if changes.cover else None
    try:
        for _attempt in range(5):
            try:
                async with hub.db.write_transaction():
                    slug = await _free_slug(org, changes.name or "")
                    await create_product(org, name=changes.name, slug=slug)
                    await _write_release(hub.db, org, slug, changes, cover, creating=True)
                return await find_product(org, slug)
            except Conflict as exc:
                if exc.field != "slug":
                    raise
                # Another request took this slug in between: try the next one.
        raise Conflict("Could not find a free id for this product; try again")
    except BaseException:
        # Nothing refers to the stored cover: do not leave it behind.
        if cover is not None:
            await hub.blobs.delete(cover[0])
        raise


async def update_release(hub: Hub, org: str, product_id: str, changes: ReleaseChanges) -> dict:
    """Apply a checked partial release document to the product."""
    await find_product(org, product_id)
    cover = await store_cover(hub, org, changes.cover) if changes.cover else None
    try:
        async with hub.db.write_transaction():
            replaced = await _write_release(hub.db, org, product_id, changes, cover)
    except BaseException:
        if cover is not None:
            await hub.blobs.delete(cover[0])
        raise
    if replaced:
        await hub.blobs.delete(replaced)
    return await find_product(org, product_id)


async def delete_release(hub: Hub, org: str, product_id: str) -> None:
    """Delete a product that is not active, with its files and cover."""
    try:
        await delete_product(hub, org, product_id)
    except Conflict as exc:
        # The core's rule, in the release's words.
        raise Conflict(f"Product {product_id} is active and cannot be deleted; archive it first") from exc


@dataclass
class ReleaseFilters:
    """Which releases a listing shows; None means no condition."""

    name: str | None = None  # contained in the name, ignoring case
    status: str | None = None  # a release status
    ids: list[str] | None = None
    label: str | None = None
    upc_code: str | None = None
    created_from: date | None = None  # inclusive days, UTC
    created_to: date | None = None
    has_send_tasks: bool | None = None  # the hub has no send tasks


SORTABLE = {"name": Product.name, "createdAt": Product.created_at, "updatedAt": Product.updated_at,
            "upc-code": Product.upc_code, "status": Product.status}


async def list_releases(
    db: Database,
    org: str, filters: ReleaseFilters, *, order: Sequence[tuple[str, bool]] = (), limit: int, offset: int
) -> tuple[list[dict], int]:
    """A page of the organization's products and the total matching count.

    ``order`` lists (field of :data:`SORTABLE`, ascending); newest first by default.
    """
    conditions: list[Any] = [Product.org == org]
    if filters.has_send_tasks:
        return [], 0
    if filters.name:
        # instr/strpos, not LIKE: '%' and '_' in a searched name are letters.
        function = "instr" if db.is_sqlite else "strpos"
        conditions.append(WhereRaw(f'{function}(lower("hub_product"."name"), lower({{}})) > 0', filters.name))
    if filters.status is not None:
        conditions.append(Product.status == RELEASE_STATUSES[filters.status])
    if filters.ids is not None:
        conditions.append(Product.slug.is_in(filters.ids))
    if filters.label is not None:
        conditions.append(Product.label == filters.label)
    if filters.upc_code is not None:
        conditions.append(Product.upc_code == filters.upc_code)
    if filters.created_from is not None:
        conditions.append(Product.created_at >= datetime.combine(filters.created_from, datetime.min.time(), UTC))
    if filters.created_to is not None:
        day_after = datetime.combine(filters.created_to + timedelta(days=1), datetime.min.time(), UTC)
        conditions.append(Product.created_at < day_after)
    query = Product.select().where(*conditions).output(load_json=True)
    for name, ascending in order or [("createdAt", False)]:
        query = query.order_by(SORTABLE[name], ascending=ascending)
    rows = await query.order_by(Product.id).limit(limit).offset(offset)
    return rows, await Product.count().where(*conditions)


# --- tracks, offers and rights -------------------------------------------------

TRACK_FIELDS = ("title", "isrc", "position", "duration", "artists", "file")
OFFER_FIELDS = ("price", "currency", "territories", "start-date")
RIGHT_FIELDS = ("territory", "holder", "right-type")
TRACK_REQUIRED = ("title", "position")


def check_price(value: Any, field_name: str = "price") -> int:
    """An amount in the currency's minor unit: 999 is 9.99 EUR, 500 is 500 JPY."""
    if value is None:
        raise required(field_name)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10**12:
        raise Invalid(
            f"{field_name} must be a whole amount in the currency's minor unit, from 0 to 10^12 (999 for 9.99 EUR)",
            field=field_name,
        )
    return value


def check_right_type(value: Any, field_name: str = "right-type") -> str:
    if value is None:
        raise required(field_name)
    return check_status(value, RIGHT_TYPES, field=field_name)


def _require(checks: Checker, names: Sequence[str], attributes: dict[str, Any], current: dict | None) -> None:
    """On create (no current row), every field of ``names`` must be given."""
    if current is None:
        for name in names:
            if name not in attributes and not checks.failed(name):
                checks.errors.append(required(name))


def _unknown(checks: Checker, name: str, noun: str) -> None:
    if name not in ("createdAt", "updatedAt", "file-version"):  # read-only, ignored when sent back
        checks.errors.append(Invalid(f"{name} is not an attribute of {noun}", field=f"attributes/{name}"))


async def _find_audio(product: dict, path: Any) -> str:
    """The id of the version file at ``path``: in the active version if it
    is there, else in the newest version that has it."""
    path = normalize_path(path, field="file")
    rows = await VersionFile.select(VersionFile.id, VersionFile.version).where(
        VersionFile.version.product == product["id"], VersionFile.path == path
    ).order_by(VersionFile.version.created_at, ascending=False)
    if not rows:
        raise Invalid(
            f"file must be the path of a file in a version of product {product['slug']}; there is no {path!r}",
            field="file",
        )
    active = next((r for r in rows if r["version"] == product["active_version"]), None)
    return (active or rows[0])["id"]


async def _check_track(checks: Checker, product: dict, attributes: dict[str, Any], current: dict | None) -> dict[Any, Any]:
    values: dict[Any, Any] = {}
    for name, value in attributes.items():
        if name == "title":
            values[Track.title] = checks.run(check_string, value, name, is_required=True)
        elif name == "isrc":
            values[Track.isrc] = checks.run(check_isrc, value, name)
        elif name == "position":
            values[Track.position] = checks.run(check_integer, value, name, minimum=1, maximum=10_000)
            if value is None:
                checks.errors.append(required(name))
        elif name == "duration":
            values[Track.duration] = None if value is None else checks.run(
                check_integer, value, name, minimum=0, maximum=86_400
            )
        elif name == "artists":
            values[Track.artists] = checks.run(check_names, value, name) or []
        elif name == "file":
            values[Track.file] = None if value is None else await checks.wait(_find_audio(product, value))
        else:
            _unknown(checks, name, "a track")
    position = values.get(Track.position)
    if position is not None:
        # An album has one track 1. (Checked here, not by a unique index:
        # two concurrent creates on PostgreSQL could still both pass.)
        taken = await Track.select(Track.id).where(
            Track.product == product["id"], Track.position == position, Track.id != (current or {}).get("id", "")
        ).first()
        if taken:
            checks.errors.append(Invalid(f"position is already taken by track {taken['id']}", field="position"))
    _require(checks, TRACK_REQUIRED, attributes, current)
    return values


async def _check_offer(checks: Checker, product: dict, attributes: dict[str, Any], current: dict | None) -> dict[Any, Any]:
    values: dict[Any, Any] = {}
    for name, value in attributes.items():
        if name == "price":
            values[Offer.price] = checks.run(check_price, value, name)
        elif name == "currency":
            values[Offer.currency] = checks.run(check_currency, value, name)
        elif name == "territories":
            values[Offer.territories] = checks.run(check_territories, value, name)
        elif name == "start-date":
            values[Offer.start_date] = checks.run(check_date, value, name) if value is not None else None
            if value is None:
                checks.errors.append(required(name))
        else:
            _unknown(checks, name, "an offer")
    _require(checks, OFFER_FIELDS, attributes, current)
    return values


async def _check_right(checks: Checker, product: dict, attributes: dict[str, Any], current: dict | None) -> dict[Any, Any]:
    values: dict[Any, Any] = {}
    for name, value in attributes.items():
        if name == "territory":
            values[Right.territory] = checks.run(check_territory, value, name)
        elif name == "holder":
            values[Right.holder] = checks.run(check_string, value, name, is_required=True)
        elif name == "right-type":
            values[Right.type] = checks.run(check_right_type, value, name)
        else:
            _unknown(checks, name, "a right")
    _require(checks, RIGHT_FIELDS, attributes, current)
    return values


@dataclass(frozen=True)
class PartKind:
    """Tracks, offers or rights: rows that belong to one release."""

    table: type[Table]
    noun: str
    prefix: str
    fields: tuple[str, ...]
    """The attributes, in the order their errors are listed."""
    required: tuple[str, ...]
    """The attributes a new one must have."""
    check: Callable[[Checker, dict, dict[str, Any], dict | None], Awaitable[dict[Any, Any]]]
    """(checks, product, attributes, current row or None on create) → the
    column values to write; problems go to ``checks``."""
    order: tuple[str, ...]
    """The columns a product's parts are listed by."""


TRACKS = PartKind(Track, "Track", "track", TRACK_FIELDS, TRACK_REQUIRED, _check_track, ("position",))
OFFERS = PartKind(Offer, "Offer", "offer", OFFER_FIELDS, OFFER_FIELDS, _check_offer, ("start_date", "created_at"))
RIGHTS = PartKind(Right, "Right", "right", RIGHT_FIELDS, RIGHT_FIELDS, _check_right, ("created_at",))


async def _with_context(kind: PartKind, rows: list[dict]) -> list[dict]:
    """Add what a row shows beyond its columns: its product's public id and,
    for a track, the path and version of its file."""
    if not rows:
        return rows
    slugs = await Product.select(Product.id, Product.slug).where(Product.id.is_in(sorted({r["product"] for r in rows})))
    slug_of = {r["id"]: r["slug"] for r in slugs}
    files: dict[str, dict] = {}
    file_ids = sorted({r["file"] for r in rows if r.get("file")})
    if file_ids:
        found = await VersionFile.select(
            VersionFile.id, VersionFile.path, VersionFile.version.version.as_alias("version_name")
        ).where(VersionFile.id.is_in(file_ids))
        files = {f["id"]: f for f in found}
    for row in rows:
        row["product_slug"] = slug_of.get(row["product"])
        if kind is TRACKS:
            file = files.get(row["file"] or "")
            row["file_path"] = file["path"] if file else None
            row["file_version"] = file["version_name"] if file else None
    return rows


async def find_part(kind: PartKind, org: str, part_id: Any) -> dict:
    row = await _find_owned(kind.table, kind.noun, org, part_id)
    row = (await kind.table.select().where(kind.table.id == row["id"]).output(load_json=True))[0]
    return (await _with_context(kind, [row]))[0]


async def list_parts(kind: PartKind, org: str, product_ids: Sequence[str]) -> list[dict]:
    """The parts of the given products (internal ids), in their order."""
    if not product_ids:
        return []
    table = kind.table
    query = table.select().where(table.org == org, table.product.is_in(list(product_ids))).output(load_json=True)
    for column in kind.order:
        query = query.order_by(getattr(table, column))
    return await _with_context(kind, await query.order_by(table.id))


async def _part_product(org: str, product_id: Any) -> dict:
    """The product a new part is for; an unknown one is an invalid input."""
    if product_id is None:
        raise required("product")
    if isinstance(product_id, str):
        try:
            return await find_product(org, product_id)
        except NotFound:
            pass
    raise Invalid(f"product must be an existing product; there is no product {product_id}", field="product")


def _part_links(checks: Checker, kind: PartKind, links: dict[str, Any], *, creating: bool) -> None:
    for name in links:
        if name == "product" and not creating:
            checks.errors.append(Invalid(f"product cannot be changed: create a new {kind.prefix} for the other product", field=name))
        elif name != "product":
            checks.errors.append(Invalid(f"{name} is not a relationship of a {kind.prefix}", field=f"relationships/{name}"))


async def create_part(
    kind: PartKind, org: str, attributes: dict[str, Any], links: dict[str, Any], *, checks: Checker | None = None
) -> dict:
    """Create a track, offer or right of the product ``links["product"]``
    (its public id). Raises :class:`Problems` listing every problem."""
    checks = checks or Checker()
    _part_links(checks, kind, links, creating=True)
    product = None if checks.failed("product") else await checks.wait(_part_product(org, links.get("product")))
    if product is not None:
        values = await kind.check(checks, product, attributes, None)
    else:
        values = {}
        _require(checks, kind.required, attributes, None)
    checks.raise_problems(order=(*kind.fields, "product"))
    part_id = new_id(kind.prefix)
    row = {column._meta.name: value for column, value in values.items()}
    await kind.table.insert(kind.table(id=part_id, org=org, product=product["id"], created_at=utcnow(), **row))
    return await find_part(kind, org, part_id)


async def update_part(
    kind: PartKind, org: str, part_id: Any, attributes: dict[str, Any], links: dict[str, Any], *, checks: Checker | None = None
) -> dict:
    """Change the attributes present in ``attributes``; the product stays."""
    current = await _find_owned(kind.table, kind.noun, org, part_id)
    product = await Product.select().where(Product.id == current["product"]).first()
    checks = checks or Checker()
    _part_links(checks, kind, links, creating=False)
    values = await kind.check(checks, product, attributes, current)
    checks.raise_problems(order=(*kind.fields, "product"))
    if values:
        await kind.table.update(values).where(kind.table.id == current["id"])
    return await find_part(kind, org, part_id)


async def delete_part(kind: PartKind, org: str, part_id: Any) -> None:
    current = await _find_owned(kind.table, kind.noun, org, part_id)
    await kind.table.delete().where(kind.table.id == current["id"])
