"""Spending downloads: sessions, the atomic counter, and transfer records.

A *download session* is one spent download. It is identified by the
session cookie the download page sets or, for clients without cookies
(curl, wget, download managers), by the client's IP address and User-Agent,
and it lasts ``HUB_DOWNLOAD_SESSION_HOURS`` from its first transfer. Every
file, Range request and resume inside a session is free; the first transfer
of a new session spends one download. A browser that fetched a file before
the page gave it the cookie (a mail client's preview opens links first)
keeps that session: the cookie adopts it.

A file counts as delivered in a session once the bytes sent to it cover the
file (:func:`finish_transfer`); the downloads report and the
``download.completed`` event follow that rule. The version's ZIP
(:mod:`hub.services.archives`) is transferred like a file, and delivers
every file it holds once its bytes are covered.

Spending is one conditional ``UPDATE … SET used_count = used_count + 1 WHERE
used_count < max_downloads RETURNING``: the database, not Python, decides
who gets the last download, so ``maxDownloads = N`` lets exactly N sessions
through however many requests race.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from hub import resources
from hub.clock import utcnow
from hub.context import Hub
from hub.plugins import records
from hub.plugins.events import DownloadFinished, DownloadStarted
from hub.secrets import new_id
from hub.services.archives import version_of_archive
from hub.services.events import emit
from hub.services.tokens import REVOKED, Grant, LinkRevoked, LinkUsedUp, refuse_if_gone
from hub.tables import DownloadSession, DownloadToken, FileTransfer, MediaFile, VersionFile

SESSION_COOKIE = "ct_dl"


def _hashed_key(token_id: str, identity: str) -> str:
    return hashlib.sha256(f"{token_id}\n{identity}".encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True, slots=True)
class SessionKey:
    """How a client's session for one token is found.

    ``key`` is the session cookie's key when the client sends the cookie,
    its address and User-Agent's otherwise. A client with a cookie may
    still own a session keyed by its address and User-Agent: a browser (or
    a mail client's preview) that fetched a file before the page set the
    cookie. ``fallback`` is that key: such a session is adopted by the
    cookie (:func:`enter_session`), so one browser is one download.
    """

    key: str
    fallback: str | None = None


def session_key(token_id: str, *, cookie: str | None, ip: str, user_agent: str) -> SessionKey:
    """The keys of a client's session for one token (see :class:`SessionKey`)."""
    by_client = _hashed_key(token_id, f"client:{ip}\n{user_agent}")
    if cookie:
        return SessionKey(_hashed_key(token_id, f"cookie:{cookie}"), fallback=by_client)
    return SessionKey(by_client)


_OPEN_SESSION = (
    f"SELECT id FROM {DownloadSession._meta.tablename} "
    "WHERE token = {} AND session_key = {} AND started_at > {} LIMIT 1"
)


async def open_session(hub: Hub, token_id: str, key: SessionKey) -> dict[str, Any] | None:
    """The client's current session for this token, if it has one: the
    one under its key, else the one under its fallback key (raw SQL: the
    download page of a used-up token runs it on every visit)."""
    since = utcnow() - timedelta(hours=hub.settings.download_session_hours)
    found = await hub.db.fetch_one(_OPEN_SESSION, token_id, key.key, since)
    if found is None and key.fallback is not None:
        found = await hub.db.fetch_one(_OPEN_SESSION, token_id, key.fallback, since)
    return found


async def _own_session(hub: Hub, token_id: str, key: SessionKey) -> dict[str, Any] | None:
    """The client's current session, a fallback-keyed one adopted under its
    key first: one conditional ``UPDATE``, so of two cookies racing for one
    address+agent session exactly one adopts it."""
    found = await open_session(hub, token_id, SessionKey(key.key))
    if found is not None or key.fallback is None:
        return found
    orphan = await open_session(hub, token_id, SessionKey(key.fallback))
    if orphan is None:
        return None
    async with hub.db.write_transaction():
        await DownloadSession.update({DownloadSession.session_key: key.key}).where(
            DownloadSession.id == orphan["id"], DownloadSession.session_key == key.fallback
        )
    # Adopted by this cookie, or by another one a moment ago (then not ours).
    return await open_session(hub, token_id, SessionKey(key.key))


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


async def enter_session(hub: Hub, grant: Grant, key: SessionKey, *, ip: str, user_agent: str) -> SessionEntry:
    """The client's session, spending a download if it is new.

    Raises :class:`~hub.services.tokens.LinkUsedUp` (403) when the token
    has no download left, and :class:`~hub.services.tokens.LinkExpired` or
    :class:`~hub.services.tokens.LinkRevoked` (410) when it expired or was
    revoked meanwhile.
    """
    token_id = grant.token["id"]
    existing = await _own_session(hub, token_id, key)
    if existing:
        return SessionEntry(existing["id"], spent=False)
    own_key = SessionKey(key.key)  # from here on, only the session this request would start
    async with hub.db.write_transaction() as transaction:
        # The UPDATE locks the token row (PostgreSQL) or the database
        # (SQLite), so every would-be spender of this token queues here, and
        # the re-check below sees the sessions committed by those before it.
        if await _spend_one(token_id):
            existing = await open_session(hub, token_id, own_key)
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
                    session_key=key.key,
                    started_at=now,
                    last_activity_at=now,
                    ip=ip[:64],
                    user_agent=user_agent[:500],
                    status="started",
                )
            )
            return SessionEntry(session_id, spent=True)
    # Nothing left to spend, unless this client's own session appeared meanwhile.
    existing = await open_session(hub, token_id, own_key)
    if existing:
        return SessionEntry(existing["id"], spent=False)
    token = await DownloadToken.select(DownloadToken.revoked_at, DownloadToken.expires_at).where(
        DownloadToken.id == token_id
    ).first()
    if token is None:  # deleted with its product meanwhile
        raise LinkRevoked(REVOKED, shop=grant.shop)
    refuse_if_gone(token, grant.shop)
    raise used_up(grant)


@dataclass(slots=True)
class Transfer:
    """A file response in progress; :func:`finish_transfer` records its end."""

    id: str
    session_id: str
    org: str
    token: records.Token  # the token as the API shows it, for the event hooks
    file: records.File
    files_in_download: int


async def start_transfer(
    hub: Hub, grant: Grant, file: dict[str, Any], key: SessionKey, *, ip: str, user_agent: str, start: int, end: int,
    archive: bool = False,
) -> Transfer:
    """Let a client have bytes ``start``..``end`` of one of its grant's files:
    its session entered (a download spent if it is new, see
    :func:`enter_session`), the transfer recorded and ``download_started``
    announced, in one transaction.

    ``archive``: ``file`` is the version's ZIP (``id``, ``path``: its name,
    ``size``; ``sha256`` empty, the archive being made on the fly), see
    :mod:`hub.services.archives`; it spends and counts like a file.

    Raises what :func:`enter_session` raises.
    """
    session = await enter_session(hub, grant, key, ip=ip, user_agent=user_agent)
    transfer = Transfer(
        id=new_id("xfer"),
        session_id=session.id,
        org=grant.token["org"],
        token=resources.as_record(resources.token(hub, grant.token, grant.product, grant.version["version"])),
        file={"id": file["id"], "path": file["path"], "size": file["size"], "sha256": file["sha256"]},
        files_in_download=len(grant.files),
    )
    async with hub.db.write_transaction():
        await FileTransfer.insert(
            FileTransfer(
                id=transfer.id,
                session=session.id,
                file=file["id"],
                archive_size=file["size"] if archive else None,
                range_start=start,
                range_end=end,
                bytes_sent=0,
                status="started",
                started_at=utcnow(),
            )
        )
        await emit(
            hub,
            DownloadStarted(token=transfer.token, file=transfer.file, session_id=session.id, first_in_session=session.spent),
            org=transfer.org,
        )
    return transfer


async def finish_transfer(
    hub: Hub, transfer: Transfer, bytes_sent: int, sent_all: bool, *, redirected: bool = False
) -> bool:
    """Record how a transfer ended, roll it up into its session and announce
    ``download_finished``; whether the file is now delivered.

    ``sent_all``: the response went out to its last byte. A transfer handed
    to S3 by a presigned redirect is ``redirected``: the hub counts the
    bytes it granted, not bytes it saw go out.

    A file is *delivered* once the bytes its session's transfers sent cover
    it from its first byte to its last (:func:`covers`): a resume that
    sends the rest, or a download manager's parallel segments, complete it;
    the last kilobytes alone (``Range: bytes=-1000``) do not. The session's
    ``files`` counts its delivered files and its ``status`` says whether all
    of the download's files were (``completed``), some (``partial``) or none
    (``interrupted``). ``download_finished`` says ``completed`` when this
    transfer went out whole and its file is delivered.
    """
    now = utcnow()
    status = "redirected" if redirected else "completed" if sent_all else "interrupted"
    async with hub.db.write_transaction():
        await FileTransfer.update(
            {FileTransfer.bytes_sent: bytes_sent, FileTransfer.status: status, FileTransfer.finished_at: now}
        ).where(FileTransfer.id == transfer.id)
        # This UPDATE locks the session's row (PostgreSQL; SQLite's write
        # transaction holds the database): transfers of one session finishing
        # at once queue here, and the read below, a statement after it, sees
        # every transfer committed before (READ COMMITTED takes a snapshot
        # per statement), so the last of parallel segments sees them all.
        await DownloadSession.update(
            {DownloadSession.bytes_sent: DownloadSession.bytes_sent + bytes_sent, DownloadSession.last_activity_at: now}
        ).where(DownloadSession.id == transfer.session_id)
        covered = delivered_files(await hub.db.fetch(_FINISHED_TRANSFERS, transfer.session_id))
        delivered = await _with_archives_files(covered)
        await DownloadSession.update(
            {
                DownloadSession.files: len(delivered),
                DownloadSession.status: (
                    "completed" if len(delivered) >= transfer.files_in_download
                    else "partial" if delivered else "interrupted"
                ),
            }
        ).where(DownloadSession.id == transfer.session_id)
        completed = status != "interrupted" and transfer.file["id"] in covered
        await emit(
            hub,
            DownloadFinished(token=transfer.token, file=transfer.file, bytes_sent=bytes_sent, completed=completed),
            org=transfer.org,
        )
    return completed


async def _with_archives_files(delivered: set[str]) -> set[str]:
    """``delivered`` with each delivered archive (:mod:`hub.services.archives`)
    replaced by the files it holds: an archive delivers them all."""
    versions = [version for file in delivered if (version := version_of_archive(file))]
    if not versions:
        return delivered
    files = await VersionFile.select(VersionFile.id).where(VersionFile.version.is_in(versions))
    return {file for file in delivered if not version_of_archive(file)} | {row["id"] for row in files}


_FINISHED_TRANSFERS = f"""
SELECT t.file, t.range_start, MAX(t.bytes_sent) AS bytes_sent, MAX(COALESCE(f.size, m.size, t.archive_size)) AS size
FROM {FileTransfer._meta.tablename} t
LEFT JOIN {VersionFile._meta.tablename} f ON f.id = t.file
LEFT JOIN {MediaFile._meta.tablename} m ON m.id = t.file
WHERE t.session = {{}} AND t.status <> 'started'
GROUP BY t.file, t.range_start
"""
"""A session's finished transfers, one row per file and starting byte (the
longest): all that coverage needs. Repeats (an unlimited link fetched again
and again by one client, a player re-reading a file's start) add no rows, so
a finishing transfer's cost does not grow with the session's history."""


def delivered_files(transfers: list[dict[str, Any]]) -> set[str]:
    """The files that finished ``transfers`` (rows of ``file``,
    ``range_start``, ``bytes_sent``, ``size``) delivered whole."""
    spans: dict[str, list[tuple[int, int]]] = {}
    sizes: dict[str, int] = {}
    for row in transfers:
        if row["size"] is None:  # a file deleted since
            continue
        spans.setdefault(row["file"], []).append((row["range_start"], row["bytes_sent"]))
        sizes[row["file"]] = row["size"]
    return {file for file, sent in spans.items() if covers(sent, sizes[file])}


def covers(spans: list[tuple[int, int]], size: int) -> bool:
    """Whether byte spans ``(start, count)`` together cover bytes ``0`` to
    ``size - 1`` (the spans merged as intervals: overlaps and any order are
    fine, a gap is not). An empty file is covered by any transfer of it."""
    reach = 0  # bytes 0 .. reach-1 are covered
    for start, count in sorted(spans):
        if reach >= size:
            break
        if start > reach:
            return False
        reach = max(reach, start + count)
    return reach >= size


def used_up(grant: Grant) -> LinkUsedUp:
    """The answer to a client with no download left on its token."""
    return LinkUsedUp(
        f"This download link has been used the maximum number of times ({grant.token['max_downloads']}). "
        "Ask the shop for a fresh link.",
        shop=grant.shop,
    )


def refuse_if_used_up(grant: Grant, has_session: bool) -> None:
    """A used-up token still serves the session that used it."""
    if grant.downloads_left == 0 and not has_session:
        raise used_up(grant)
