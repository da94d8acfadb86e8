"""Rules every text input follows, whatever the surface.

PostgreSQL cannot store a NUL character in text, and no name, email or
search has a use for one; refusing it at the edge keeps both databases
answering alike (a 422 naming the field, never a database error).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, overload

import msgspec

from hub.errors import BadRequest, Invalid

if TYPE_CHECKING:
    from hub.plugins.records import JSON

MAX_OFFSET = 2**31 - 1


@overload
def check_text(value: Any, field: str, *, max_length: int, required: Literal[True]) -> str: ...
@overload
def check_text(value: Any, field: str, *, max_length: int, required: bool = False) -> str | None: ...
def check_text(value: Any, field: str, *, max_length: int, required: bool = False) -> str | None:
    """``value`` as a clean string (or None when absent and not required)."""
    if value is None:
        if required:
            raise Invalid(f"{field} is required", field=field)
        return None
    if not isinstance(value, str):
        raise Invalid(f"{field} must be a string", field=field)
    if required and not value.strip():
        raise Invalid(f"{field} is required", field=field)
    if "\x00" in value:
        raise Invalid(f"{field} must not contain NUL characters", field=field)
    if len(value) > max_length:
        raise Invalid(f"{field} must be at most {max_length} characters", field=field)
    return value


def time_zone_required(field: str) -> Invalid:
    """The one answer to a timestamp without a time zone, on every surface."""
    return Invalid(f"{field} must include a time zone, e.g. 2026-01-01T10:00:00Z", field=field)


@overload
def require_time_zone(moment: datetime, field: str) -> datetime: ...
@overload
def require_time_zone(moment: None, field: str) -> None: ...
def require_time_zone(moment: datetime | None, field: str) -> datetime | None:
    """``moment`` if it says which time zone it is in.

    A naive timestamp (what Python's ``datetime.now()`` and many clients
    send) could mean any zone: taking it as UTC would move a buyer's expiry
    by hours without a word, so it is refused instead (422), whatever the
    surface."""
    if moment is not None and moment.tzinfo is None:
        raise time_zone_required(field)
    return moment


def naive_timestamp_problem(value: Any, field: str) -> Invalid | None:
    """The :func:`time_zone_required` problem if ``value`` is an ISO 8601
    timestamp string without a time zone (``2026-01-01T10:00:00``), else
    None: for checks that read text rather than a decoded datetime."""
    if not isinstance(value, str) or "T" not in value.upper():
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return time_zone_required(field) if moment.tzinfo is None else None


def names_nothing(identifier: Any) -> bool:
    """True when ``identifier`` cannot be the id of anything the hub stores:
    not a string, or holding a NUL character. A lookup by such an id finds
    nothing without asking the database (PostgreSQL would refuse the query
    where SQLite finds no row), so both answer "not found" alike."""
    return not isinstance(identifier, str) or "\x00" in identifier


def page_bounds(limit: int, offset: int, max_limit: int = 100) -> tuple[int, int]:
    """Clamp ``limit`` to 1..``max_limit``; an offset must be 0..2^31-1."""
    if not 0 <= offset <= MAX_OFFSET:
        raise Invalid(f"offset must be from 0 to {MAX_OFFSET}", field="offset")
    return max(1, min(limit, max_limit)), offset



#: How deeply a JSON body may nest. The documents the hub reads nest a few
#: levels; the parsers give up (RecursionError) somewhere near 1,000, and a
#: limit of our own gives one answer whatever the parser and the stack.
MAX_JSON_DEPTH = 64


def decode_json(body: bytes | str, *, what: str = "The request body") -> JSON:
    """Every JSON body the hub reads (API bodies, webhook events), decoded
    under one rule: a body that is not JSON, or nests deeper than
    :data:`MAX_JSON_DEPTH`, is a :class:`BadRequest` (400), which each
    surface answers in its own envelope. An empty body is None."""
    data = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else bytes(body)
    try:
        document = msgspec.json.decode(data) if data.strip() else None
    except msgspec.DecodeError:
        raise BadRequest(f"{what} is not valid JSON") from None
    except RecursionError:
        raise _too_deep(what) from None
    # Each level opens with a bracket: a body with few of them cannot nest
    # too deeply, and most bodies are measured without walking them.
    if data.count(b"[") + data.count(b"{") > MAX_JSON_DEPTH and json_depth(document) > MAX_JSON_DEPTH:
        raise _too_deep(what)
    return document


def _too_deep(what: str) -> BadRequest:
    return BadRequest(f"{what} nests too deeply (at most {MAX_JSON_DEPTH} levels)")


def json_depth(value: Any) -> int:
    """How deeply arrays and objects nest in ``value`` (without recursing,
    so that measuring cannot itself run out of stack)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, list | dict):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest
