"""Console "forgot password": a one-time link by email.

Anyone may ask for a link for an email address; the answer is the same
whether or not the address has an account (the email is rendered either
way, so the work and the time are about the same), and asking is limited
per address and per client address (:mod:`hub.services.rate_limits`). An
admin may send a member the same link from the members page.

The link is valid ``RESET_MINUTES`` and works once; only a hash of its
secret is stored. Using it sets a new password (the rules of
:func:`hub.services.people.check_password`) and ends every session of its
person: whoever was signed in with the old password is signed out.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TypeGuard

from hub.client_ip import rate_limit_key
from hub.clock import utcnow
from hub.context import Hub
from hub.email_address import check_email
from hub.emails import render_email
from hub.errors import Invalid, TooManyRequests
from hub.secrets import CONSOLE_RESET_PREFIX as RESET_PREFIX
from hub.secrets import hash_secret, new_id, new_secret
from hub.services import rate_limits
from hub.services.console_sessions import end_all_sessions
from hub.services.outbox import queue_email
from hub.services.people import Person, check_password, find_user, person, set_password
from hub.tables import ConsolePasswordReset, ConsoleUser, SignInThrottle

RESET_MINUTES = 30
TEMPLATE = "console_password_reset"
PER_ADDRESS = 3  # links per email address per window
PER_CLIENT = 10  # requests per client address per window
WINDOW_SECONDS = 60 * 60


def _context(hub: Hub, email: str, secret: str, requested_by: str) -> dict[str, object]:
    return {
        "email": email,
        "url": f"{hub.settings.public_url}/console/reset?token={secret}",
        "requested_by": requested_by,
        "expires_minutes": RESET_MINUTES,
    }


async def request_reset(hub: Hub, email: str, *, ip: str, requested_by: str = "") -> bool:
    """Email ``email`` a reset link if it has a console account; True when
    one was queued. Callers show the same answer either way.

    :raises Invalid: for something that is not an email address.
    :raises TooManyRequests: past the limit of the address or of ``ip``
        (an admin's request, ``requested_by``, is limited per address only).
    """
    email = check_email(email, field="email")
    secret = new_secret(RESET_PREFIX)
    now = utcnow()
    async with hub.db.write_transaction():
        if not requested_by and ip and not await rate_limits.hit(
            "console_reset_ip", rate_limit_key(ip), limit=PER_CLIENT, window_seconds=WINDOW_SECONDS
        ):
            raise TooManyRequests("Too many password reset requests from here. Wait an hour and try again.", field="email")
        if not await rate_limits.hit("console_reset_email", email, limit=PER_ADDRESS, window_seconds=WINDOW_SECONDS):
            raise TooManyRequests(
                "Too many password reset links were asked for this address. Wait an hour and try again.", field="email"
            )
        user = await find_user(email)
        # Rendered whatever the answer, so an unknown address takes as long.
        rendered = await render_email(hub, TEMPLATE, _context(hub, email, secret, requested_by))
        if user is None:
            return False
        who = await person(user["id"])
        await ConsolePasswordReset.insert(
            ConsolePasswordReset(
                id=new_id("reset"), user_id=user["id"], link_hash=hash_secret(secret), requested_by=requested_by[:400],
                created_at=now, expires_at=now + timedelta(minutes=RESET_MINUTES),
            )
        )
        org = min(who.roles) if who and who.roles else ""
        await queue_email(hub, org=org, kind=TEMPLATE, recipient=user["email"], rendered=rendered)
    hub.outbox_wakeup.set()
    return True


def _usable(secret: str | None) -> TypeGuard[str]:
    return secret is not None and secret.startswith(RESET_PREFIX) and len(secret) < 200


async def reset_email(secret: str | None) -> str | None:
    """The email an unused, unexpired link is for, or None."""
    if not _usable(secret):
        return None
    row = (
        await ConsolePasswordReset.select(ConsolePasswordReset.user_id)
        .where(
            ConsolePasswordReset.link_hash == hash_secret(secret), ConsolePasswordReset.used_at.is_null(),
            ConsolePasswordReset.expires_at > utcnow(),
        )
        .first()
    )
    if row is None:
        return None
    user = await ConsoleUser.select(ConsoleUser.email).where(ConsoleUser.id == row["user_id"]).first()
    return user["email"] if user else None


async def reset_password(hub: Hub, secret: str | None, password: str) -> tuple[Person, int] | None:
    """Spend a link (once) setting its person's password to ``password``
    and ending all their sessions; the person and how many sessions ended,
    or None when the link is unknown, used or expired.

    :raises Invalid: for a password the rules refuse (the link stays usable).
    """
    check_password(password)
    if not _usable(secret):
        return None
    now = utcnow()
    async with hub.db.write_transaction():
        used = await ConsolePasswordReset.update({ConsolePasswordReset.used_at: now}).where(
            ConsolePasswordReset.link_hash == hash_secret(secret), ConsolePasswordReset.used_at.is_null(),
            ConsolePasswordReset.expires_at > now,
        ).returning(ConsolePasswordReset.user_id)
        if not used:
            return None
        who = await person(used[0]["user_id"])
        if who is None:
            raise Invalid("This account no longer exists.")
        await set_password(who.email, password)
        ended = await end_all_sessions(who.id)
        # Every other link of theirs stops working too, and the sign-in count starts again.
        await ConsolePasswordReset.update({ConsolePasswordReset.used_at: now}).where(
            ConsolePasswordReset.user_id == who.id, ConsolePasswordReset.used_at.is_null()
        )
        await SignInThrottle.delete().where(SignInThrottle.key == f"account:{who.email}")
    return who, ended
