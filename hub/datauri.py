"""Data URIs (RFC 2397) carrying base64 file contents, as the v1 cover art
and the v2 product downloads accept them.

One parser for both surfaces: the MIME type must be a real ``type/subtype``,
the payload strict base64, and the decoded size within the caller's limit,
checked before decoding from the encoded length.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from hub.errors import Invalid, PayloadTooLarge

MIME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9!#$&^_.+-]{0,126}/[a-zA-Z0-9][a-zA-Z0-9!#$&^_.+-]{0,126}$")


@dataclass(frozen=True)
class DataUri:
    mime_type: str
    data: bytes


def decoded_size_floor(encoded_length: int) -> int:
    """The fewest bytes ``encoded_length`` base64 characters can decode to
    (padding counted as absent data), so a payload above the limit by this
    measure is too large without decoding it."""
    return (encoded_length // 4) * 3 - 2


def parse_data_uri(value: object, *, field: str, max_bytes: int) -> DataUri:
    """Decode ``data:<type>/<subtype>[;param=value]*;base64,<payload>``."""
    if not isinstance(value, str) or not value.startswith("data:"):
        raise Invalid(f"{field} must be a base64 data URI such as data:image/png;base64,...", field=field)
    header, comma, payload = value[5:].partition(",")
    if not comma:
        raise Invalid(f"{field} is not a valid data URI: the comma before the data is missing", field=field)
    parts = header.split(";")
    mime_type, params = parts[0].strip().lower(), [p.strip() for p in parts[1:]]
    if not params or params[-1].lower() != "base64":
        raise Invalid(f"{field} must be base64-encoded (data:<type>;base64,...)", field=field)
    if not MIME.match(mime_type):
        raise Invalid(f"{field} has an invalid MIME type {mime_type!r}", field=field)
    if decoded_size_floor(len(payload)) > max_bytes:
        raise PayloadTooLarge(f"{field} is larger than the {max_bytes} bytes allowed", field=field)
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise Invalid(f"{field} is not valid base64", field=field) from None
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"{field} is larger than the {max_bytes} bytes allowed", field=field)
    if not data:
        raise Invalid(f"{field} holds no data", field=field)
    return DataUri(mime_type=mime_type, data=data)
