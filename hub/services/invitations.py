"""Inviting people to the console.

An admin names an email and a role; the person becomes a member at once
and is sent, through the outbox, a link (valid ``INVITE_DAYS``, single use)
to choose their password. Someone who already has a password is told they
were added and signs in as usual.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypeGuard

from hub.clock import utcnow
from hub.context import Hub
from hub.emails import render_email
from hub.secrets import CONSOLE_INVITE_PREFIX as INVITE_PREFIX
from hub.secrets import hash_secret, new_id, new_secret
from hub.services.outbox import queue_email
from hub.services.people import Person, check_password, check_role, ensure_user, person, set_membership, set_password
from hub.tables import ConsoleInvite, ConsoleUser

INVITE_DAYS = 7
TEMPLATE = "console_invite"


async def invite(hub: Hub, *, org: str, email: str, role: str, invited_by: str) -> dict[str, Any]:
    """Make ``email`` a ``role`` of ``org`` and email them the way in."""
    check_role(role)
    user = await ensure_user(email)
    needs_password = not user["password_hash"]
    secret = new_secret(INVITE_PREFIX)
    now = utcnow()
    if needs_password:
        url = f"{hub.settings.public_url}/console/invite?token={secret}"
    else:
        url = f"{hub.settings.public_url}/console/login"
    context = {
        "email": user["email"], "org": org, "role": role, "invited_by": invited_by, "url": url,
        "needs_password": needs_password, "expires_days": INVITE_DAYS,
    }
    rendered = await render_email(hub, TEMPLATE, context)
    async with hub.db.write_transaction():
        await set_membership(user["id"], org, role)
        if needs_password:
            await ConsoleInvite.insert(
                ConsoleInvite(
                    id=new_id("invite"), user_id=user["id"], org=org, link_hash=hash_secret(secret),
                    invited_by=invited_by[:400], created_at=now, expires_at=now + timedelta(days=INVITE_DAYS),
                )
            )
        await queue_email(
            hub, org=org, kind=TEMPLATE, recipient=user["email"], rendered=rendered
        )
    hub.outbox_wakeup.set()
    return {"user_id": user["id"], "email": user["email"], "role": role, "needs_password": needs_password}


def _usable(secret: str | None) -> TypeGuard[str]:
    return secret is not None and secret.startswith(INVITE_PREFIX) and len(secret) < 200


async def invited_email(secret: str | None) -> str | None:
    """The email an unused, unexpired invitation is for, or None."""
    if not _usable(secret):
        return None
    row = (
        await ConsoleInvite.select(ConsoleInvite.user_id)
        .where(ConsoleInvite.link_hash == hash_secret(secret), ConsoleInvite.used_at.is_null(), ConsoleInvite.expires_at > utcnow())
        .first()
    )
    if row is None:
        return None
    user = await ConsoleUser.select(ConsoleUser.email).where(ConsoleUser.id == row["user_id"]).first()
    return user["email"] if user else None


async def accept(secret: str | None, password: str) -> Person | None:
    """Spend an invitation (once) setting the person's password; None when
    the link is unknown, used or expired."""
    check_password(password)
    if not _usable(secret):
        return None
    now = utcnow()
    used = await ConsoleInvite.update({ConsoleInvite.used_at: now}).where(
        ConsoleInvite.link_hash == hash_secret(secret), ConsoleInvite.used_at.is_null(), ConsoleInvite.expires_at > now
    ).returning(ConsoleInvite.user_id)
    if not used:
        return None
    who = await person(used[0]["user_id"])
    assert who is not None  # an invitation's user is never deleted
    await set_password(who.email, password)
    return who
