"""Checking the email addresses the hub is given (a buyer's, a console
user's, a shop's contact, a test email's recipient), with the
``email-validator`` library: the syntax of RFC 5322 and 6531 as mail
servers accept it (internationalized addresses too), not a home-made regex.

Deliverability (DNS) is not checked: an answer must not depend on a DNS
lookup, and a shop's buyer is known to be reachable by the shop.
"""

from __future__ import annotations

import re
from typing import Any

from email_validator import EmailNotValidError, validate_email

from hub.errors import Invalid

MAX_LENGTH = 320
"""Longer input is refused before it is parsed (the library's own limit is
lower: 254 characters in all)."""


PLAIN_ADDRESS = re.compile(
    r"(?=.{1,64}@)[A-Za-z0-9_+]+(?:[.-][A-Za-z0-9_+]+)*"  # local part: a dot-atom of common characters
    r"@(?=.{4,253}\Z)"
    r"(?:(?![A-Za-z0-9-]{64})[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*\.)+"  # labels of letters and digits, single inner hyphens
    r"(?!(?:arpa|invalid|local|localhost|onion|test)\Z)[A-Za-z]{2,63}\Z",  # a top-level domain of letters
    re.ASCII | re.IGNORECASE,
)
"""The addresses most buyers have (``jane.doe+shop@mail.example.com``),
which the library accepts unchanged but for case: a subset of what it
accepts, so a match skips its 20 µs of parsing and anything else goes to
it. Single hyphens only, so no label can look like Punycode (``xn--``) or
a reserved ``ab--`` form; the special-use top-level names the library
refuses are refused here too (a property test checks the two agree)."""


SPECIAL_USE_DOMAINS = {
    "test": "RFC 6761",
    "invalid": "RFC 6761",
    "localhost": "RFC 6761",
    "local": "RFC 6762",
    "onion": "RFC 7686",
    "arpa": "RFC 3172",
}
"""The special-use names the library refuses (its ``SPECIAL_USE_DOMAIN_NAMES``),
each with the RFC that reserves it, to say why an address there is refused."""


def check_email(email: Any, field: str = "customerEmail") -> str:
    """``email`` normalized and lower-cased, or :class:`Invalid` for ``field``
    that says why: not an address at all, too long, at an IP address, or at
    a special-use domain (``owner@shop.test`` is well formed, but no mail
    can reach it, and "must be an email address" would be the wrong reason).

    Stored lower-case so that filters and the buyer's page find every
    purchase whatever case the shop sent.
    """
    if not isinstance(email, str) or "\x00" in email:
        raise Invalid(f"{field} must be an email address", field=field)
    if len(email) > MAX_LENGTH:
        raise Invalid(f"{field} must be an email address of at most 254 characters", field=field)
    if PLAIN_ADDRESS.match(email) and len(email) <= 254:
        return email.lower()
    try:
        valid = validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise Invalid(refusal(email, field), field=field) from None
    return valid.normalized.lower()


def refusal(email: str, field: str) -> str:
    """Why the library refused ``email``, in the words of :func:`check_email`."""
    domain = email.rpartition("@")[2].strip().rstrip(".").lower()
    if "@" in email and domain:
        reserved = special_use(domain)
        if reserved:
            return f"{field} cannot be at {domain}: it is a special-use domain ({reserved}) that cannot receive email"
        if domain.startswith("[") and domain.endswith("]"):
            return f"{field} must be an email address at a domain name, not at an IP address ({domain})"
    if len(email) > 254:
        return f"{field} must be an email address of at most 254 characters"
    return f"{field} must be an email address"


def special_use(domain: str) -> str:
    """The RFC reserving ``domain`` (``shop.test``: RFC 6761), or "" for a
    name that may receive email."""
    for name, rfc in SPECIAL_USE_DOMAINS.items():
        if domain == name or domain.endswith("." + name):
            return rfc
    return ""
