"""Console users and their memberships of organizations.

A person signs in with an email and a password (kept as an argon2 hash)
and belongs to one or more organizations, in each with one of the API's
roles (viewer, member, admin).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hub.clock import utcnow
from hub.db import UNIQUE_VIOLATIONS
from hub.email_address import check_email
from hub.errors import Conflict, Invalid, NotFound
from hub.secrets import new_id
from hub.services.accounts import ROLES
from hub.tables import ConsoleUser, Membership, Organization

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
_hasher = PasswordHasher()

# Verified when the email is unknown, so that an unknown account takes as
# long to refuse as a wrong password (no user enumeration by timing).
_DECOY_HASH = _hasher.hash("decoy password, never anyone's")


@dataclass(frozen=True, slots=True)
class Person:
    """A signed-in console user and the organizations they belong to."""

    id: str
    email: str
    roles: dict[str, str]  # org id → role

    def role_in(self, org: str) -> str | None:
        return self.roles.get(org)


def check_password(password: str | None) -> str:
    if not password or len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.", field="password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise Invalid(f"The password must have at most {MAX_PASSWORD_LENGTH} characters.", field="password")
    return password


def check_role(role: str | None) -> str:
    if role not in ROLES:
        raise Invalid(f"role must be one of {', '.join(ROLES)}", field="role")
    return role


async def _require_org(org: str) -> None:
    if not await Organization.exists().where(Organization.id == org):
        raise NotFound(f"Organization {org} not found; create it with `continuata-hub init --org {org}`")


async def find_user(email: str) -> dict[str, Any] | None:
    return await ConsoleUser.select().where(ConsoleUser.email == email.strip().lower()).first()


async def ensure_user(email: str, password: str | None = None) -> dict[str, Any]:
    """The user with ``email``, created (without a password unless given) if new."""
    email = check_email(email, field="email")
    existing = await find_user(email)
    if existing is not None:
        return existing
    user = ConsoleUser(
        id=new_id("user"),
        email=email,
        password_hash=_hasher.hash(check_password(password)) if password else "",
        created_at=utcnow(),
    )
    try:
        await ConsoleUser.insert(user)
    except UNIQUE_VIOLATIONS:  # created meanwhile by another request
        pass
    created = await find_user(email)
    assert created is not None  # inserted above, or by the request that got there first
    return created


async def create_user(org: str, email: str, role: str, password: str) -> dict[str, Any]:
    """A user (new, or existing and now also in ``org``) with a password."""
    check_role(role)
    check_password(password)
    await _require_org(org)
    user = await ensure_user(email, password)
    await set_membership(user["id"], org, role)
    if not user["password_hash"]:
        await set_password(user["email"], password)
    return {"id": user["id"], "email": user["email"], "org": org, "role": role}


async def set_membership(user_id: str, org: str, role: str) -> None:
    """Give ``user_id`` the ``role`` in ``org`` (replacing an earlier one)."""
    check_role(role)
    updated = await Membership.update({Membership.role: role}).where(
        Membership.user_id == user_id, Membership.org == org
    ).returning(Membership.id)
    if not updated:
        try:
            await Membership.insert(
                Membership(id=new_id("member"), user_id=user_id, org=org, role=role, created_at=utcnow())
            )
        except UNIQUE_VIOLATIONS:
            raise Conflict("This person's membership changed meanwhile; try again.") from None


async def remove_membership(user_id: str, org: str) -> None:
    """Take ``user_id`` out of ``org``; :class:`NotFound` when they are not in
    it (another organization's member, or no one): nothing is removed, and
    the caller records nothing."""
    removed = await Membership.delete().where(Membership.user_id == user_id, Membership.org == org).returning(
        Membership.id
    )
    if not removed:
        raise NotFound(f"No member {user_id[:100]} in {org}")


async def set_password(email: str, password: str) -> dict[str, Any]:
    """Replace a user's password; raises :class:`NotFound` for an unknown email."""
    check_password(password)
    user = await find_user(email)
    if user is None:
        raise NotFound(f"No console user with the email {email.strip().lower()}")
    await ConsoleUser.update({ConsoleUser.password_hash: _hasher.hash(password)}).where(ConsoleUser.id == user["id"])
    return user


def password_matches(password_hash: str, password: str) -> bool:
    """Whether ``password`` is the one hashed (always does the argon2 work)."""
    try:
        return _hasher.verify(password_hash or _DECOY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


async def person(user_id: str) -> Person | None:
    user = await ConsoleUser.select(ConsoleUser.id, ConsoleUser.email).where(ConsoleUser.id == user_id).first()
    if user is None:
        return None
    rows = await Membership.select(Membership.org, Membership.role).where(Membership.user_id == user_id)
    return Person(id=user["id"], email=user["email"], roles={r["org"]: r["role"] for r in rows})


async def members(org: str) -> list[dict[str, Any]]:
    """Everyone in ``org``, by email."""
    rows = await Membership.select(Membership.user_id, Membership.role, Membership.created_at).where(Membership.org == org)
    if not rows:
        return []
    users = {
        u["id"]: u
        for u in await ConsoleUser.select(ConsoleUser.id, ConsoleUser.email, ConsoleUser.password_hash).where(
            ConsoleUser.id.is_in([r["user_id"] for r in rows])
        )
    }
    result = [
        {
            "user_id": r["user_id"],
            "email": users[r["user_id"]]["email"],
            "role": r["role"],
            "since": r["created_at"],
            "has_password": bool(users[r["user_id"]]["password_hash"]),
        }
        for r in rows
        if r["user_id"] in users
    ]
    return sorted(result, key=lambda m: m["email"])
