"""Checks of catalog input: each field check returns the clean value or
raises :class:`~hub.errors.Invalid` naming the field, and a :class:`Checker`
runs many of them and refuses the whole input at the end with every problem
(:class:`~hub.errors.Problems`).

msgspec and Litestar stop at the first problem; a client fixing a form
wants all of them at once, hence this small collector rather than a
validation library: the checks are plain functions over decoded JSON, and
their messages (``upc-code is required``) are the domain's, which each API
surface words its own way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any

from hub import iso
from hub.errors import Invalid, Problems
from hub.inputs import check_text, json_depth, naive_timestamp_problem

__all__ = ["Checker", "Problems"]


class Checker:
    """Runs checks and keeps their :class:`Invalid` errors instead of stopping
    at the first; :meth:`raise_problems` refuses the whole input at the end."""

    def __init__(self) -> None:
        self.errors: list[Invalid] = []

    def keep(self, exc: Invalid) -> None:
        """Keep ``exc`` (each of its problems, when it holds several)."""
        self.errors.extend(exc.errors if isinstance(exc, Problems) else [exc])

    def run(self, check: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``check(*args, **kwargs)``, or None when it refused its input."""
        try:
            return check(*args, **kwargs)
        except Invalid as exc:
            self.keep(exc)
            return None

    async def wait(self, check: Awaitable[Any]) -> Any:
        """The async twin of :meth:`run`."""
        try:
            return await check
        except Invalid as exc:
            self.keep(exc)
            return None

    def failed(self, field_name: str) -> bool:
        return any(e.field == field_name for e in self.errors)

    def raise_problems(self, order: Sequence[str] = ()) -> None:
        """Raise :class:`Problems` if anything failed: one problem per field
        (the first found), sorted as ``order`` lists the fields (others last,
        in the order they were found)."""
        if not self.errors:
            return
        seen: set[str | None] = set()
        unique = []
        for error in self.errors:
            if error.field not in seen:
                seen.add(error.field)
                unique.append(error)
        rank = {name: index for index, name in enumerate(order)}
        unique.sort(key=lambda e: rank.get(e.field or "", len(rank)))
        raise Problems(unique)


def required(field_name: str) -> Invalid:
    return Invalid(f"{field_name} is required", field=field_name)


def unknown_field(name: str, noun: str) -> Invalid:
    """A field the resource does not have (the API surfaces refuse unknown
    members in their own words before the core sees them)."""
    return Invalid(f"{name} is not a field of {noun}", field=name)


# --- field checks: each returns the clean value or raises Invalid ----------

TEXT_MAX = 300
CREDITS_MAX = 100
CUSTOM_DATA_MAX_BYTES = 64 * 1024
CUSTOM_DATA_MAX_DEPTH = 32
UPC = re.compile(r"^\d{12,13}$")
ISRC = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}\d{7}$")
# A date, or the timestamp at midnight UTC that the API itself writes dates
# as, so that a resource read and sent back unchanged is accepted.
DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:T00:00:00(?:\.0{1,6})?Z)?$")
RIGHT_TYPES = ("master", "publishing", "mechanical", "performance", "synchronization", "neighbouring")


def check_string(value: Any, field_name: str, *, is_required: bool = False, max_length: int = TEXT_MAX) -> str | None:
    text = check_text(value, field_name, max_length=max_length, required=is_required)
    return text.strip() if is_required and text is not None else text


def check_boolean(value: Any, field_name: str) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"{field_name} must be true or false", field=field_name)
    return value


def check_integer(value: Any, field_name: str, *, minimum: int, maximum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise Invalid(f"{field_name} must be an integer", field=field_name)
    if not minimum <= value <= maximum:
        raise Invalid(f"{field_name} must be between {minimum} and {maximum}", field=field_name)
    return value


def check_year(value: Any, field_name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise Invalid(f"{field_name} must be an integer", field=field_name)
    if not 1000 <= value <= 9999:
        raise Invalid(f"{field_name} must be a four-digit year", field=field_name)
    return value


def check_date(value: Any, field_name: str) -> str:
    """``YYYY-MM-DD`` (a real calendar date), or that day's midnight UTC
    written as a timestamp; a timestamp without a time zone is refused as
    everywhere in the hub (:func:`hub.inputs.naive_timestamp_problem`)."""
    match = DATE.match(value) if isinstance(value, str) else None
    try:
        if match is None:
            raise ValueError
        return date.fromisoformat(match.group(1)).isoformat()
    except ValueError:
        naive = naive_timestamp_problem(value, field_name)
        if naive is not None:
            raise naive from None
        raise Invalid(f"{field_name} must be a date in the format YYYY-MM-DD", field=field_name) from None


def check_names(value: Any, field_name: str, *, is_required: bool = False) -> list[str] | None:
    """A list of names (credits): strings, not blank, at most 100."""
    if value is None or value == []:
        if is_required:
            raise required(field_name)
        return None if value is None else []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Invalid(f"{field_name} must be an array of strings", field=field_name)
    if len(value) > CREDITS_MAX:
        raise Invalid(f"{field_name} may list at most {CREDITS_MAX} names", field=field_name)
    names = [check_string(v, field_name) or "" for v in value]
    if any(not name.strip() for name in names):
        raise Invalid(f"{field_name} must not contain empty names", field=field_name)
    return [name.strip() for name in names]


def check_custom_data(value: Any, field_name: str) -> list[Any] | dict[str, Any] | None:
    """Free JSON a client keeps with the release: an array (or an object),
    at most 64 KiB and 32 levels deep."""
    if value is None:
        return None
    if not isinstance(value, list | dict):
        raise Invalid(f"{field_name} must be an array", field=field_name)
    if json_depth(value) > CUSTOM_DATA_MAX_DEPTH:
        raise Invalid(f"{field_name} must not nest more than {CUSTOM_DATA_MAX_DEPTH} levels deep", field=field_name)
    if len(json.dumps(value)) > CUSTOM_DATA_MAX_BYTES:
        raise Invalid(f"{field_name} must be at most {CUSTOM_DATA_MAX_BYTES} bytes of JSON", field=field_name)
    return value


def check_upc(value: Any, field_name: str = "upc-code") -> str:
    """A UPC-A (12 digits) or EAN-13 (13 digits). The check digit is not
    verified: catalogs hold codes from before it was, and the seed's own
    example (8088111222333) fails it."""
    if value is None or value == "":
        raise required(field_name)
    if not isinstance(value, str) or not UPC.match(value):
        raise Invalid(f"{field_name} must be 12 or 13 digits (UPC-A or EAN-13)", field=field_name)
    return value


def check_isrc(value: Any, field_name: str = "isrc") -> str | None:
    """``CC-XXX-YY-NNNNN``, stored without dashes: 12 characters."""
    if value is None:
        return None
    if not isinstance(value, str) or not ISRC.match(value.replace("-", "").upper()):
        raise Invalid(
            f"{field_name} must be an ISRC: country, registrant, year and number (CC-XXX-YY-NNNNN), 12 characters without dashes",
            field=field_name,
        )
    return value.replace("-", "").upper()


def check_currency(value: Any, field_name: str = "currency") -> str:
    if value is None:
        raise required(field_name)
    if not isinstance(value, str) or value.upper() not in iso.CURRENCIES:
        raise Invalid(f"{field_name} must be an ISO 4217 currency code such as EUR or USD", field=field_name)
    return value.upper()


WORLDWIDE = "WW"


def check_territory(value: Any, field_name: str = "territory") -> str:
    if value is None or value == "":
        raise required(field_name)
    if not isinstance(value, str) or (value.upper() not in iso.COUNTRIES and value.upper() != WORLDWIDE):
        raise Invalid(
            f"{field_name} must be an ISO 3166-1 alpha-2 country code such as FR, or WW for the whole world",
            field=field_name,
        )
    return value.upper()


def check_territories(value: Any, field_name: str = "territories") -> list[str]:
    if value is None or value == []:
        raise required(field_name)
    if not isinstance(value, list):
        raise Invalid(f"{field_name} must be an array of ISO 3166-1 alpha-2 country codes, or [\"WW\"]", field=field_name)
    codes = [check_territory(v, field_name) for v in value]
    if WORLDWIDE in codes and len(codes) > 1:
        raise Invalid(f"{field_name} must be [\"WW\"] alone or a list of countries, not both", field=field_name)
    if len(set(codes)) != len(codes):
        raise Invalid(f"{field_name} must not list a country twice", field=field_name)
    return codes


def check_language_code(value: Any, field_name: str = "code") -> str:
    """An ISO 639 code (``en``, ``fra``), optionally with a script and a
    region as in BCP 47 (``pt-BR``, ``zh-Hant-TW``); case is normalized."""
    if value is None or value == "":
        raise required(field_name)
    if isinstance(value, str):
        parts = value.replace("_", "-").split("-")
        parts[0] = parts[0].lower()
        parts[1:] = [p.title() if len(p) == 4 else p.upper() for p in parts[1:]]
        value = "-".join(parts)
    if not isinstance(value, str) or not iso.is_language_tag(value):
        raise Invalid(f"{field_name} must be an ISO 639 language code such as en or pt-BR", field=field_name)
    return value


def check_price(value: Any, field_name: str = "price") -> int:
    """An amount in the currency's minor unit: 999 is 9.99 EUR, 500 is 500 JPY."""
    if value is None:
        raise required(field_name)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10**12:
        raise Invalid(
            f"{field_name} must be a whole amount in the currency's minor unit, from 0 to 10^12 (999 for 9.99 EUR)",
            field=field_name,
        )
    return value
