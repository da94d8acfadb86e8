"""Spending downloads: sessions, the atomic counter, and transfer records.

A *download session* is one spent download. It is identified by the
session cookie the download page sets or, for clients without cookies
(curl, wget, download managers), by the client's IP address and User-Agent,
and it lasts ``HUB_DOWNLOAD_SESSION_HOURS`` from its first transfer. Every
file, Range request and resume inside a session is free; the first transfer
of a new session spends one download.

Spending is one conditional ``UPDATE … SET used_count = used_count + 1 WHERE
used_count < max_downloads RETURNING``: the database, not Python, decides
who gets the last download, so ``maxDownloads = N`` lets exactly N sessions
through however many requests race.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from hub.clock import as_aware, utcnow
from hub.context import Hub
from hub.errors import Forbidden, Gone
from hub.secrets import new_id
from hub.services.tokens import EXPIRED, REVOKED, Grant
from hub.tables import DownloadSession, DownloadToken, FileTransfer, MediaFile, VersionFile

SESSION_COOKIE = "ct_dl"


def session_key(token_id: str, *, cookie: str | None, ip: str, user_agent: str) -> str:
    """The stable key of a client's session for one token."""
    identity = f"cookie:{cookie}" if cookie else f"client:{ip}\n{user_agent}"
    return hashlib.sha256(f"{token_id}\n{identity}".encode("utf-8", "surrogatepass")).hexdigest()


_OPEN_SESSION = (
    f"SELECT id FROM {DownloadSession._meta.tablename} "
    "WHERE token = {} AND session_key = {} AND started_at > {} LIMIT 1"
)


async def open_session(hub: Hub, token_id: str, key: str) -> dict | None:
    """The client's current session for this token, if it has one (raw SQL:
    the download page runs it on every visit)."""
    since = utcnow() - timedelta(hours=hub.settings.download_session_hours)
    return await hub.db.fetch_one(_OPEN_SESSION, token_id, key, since)


async def _spend_one(token_id: str) -> bool:
    now = utcnow()
    spent = (
        await DownloadToken.update({DownloadToken.used_count: DownloadToken.used_count + 1})
        .where(
            DownloadToken.id == token_id,
            DownloadToken.revoked_at.is_null(),
            DownloadToken.expires_at > now,
            DownloadToken.max_downloads.is_null() | (DownloadToken.used_count < DownloadToken.max_downloads),
        )
        .returning(DownloadToken.used_count)
    )
    return bool(spent)


@dataclass(frozen=True, slots=True)
class SessionEntry:
    id: str
    spent: bool  # this request started the session, and spent a download


async def enter_session(hub: Hub, grant: Grant, key: str, *, ip: str, user_agent: str) -> SessionEntry:
    """The client's session, spending a download if it is new.

    Raises :class:`Forbidden` when the token has no download left, and
    :class:`Gone` when it expired or was revoked meanwhile.
    """
    token_id = grant.token["id"]
    existing = await open_session(hub, token_id, key)
    if existing:
        return SessionEntry(existing["id"], spent=False)
    async with hub.db.write_transaction() as transaction:
        # The UPDATE locks the token row (PostgreSQL) or the database
        # (SQLite), so every would-be spender of this token queues here, and
        # the re-check below sees the sessions committed by those before it.
        if await _spend_one(token_id):
            existing = await open_session(hub, token_id, key)
            if existing:  # the same client raced itself: give the download back
                await transaction.rollback()
                return SessionEntry(existing["id"], spent=False)
            now = utcnow()
            session_id = new_id("dls")
            await DownloadSession.insert(
                DownloadSession(
                    id=session_id,
                    org=grant.token["org"],
                    token=token_id,
                    session_key=key,
                    started_at=now,
                    last_activity_at=now,
                    ip=ip[:64],
                    user_agent=user_agent[:500],
                    status="started",
                )
            )
            return SessionEntry(session_id, spent=True)
    # Nothing left to spend, unless this client's own session appeared meanwhile.
    existing = await open_session(hub, token_id, key)
    if existing:
        return SessionEntry(existing["id"], spent=False)
    token = await DownloadToken.select(DownloadToken.revoked_at, DownloadToken.expires_at).where(
        DownloadToken.id == token_id
    ).first()
    if token is None or token["revoked_at"] is not None:
        raise Gone(REVOKED)
    if as_aware(token["expires_at"]) <= utcnow():
        raise Gone(EXPIRED)
    raise used_up(grant)


@dataclass(slots=True)
class Transfer:
    """A file response in progress; :func:`finish_transfer` records its end."""

    id: str
    session_id: str
    file_id: str
    files_in_download: int


async def begin_transfer(session_id: str, file_id: str, start: int, end: int, files_in_download: int) -> Transfer:
    transfer = Transfer(id=new_id("xfer"), session_id=session_id, file_id=file_id, files_in_download=files_in_download)
    await FileTransfer.insert(
        FileTransfer(
            id=transfer.id,
            session=session_id,
            file=file_id,
            range_start=start,
            range_end=end,
            bytes_sent=0,
            status="started",
            started_at=utcnow(),
        )
    )
    return transfer


async def finish_transfer(transfer: Transfer, bytes_sent: int, completed: bool, redirected: bool = False) -> None:
    """Record how the transfer ended and roll it up into its session.

    A transfer handed to S3 by a presigned redirect is ``redirected``: the
    hub counts the bytes it granted, not bytes it saw go out. The session's
    ``files`` counts distinct files delivered up to their last byte, so a
    file fetched in several ranges (a resume, a download manager's
    segments) counts once.
    """
    now = utcnow()
    status = "redirected" if redirected else "completed" if completed else "interrupted"
    await FileTransfer.update(
        {FileTransfer.bytes_sent: bytes_sent, FileTransfer.status: status, FileTransfer.finished_at: now}
    ).where(FileTransfer.id == transfer.id)
    await DownloadSession.update(
        {DownloadSession.bytes_sent: DownloadSession.bytes_sent + bytes_sent, DownloadSession.last_activity_at: now}
    ).where(DownloadSession.id == transfer.session_id)
    # Recounted in one statement rather than incremented: a resume or a
    # download manager's parallel segments are several transfers of one
    # file, and transfers of one session may finish concurrently.
    await DownloadSession.raw(
        _ROLL_UP_SESSION,
        transfer.session_id,
        transfer.files_in_download,
        transfer.session_id,
        transfer.session_id,
        transfer.session_id,
    )


_DELIVERED_FILES = f"""(
    SELECT COUNT(DISTINCT t.file) FROM {FileTransfer._meta.tablename} t
    LEFT JOIN {VersionFile._meta.tablename} f ON f.id = t.file
    LEFT JOIN {MediaFile._meta.tablename} m ON m.id = t.file
    WHERE t.session = {{}} AND t.status IN ('completed', 'redirected') AND t.range_end = COALESCE(f.size, m.size) - 1
)"""
_ROLL_UP_SESSION = f"""
UPDATE {DownloadSession._meta.tablename} SET
    status = CASE WHEN {_DELIVERED_FILES} >= {{}} THEN 'completed'
                  WHEN {_DELIVERED_FILES} > 0 THEN 'partial'
                  ELSE 'interrupted' END,
    files = {_DELIVERED_FILES}
WHERE id = {{}}
"""
"""A session's ``files`` (distinct files delivered up to their last byte) and
its ``status``: ``completed`` once every file of the download was delivered,
``partial`` when some were, ``interrupted`` when none was yet."""


def used_up(grant: Grant) -> Forbidden:
    """The answer to a client with no download left on its token."""
    return Forbidden(
        f"This download link has been used the maximum number of times ({grant.token['max_downloads']}). "
        "Ask the shop for a fresh link."
    )


def refuse_if_used_up(grant: Grant, has_session: bool) -> None:
    """A used-up token still serves the session that used it."""
    if grant.downloads_left == 0 and not has_session:
        raise used_up(grant)
