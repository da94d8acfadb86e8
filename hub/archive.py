"""A version's files as one ZIP archive, laid out before a byte of it is read.

The archive is never stored: its layout is computed from what the database
holds (each file's path, size and CRC-32, a fixed time), and any byte range
of it is answered as a list of *pieces*: literal bytes (headers, the
central directory) and slices of the files' bodies, which the response
sends from storage as it sends a single file. The same inputs give the same
bytes on every request, which is what lets ``Range``, ``If-Range`` and a
strong ``ETag`` work.

The format (PKWARE APPNOTE 6.3.x), chosen so that every common reader opens
it (macOS Archive Utility, Windows Explorer, Info-ZIP ``unzip``, 7-Zip,
libarchive, Python's ``zipfile``):

- entries in path order, STORE (no compression), the UTF-8 name flag (bit
  11), no data descriptors (the CRC-32 and sizes are known up front), every
  entry's DOS time the version's time;
- Zip64 only where needed: an entry of 4 GiB or more gets a Zip64 extra
  field with its sizes (local and central); an entry whose local header
  starts past 4 GiB gets its offset in the central Zip64 extra field; the
  Zip64 end records are written only when the entry count, the central
  directory's size or offset overflow the classic fields.

No library does this: :mod:`zipfile` writes a stream (it cannot say the
size up front nor produce a middle slice), and the streaming-ZIP libraries
use data descriptors or compress.
"""

from __future__ import annotations

import bisect
import hashlib
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

__all__ = [
    "ArchiveEntry", "ArchiveLayout", "BodySlice", "layout_archive", "archive_size", "archive_etag", "archive_name",
]

LAYOUT_REVISION = "1"
"""Part of every archive's ETag: a change to the bytes this module writes
must change it, so no client resumes an old archive with new bytes."""

_MAX16 = 0xFFFF
_MAX32 = 0xFFFFFFFF
_UTF8_FLAG = 0x0800
_UNIX_REGULAR_FILE = 0o100644 << 16  # external attributes: a regular file, rw-r--r--
_MADE_BY = (3 << 8) | 45  # Unix, spec 4.5


@dataclass(frozen=True, slots=True)
class ArchiveEntry:
    """One file of the archive: its path in the archive, its size and CRC-32,
    and ``key``, what the caller reads its body by (a storage key)."""

    path: str
    size: int
    crc32: int
    key: str


@dataclass(frozen=True, slots=True)
class BodySlice:
    """``length`` bytes of ``entry``'s body from ``offset``."""

    entry: ArchiveEntry
    offset: int
    length: int


Piece = bytes | BodySlice


@dataclass(frozen=True, slots=True)
class _Segment:
    start: int  # offset in the archive
    length: int
    data: bytes | ArchiveEntry  # literal bytes, or a whole body


class ArchiveLayout:
    """Where every byte of the archive comes from; ``size`` is its length."""

    def __init__(self, segments: list[_Segment], size: int) -> None:
        self._segments = segments
        self._starts = [segment.start for segment in segments]
        self.size = size

    def pieces(self, start: int, end: int) -> Iterator[Piece]:
        """The bytes ``start`` to ``end`` (inclusive) as literal bytes and
        body slices, in order; together exactly ``end - start + 1`` bytes."""
        if not 0 <= start <= end < self.size:
            raise ValueError(f"range {start}-{end} is outside an archive of {self.size} bytes")
        index = bisect.bisect_right(self._starts, start) - 1
        position = start
        while position <= end:
            segment = self._segments[index]
            index += 1
            if segment.length == 0:
                continue
            within = position - segment.start
            count = min(segment.length - within, end - position + 1)
            if isinstance(segment.data, bytes):
                yield segment.data[within : within + count]
            else:
                yield BodySlice(segment.data, within, count)
            position += count


def _dos_time(moment: datetime) -> tuple[int, int]:
    """(time, date) in MS-DOS format; years before 1980 are 1980."""
    if moment.year < 1980:
        return 0, (1 << 5) | 1
    time = (moment.hour << 11) | (moment.minute << 5) | (moment.second // 2)
    date = ((min(moment.year, 2107) - 1980) << 9) | (moment.month << 5) | moment.day
    return time, date


def layout_archive(entries: Sequence[ArchiveEntry], moment: datetime) -> ArchiveLayout:
    """The layout of the archive of ``entries`` (written in path order),
    every entry dated ``moment`` (naive local time as ZIP keeps it: pass a
    UTC time to have the archive show UTC)."""
    ordered = sorted(entries, key=lambda entry: entry.path)
    time, date = _dos_time(moment)
    segments: list[_Segment] = []
    central = bytearray()
    offset = 0
    for entry in ordered:
        name = entry.path.encode("utf-8")
        big = entry.size >= _MAX32
        # Local header: a Zip64 extra with both sizes when the body is 4 GiB or more.
        local_extra = struct.pack("<HHQQ", 0x0001, 16, entry.size, entry.size) if big else b""
        shown_size = _MAX32 if big else entry.size
        needed = 45 if big else 20
        local = struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, needed, _UTF8_FLAG, 0, time, date, entry.crc32,
            shown_size, shown_size, len(name), len(local_extra),
        ) + name + local_extra
        segments.append(_Segment(offset, len(local), local))
        local_offset = offset
        offset += len(local)
        segments.append(_Segment(offset, entry.size, entry))
        offset += entry.size
        # Central header: the Zip64 extra holds, in this order, only the
        # fields that overflow (APPNOTE 4.5.3).
        far = local_offset >= _MAX32
        central_extra_fields = (struct.pack("<QQ", entry.size, entry.size) if big else b"") + (
            struct.pack("<Q", local_offset) if far else b""
        )
        central_extra = struct.pack("<HH", 0x0001, len(central_extra_fields)) + central_extra_fields if central_extra_fields else b""
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, _MADE_BY, 45 if big or far else 20, _UTF8_FLAG, 0, time, date,
            entry.crc32, shown_size, shown_size, len(name), len(central_extra), 0, 0, 0, _UNIX_REGULAR_FILE,
            _MAX32 if far else local_offset,
        ) + name + central_extra
    directory_offset, directory_size, count = offset, len(central), len(ordered)
    tail = bytes(central)
    if count > _MAX16 or directory_offset >= _MAX32 or directory_size >= _MAX32:
        zip64_end_offset = directory_offset + directory_size
        tail += struct.pack(
            "<IQHHIIQQQQ", 0x06064B50, 44, _MADE_BY, 45, 0, 0, count, count, directory_size, directory_offset
        )
        tail += struct.pack("<IIQI", 0x07064B50, 0, zip64_end_offset, 1)
        tail += struct.pack(
            "<IHHHHIIH", 0x06054B50, 0, 0, min(count, _MAX16), min(count, _MAX16),
            min(directory_size, _MAX32), min(directory_offset, _MAX32), 0,
        )
    else:
        tail += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, directory_size, directory_offset, 0)
    segments.append(_Segment(offset, len(tail), tail))
    return ArchiveLayout(segments, offset + len(tail))


def archive_size(files: Sequence[tuple[str, int]]) -> int:
    """The size of the archive of ``files`` (path, size), as
    :func:`layout_archive` lays it out, without building it (CRC-32s do not
    change it): what the download page shows."""
    offset = directory_size = 0
    for path, size in sorted(files):
        name = len(path.encode("utf-8"))
        big, far = size >= _MAX32, offset >= _MAX32
        offset += 30 + name + (20 if big else 0) + size
        extra = (16 if big else 0) + (8 if far else 0)
        directory_size += 46 + name + (4 + extra if extra else 0)
    zip64 = len(files) > _MAX16 or offset >= _MAX32 or directory_size >= _MAX32
    return offset + directory_size + (56 + 20 if zip64 else 0) + 22


def archive_etag(version_id: str, entries: Sequence[ArchiveEntry], moment: datetime) -> str:
    """A strong ETag of the archive: from the version, its files' paths,
    sizes, CRC-32s and storage keys (a file's bytes never change under its
    key), the time and :data:`LAYOUT_REVISION`."""
    digest = hashlib.sha256(f"zip {LAYOUT_REVISION}\n{version_id}\n{moment.isoformat()}\n".encode())
    for entry in sorted(entries, key=lambda entry: entry.path):
        digest.update(f"{entry.path}\0{entry.size}\0{entry.crc32}\0{entry.key}\n".encode("utf-8", "surrogatepass"))
    return f'"zip-{digest.hexdigest()[:32]}"'


def archive_name(product_name: str, version: str) -> str:
    """The name the archive is saved under: ``<product name> <version>.zip``,
    with ``/`` and ``\\`` made ``-``, control characters made spaces and
    spaces collapsed (``Epic Drums / Vol. 1`` 1.0.0 → ``Epic Drums - Vol. 1 1.0.0.zip``)."""
    cleaned = "".join(
        "-" if ch in "/\\" else " " if ord(ch) < 0x20 or ord(ch) == 0x7F else ch for ch in product_name
    )
    stem = " ".join(f"{cleaned} {version}".split()).strip(" .") or "download"
    return f"{stem}.zip"
