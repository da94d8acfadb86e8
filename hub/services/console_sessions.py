"""Console sign-in: throttled password checks and server-side sessions.

Sessions live in the database (only the cookie's hash is stored), so every
hub process honours them and "sign out everywhere" ends them all at once.
Each session carries the organization the person is looking at (the
forms' CSRF token is a signed cookie, :mod:`hub.web.csrf`).

Sign-in attempts are counted per account and per IP address (an IPv6
address by its /64, :func:`hub.client_ip.rate_limit_key`) in a fixed
window, each with one conditional write (an upsert that starts a new window
or adds one, and returns the count): two processes counting at once can
never both see a stale count, so the limit holds whatever the concurrency.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hub.client_ip import rate_limit_key
from hub.clock import utcnow
from hub.errors import Invalid, TooManyRequests
from hub.secrets import CONSOLE_SESSION_PREFIX as SESSION_PREFIX
from hub.secrets import hash_secret, new_id, new_secret
from hub.services.people import Person, check_password, find_user, password_matches, person, set_password
from hub.tables import ConsoleSession, SignInThrottle

SESSION_HOURS = 12
THROTTLE_WINDOW_SECONDS = 15 * 60
ATTEMPTS_PER_ACCOUNT = 5
ATTEMPTS_PER_IP = 30

_COUNT_ATTEMPT = """
INSERT INTO hub_sign_in_throttle (key, window_start, attempts) VALUES ({}, {}, 1)
ON CONFLICT (key) DO UPDATE SET
  attempts = CASE WHEN hub_sign_in_throttle.window_start <= {} THEN 1
                  ELSE hub_sign_in_throttle.attempts + 1 END,
  window_start = CASE WHEN hub_sign_in_throttle.window_start <= {} THEN excluded.window_start
                      ELSE hub_sign_in_throttle.window_start END
RETURNING attempts
"""


async def count_attempt(key: str) -> int:
    """Count one attempt under ``key``; the attempts in its current window."""
    now = int(utcnow().timestamp())
    expired = now - THROTTLE_WINDOW_SECONDS
    rows = await SignInThrottle.raw(_COUNT_ATTEMPT, key[:400], now, expired, expired)
    attempts: int = rows[0]["attempts"]
    return attempts


async def sign_in(email: str, password: str, ip: str) -> Person | None:
    """The person whose ``email`` and ``password`` these are, or None.

    Raises :class:`TooManyRequests` once the account or the IP address has
    used up its attempts for the window; a successful sign-in clears the
    account's count. The attempt is counted before the password is checked,
    so parallel guesses cannot slip past the limit.
    """
    email = (email or "").strip().lower()[:320]
    account_attempts = await count_attempt(f"account:{email}")
    ip_attempts = await count_attempt(f"ip:{rate_limit_key(ip)}") if ip else 0
    if account_attempts > ATTEMPTS_PER_ACCOUNT or ip_attempts > ATTEMPTS_PER_IP:
        minutes = THROTTLE_WINDOW_SECONDS // 60
        raise TooManyRequests(f"Too many sign-in attempts. Wait {minutes} minutes and try again.")
    user = await find_user(email) if email else None
    if not password_matches(user["password_hash"] if user else "", password or "") or user is None:
        return None
    # The account's count starts again; windows that ended are dropped, so
    # the table holds only the current quarter hour's guessers.
    expired = int(utcnow().timestamp()) - THROTTLE_WINDOW_SECONDS
    await SignInThrottle.delete().where(
        (SignInThrottle.key == f"account:{email}") | (SignInThrottle.window_start <= expired)
    )
    return await person(user["id"])


async def open_session(who: Person, ip: str) -> str:
    """A new session for ``who`` (looking at their first organization); the cookie's secret."""
    secret = new_secret(SESSION_PREFIX)
    now = utcnow()
    # Expired sessions are dropped here, the one place sessions are made:
    # the table never grows past the live ones and a day's sign-ins.
    await ConsoleSession.delete().where(ConsoleSession.expires_at <= now)
    await ConsoleSession.insert(
        ConsoleSession(
            id=new_id("csess"),
            user_id=who.id,
            session_hash=hash_secret(secret),
            org=min(who.roles) if who.roles else "",
            ip=ip[:64],
            created_at=now,
            expires_at=now + timedelta(hours=SESSION_HOURS),
        )
    )
    return secret


async def find_session(secret: str | None) -> dict[str, Any] | None:
    """The live session row of a cookie's secret, or None."""
    if not secret or not secret.startswith(SESSION_PREFIX) or len(secret) > 200:
        return None
    return (
        await ConsoleSession.select()
        .where(ConsoleSession.session_hash == hash_secret(secret), ConsoleSession.expires_at > utcnow())
        .first()
    )


async def switch_org(session_id: str, org: str) -> None:
    await ConsoleSession.update({ConsoleSession.org: org}).where(ConsoleSession.id == session_id)


async def end_session(session_id: str) -> None:
    await ConsoleSession.delete().where(ConsoleSession.id == session_id)


async def end_all_sessions(user_id: str) -> int:
    """Sign a person out of every browser; how many sessions ended."""
    ended = await ConsoleSession.delete().where(ConsoleSession.user_id == user_id).returning(ConsoleSession.id)
    return len(ended)


async def change_password(who: Person, current: str, new: str, *, keep_session: str) -> int:
    """Set ``who``'s password to ``new`` once ``current`` is theirs (the
    check counts as a sign-in attempt of the account, so it cannot be used
    to guess), and end every other session: a browser signed in with the old
    password is signed out. Returns how many sessions ended."""
    check_password(new)
    if await count_attempt(f"account:{who.email}") > ATTEMPTS_PER_ACCOUNT:
        minutes = THROTTLE_WINDOW_SECONDS // 60
        raise TooManyRequests(f"Too many password attempts. Wait {minutes} minutes and try again.", field="current")
    user = await find_user(who.email)
    if user is None or not password_matches(user["password_hash"], current or ""):
        raise Invalid("That is not your current password.", field="current")
    if current == new:
        raise Invalid("The new password must differ from the current one.", field="password")
    await set_password(who.email, new)
    ended = await ConsoleSession.delete().where(
        ConsoleSession.user_id == who.id, ConsoleSession.id != keep_session
    ).returning(ConsoleSession.id)
    await SignInThrottle.delete().where(SignInThrottle.key == f"account:{who.email}")
    return len(ended)
