"""Checking the email addresses the hub is given (a buyer's, a console
user's, a shop's contact, a test email's recipient), with the
``email-validator`` library: the syntax of RFC 5322 and 6531 as mail
servers accept it (internationalized addresses too), not a home-made regex.

Deliverability (DNS) is not checked: an answer must not depend on a DNS
lookup, and a shop's buyer is known to be reachable by the shop.
"""

from __future__ import annotations

from typing import Any

from email_validator import EmailNotValidError, validate_email

from hub.errors import Invalid

MAX_LENGTH = 320
"""Longer input is refused before it is parsed (the library's own limit is
lower: 254 characters in all)."""


def check_email(email: Any, field: str = "customerEmail") -> str:
    """``email`` normalized and lower-cased, or :class:`Invalid` for ``field``.

    Stored lower-case so that filters and the buyer's page find every
    purchase whatever case the shop sent.
    """
    if not isinstance(email, str) or len(email) > MAX_LENGTH or "\x00" in email:
        raise Invalid(f"{field} must be an email address", field=field)
    try:
        valid = validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise Invalid(f"{field} must be an email address", field=field) from None
    return valid.normalized.lower()
