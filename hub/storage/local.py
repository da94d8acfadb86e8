"""Blob storage on the local filesystem.

Layout under ``root``::

    <root>/<key>                                  finished blobs
    <root>/.multipart/<upload_id>/key             the key an upload is for
    <root>/.multipart/<upload_id>/<nnnnn>         uploaded parts (5-digit part number)
    <root>/.multipart/<upload_id>/<nnnnn>.etag    the ETag handed out for that part
    <root>/.tmp/                                  files being written

Every file is written under a temporary name, fsynced and then moved into
place with ``os.replace``, so a crash never leaves a half-written blob or part
behind. Blocking filesystem work runs in worker threads (``asyncio.to_thread``)
so multi-gigabyte copies never stall the event loop. Keys are validated
before they touch the filesystem, and upload ids must look like the ones we
hand out, so neither can escape ``root``.
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import hashlib
import os
import re
import secrets
import shutil
import zlib
from collections.abc import AsyncGenerator, Callable
from pathlib import Path
from stat import S_ISREG
from typing import TypeVar

from hub.faults import crash_point

from .base import (
    BlobDigests,
    BlobInfo,
    BlobStore,
    StorageError,
    validate_key,
    validate_part_number,
    validate_parts,
    validate_range,
)

__all__ = ["LocalBlobStore"]

_T = TypeVar("_T")
_UPLOAD_ID = re.compile(r"[0-9a-f]{32}")
_HASH_CHUNK = 1 << 20
# copy_file_range can refuse for reasons that only mean "do it the slow way":
# cross-device (old kernels), unsupported filesystem (some FUSE/NFS), or a
# seccomp profile that answers unknown syscalls with EPERM (older Docker).
_NO_FAST_COPY = {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EPERM}


def _quote_etag(digest: str) -> str:
    # Same shape as an S3 ETag so clients can treat both backends alike.
    return f'"{digest}"'


def _same_etag(a: str, b: str) -> bool:
    return a.strip('"') == b.strip('"')


def _copy_into(src_path: Path, dst_fd: int) -> None:
    """Append ``src_path`` to ``dst_fd`` at its current offset, in-kernel when possible."""
    dst_start = os.lseek(dst_fd, 0, os.SEEK_CUR)
    src_fd = os.open(src_path, os.O_RDONLY)
    try:
        if hasattr(os, "copy_file_range"):
            try:
                while os.copy_file_range(src_fd, dst_fd, 1 << 30):
                    pass
                return
            except OSError as exc:
                if exc.errno not in _NO_FAST_COPY:
                    raise
            # Some bytes may already have been copied: start this part over.
            os.lseek(src_fd, 0, os.SEEK_SET)
            os.lseek(dst_fd, dst_start, os.SEEK_SET)
        while chunk := os.read(src_fd, 1 << 20):
            view = memoryview(chunk)
            while view:
                view = view[os.write(dst_fd, view) :]
    finally:
        os.close(src_fd)


class LocalBlobStore(BlobStore):
    """Stores blobs as plain files so the HTTP server can send them with sendfile."""

    kind = "local"

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).absolute()
        self._multipart_root = self.root / ".multipart"
        self._tmp_root = self.root / ".tmp"

    # -- helpers -----------------------------------------------------------

    def _path(self, key: str) -> Path:
        return self.root / validate_key(key)

    def _upload_dir(self, upload_id: str) -> Path:
        # Anything that is not one of our ids cannot exist; this also keeps
        # a hostile upload id from naming a path outside .multipart.
        if not isinstance(upload_id, str) or not _UPLOAD_ID.fullmatch(upload_id):
            raise StorageError(f"unknown upload id {upload_id!r}", code="NoSuchUpload")
        return self._multipart_root / upload_id

    def _tmp_name(self, directory: Path) -> Path:
        return directory / f".tmp-{secrets.token_hex(8)}"

    def _check_upload(self, key: str, upload_id: str) -> Path:
        """Return the upload's directory, checking it exists and belongs to ``key``."""
        updir = self._upload_dir(upload_id)
        try:
            owner = (updir / "key").read_text("utf-8")
        except FileNotFoundError:
            raise StorageError(
                f"unknown or finished upload {upload_id!r}", code="NoSuchUpload"
            ) from None
        if owner != key:
            raise StorageError(
                f"upload {upload_id!r} belongs to a different key", code="NoSuchUpload"
            )
        return updir

    def _write_atomic(self, target: Path, data: bytes, tmp_dir: Path) -> None:
        tmp = self._tmp_name(tmp_dir)
        try:
            with open(tmp, "wb") as fh:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX)  # see _remove_abandoned_files
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    async def _run(self, what: str, func: Callable[..., _T], *args) -> _T:
        """Run blocking ``func`` in a thread, turning OS errors into StorageError."""
        try:
            return await asyncio.to_thread(func, *args)
        except StorageError:
            raise
        except OSError as exc:
            code = "NoSuchKey" if isinstance(exc, FileNotFoundError) else None
            raise StorageError(f"local storage: {what} failed: {exc}", code=code) from exc

    # -- lifecycle ---------------------------------------------------------

    async def start(self) -> None:
        def mkdirs() -> None:
            for d in (self.root, self._multipart_root, self._tmp_root):
                d.mkdir(parents=True, exist_ok=True)
            self._remove_abandoned_files()

        await self._run("creating the storage directories", mkdirs)

    def _remove_abandoned_files(self) -> None:
        """Remove the half-assembled blobs of processes that died (``kill -9``
        in the middle of a completion): each is as large as a whole product
        file. A file still locked belongs to a live completion and stays."""
        for leftover in self._tmp_root.iterdir():
            try:
                fd = os.open(leftover, os.O_RDONLY)
            except OSError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # a live process is writing it
            else:
                leftover.unlink(missing_ok=True)
            finally:
                os.close(fd)

    async def close(self) -> None:
        """Nothing to release: every operation opens and closes its own files."""

    # -- multipart ---------------------------------------------------------

    async def create_multipart(self, key: str) -> str:
        validate_key(key)
        upload_id = secrets.token_hex(16)
        updir = self._upload_dir(upload_id)

        def create() -> None:
            updir.mkdir(parents=True)
            self._write_atomic(updir / "key", key.encode("utf-8"), updir)

        await self._run(f"creating upload for {key!r}", create)
        return upload_id

    async def upload_part(self, key: str, upload_id: str, part_number: int, data: bytes) -> str:
        validate_key(key)
        validate_part_number(part_number)

        def write() -> str:
            updir = self._check_upload(key, upload_id)
            # MD5 like S3's ETag; hashlib drops the GIL on big buffers.
            etag = _quote_etag(hashlib.md5(data, usedforsecurity=False).hexdigest())
            name = f"{part_number:05d}"
            # ETag first, then data: the caller only learns the new ETag once
            # both are written, so after a crash in between the stored ETag
            # matches nothing the caller holds and complete() refuses the part
            # instead of assembling data the caller never confirmed.
            self._write_atomic(updir / f"{name}.etag", etag.encode("ascii"), updir)
            self._write_atomic(updir / name, data, updir)
            return etag

        try:
            return await self._run(f"uploading part {part_number} of {key!r}", write)
        except StorageError as exc:
            if exc.code == "NoSuchKey":  # the upload dir vanished under us (aborted)
                raise StorageError(
                    f"upload {upload_id!r} was aborted or completed", code="NoSuchUpload"
                ) from exc
            raise

    async def presign_upload_part(
        self, key: str, upload_id: str, part_number: int, expires_in: int
    ) -> str | None:
        """Local parts always travel through the hub, so there is nothing to presign."""
        validate_key(key)
        validate_part_number(part_number)
        return None

    async def complete_multipart(
        self, key: str, upload_id: str, parts: list[tuple[int, str]]
    ) -> BlobInfo:
        target = self._path(key)
        validate_parts(parts)

        def assemble() -> int:
            updir = self._check_upload(key, upload_id)
            sources: list[Path] = []
            for part_number, etag in parts:
                part = updir / f"{part_number:05d}"
                try:
                    stored = (updir / f"{part.name}.etag").read_text("ascii")
                except FileNotFoundError:
                    raise StorageError(
                        f"part {part_number} of upload {upload_id!r} was never uploaded",
                        code="InvalidPart",
                    ) from None
                if not _same_etag(stored, etag):
                    raise StorageError(
                        f"ETag mismatch for part {part_number} of upload {upload_id!r}",
                        code="InvalidPart",
                    )
                sources.append(part)

            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._tmp_name(self._tmp_root)
            try:
                # Raw fd, no Python buffering: copy_file_range moves the kernel
                # offset behind the back of any userspace buffer.
                out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
                try:
                    # Held until the fd closes, or the process dies: start()
                    # of a later process removes only files nobody holds.
                    fcntl.flock(out, fcntl.LOCK_EX)
                    for index, src in enumerate(sources):
                        try:
                            _copy_into(src, out)
                        except FileNotFoundError:
                            # A concurrent completion (or an abort) finished
                            # with this upload and removed its parts.
                            raise StorageError(
                                f"upload {upload_id!r} was completed or aborted meanwhile",
                                code="NoSuchUpload",
                            ) from None
                        if index == 0:
                            crash_point("storage.assembling")
                    os.fsync(out)
                    size = os.fstat(out).st_size
                    # The blob appears whole or not at all; the parts go only
                    # once it is in place, so a crash anywhere leaves either
                    # the parts (assemble again) or the blob (verify it).
                    os.replace(tmp, target)
                finally:
                    os.close(out)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            shutil.rmtree(updir, ignore_errors=True)
            return size

        size = await self._run(f"completing upload of {key!r}", assemble)
        return BlobInfo(key=key, size=size)

    async def abort_multipart(self, key: str, upload_id: str) -> None:
        validate_key(key)
        try:
            updir = self._upload_dir(upload_id)
        except StorageError:
            return  # never existed: aborting is idempotent
        await self._run(f"aborting upload of {key!r}", shutil.rmtree, updir, True)

    # -- whole blobs -------------------------------------------------------

    async def put(self, key: str, data: bytes, content_type: str | None = None) -> BlobInfo:
        """Store ``data``; ``content_type`` is not kept (the database knows it)."""
        target = self._path(key)

        def write() -> None:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._write_atomic(target, data, self._tmp_root)

        await self._run(f"writing {key!r}", write)
        return BlobInfo(key=key, size=len(data))

    async def stat(self, key: str) -> BlobInfo | None:
        target = self._path(key)
        try:
            st = await asyncio.to_thread(os.stat, target)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise StorageError(f"local storage: stat of {key!r} failed: {exc}") from exc
        if not S_ISREG(st.st_mode):
            return None
        return BlobInfo(key=key, size=st.st_size)

    async def sha256(self, key: str) -> str:
        return (await self.digests(key)).sha256

    async def digests(self, key: str) -> BlobDigests:
        target = self._path(key)

        def digest() -> BlobDigests:
            h, crc = hashlib.sha256(), 0
            with open(target, "rb") as fh:
                while chunk := fh.read(_HASH_CHUNK):
                    h.update(chunk)
                    crc = zlib.crc32(chunk, crc)
                    crash_point("storage.hashing")
            return BlobDigests(h.hexdigest(), crc)

        return await self._run(f"hashing {key!r}", digest)

    async def open_range(
        self, key: str, start: int, end: int, chunk_size: int = 1 << 20
    ) -> AsyncGenerator[bytes, None]:
        """Stream ``start..end`` with ``os.pread`` on one fd, one thread hop per chunk.

        Like S3, a range running past the end is cut short at EOF and one
        starting at or past the end raises StorageError (code InvalidRange).
        """
        target = self._path(key)
        validate_range(start, end)
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        fd = await self._run(f"opening {key!r}", os.open, target, os.O_RDONLY)
        try:
            size = os.fstat(fd).st_size
            if start >= size:
                raise StorageError(
                    f"range start {start} is past the end of {key!r} ({size} bytes)",
                    code="InvalidRange",
                )
            pos = start
            while pos <= end:
                want = min(chunk_size, end - pos + 1)
                chunk = await self._run(f"reading {key!r}", os.pread, fd, want, pos)
                if not chunk:
                    break
                pos += len(chunk)
                yield chunk
        finally:
            os.close(fd)

    async def delete(self, key: str) -> None:
        target = self._path(key)

        def remove() -> None:
            try:
                target.unlink()
            except (FileNotFoundError, NotADirectoryError):
                pass

        await self._run(f"deleting {key!r}", remove)

    async def presign_get(
        self, key: str, expires_in: int, filename: str | None = None
    ) -> str | None:
        """Local blobs are served by the hub itself; see ``local_path``."""
        validate_key(key)
        return None

    def local_path(self, key: str) -> str | None:
        return str(self._path(key))
