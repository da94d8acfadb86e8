"""Rules every text input follows, whatever the surface.

PostgreSQL cannot store a NUL character in text, and no name, email or
search has a use for one; refusing it at the edge keeps both databases
answering alike (a 422 naming the field, never a database error).
"""

from __future__ import annotations

from typing import Any

from hub.errors import Invalid

MAX_OFFSET = 2**31 - 1


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


def page_bounds(limit: int, offset: int, max_limit: int = 100) -> tuple[int, int]:
    """Clamp ``limit`` to 1..``max_limit``; an offset must be 0..2^31-1."""
    if not 0 <= offset <= MAX_OFFSET:
        raise Invalid(f"offset must be from 0 to {MAX_OFFSET}", field="offset")
    return max(1, min(limit, max_limit)), offset
