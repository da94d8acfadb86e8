"""Organizations and their API keys."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from hub.clock import utcnow
from hub.db import Database
from hub.email_address import check_email
from hub.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from hub.secrets import API_KEY_PREFIX, hash_secret, new_id, new_secret
from hub.tables import ApiKey, Organization

ROLES = ("viewer", "member", "admin")  # in increasing power
DEFAULT_SCOPES = ["products"]
ORG_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: an API key's organization, role and scopes."""

    org: str
    role: str
    scopes: tuple[str, ...]
    key_id: str

    def require(self, role: str) -> None:
        """Raise :class:`Forbidden` unless the key's role is at least ``role``."""
        if ROLES.index(self.role) < ROLES.index(role):
            article = "an" if role[0] in "aeiou" else "a"
            raise Forbidden(f"This action needs {article} {role} API key; this key's role is {self.role}")

    def require_scope(self, scope: str) -> None:
        if scope not in self.scopes:
            raise Forbidden(f"This action needs an API key with the '{scope}' scope")


async def describe_principal(principal: Principal) -> dict[str, Any]:
    """The key's organization (id and name), role, scopes and key id, as ``GET /api/me`` shows them.
    The name is the display name, or the id while the shop has none (an
    integrator always gets a name to show)."""
    org = await Organization.select(Organization.id, Organization.name).where(Organization.id == principal.org).first()
    return {
        "organization": {"id": principal.org, "name": (org["name"] if org else "") or principal.org},
        "role": principal.role,
        "scopes": list(principal.scopes),
        "keyId": principal.key_id,
    }


async def create_organization(org_id: str, name: str | None = None, *, contact_email: str | None = None) -> dict[str, Any]:
    """Create a tenant; ``contact_email`` is where the hub writes to its admins."""
    if contact_email:
        contact_email = check_email(contact_email, field="contact email")
    if not ORG_ID.match(org_id or ""):
        raise Invalid(
            "Organization id must be 1-63 lower-case letters, digits or hyphens, starting with a letter or digit",
            field="org",
        )
    if await Organization.exists().where(Organization.id == org_id):
        raise Conflict(f"Organization {org_id} already exists")
    await Organization.insert(
        Organization(id=org_id, name=" ".join((name or "").split()), created_at=utcnow(), contact_email=contact_email or "")
    )
    return {"id": org_id, "name": " ".join((name or "").split())}


async def create_api_key(org_id: str, role: str, *, label: str = "", scopes: list[str] | None = None) -> tuple[str, dict[str, Any]]:
    """Mint a key; the secret is returned once and stored only as a hash."""
    if role not in ROLES:
        raise Invalid(f"role must be one of {', '.join(ROLES)}", field="role")
    if not await Organization.exists().where(Organization.id == org_id):
        raise NotFound(f"Organization {org_id} not found; create it with `continuata-hub init --org {org_id}`")
    secret = new_secret(API_KEY_PREFIX)
    key = ApiKey(
        id=new_id("key"),
        org=org_id,
        key_hash=hash_secret(secret),
        role=role,
        scopes=list(DEFAULT_SCOPES if scopes is None else scopes),
        label=label,
        created_at=utcnow(),
    )
    await ApiKey.insert(key)
    return secret, {"id": key.id, "org": org_id, "role": role, "scopes": key.scopes, "label": label}


_KEY_BY_HASH = (
    f"SELECT id, org, role, scopes FROM {ApiKey._meta.tablename} WHERE key_hash = {{}} AND revoked_at IS NULL"
)


async def authenticate(db: Database, authorization: str | None) -> Principal:
    """Resolve an ``Authorization: Bearer <key>`` header to a principal.

    Every API request starts here, so the lookup is one raw query on the
    unique hash index (piccolo would spend more time building it than the
    database spends answering). Never cached: a revoked key stops working at
    once, in every process.
    """
    if not authorization:
        raise Unauthorized("Missing API key: send 'Authorization: Bearer <key>'")
    scheme, _, secret = authorization.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise Unauthorized("Malformed Authorization header: expected 'Bearer <key>'")
    row = await db.fetch_one(_KEY_BY_HASH, hash_secret(secret))
    if row is None:
        raise Unauthorized("Invalid API key")
    return Principal(org=row["org"], role=row["role"], scopes=tuple(json.loads(row["scopes"])), key_id=row["id"])


async def list_api_keys(org_id: str) -> list[dict[str, Any]]:
    """The organization's keys (never their secrets), newest first."""
    return (
        await ApiKey.select(
            ApiKey.id, ApiKey.org, ApiKey.role, ApiKey.scopes, ApiKey.label, ApiKey.created_at, ApiKey.revoked_at
        )
        .where(ApiKey.org == org_id)
        .order_by(ApiKey.created_at, ascending=False)
        .output(load_json=True)
    )


async def revoke_api_key(org_id: str | None, key_id: str) -> dict[str, Any]:
    """Revoke a key at once (``org_id`` None: whichever organization it is in).
    Revoking a revoked key changes nothing."""
    query = ApiKey.select(ApiKey.id, ApiKey.org, ApiKey.revoked_at).where(ApiKey.id == key_id)
    if org_id is not None:
        query = query.where(ApiKey.org == org_id)
    key = await query.first()
    if key is None:
        raise NotFound(f"API key {key_id} not found")
    if key["revoked_at"] is None:
        await ApiKey.update({ApiKey.revoked_at: utcnow()}).where(ApiKey.id == key_id, ApiKey.revoked_at.is_null())
    return {"id": key_id, "org": key["org"]}
