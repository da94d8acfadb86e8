"""HTTP Range support for single-range GET/HEAD responses (RFC 9110 §14.1-14.4, §13.1.5).

Pure functions, no web framework: the caller maps the results onto responses.

* ``parse_range`` -> ``None``: send 200 with the whole representation.
* ``parse_range`` -> ``ByteRange``: send 206 with ``Content-Range: r.content_range(total)``.
* ``RangeNotSatisfiable``: send 416 with ``Content-Range: exc.content_range``.
* ``if_range_allows_partial`` is False: ignore Range, send 200 with the whole file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

__all__ = ["ByteRange", "RangeNotSatisfiable", "parse_range", "if_range_allows_partial", "etag_for"]

# range-spec after OWS is stripped: int-range "a-" / "a-b" or suffix-range "-n" (ASCII digits only).
_SPEC = re.compile(r"([0-9]*)[ \t]*-[ \t]*([0-9]*)", re.ASCII)
_HEX = re.compile(r"[0-9a-f]{32,}", re.ASCII)


@dataclass(frozen=True, slots=True)
class ByteRange:
    start: int  # first byte, inclusive
    end: int  # last byte, inclusive

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ValueError(f"invalid byte range {self.start}-{self.end}")

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, total: int) -> str:
        """Value for the Content-Range header of a 206 response."""
        return f"bytes {self.start}-{self.end}/{total}"


class RangeNotSatisfiable(Exception):
    """The Range header is valid but selects nothing; answer 416 with ``content_range``."""

    def __init__(self, total: int) -> None:
        super().__init__(f"range not satisfiable for a representation of {total} bytes")
        self.total = total

    @property
    def content_range(self) -> str:
        return f"bytes */{self.total}"


def _clamp(digits: str, cap: int) -> int:
    """int(digits) capped at ``cap``, without tripping Python's 4300-digit int() limit."""
    digits = digits.lstrip("0") or "0"
    return cap if len(digits) > len(str(cap)) else min(int(digits), cap)


def _key(digits: str) -> tuple[int, str]:
    """Order-preserving key for a digit string of any length."""
    digits = digits.lstrip("0") or "0"
    return len(digits), digits


def parse_range(header: str | None, total: int) -> ByteRange | None:
    """Parse a ``Range`` header against a representation of ``total`` bytes.

    Returns ``None`` (serve the whole representation with 200) when there is no header,
    it is syntactically invalid (including ``a > b``), its unit is not ``bytes``, or it
    asks for several ranges: we deliberately ignore multi-range requests rather than
    build multipart/byteranges responses, which RFC 9110 §14.2 allows ("a server MAY
    ignore the Range header field").  Empty list elements (``bytes=0-1,``) are skipped,
    as the list rule (§5.6.1) requires.  ``bytes=a-b`` clamps ``b`` to ``total - 1``;
    a suffix ``bytes=-n`` longer than the file selects the whole file.  Whitespace
    around tokens is tolerated and the unit is case-insensitive.

    Raises ``RangeNotSatisfiable`` when the header is valid but selects no byte:
    first-pos >= total, a zero-length suffix, or an int-range on an empty file.
    A non-zero suffix on an empty file is satisfiable per §14.1.1 but a zero-byte 206
    cannot be expressed in Content-Range, so it yields ``None`` (200, empty body).
    """
    if header is None or total < 0:
        return None
    unit, sep, range_set = header.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None
    specs = [s for s in (p.strip(" \t") for p in range_set.split(",")) if s]
    if len(specs) != 1:
        return None
    match = _SPEC.fullmatch(specs[0])
    if match is None:
        return None
    first, last = match.groups()
    if not first:  # suffix-range "-n"
        if not last:
            return None  # a lone "-" is not a range-spec
        if _key(last) == (1, "0"):
            raise RangeNotSatisfiable(total)
        return ByteRange(total - _clamp(last, total), total - 1) if total else None
    if last and _key(first) > _key(last):
        return None  # last-pos < first-pos makes the range-spec invalid (§14.1.1)
    start = _clamp(first, total)
    if start >= total:
        raise RangeNotSatisfiable(total)
    return ByteRange(start, _clamp(last, total - 1) if last else total - 1)


def if_range_allows_partial(if_range: str | None, etag: str, last_modified: datetime | None) -> bool:
    """Evaluate the If-Range precondition (RFC 9110 §13.1.5).

    True when there is no If-Range header or it matches our current representation:
    an entity-tag must be strong and identical to ``etag`` (weak tags never match,
    strong comparison per §8.8.3.2); an HTTP-date must equal ``last_modified`` to the
    second (HTTP-dates carry no finer precision).  Anything else - mismatch, weak tag,
    unparseable value, no Last-Modified - is False: ignore Range, send 200 in full.
    Naive datetimes are taken as UTC.
    """
    if if_range is None:
        return True
    value = if_range.strip(" \t")
    if value.startswith('"'):  # entity-tag; dates never start with DQUOTE (§13.1.5)
        return not etag.startswith("W/") and value == etag
    if value.startswith("W/") or last_modified is None:
        return False
    try:
        sent = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return False
    return _utc_second(sent) == _utc_second(last_modified)


def _utc_second(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(microsecond=0)


def etag_for(sha256_hex: str) -> str:
    """Strong, quoted ETag from a content hash: ``"<first 32 hex chars>"``."""
    digest = sha256_hex.strip().lower()
    if not _HEX.fullmatch(digest):
        raise ValueError("etag_for expects a hex digest of at least 32 characters")
    return f'"{digest[:32]}"'
