"""License keys: minted per purchase item of a licensed product, activated
per machine, validated by the shop's software, reversed with the payment.

A product is licensed when it has license settings (:func:`set_policy`: an
activation limit or unlimited, an optional expiry in days from purchase,
how many seats a buyer may free per 30 days). Each purchase item of it gets
one key when the purchase is delivered (:func:`mint_for_item`, in the
transaction that mints its tokens; a unique index over the purchase and
item makes a replay or a restore mint nothing new).

A key reads ``XXXXX-XXXXX-XXXXX-XXXXX-C``: 100 random bits in Crockford's
base32 (no I, L, O, U: nothing to misread aloud) and a check character
(Luhn mod 32, which catches every single mistyped character and most
swapped neighbours). Typing is forgiving (:func:`normalize_key`: case,
dashes, spaces, ``O`` for ``0``, ``I``/``L`` for ``1``). The key is stored
sealed (:mod:`hub.sealing`), so that its buyer can be shown it again, and
found by an HMAC of its normal form under a key derived from the hub's
secret key (unique index): a leaked database lists no usable key. Keys are
never logged.

The public license API (:mod:`hub.api.licenses`) calls :func:`activate`,
:func:`validate` and :func:`deactivate`; each call is rate-limited per key
and per client address, counted in the process's memory
(:class:`hub.services.rate_limits.LocalLimits`: no commit per call), and
stamps the key's (and the machine's) last seen time and address when a
minute old or the address changed.

A refund or a lost dispute revokes the purchase's keys (``REVOKED``), an
open dispute holds them (``ON_HOLD``), a won dispute or a cancelled refund
restores them: :func:`settle_licenses`, called where the purchase's tokens
are revoked and given back (:mod:`hub.services.reversals`).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from piccolo.columns import Column

from hub import resources
from hub.client_ip import rate_limit_key
from hub.clock import as_aware, iso, utcnow
from hub.context import Hub
from hub.db import UNIQUE_VIOLATIONS
from hub.email_address import check_email
from hub.errors import HubError, Invalid, NotFound, TooManyRequests
from hub.inputs import check_text
from hub.plugins import records
from hub.plugins.events import LicenseActivated, LicenseDeactivated, LicenseDisabled, LicenseRestored
from hub.sealing import Sealer
from hub.secrets import new_id
from hub.services import rate_limits
from hub.services.events import emit
from hub.services.products import find_product
from hub.services.purchase_statuses import ON_HOLD as PURCHASE_ON_HOLD
from hub.services.purchase_statuses import REVOKING
from hub.tables import LicenseActivation, LicenseKey, LicensePolicy, Organization, Product, RateLimit, SigningKey

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base32: digits and letters without I, L, O, U."""
GROUPS, GROUP_SIZE = 4, 5
ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})

ACTIVE, REVOKED_STATUS, ON_HOLD_STATUS = "active", "revoked", "on_hold"

# The codes validate answers (and activate refuses with).
VALID = "VALID"
NOT_FOUND = "NOT_FOUND"
EXPIRED = "EXPIRED"
REVOKED = "REVOKED"
ON_HOLD = "ON_HOLD"
DISABLED = "DISABLED"
NOT_ACTIVATED = "NOT_ACTIVATED"
ACTIVATION_LIMIT = "ACTIVATION_LIMIT"
CODES = (VALID, NOT_FOUND, EXPIRED, REVOKED, ON_HOLD, DISABLED, NOT_ACTIVATED, ACTIVATION_LIMIT)

SEAT_RELEASE_WINDOW = 30 * 24 * 3600
DEFAULT_SEAT_RELEASES = 3
MAX_FINGERPRINT = 200
MAX_NAME = 200


# --- the key's format ----------------------------------------------------------


def check_character(body: str) -> str:
    """The Luhn mod 32 check character of ``body`` (base32 characters)."""
    total = 0
    factor = 2
    for char in reversed(body):
        addend = factor * ALPHABET.index(char)
        factor = 1 if factor == 2 else 2
        total += addend // 32 + addend % 32
    return ALPHABET[(32 - total % 32) % 32]


def new_license_key() -> str:
    """A fresh key: ``XXXXX-XXXXX-XXXXX-XXXXX-C``."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP_SIZE))
    groups = [body[i : i + GROUP_SIZE] for i in range(0, len(body), GROUP_SIZE)]
    return "-".join([*groups, check_character(body)])


def normalize_key(key: str) -> str:
    """The form a key is found by: upper case, without dashes and spaces,
    ``O`` read as ``0`` and ``I``/``L`` as ``1`` (what people mistype).
    Keys imported from another system are normalized the same way."""
    return "".join(key.split()).replace("-", "").upper().translate(ALIASES)


def well_formed(key: str) -> bool:
    """Whether ``key`` (normalized) is a key of the hub's format with its
    check character right."""
    body, check = key[:-1], key[-1:]
    return (
        len(key) == GROUPS * GROUP_SIZE + 1
        and all(char in ALPHABET for char in key)
        and check_character(body) == check
    )


def key_hash(hub: Hub, key: str) -> str:
    """How a key is found: an HMAC-SHA-256 of its normal form under a key of
    its own derived from the hub's secret key."""
    return hmac.new(_hashing_key(hub.sealer), normalize_key(key).encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


@functools.lru_cache(maxsize=8)
def _hashing_key(sealer: Sealer) -> bytes:
    """The keys' HMAC key, derived once per secret key (every call hashes)."""
    return sealer.derive("license keys").encode()


@functools.lru_cache(maxsize=4096)
def _address_bucket(ip: str) -> str:
    """:func:`hub.client_ip.rate_limit_key`, remembered for the addresses
    that call often (it parses the address)."""
    return rate_limit_key(ip)


def key_hint(key: str) -> str:
    """What the console shows of a key: its last group and check character."""
    return key.strip()[-7:]


# --- settings ------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """A product's license settings."""

    enabled: bool
    activation_limit: int | None = None
    expiry_days: int | None = None
    seat_releases: int = DEFAULT_SEAT_RELEASES


def _policy(row: dict[str, Any] | None) -> Policy:
    if row is None:
        return Policy(enabled=False)
    return Policy(True, row["activation_limit"], row["expiry_days"], row["seat_releases"])


async def get_policy(org: str, product_id: str) -> tuple[dict[str, Any], Policy]:
    """The product ``product_id`` (its slug) and its license settings."""
    product = await find_product(org, product_id)
    row = await LicensePolicy.select().where(LicensePolicy.product == product["id"]).first()
    return product, _policy(row)


def _check_count(value: Any, field: str, *, minimum: int, maximum: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise Invalid(f"{field} must be a whole number from {minimum} to {maximum}, or null", field=field)
    return value


async def set_policy(hub: Hub, org: str, product_id: str, policy: Policy) -> tuple[dict[str, Any], Policy]:
    """Turn licenses on (or change their settings) or off for a product.
    Keys already minted keep the limit and expiry they were minted with."""
    limit = _check_count(policy.activation_limit, "activationLimit", minimum=1, maximum=100_000)
    days = _check_count(policy.expiry_days, "expiryDays", minimum=1, maximum=36_500)
    releases = _check_count(policy.seat_releases, "seatReleases", minimum=0, maximum=1000)
    product = await find_product(org, product_id)
    now = utcnow()
    async with hub.db.write_transaction():
        if not policy.enabled:
            await LicensePolicy.delete().where(LicensePolicy.product == product["id"])
        else:
            seat_releases = DEFAULT_SEAT_RELEASES if releases is None else releases
            updated = await LicensePolicy.update(
                {
                    LicensePolicy.activation_limit: limit,
                    LicensePolicy.expiry_days: days,
                    LicensePolicy.seat_releases: seat_releases,
                    LicensePolicy.updated_at: now,
                }
            ).where(LicensePolicy.product == product["id"]).returning(LicensePolicy.id)
            if not updated:
                await LicensePolicy.insert(
                    LicensePolicy(
                        id=new_id("lpolicy"), org=org, product=product["id"], activation_limit=limit,
                        expiry_days=days, seat_releases=seat_releases, created_at=now, updated_at=now,
                    )
                )
    return await get_policy(org, product_id)


# --- minting ---------------------------------------------------------------------


async def mint_for_item(
    hub: Hub, purchase: dict[str, Any], index: int, product: dict[str, Any], *, revoked: bool = False
) -> str | None:
    """The key of item ``index`` of ``purchase`` (a delivered purchase's
    item of ``product``), minted now unless it exists (in the caller's
    transaction); None when the product is not licensed. ``revoked``: the
    item's part of the payment was refunded before it was recorded."""
    policy = await LicensePolicy.select().where(LicensePolicy.product == product["id"]).first()
    existing = await LicenseKey.select(LicenseKey.key_sealed).where(
        LicenseKey.purchase == purchase["id"], LicenseKey.purchase_item == index
    ).first()
    if existing:
        return hub.sealer.open(existing["key_sealed"]).decode()
    if policy is None:
        return None
    key = new_license_key()
    now = utcnow()
    await LicenseKey.insert(
        LicenseKey(
            id=new_id("license"),
            org=purchase["org"],
            product=product["id"],
            purchase=purchase["id"],
            purchase_item=index,
            key_hash=key_hash(hub, key),
            key_sealed=hub.sealer.seal(key.encode()),
            key_hint=key_hint(key),
            customer_email=purchase["customer_email"] or "",
            status=REVOKED_STATUS if revoked else ACTIVE,
            activation_limit=policy["activation_limit"],
            expires_at=now + timedelta(days=policy["expiry_days"]) if policy["expiry_days"] else None,
            created_at=now,
        )
    )
    return key


# --- shapes ------------------------------------------------------------------------


def license_record(row: dict[str, Any], product_slug: str) -> records.License:
    """A key as hooks and webhooks receive it (never the key itself)."""
    return resources.as_record(resources.license(row, product_slug))


def public_status(row: dict[str, Any]) -> str:
    """``active``, ``revoked``, ``on_hold``, ``disabled`` (by the shop) or ``expired``."""
    if row["disabled_at"] is not None:
        return "disabled"
    if row["status"] != ACTIVE:
        return str(row["status"])
    if row["expires_at"] is not None and as_aware(row["expires_at"]) <= utcnow():
        return "expired"
    return ACTIVE


async def licenses_of_purchases(purchase_ids: list[str], sealer: Sealer | None = None) -> dict[str, list[dict[str, Any]]]:
    """Each purchase's keys, with their product's ``product_slug`` and
    ``product_name``, ``public_status`` and activations (``machines``), by
    purchase id; each opened (``key``) when ``sealer`` is given."""
    if not purchase_ids:
        return {}
    rows = await LicenseKey.select().where(LicenseKey.purchase.is_in(purchase_ids)).order_by(LicenseKey.purchase_item)
    return await _detailed(rows, by="purchase", sealer=sealer)


async def _detailed(rows: list[dict[str, Any]], *, by: str, sealer: Sealer | None) -> dict[str, list[dict[str, Any]]]:
    if not rows:
        return {}  # most download pages: a product without license keys
    products = {
        p["id"]: p
        for p in await Product.select(Product.id, Product.slug, Product.name).where(
            Product.id.is_in(sorted({r["product"] for r in rows}) or [""])
        )
    }
    activations = await activations_of([r["id"] for r in rows])
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        product = products.get(row["product"], {"slug": "", "name": ""})
        detailed = {
            **row,
            "product_slug": product["slug"],
            "product_name": product["name"],
            "public_status": public_status(row),
            "expires_on": _day(row["expires_at"]),
            "machines": [{**m, "last_seen_on": _day(m["last_seen_at"])} for m in activations.get(row["id"], [])],
        }
        if sealer is not None:
            detailed["key"] = sealer.open(row["key_sealed"]).decode()
        grouped.setdefault(row[by], []).append(detailed)
    return grouped


def _day(moment: datetime | None) -> str:
    """``08 December 2026``: how the buyer's pages show a day."""
    return as_aware(moment).strftime("%d %B %Y") if moment else ""


async def licenses_of_token(hub: Hub, token: dict[str, Any]) -> list[dict[str, Any]]:
    """The key of the purchase item a download token delivers (opened), for
    its download page: none for a token not minted by a purchase. One
    lookup on the unique (purchase, item) index."""
    if token.get("purchase") is None or token.get("purchase_item") is None:
        return []
    rows = await LicenseKey.select().where(
        LicenseKey.purchase == token["purchase"], LicenseKey.purchase_item == token["purchase_item"]
    )
    return (await _detailed(rows, by="purchase", sealer=hub.sealer)).get(token["purchase"], [])


async def activations_of(license_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The activations of the given keys, oldest first, by key id."""
    if not license_ids:
        return {}
    rows = await LicenseActivation.select().where(LicenseActivation.license.is_in(license_ids)).order_by(
        LicenseActivation.created_at
    )
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row["license"], []).append(row)
    return grouped


async def licenses_of_email(hub: Hub, email: str) -> list[dict[str, Any]]:
    """Every key sold to ``email`` (a signed-in buyer's, on ``/my``), newest first."""
    rows = await LicenseKey.select().where(LicenseKey.customer_email == email.strip().lower()).order_by(
        LicenseKey.created_at, ascending=False
    )
    return (await _detailed(rows, by="customer_email", sealer=hub.sealer)).get(email.strip().lower(), [])


# --- the public API's work ----------------------------------------------------------


class LicenseRefused(HubError):
    """An activation or deactivation the key does not allow: ``code`` is one
    of :data:`CODES`; ``activations`` the key's current machines (for
    ``ACTIVATION_LIMIT``)."""

    def __init__(self, message: str, *, code: str, status: int = 422, activations: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status_code = status
        self.activations = activations or []


@dataclass
class Verdict:
    """What validate answers (and activate and deactivate after their work)."""

    valid: bool
    code: str
    key: dict[str, Any] | None = None
    product: dict[str, Any] | None = None
    activation: dict[str, Any] | None = None
    activations: list[dict[str, Any]] = field(default_factory=list)


MESSAGES = {
    NOT_FOUND: "License key not found",
    EXPIRED: "The license has expired",
    REVOKED: "The license was revoked (its purchase was refunded)",
    ON_HOLD: "The license is on hold while its payment is disputed",
    DISABLED: "The license was disabled by the shop",
    NOT_ACTIVATED: "The license is not activated on this machine",
    ACTIVATION_LIMIT: "The license's activation limit is reached",
}


def _key_code(row: dict[str, Any]) -> str | None:
    """Why the key itself refuses, or None."""
    status = public_status(row)
    return {
        "disabled": DISABLED, REVOKED_STATUS: REVOKED, ON_HOLD_STATUS: ON_HOLD, "expired": EXPIRED,
    }.get(status)


def _check_fingerprint(fingerprint: Any, *, required: bool) -> str | None:
    checked = check_text(fingerprint, "fingerprint", max_length=MAX_FINGERPRINT, required=required)
    return checked.strip() if checked else None


def _limited(hub: Hub, key: str, ip: str) -> str:
    """Count the call against the key's and the address's limits (before
    the call's work: a refused call, such as an unknown key guessed, still
    counts); 429 when either is spent. The key's hash, for the call's read.

    Counted in this process's memory (:class:`hub.services.rate_limits.LocalLimits`),
    not in the database: the software calls often, and a commit per call was
    most of a call's cost. With ``serve --workers N`` each process allows
    its share of the limits."""
    settings = hub.settings
    workers = settings.serve_workers
    if ip and not hub.limits.hit(
        "license-ip", _address_bucket(ip), limit=rate_limits.share(settings.license_calls_per_address, workers),
        window_seconds=60,
    ):
        raise TooManyRequests("Too many license requests from this address; try again in a minute")
    key = check_text(key, "key", max_length=200, required=True) or ""
    hashed = key_hash(hub, key)
    if not hub.limits.hit(
        "license-key", hashed, limit=rate_limits.share(settings.license_calls_per_key, workers), window_seconds=60
    ):
        raise TooManyRequests("Too many requests for this license key; try again in a minute")
    return hashed


async def _find_key(hub: Hub, key: str) -> dict[str, Any] | None:
    key = check_text(key, "key", max_length=200, required=True) or ""
    return await LicenseKey.select().where(LicenseKey.key_hash == key_hash(hub, key)).first()


SEEN_EVERY = timedelta(seconds=60)
"""How stale a last seen time may be before a call writes it again."""


def _stale(row: dict[str, Any], ip: str, now: datetime) -> bool:
    seen = row["last_seen_at"]
    return seen is None or row["last_ip"] != ip[:64] or now - as_aware(seen) >= SEEN_EVERY


async def _seen(row: dict[str, Any], ip: str, now: datetime) -> None:
    """Stamp the key as seen now from ``ip`` (unless it was, a moment ago)."""
    if _stale(row, ip, now):
        await LicenseKey.update({LicenseKey.last_seen_at: now, LicenseKey.last_ip: ip[:64]}).where(
            LicenseKey.id == row["id"]
        )


async def _product_of(row: dict[str, Any]) -> dict[str, Any]:
    product = await Product.select(Product.slug, Product.name).where(Product.id == row["product"]).first()
    return product or {"slug": "", "name": ""}


_ACTIVATION_KEYS = tuple(c._meta.db_column_name for c in LicenseActivation._meta.columns)
_VALIDATE = (
    "SELECT k.*, p.slug AS p_slug, p.name AS p_name, "
    + ", ".join(f"a.{name} AS a_{name}" for name in _ACTIVATION_KEYS)
    + f" FROM {LicenseKey._meta.tablename} k "
    f"LEFT JOIN {Product._meta.tablename} p ON p.id = k.product "
    f"LEFT JOIN {LicenseActivation._meta.tablename} a ON a.license = k.id AND a.fingerprint = {{}} "
    "WHERE k.key_hash = {}"
)
"""validate's one read: the key by its hash (unique index), its product's
slug and name, and the machine by the key and fingerprint (unique index)."""


async def validate(hub: Hub, key: str, fingerprint: Any, ip: str) -> Verdict:
    """The key's standing, and the machine's when ``fingerprint`` is given.

    The software calls it often, so it is cheap by design: the two rate
    limits are counted in memory (:func:`_limited`), the key, its product
    and the machine are one raw read on unique indexes (:data:`_VALIDATE`),
    and the last seen time and address are written (one UPDATE each for the
    key and the machine) only when a minute old or the address changed."""
    print_ = _check_fingerprint(fingerprint, required=False)
    now = utcnow()
    hashed = _limited(hub, key, ip)
    found = await hub.db.fetch_one(_VALIDATE, print_, hashed)
    if found is None:
        return Verdict(False, NOT_FOUND)
    product = {"slug": found.pop("p_slug") or "", "name": found.pop("p_name") or ""}
    machine: dict[str, Any] | None = {name: found.pop(f"a_{name}") for name in _ACTIVATION_KEYS}
    if machine is not None and machine["id"] is None:
        machine = None
    row = found
    await _seen(row, ip, now)
    if machine is not None and _stale(machine, ip, now):
        await LicenseActivation.update(
            {LicenseActivation.last_seen_at: now, LicenseActivation.last_ip: ip[:64]}
        ).where(LicenseActivation.id == machine["id"])
    code = _key_code(row)
    if code is None and print_ is not None and machine is None:
        code = NOT_ACTIVATED
    if code is None and row["activation_limit"] is not None and row["activations"] > row["activation_limit"]:
        code = ACTIVATION_LIMIT
    code = code or VALID
    return Verdict(code == VALID, code, row, product, machine)


async def activate(hub: Hub, key: str, fingerprint: Any, name: Any, ip: str) -> Verdict:
    """Activate the key on the machine ``fingerprint`` (named ``name``, say
    "Studio iMac"): idempotent for a machine already active (its name and
    last seen time are updated); the limit + 1st machine is refused with
    ``ACTIVATION_LIMIT`` and the machines' names."""
    print_ = _check_fingerprint(fingerprint, required=True)
    assert print_ is not None
    label = (check_text(name, "name", max_length=MAX_NAME) or "").strip() or print_[:MAX_NAME]
    now = utcnow()
    event_key: dict[str, Any] | None = None
    # Counted before the work (in memory): a refusal (an unknown key
    # guessed) rolls the work back, never the count.
    _limited(hub, key, ip)
    for attempt in range(3):
        try:
            async with hub.db.write_transaction():
                row = await _find_key(hub, key)
                if row is None:
                    raise LicenseRefused(MESSAGES[NOT_FOUND], code=NOT_FOUND, status=404)
                await _seen(row, ip, now)
                code = _key_code(row)
                if code is not None:
                    raise LicenseRefused(MESSAGES[code], code=code, status=403)
                machine = await LicenseActivation.select().where(
                    LicenseActivation.license == row["id"], LicenseActivation.fingerprint == print_
                ).first()
                if machine is not None:
                    changes: dict[Column | str, Any] = {
                        LicenseActivation.last_seen_at: now, LicenseActivation.last_ip: ip[:64],
                    }
                    if name:
                        changes[LicenseActivation.name] = label
                    await LicenseActivation.update(changes).where(LicenseActivation.id == machine["id"])
                else:
                    # One conditional write takes the seat: concurrent
                    # activations cannot pass the limit together.
                    taken = await LicenseKey.update({LicenseKey.activations: LicenseKey.activations + 1}).where(
                        LicenseKey.id == row["id"],
                        LicenseKey.activation_limit.is_null() | (LicenseKey.activations < LicenseKey.activation_limit),
                    ).returning(LicenseKey.activations)
                    if not taken:
                        machines = (await activations_of([row["id"]])).get(row["id"], [])
                        raise LicenseRefused(
                            f"{MESSAGES[ACTIVATION_LIMIT]} ({row['activation_limit']}): deactivate one of "
                            + ", ".join(m["name"] for m in machines),
                            code=ACTIVATION_LIMIT,
                            activations=machines,
                        )
                    activation_row = dict(
                        id=new_id("activation"), org=row["org"], license=row["id"], fingerprint=print_, name=label,
                        created_at=now, last_seen_at=now, last_ip=ip[:64],
                    )
                    await LicenseActivation.insert(LicenseActivation(**activation_row))
                    fresh = await LicenseKey.select().where(LicenseKey.id == row["id"]).first()
                    assert fresh is not None
                    row = event_key = fresh
                    product = await _product_of(row)
                    await emit(
                        hub,
                        LicenseActivated(license=license_record(row, product["slug"]), activation=activation_record(activation_row)),
                        org=row["org"],
                    )
            break
        except UNIQUE_VIOLATIONS:
            # The same machine activated concurrently and committed first:
            # the next attempt finds it.
            if attempt == 2:
                raise
    if event_key is not None:
        hub.events_wakeup.set()
    assert row is not None  # found, or refused above
    return await _verdict_after(row, print_)


def activation_record(row: dict[str, Any]) -> records.Activation:
    return resources.as_record(resources.activation(row))


async def _verdict_after(row: dict[str, Any], fingerprint: str | None) -> Verdict:
    fresh = await LicenseKey.select().where(LicenseKey.id == row["id"]).first()
    assert fresh is not None
    machines = (await activations_of([fresh["id"]])).get(fresh["id"], [])
    machine = next((m for m in machines if m["fingerprint"] == fingerprint), None)
    return Verdict(True, VALID if _key_code(fresh) is None else str(_key_code(fresh)), fresh, await _product_of(fresh), machine, machines)


async def release_seat(hub: Hub, row: dict[str, Any], machine: dict[str, Any], *, by: str) -> None:
    """Free ``machine``'s seat of the key ``row`` (in the caller's
    transaction) and record ``license.deactivated``; ``by`` says who
    (``api``, ``buyer``, ``shop``)."""
    deleted = await LicenseActivation.delete().where(LicenseActivation.id == machine["id"]).returning(LicenseActivation.id)
    if not deleted:
        return
    await LicenseKey.update({LicenseKey.activations: LicenseKey.activations - 1}).where(
        LicenseKey.id == row["id"], LicenseKey.activations > 0
    )
    fresh = await LicenseKey.select().where(LicenseKey.id == row["id"]).first()
    assert fresh is not None
    product = await _product_of(fresh)
    await emit(
        hub,
        LicenseDeactivated(
            license=license_record(fresh, product["slug"]),
            activation=activation_record(machine),
            by=by,
        ),
        org=fresh["org"],
    )


async def deactivate(hub: Hub, key: str, fingerprint: Any, activation_id: Any, ip: str) -> Verdict:
    """Free the seat of the machine ``fingerprint`` (or of the activation
    ``activation_id``, for a machine whose fingerprint is lost)."""
    print_ = _check_fingerprint(fingerprint, required=False)
    activation = check_text(activation_id, "activationId", max_length=60)
    if not print_ and not activation:
        raise Invalid("Give the machine's fingerprint or the activationId to deactivate", field="fingerprint")
    now = utcnow()
    _limited(hub, key, ip)  # in memory: a refusal does not roll the count back
    async with hub.db.write_transaction():
        row = await _find_key(hub, key)
        if row is None:
            raise LicenseRefused(MESSAGES[NOT_FOUND], code=NOT_FOUND, status=404)
        await _seen(row, ip, now)
        machines = (await activations_of([row["id"]])).get(row["id"], [])
        machine = next(
            (m for m in machines if (print_ and m["fingerprint"] == print_) or (activation and m["id"] == activation)), None
        )
        if machine is None:
            raise LicenseRefused("No such activation of this license", code=NOT_ACTIVATED, status=404)
        await release_seat(hub, row, machine, by="api")
    hub.events_wakeup.set()
    return await _verdict_after(row, None)


async def release_by_buyer(hub: Hub, email: str, license_id: str, activation_id: str) -> None:
    """A buyer frees a seat of their own key from the download page or
    ``/my``: at most the product's ``seatReleases`` per key per 30 days (so
    a key cannot be shared by freeing seats all day)."""
    async with hub.db.write_transaction():
        row = await LicenseKey.select().where(
            LicenseKey.id == license_id, LicenseKey.customer_email == email.strip().lower()
        ).first()
        if row is None:
            raise NotFound("License not found")
        machine = await LicenseActivation.select().where(
            LicenseActivation.id == activation_id, LicenseActivation.license == row["id"]
        ).first()
        if machine is None:
            raise NotFound("That machine is no longer active")
        policy = await LicensePolicy.select().where(LicensePolicy.product == row["product"]).first()
        allowed = policy["seat_releases"] if policy else DEFAULT_SEAT_RELEASES
        if not await rate_limits.hit("license-release", row["id"], limit=allowed, window_seconds=SEAT_RELEASE_WINDOW):
            raise TooManyRequests(
                f"You can free {allowed} machine(s) of this license every 30 days; write to the shop for more"
            )
        await release_seat(hub, row, machine, by="buyer")
    hub.events_wakeup.set()


# --- the shop's console --------------------------------------------------------------

CONSOLE_PAGE_SIZE = 50
SHOP = "shop"


async def list_licenses(
    hub: Hub, org: str, *, query: str = "", status: str = "", offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """The organization's keys, newest first: all, or those matching
    ``query`` (a whole key, typed loosely; a buyer's email; a product's
    slug; the end of a key, as the console shows it), with their machines."""
    conditions: list[Any] = [LicenseKey.org == org]
    query = (check_text(query, "q", max_length=320) or "").strip()
    if query:
        product = await Product.select(Product.id).where(Product.org == org, Product.slug == query).first()
        tail = query.upper()
        conditions.append(
            (LicenseKey.key_hash == key_hash(hub, query))
            | (LicenseKey.customer_email == query.lower())
            | (LicenseKey.product == (product["id"] if product else ""))
            | (LicenseKey.key_hint.ilike(f"%{tail[-7:]}") if len(tail) >= 5 else LicenseKey.id == "")
        )
    if status in (ACTIVE, REVOKED_STATUS, ON_HOLD_STATUS):
        conditions.append(LicenseKey.status == status)
        conditions.append(LicenseKey.disabled_at.is_null())
    elif status == "disabled":
        conditions.append(LicenseKey.disabled_at.is_not_null())
    total = await LicenseKey.count().where(*conditions)
    rows = await LicenseKey.select().where(*conditions).order_by(LicenseKey.created_at, ascending=False).limit(
        CONSOLE_PAGE_SIZE
    ).offset(max(0, offset))
    detailed = await _detailed(rows, by="org", sealer=None)
    return detailed.get(org, []), total


async def _shop_key(org: str, license_id: str) -> dict[str, Any]:
    row = await LicenseKey.select().where(LicenseKey.org == org, LicenseKey.id == license_id).first()
    if row is None:
        raise NotFound("License not found")
    return row


async def set_disabled(hub: Hub, org: str, license_id: str, disabled: bool) -> dict[str, Any]:
    """The shop disables a key (validate answers ``DISABLED``) or enables it
    again; ``license.disabled`` (reason ``shop``) or ``license.restored``."""
    async with hub.db.write_transaction():
        row = await _shop_key(org, license_id)
        if (row["disabled_at"] is not None) == disabled:
            return row
        moment = utcnow() if disabled else None
        await LicenseKey.update({LicenseKey.disabled_at: moment}).where(LicenseKey.id == row["id"])
        row = {**row, "disabled_at": moment}
        record = license_record(row, (await _product_of(row))["slug"])
        if disabled:
            await emit(hub, LicenseDisabled(license=record, reason=SHOP), org=org)
        else:
            await emit(hub, LicenseRestored(license=record), org=org)
    hub.events_wakeup.set()
    return row


async def reset_activations(hub: Hub, org: str, license_id: str) -> int:
    """The shop frees every seat of a key, and gives its buyer their seat
    releases of the month back; the number of machines freed."""
    async with hub.db.write_transaction():
        row = await _shop_key(org, license_id)
        machines = (await activations_of([row["id"]])).get(row["id"], [])
        for machine in machines:
            await release_seat(hub, row, machine, by=SHOP)
        await RateLimit.delete().where(RateLimit.bucket == rate_limits.bucket_of("license-release", row["id"]))
    hub.events_wakeup.set()
    return len(machines)


# --- moving in: keys from another system ------------------------------------------------

IMPORT_COLUMNS = ("key", "email", "product", "activations")
IMPORTED_FINGERPRINT = "imported-"


@dataclass
class ImportReport:
    """What an import did: keys imported, rows skipped as already imported
    (a second run imports nothing twice), and rows refused with the reason."""

    imported: int = 0
    already: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)


def _import_row(row: dict[str, str]) -> tuple[str, str, str, int]:
    key = (row.get("key") or "").strip()
    if not key or len(key) > 200 or "\x00" in key:
        raise Invalid("key is missing (or longer than 200 characters)")
    email = check_email((row.get("email") or "").strip().lower())
    product = (row.get("product") or "").strip()
    if not product:
        raise Invalid("product is missing")
    used = (row.get("activations") or "0").strip() or "0"
    if not used.isdigit() or int(used) > 100_000:
        raise Invalid(f"activations must be a whole number, not {used[:20]!r}")
    return key, email, product, int(used)


async def import_licenses(hub: Hub, org: str, rows: Iterable[dict[str, str]]) -> ImportReport:
    """Keys from another system (``key``, ``email``, ``product`` slug,
    ``activations`` used), each kept as it is (the buyer's software keeps
    working) under the product's license settings, with one placeholder
    machine per activation used (``Imported activation n``: the buyer or
    the shop frees them like any other). A key imported before is skipped
    (its hash is unique), so the same file imported twice imports once.
    Row numbers count the header as line 1."""
    report = ImportReport()
    policies: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {}
    for line, row in enumerate(rows, start=2):
        try:
            key, email, slug, used = _import_row(row)
            if slug not in policies:
                product = await find_product(org, slug)
                policy = await LicensePolicy.select().where(LicensePolicy.product == product["id"]).first()
                policies[slug] = (product, policy)
            product, policy = policies[slug]
            if policy is None:
                raise Invalid(f"product {slug} has no license settings: turn license keys on for it first")
            limit = policy["activation_limit"]
            if limit is not None and used > limit:
                report.notes.append((line, f"{used} activations used, more than the limit of {limit}: kept {limit}"))
                used = limit
            now = utcnow()
            digest = key_hash(hub, key)
            async with hub.db.write_transaction():
                if await LicenseKey.exists().where(LicenseKey.key_hash == digest):
                    mine = await LicenseKey.exists().where(LicenseKey.key_hash == digest, LicenseKey.org == org)
                    if not mine:
                        raise Invalid("this key is already in use in another organization")
                    report.already += 1
                    continue
                license_id = new_id("license")
                await LicenseKey.insert(
                    LicenseKey(
                        id=license_id, org=org, product=product["id"], key_hash=digest,
                        key_sealed=hub.sealer.seal(key.encode()), key_hint=key_hint(key), customer_email=email,
                        status=ACTIVE, activation_limit=limit, activations=used,
                        expires_at=now + timedelta(days=policy["expiry_days"]) if policy["expiry_days"] else None,
                        created_at=now,
                    )
                )
                if used:
                    await LicenseActivation.insert(
                        *(
                            LicenseActivation(
                                id=new_id("activation"), org=org, license=license_id,
                                fingerprint=f"{IMPORTED_FINGERPRINT}{n}", name=f"Imported activation {n}",
                                created_at=now, last_seen_at=now,
                            )
                            for n in range(1, used + 1)
                        )
                    )
            report.imported += 1
        except HubError as problem:
            report.refused.append((line, problem.message))
    return report


# --- privacy -----------------------------------------------------------------------


async def erase_license_holder(org: str, email: str) -> None:
    """A buyer's erasure (:func:`hub.services.privacy.erase_buyer`, in its
    transaction): their keys forget the email and the addresses they were
    seen from. The keys keep working: the software was paid for."""
    keys = await LicenseKey.update({LicenseKey.customer_email: "", LicenseKey.last_ip: ""}).where(
        LicenseKey.org == org, LicenseKey.customer_email == email
    ).returning(LicenseKey.id)
    if keys:
        await LicenseActivation.update({LicenseActivation.last_ip: ""}).where(
            LicenseActivation.license.is_in([k["id"] for k in keys])
        )


# --- reversals ----------------------------------------------------------------------


async def settle_licenses(hub: Hub, purchase: dict[str, Any], status: str, reversed_items: frozenset[int]) -> None:
    """Bring the keys of ``purchase`` to what its status gives (in the
    caller's transaction): ``revoked`` when it is refunded or charged back
    (or its item's part of the payment was), ``on_hold`` while disputed,
    ``active`` otherwise; record ``license.disabled`` or
    ``license.restored`` for each key that changes."""
    rows = await LicenseKey.select().where(LicenseKey.purchase == purchase["id"])
    for row in rows:
        if status in REVOKING or row["purchase_item"] in reversed_items:
            wanted = REVOKED_STATUS
        elif status == PURCHASE_ON_HOLD:
            wanted = ON_HOLD_STATUS
        else:
            wanted = ACTIVE
        if wanted == row["status"]:
            continue
        await LicenseKey.update({LicenseKey.status: wanted}).where(LicenseKey.id == row["id"])
        product = await _product_of(row)
        record = license_record({**row, "status": wanted}, product["slug"])
        if wanted == ACTIVE:
            await emit(hub, LicenseRestored(license=record), org=row["org"])
        else:
            await emit(hub, LicenseDisabled(license=record, reason="refunded" if wanted == REVOKED_STATUS else "on_hold"), org=row["org"])


# --- offline license files ------------------------------------------------------------

LICENSE_FILE_BEGIN = "-----BEGIN LICENSE FILE-----"
LICENSE_FILE_END = "-----END LICENSE FILE-----"
LICENSE_FILE_ALG = "base64+ed25519"
DEFAULT_TTL = 14 * 24 * 3600
MIN_TTL, MAX_TTL = 3600, 365 * 24 * 3600


async def signing_key(hub: Hub, org: str) -> tuple[Ed25519PrivateKey, str]:
    """The organization's Ed25519 key for license files and its public key
    (raw, base64), made at first use: the private key is kept sealed. Two
    processes making it at once keep the first one written."""
    row = await SigningKey.select().where(SigningKey.org == org).first()
    if row is None:
        if not await Organization.exists().where(Organization.id == org):
            raise NotFound(f"Organization {org} not found")
        private = Ed25519PrivateKey.generate()
        raw = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
        public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        await SigningKey.insert(
            SigningKey(
                org=org,
                public_key=base64.b64encode(public).decode(),
                private_sealed=hub.sealer.seal(raw),
                created_at=utcnow(),
            )
        ).on_conflict(action="DO NOTHING")
        row = await SigningKey.select().where(SigningKey.org == org).first()
        assert row is not None
    private = Ed25519PrivateKey.from_private_bytes(hub.sealer.open(row["private_sealed"]))
    return private, str(row["public_key"])


async def public_key(hub: Hub, org: str) -> str:
    """The organization's license-file public key (raw Ed25519, base64)."""
    check_text(org, "org", max_length=64, required=True)
    return (await signing_key(hub, org))[1]


def license_file(private: Ed25519PrivateKey, payload: dict[str, Any]) -> str:
    """``payload`` signed as a license file: the PEM-like armour around the
    base64 of ``{"enc", "sig", "alg"}``, where ``enc`` is the base64 of the
    payload's JSON and ``sig`` the base64 Ed25519 signature of ``enc``'s
    ASCII bytes."""
    enc = base64.b64encode(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()).decode()
    sig = base64.b64encode(private.sign(enc.encode("ascii"))).decode()
    body = base64.b64encode(json.dumps({"enc": enc, "sig": sig, "alg": LICENSE_FILE_ALG}).encode()).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "\n".join([LICENSE_FILE_BEGIN, *lines, LICENSE_FILE_END]) + "\n"


async def checkout(hub: Hub, key: str, fingerprint: Any, ttl: Any, ip: str) -> tuple[str, dict[str, Any]]:
    """A license file for the machine ``fingerprint`` (activated already),
    good offline for ``ttl`` seconds (after which the software should check
    in again: ``checkInBy``), never past the license's own expiry."""
    print_ = _check_fingerprint(fingerprint, required=True)
    if ttl is None:
        ttl = DEFAULT_TTL
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not MIN_TTL <= ttl <= MAX_TTL:
        raise Invalid(f"ttl must be a number of seconds from {MIN_TTL} to {MAX_TTL}", field="ttl")
    verdict = await validate(hub, key, print_, ip)
    if not verdict.valid:
        status = 404 if verdict.code == NOT_FOUND else 422 if verdict.code == NOT_ACTIVATED else 403
        raise LicenseRefused(MESSAGES[verdict.code], code=verdict.code, status=status)
    row, product = verdict.key, verdict.product
    assert row is not None and product is not None
    now = utcnow().replace(microsecond=0)
    check_in = now + timedelta(seconds=ttl)
    if row["expires_at"] is not None:
        check_in = min(check_in, as_aware(row["expires_at"]))
    payload = {
        "version": 1,
        "org": row["org"],
        "product": {"id": product["slug"], "name": product["name"]},
        "license": {"id": row["id"], "key": normalize_key(key) if not well_formed(normalize_key(key)) else _formatted(key)},
        "fingerprint": print_,
        "issued": iso(now),
        "ttl": ttl,
        "checkInBy": iso(check_in),
        "expiry": iso(row["expires_at"]),
    }
    private, _ = await signing_key(hub, row["org"])
    return license_file(private, payload), payload


def _formatted(key: str) -> str:
    """A key of the hub's format, written in its groups."""
    normal = normalize_key(key)
    return "-".join(normal[i : i + GROUP_SIZE] for i in range(0, len(normal), GROUP_SIZE))
